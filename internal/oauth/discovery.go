package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"scopekeeper/ent"
	"scopekeeper/ent/scope"
	"scopekeeper/internal/oidcscope"
)

// discoveryDoc is an organisation's discovery document, rendered.
type discoveryDoc struct {
	doc  map[string]any
	body []byte
	etag string
}

// DiscoveryDocument is the RFC 8414 / OpenID Connect Discovery metadata of org's issuer, generated
// from the database: scopes_supported lists exactly the organisation's scopes that are shown in
// discovery and not deprecated, and the identity scopes, sorted.
func (p *Provider) DiscoveryDocument(ctx context.Context, org *ent.Organisation) (map[string]any, error) {
	d, err := p.discovery(ctx, p.orgInfo(org))
	if err != nil {
		return nil, err
	}
	return d.doc, nil
}

func (p *Provider) discovery(ctx context.Context, org *orgInfo) (*discoveryDoc, error) {
	if d, ok := get[*discoveryDoc](p.cache, &p.cache.docs, org.ID); ok {
		return d, nil
	}
	gen := p.cache.generation()
	names, err := p.client.Scope.Query().
		Where(scope.ShowInDiscoveryDocument(true), scope.Deprecated(false)).
		Select(scope.FieldName).Strings(sys(ctx, org.ID))
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
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	doc["scopes_supported"] = append([]string{}, names...)       // present even when empty
	doc["authorization_response_iss_parameter_supported"] = true // RFC 9207
	doc["prompt_values_supported"] = []string{"none", "login", "consent", "select_account"}
	body, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	d := &discoveryDoc{doc: doc, body: append(body, '\n'), etag: etagOf(body)}
	put(p.cache, &p.cache.docs, org.ID, d, gen)
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
