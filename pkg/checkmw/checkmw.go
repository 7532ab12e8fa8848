// Package checkmw protects an HTTP API written in Go with Scopekeeper's access check: every
// request's bearer credential (an access token or API key), method and path are sent to
// POST {issuer}/v1/check, and only allowed requests reach the wrapped handler.
//
//	checker := checkmw.New(checkmw.Config{
//		Issuer:       "https://auth.example.com/o/acme", // the organisation's issuer URL
//		ClientID:     os.Getenv("SCOPEKEEPER_CLIENT_ID"),     // a client of that organisation
//		ClientSecret: os.Getenv("SCOPEKEEPER_CLIENT_SECRET"),
//	})
//	mux := http.NewServeMux()
//	mux.HandleFunc("GET /forums/threads/{id}", func(w http.ResponseWriter, r *http.Request) {
//		res, _ := checkmw.FromContext(r.Context()) // the decision, e.g. res.Scope
//		fmt.Fprintf(w, "thread %s, allowed by %s\n", r.PathValue("id"), res.Scope)
//	})
//	log.Fatal(http.ListenAndServe(":8081", checker.Handler(mux)))
//
// The path checked is the request's path as the wrapped handler sees it (r.URL.EscapedPath()),
// so register endpoints in Scopekeeper with the paths the API serves, or set Config.Path.
//
// Answers: a request without "Authorization: Bearer …" gets 401; a credential that is unknown,
// expired or revoked (or whose client is disabled) gets 401 with error "invalid_token"; any other
// denial gets 403 with error "insufficient_scope" and the check's reason (e.g. "missing_scope",
// "unknown_path"); when the check cannot be made the request is refused with 503 (fail closed).
// Error bodies are JSON: {"error","error_description","reason"}.
//
// Resource servers: with Config.API (the API's name in Scopekeeper) the middleware serves the
// API's RFC 9728 protected-resource metadata at /.well-known/oauth-protected-resource and adds
// resource_metadata="…" to the WWW-Authenticate of its 401s; with Config.OfflineJWT it validates
// JWT access tokens (RFC 9068) against the issuer's jwks_uri itself (keys cached, fetched again
// on an unknown kid at most every 10 seconds) and asks the check only for opaque tokens and API
// keys. A JWT that fails (signature, typ at+jwt, iss, aud, exp) is a 401 with reason "invalid_jwt".
//
// Caching: allow decisions are reused for the same credential, method and path until the
// earlier of the credential's expiry and Config.TTL after the check (default 5 seconds); denials
// are never cached. So a revocation, a removed scope or a narrowed API-key set is seen by this
// middleware within TTL (Scopekeeper itself sees it at once). Set TTL to a negative value to
// check every request.
package checkmw

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultTTL is how long an allow decision is reused when Config.TTL is zero.
const DefaultTTL = 5 * time.Second

// Config says where and as whom to check.
type Config struct {
	// Issuer is the organisation's issuer URL, {public-url}/o/{slug}.
	Issuer string
	// ClientID and ClientSecret authenticate the middleware as a client of the organisation.
	ClientID, ClientSecret string
	// TTL bounds how long an allow decision is reused: zero means DefaultTTL, negative no cache.
	TTL time.Duration
	// MaxEntries bounds the cache (default 10,000); a full cache starts over.
	MaxEntries int
	// HTTPClient calls the check endpoint (default: a client with a 5-second timeout).
	HTTPClient *http.Client
	// Path returns the path to check (default: r.URL.EscapedPath()).
	Path func(r *http.Request) string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// API is this API's name in Scopekeeper. With it, the middleware serves its RFC 9728
	// metadata at /.well-known/oauth-protected-resource and puts resource_metadata in its 401s.
	API string
	// OfflineJWT validates JWT access tokens (RFC 9068) locally, without asking the check:
	// signature by a key at the issuer's jwks_uri, typ, iss, aud (this API's identifier) and exp.
	// Such a token reaches the handler with Result.Reason "valid_jwt" and all its scopes in
	// Result.Scope; which endpoints they open, a revocation and a scope taken from the client
	// apply from its next token (JWTs live for the API's jwtLifetime). Needs API.
	OfflineJWT bool
}

// Result is the check's decision.
type Result struct {
	Allowed bool   `json:"allowed"`
	Scope   string `json:"scope"`
	Reason  string `json:"reason"`
	// Exp is when the decision stops holding, in Unix seconds: the credential expires or a
	// deprecated scope it holds reaches its sunset; 0 when neither comes.
	Exp int64 `json:"exp"`
	// Audience is a token's aud: the identifiers of the APIs it is for (RFC 8707).
	Audience []string `json:"aud"`
	// Subject and ClientID are set for JWTs validated offline.
	Subject  string `json:"-"`
	ClientID string `json:"-"`
}

// CredentialProblem reports whether the credential itself grants nothing (answer 401, not 403).
func (r Result) CredentialProblem() bool {
	switch r.Reason {
	case "unknown_credential", "expired", "revoked", "client_disabled", "invalid_jwt":
		return true
	}
	return false
}

