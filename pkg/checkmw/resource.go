package checkmw

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Resource servers (RFC 9728, RFC 9068). With Config.API set, the middleware serves the API's
// protected-resource metadata, fetched from {issuer}/resources/{API}, at
// /.well-known/oauth-protected-resource (and at that path followed by the resource identifier's
// path, RFC 9728 §3.1), and names it in the resource_metadata of its 401s so clients can find
// the authorization server. With Config.OfflineJWT as well, JWT access tokens are validated
// locally (see verifyJWT); opaque tokens and API keys still go to the check.

// WellKnown is where the metadata is served.
const WellKnown = "/.well-known/oauth-protected-resource"

// Refresh intervals: metadata and keys are fetched again after metadataTTL; an unknown key ID
// fetches the keys at once, but not more often than once per keysMinInterval.
const (
	metadataTTL     = 5 * time.Minute
	keysMinInterval = 10 * time.Second
)

// ResourceMetadata is RFC 9728 §2's document as Scopekeeper serves it.
type ResourceMetadata struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers"`
	ScopesSupported        []string `json:"scopes_supported"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceName           string   `json:"resource_name,omitempty"`
}

// resourceState caches the metadata and the issuer's signing keys.
type resourceState struct {
	mu       sync.Mutex
	meta     *ResourceMetadata
	metaRaw  []byte
	metaAt   time.Time
	jwksURI  string
	keys     map[string]jose.JSONWebKey
	keysAt   time.Time // when the keys were last fetched (successfully or not)
	keysGood time.Time // when they were last fetched successfully
}

// Metadata returns the API's protected-resource metadata, from the cache while it is fresh; when
// a refresh fails the last document is kept.
func (c *Checker) Metadata(ctx context.Context) (*ResourceMetadata, []byte, error) {
	if c.cfg.API == "" {
		return nil, nil, errors.New("checkmw: Config.API is not set")
	}
	s := &c.res
	s.mu.Lock()
	defer s.mu.Unlock()
	now := c.cfg.Now()
	if s.meta != nil && now.Sub(s.metaAt) < metadataTTL {
		return s.meta, s.metaRaw, nil
	}
	raw, err := c.get(ctx, strings.TrimSuffix(c.cfg.Issuer, "/")+"/resources/"+url.PathEscape(c.cfg.API))
	var m ResourceMetadata
	if err == nil {
		if err = json.Unmarshal(raw, &m); err == nil && m.Resource == "" {
			err = errors.New("checkmw: the metadata has no resource")
		}
	}
	if err != nil {
		if s.meta != nil {
			return s.meta, s.metaRaw, nil
		}
		return nil, nil, err
	}
	s.meta, s.metaRaw, s.metaAt = &m, raw, now
	return s.meta, s.metaRaw, nil
}

// metadataPaths are where the metadata is served: WellKnown, and WellKnown followed by the path
// of the resource identifier (RFC 9728 §3.1); the second one's URL is the resource_metadata.
func metadataURL(resource string) (path, full string) {
	u, err := url.Parse(resource)
	if err != nil {
		return WellKnown, ""
	}
	path = WellKnown + strings.TrimSuffix(u.EscapedPath(), "/")
	return path, (&url.URL{Scheme: u.Scheme, Host: u.Host}).String() + path
}

// serveMetadata answers GET of the metadata paths; it reports whether r was one.
func (c *Checker) serveMetadata(w http.ResponseWriter, r *http.Request) bool {
	if c.cfg.API == "" || !strings.HasPrefix(r.URL.Path, WellKnown) || r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	m, raw, err := c.Metadata(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "The resource metadata is unavailable; try again.", "")
		return true
	}
	if path, _ := metadataURL(m.Resource); r.URL.Path != WellKnown && r.URL.Path != path {
		return false
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(raw)
	return true
}

// challenge is the WWW-Authenticate of a 401 or 403: with error when not empty, and the
// resource_metadata URL when the metadata is known.
func (c *Checker) challenge(ctx context.Context, errCode string) string {
	h := `Bearer realm="api"`
	if errCode != "" {
		h += `, error="` + errCode + `"`
	}
	if c.cfg.API != "" {
		if m, _, err := c.Metadata(ctx); err == nil {
			if _, full := metadataURL(m.Resource); full != "" {
				h += `, resource_metadata="` + full + `"`
			}
		}
	}
	return h
}

// get fetches u and returns its body (at most 1 MiB), or an error unless it answers 200.
func (c *Checker) get(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("checkmw: %s answered %d", u, resp.StatusCode)
	}
	return body, nil
}

// looksLikeJWT tells a JWT (three base64url parts) from opaque tokens and API keys.
func looksLikeJWT(cred string) bool {
	return strings.HasPrefix(cred, "eyJ") && strings.Count(cred, ".") == 2
}

// errInvalidToken is a JWT that does not verify: answered 401 invalid_token.
var errInvalidToken = errors.New("checkmw: invalid JWT access token")

// accessClaims are the RFC 9068 claims read.
type accessClaims struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	Audience audience `json:"aud"`
	Expiry   int64    `json:"exp"`
	ClientID string   `json:"client_id"`
	Scope    string   `json:"scope"`
}

// audience is aud: one string or an array.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*a = audience{one}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(a))
}

// verifyJWT validates a JWT access token offline (RFC 9068 §4): signed (RS256 or ES256) by a key
// at the issuer's jwks_uri, typ at+jwt, iss the issuer, aud including this API's identifier, not
// expired. It answers errInvalidToken for a token that fails, another error when the keys or the
// metadata cannot be had.
func (c *Checker) verifyJWT(ctx context.Context, raw string) (Result, error) {
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil || len(jws.Signatures) != 1 {
		return Result{}, errInvalidToken
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); !strings.EqualFold(typ, "at+jwt") && !strings.EqualFold(typ, "application/at+jwt") {
		return Result{}, errInvalidToken
	}
	m, _, err := c.Metadata(ctx)
	if err != nil {
		return Result{}, err
	}
	key, err := c.key(ctx, h.KeyID)
	if err != nil {
		return Result{}, err
	}
	if key == nil {
		return Result{}, errInvalidToken
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return Result{}, errInvalidToken
	}
	var cl accessClaims
	if json.Unmarshal(payload, &cl) != nil || cl.Issuer != strings.TrimSuffix(c.cfg.Issuer, "/") ||
		!slices.Contains(cl.Audience, m.Resource) || cl.Expiry <= c.cfg.Now().Unix() {
		return Result{}, errInvalidToken
	}
	return Result{Allowed: true, Scope: cl.Scope, Reason: "valid_jwt", Exp: cl.Expiry, Audience: cl.Audience,
		Subject: cl.Subject, ClientID: cl.ClientID}, nil
}

// key returns the issuer's public key kid, fetching the key set when kid is unknown or the set
// is old, at most once per keysMinInterval; nil when there is no such key.
func (c *Checker) key(ctx context.Context, kid string) (any, error) {
	s := &c.res
	s.mu.Lock()
	defer s.mu.Unlock()
	now := c.cfg.Now()
	k, ok := s.keys[kid]
	if ok && now.Sub(s.keysGood) < metadataTTL {
		return k.Key, nil
	}
	if now.Sub(s.keysAt) < keysMinInterval {
		if ok {
			return k.Key, nil
		}
		if s.keys == nil {
			return nil, errors.New("checkmw: the issuer's keys are unavailable")
		}
		return nil, nil
	}
	s.keysAt = now
	set, err := c.fetchKeys(ctx)
	if err != nil {
		if ok {
			return k.Key, nil // keep using a known key while the issuer is unreachable
		}
		return nil, err
	}
	s.keys, s.keysGood = map[string]jose.JSONWebKey{}, now
	for _, k := range set.Keys {
		if k.Use == "" || k.Use == "sig" {
			s.keys[k.KeyID] = k
		}
	}
	if k, ok := s.keys[kid]; ok {
		return k.Key, nil
	}
	return nil, nil
}

// fetchKeys reads jwks_uri from the issuer's RFC 8414 metadata (once), then the key set.
func (c *Checker) fetchKeys(ctx context.Context) (*jose.JSONWebKeySet, error) {
	s := &c.res
	if s.jwksURI == "" {
		raw, err := c.get(ctx, strings.TrimSuffix(c.cfg.Issuer, "/")+"/.well-known/oauth-authorization-server")
		if err != nil {
			return nil, err
		}
		var d struct {
			JWKSURI string `json:"jwks_uri"`
		}
		if err := json.Unmarshal(raw, &d); err != nil || d.JWKSURI == "" {
			return nil, errors.New("checkmw: the issuer's metadata has no jwks_uri")
		}
		s.jwksURI = d.JWKSURI
	}
	raw, err := c.get(ctx, s.jwksURI)
	if err != nil {
		return nil, err
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, fmt.Errorf("checkmw: %s: %w", s.jwksURI, err)
	}
	return &set, nil
}
