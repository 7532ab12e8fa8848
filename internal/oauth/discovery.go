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

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"scopekeeper/ent"
	"scopekeeper/ent/scope"
)

// discoveryDoc is an organisation's discovery document, rendered at a revision (cache.docRevision).
type discoveryDoc struct {
	doc  map[string]any
	body []byte
	etag string
	rev  uint64
}

// DiscoveryDocument is the RFC 8414 / OpenID Connect Discovery metadata of org's issuer, generated
// from the database: scopes_supported lists exactly the organisation's scopes that are shown in
// discovery and not deprecated, sorted (the contract's rule; openid works without being listed).
func (p *Provider) DiscoveryDocument(ctx context.Context, org *ent.Organisation) (map[string]any, error) {
	d, err := p.discovery(ctx, &orgInfo{ID: org.ID, Slug: org.Slug, Issuer: p.Issuer(org.Slug)})
	if err != nil {
		return nil, err
	}
	return d.doc, nil
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
	names, err := p.client.Scope.Query().
		Where(scope.ShowInDiscoveryDocument(true), scope.Deprecated(false)).
		Select(scope.FieldName).Strings(sys(ctx, org.ID))
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	iss := org.Issuer
	cfg := oidc.DiscoveryConfiguration{
		Issuer:                                    iss,
		AuthorizationEndpoint:                     iss + "/oauth/authorize",
		TokenEndpoint:                             iss + "/oauth/token",
		IntrospectionEndpoint:                     iss + "/oauth/introspect",
		RevocationEndpoint:                        iss + "/oauth/revoke",
		JwksURI:                                   iss + "/oauth/jwks",
		ScopesSupported:                           names,
		ResponseTypesSupported:                    []string{string(oidc.ResponseTypeCode)},
		ResponseModesSupported:                    []string{"query"},
		GrantTypesSupported:                       []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeClientCredentials},
		SubjectTypesSupported:                     []string{"public"},
		IDTokenSigningAlgValuesSupported:          []string{string(Algorithm)},
		TokenEndpointAuthMethodsSupported:         []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost, oidc.AuthMethodNone},
		RevocationEndpointAuthMethodsSupported:    []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost, oidc.AuthMethodNone},
		IntrospectionEndpointAuthMethodsSupported: []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost},
		CodeChallengeMethodsSupported:             []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256},
		ClaimsSupported:                           []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp"},
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	doc["scopes_supported"] = append([]string{}, names...)       // present even when empty
	doc["authorization_response_iss_parameter_supported"] = true // RFC 9207
	body, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	d := &discoveryDoc{doc: doc, body: append(body, '\n'), etag: etagOf(body), rev: rev}
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