// Checker calls the check endpoint and caches allow decisions.
type Checker struct {
	cfg Config
	url string

	mu    sync.Mutex
	cache map[cacheKey]cacheEntry
	res   resourceState
}

type cacheKey struct {
	cred         [32]byte // the credential's SHA-256: the cache holds no credentials
	method, path string
}

type cacheEntry struct {
	res   Result
	until time.Time
}

// New returns a Checker for cfg.
func New(cfg Config) *Checker {
	if cfg.TTL == 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = 10_000
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	if cfg.Path == nil {
		cfg.Path = func(r *http.Request) string { return r.URL.EscapedPath() }
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Checker{cfg: cfg, url: strings.TrimSuffix(cfg.Issuer, "/") + "/v1/check", cache: map[cacheKey]cacheEntry{}}
}

type ctxKey struct{}

// FromContext returns the decision that let the request through, inside a wrapped handler.
func FromContext(ctx context.Context) (Result, bool) {
	r, ok := ctx.Value(ctxKey{}).(Result)
	return r, ok
}

// Handler wraps next: only requests the check allows reach it.
func (c *Checker) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c.serveMetadata(w, r) {
			return
		}
		cred, ok := bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", c.challenge(r.Context(), ""))
			writeError(w, http.StatusUnauthorized, "invalid_request", "Send an access token or API key as Authorization: Bearer <credential>.", "")
			return
		}
		var res Result
		var err error
		if c.cfg.OfflineJWT && c.cfg.API != "" && looksLikeJWT(cred) {
			if res, err = c.verifyJWT(r.Context(), cred); errors.Is(err, errInvalidToken) {
				res, err = Result{Reason: "invalid_jwt"}, nil
			}
		} else {
			res, err = c.Check(r.Context(), cred, r.Method, c.cfg.Path(r))
		}
		switch {
		case err != nil:
			writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "The access check is unavailable; try again.", "")
		case res.Allowed:
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, res)))
		case res.CredentialProblem():
			w.Header().Set("WWW-Authenticate", c.challenge(r.Context(), "invalid_token"))
			writeError(w, http.StatusUnauthorized, "invalid_token", "The credential is unknown, expired or revoked.", res.Reason)
		default:
			w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="insufficient_scope"`)
			writeError(w, http.StatusForbidden, "insufficient_scope", "The credential may not call "+r.Method+" "+c.cfg.Path(r)+".", res.Reason)
		}
	})
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return "", false
	}
	cred := strings.TrimSpace(h[7:])
	return cred, cred != ""
}

func writeError(w http.ResponseWriter, status int, code, desc, reason string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	body := map[string]string{"error": code, "error_description": desc}
	if reason != "" {
		body["reason"] = reason
	}
	_ = json.NewEncoder(w).Encode(body)
}

// Check asks whether cred may call METHOD PATH, from the cache when an allow decision is fresh.
func (c *Checker) Check(ctx context.Context, cred, method, path string) (Result, error) {
	key := cacheKey{sha256.Sum256([]byte(cred)), method, path}
	now := c.cfg.Now()
	if c.cfg.TTL > 0 {
		c.mu.Lock()
		e, ok := c.cache[key]
		c.mu.Unlock()
		if ok && now.Before(e.until) {
			return e.res, nil
		}
	}
	res, err := c.call(ctx, cred, method, path)
	if err != nil || !res.Allowed || c.cfg.TTL < 0 {
		return res, err
	}
	until := now.Add(c.cfg.TTL)
	if res.Exp > 0 {
		if exp := time.Unix(res.Exp, 0); exp.Before(until) {
			until = exp
		}
	}
	c.mu.Lock()
	if len(c.cache) >= c.cfg.MaxEntries {
		c.cache = map[cacheKey]cacheEntry{}
	}
	c.cache[key] = cacheEntry{res: res, until: until}
	c.mu.Unlock()
	return res, nil
}

func (c *Checker) call(ctx context.Context, cred, method, path string) (Result, error) {
	body, err := json.Marshal(map[string]string{"credential": cred, "method": method, "path": path})
	if err != nil {
		return Result{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return Result{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	// RFC 6749 §2.3.1: the client ID and secret are form-encoded inside HTTP Basic.
	req.SetBasicAuth(url.QueryEscape(c.cfg.ClientID), url.QueryEscape(c.cfg.ClientSecret))
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return Result{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return Result{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return Result{}, fmt.Errorf("checkmw: %s answered %d: %s", c.url, resp.StatusCode, bytes.TrimSpace(data))
	}
	var res Result
	if err := json.Unmarshal(data, &res); err != nil {
		return Result{}, fmt.Errorf("checkmw: %s: %w", c.url, err)
	}
	if res.Reason == "" {
		return Result{}, errors.New("checkmw: the check answered without a reason")
	}
	return res, nil
}
