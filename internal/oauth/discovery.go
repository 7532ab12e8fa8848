package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"entgo.io/ent/dialect/sql"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"scopekeeper/ent"
	"scopekeeper/ent/predicate"
	"scopekeeper/ent/scope"
	"scopekeeper/internal/oidcscope"
)

// discoveryDoc is an organisation's discovery document, rendered at a revision (cache.docRevision).
type discoveryDoc struct {
	doc  func() (map[string]any, error) // for GraphQL's discoveryDocument, decoded when first asked
	body []byte
	etag string
	rev  uint64
}

// DiscoveryDocument is the RFC 8414 / OpenID Connect Discovery metadata of org's issuer, generated
// from the database: scopes_supported lists exactly the organisation's scopes that are shown in
// discovery and not deprecated, and the identity scopes, sorted.
func (p *Provider) DiscoveryDocument(ctx context.Context, org *ent.Organisation) (map[string]any, error) {
	d, err := p.discovery(ctx, p.orgInfo(org))
	if err != nil {
		return nil, err
	}
	return d.doc()
}

// discovery returns org's document at its current revision. The document is rendered once per
// revision: concurrent requests that miss wait for one rendering (single flight) rather than each
// reading every scope of the organisation. A request that joined a rendering begun before the
// revision it saw renders again, so a change is visible on the next request.
func (p *Provider) discovery(ctx context.Context, org *orgInfo) (*discoveryDoc, error) {
	rev := p.cache.docRevision(org.ID)
	for {
		if v, ok := p.cache.docs.Load(org.ID); ok && v.(*discoveryDoc).rev >= rev {
			return v.(*discoveryDoc), nil
		}
		v, err, _ := p.docFlights.Do(strconv.Itoa(org.ID), func() (any, error) {
			// Not bound to the request that happened to start it: others wait for it too.
			return p.renderDiscovery(context.WithoutCancel(ctx), org)
		})
		if err != nil {
			return nil, err
		}
		if d := v.(*discoveryDoc); d.rev >= rev {
			return d, nil
		}
	}
}

// renderDiscovery reads org's scopes and renders its document, stamped with the revision read
// before the scopes.
func (p *Provider) renderDiscovery(ctx context.Context, org *orgInfo) (*discoveryDoc, error) {
	rev := p.cache.docRevision(org.ID)
	if v, ok := p.cache.docs.Load(org.ID); ok && v.(*discoveryDoc).rev >= rev {
		return v.(*discoveryDoc), nil // rendered by the flight just before this one
	}
	// Equalities rather than ent's bare boolean predicates (`show AND NOT deprecated`), so the
	// covering index (organisation_id, show_in_discovery_document, deprecated, name) is searched
	// on all three.
	shown := predicate.Scope(func(s *sql.Selector) {
		is := func(column string, v bool) *sql.Predicate {
			return sql.P(func(b *sql.Builder) { b.Ident(s.C(column)).WriteOp(sql.OpEQ).Arg(v) })
		}
		s.Where(sql.And(is(scope.FieldShowInDiscoveryDocument, true), is(scope.FieldDeprecated, false)))
	})
	names, err := p.client.Scope.Query().Where(shown).Select(scope.FieldName).Strings(sys(ctx, org.ID))
	if err != nil {
		return nil, err
	}
	for _, is := range oidcscope.All {
		// A scope row of the same name (created before identity scopes existed) is listed once.
		if !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, is.Name) }) {
			names = append(names, is.Name)
		}
	}
	slices.Sort(names)
	iss := org.Issuer
	cfg := oidc.DiscoveryConfiguration{
		Issuer:                                    iss,
		AuthorizationEndpoint:                     iss + "/oauth/authorize",
		TokenEndpoint:                             iss + "/oauth/token",
		IntrospectionEndpoint:                     iss + "/oauth/introspect",
		RevocationEndpoint:                        iss + "/oauth/revoke",
		UserinfoEndpoint:                          iss + "/oauth/userinfo",
		EndSessionEndpoint:                        iss + "/oauth/logout",
		JwksURI:                                   iss + "/oauth/jwks",
		ScopesSupported:                           names,
		ResponseTypesSupported:                    []string{string(oidc.ResponseTypeCode)},
		ResponseModesSupported:                    []string{"query"},
		GrantTypesSupported:                       []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeClientCredentials},
		SubjectTypesSupported:                     []string{"public"},
		IDTokenSigningAlgValuesSupported:          []string{string(Algorithm)},
		TokenEndpointAuthMethodsSupported:         []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost, oidc.AuthMethodNone},
		RevocationEndpointAuthMethodsSupported:    []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost, oidc.AuthMethodNone},
		IntrospectionEndpointAuthMethodsSupported: []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost},
		CodeChallengeMethodsSupported:             []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256},
		ClaimsSupported: []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp", "amr",
			"name", "preferred_username", "updated_at", "email", "email_verified"},
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	// Encoded once, compact: with tens of thousands of scopes, a detour through a map and an
	// indented encoding cost several times the document.
	body := append(raw[:len(raw)-1], `,"authorization_response_iss_parameter_supported":true`...) // RFC 9207
	body = append(body, `,"prompt_values_supported":["none","login","consent","select_account"]`...)
	body = append(body, "}\n"...)
	d := &discoveryDoc{body: body, etag: etagOf(body), rev: rev}
	d.doc = sync.OnceValues(func() (map[string]any, error) {
		var doc map[string]any
		return doc, json.Unmarshal(body, &doc)
	})
	p.cache.docs.Store(org.ID, d)
	return d, nil
}

// handleDiscovery serves both well-known documents (they are the same).
func (p *Provider) handleDiscovery(w http.ResponseWriter, r *http.Request, org *orgInfo) {
	d, err := p.discovery(r.Context(), org)
	if err != nil {
		writeError(w, org.Issuer, serverError(r.Context(), "discovery document", err))
		return
	}
	publicCORS(w)
	// no-cache: caches keep the document but revalidate it (ETag) on every use, so a change to the
	// organisation's scopes is visible on the next request.
	writeCacheable(w, r, d.body, d.etag, "no-cache")
}

func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// serveCacheable answers with v as JSON, an ETag and cacheControl, or 304 when it matches.
func serveCacheable(w http.ResponseWriter, r *http.Request, v any, cacheControl string) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	body = append(body, '\n')
	writeCacheable(w, r, body, etagOf(body), cacheControl)
}

func writeCacheable(w http.ResponseWriter, r *http.Request, body []byte, etag, cacheControl string) {
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", cacheControl)
	h.Set("Vary", "Origin")
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json")
	// Known length: net/http then writes the answer whole, not as chunks and a last empty one.
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

// etagMatches applies If-None-Match's weak comparison (RFC 9110 §13.1.2).
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for c := range strings.SplitSeq(header, ",") {
		c = strings.TrimSpace(c)
		if c == "*" || strings.TrimPrefix(c, "W/") == etag {
			return true
		}
	}
	return false
}
