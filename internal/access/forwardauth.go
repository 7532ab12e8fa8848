package access

// Forward auth (contract section 7): ISSUER/v1/forward-auth[/{original path…}], any method, asked
// by a gateway before it passes a request on. The answer is the /v1/check decision as a status:
// 200 allows (with the caller's identity in X-Scopekeeper-* headers); everything else denies.

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"scopekeeper/ent"
	"scopekeeper/internal/credential"
	"scopekeeper/internal/pathtemplate"
)

// The identity headers of an allowed request, for the gateway to pass upstream.
const (
	HeaderSubject = "X-Scopekeeper-Subject"
	HeaderClient  = "X-Scopekeeper-Client"
	HeaderScope   = "X-Scopekeeper-Scope"
)

const forwardAuthPath = "/v1/forward-auth"

// The header pairs that carry the checked request, in order of precedence.
var forwardedPairs = [...]struct{ method, uri string }{
	{"X-Forwarded-Method", "X-Forwarded-Uri"}, // Traefik, Caddy
	{"X-Original-Method", "X-Original-URI"},   // NGINX (as docs/gateways.md sets them)
}

// CheckedRequest reads the request a gateway asks about: X-Forwarded-Method + X-Forwarded-Uri,
// else X-Original-Method + X-Original-URI, else the request's own method and own (escaped) path
// after /v1/forward-auth (Envoy's ext_authz with path_prefix). The query is dropped. A pair with
// one header missing, or a header sent twice, is refused rather than guessed at: a POST checked as
// a GET would let a readonly scope through. The path must be one /v1/check can match (absolute,
// no empty or dot segments, no control characters), and must not hold what servers behind a
// gateway may read as another path: an encoded slash or backslash (%2F, %5C, \) or a
// dot segment with a path parameter (..;). It returns the method upper-cased.
func CheckedRequest(h http.Header, ownMethod, ownPath string) (method, path string, err error) {
	method, path = ownMethod, ownPath
	source := "the path after " + forwardAuthPath
	found := false
	for _, p := range forwardedPairs {
		ms, us := h.Values(p.method), h.Values(p.uri)
		if len(ms) == 0 && len(us) == 0 {
			continue
		}
		switch {
		case len(ms) != 1:
			return "", "", checkedErr(p.method + " must be sent exactly once with " + p.uri + ", e.g. " + p.method + ": POST")
		case len(us) != 1:
			return "", "", checkedErr(p.uri + " must be sent exactly once with " + p.method + ", e.g. " + p.uri + ": /forums/threads/42?page=2")
		}
		method, path, source, found = ms[0], us[0], p.uri, true
		break
	}
	if !found && ownPath == "" {
		return "", "", checkedErr("no request to check: send X-Forwarded-Method and X-Forwarded-Uri, or X-Original-Method and X-Original-URI, or append the path to " + forwardAuthPath + ", e.g. " + forwardAuthPath + "/forums/threads/42")
	}
	if !validMethod(method) {
		return "", "", checkedErr("the method must be an HTTP method such as GET or POST, got " + strconv.Quote(truncate(method)))
	}
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if strings.ContainsRune(path, '\\') || containsFold(path, "%2f") || containsFold(path, "%5c") {
		return "", "", checkedErr(source + " must not contain an encoded slash or a backslash (%2F, %5C, \\): servers behind the gateway read them differently")
	}
	segs, err := pathtemplate.SplitRequest(path)
	if err != nil {
		return "", "", checkedErr(source + ": " + err.Error())
	}
	for _, s := range segs {
		if before, _, ok := strings.Cut(s, ";"); ok && (before == "." || before == "..") {
			return "", "", checkedErr(source + " must not contain a dot segment with a parameter (" + strconv.Quote(s) + ")")
		}
	}
	return strings.ToUpper(method), path, nil
}

func checkedErr(msg string) error { return errors.New(msg) }

// validMethod: an RFC 9110 token of at most 16 characters.
func validMethod(m string) bool {
	if m == "" || len(m) > 16 {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

// bearerOrKey is the credential of a forwarded request: Authorization: Bearer, else X-API-Key.
func bearerOrKey(h http.Header) string {
	if scheme, tok, ok := strings.Cut(h.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		if tok = strings.TrimSpace(tok); tok != "" {
			return tok
		}
	}
	return strings.TrimSpace(h.Get("X-API-Key"))
}

// ServeForwardAuth handles ISSUER/v1/forward-auth and ISSUER/v1/forward-auth/{path…}. It answers
// 200 only for an allowed request; 401 for a missing, unknown, expired or revoked credential (or
// one of a disabled client); 403 for a denial; 400 when the checked request cannot be read; 404
// for an unknown organisation; 503 when anything fails, a panic included.
func (e *Engine) ServeForwardAuth(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			slog.ErrorContext(r.Context(), "access: forward auth panicked", "panic", v)
			unavailable(w)
		}
	}()
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	orgID, err := e.orgBySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		if ent.IsNotFound(err) {
			writeError(w, http.StatusNotFound, "not_found", "There is no organisation "+strconv.Quote(r.PathValue("slug"))+".")
			return
		}
		slog.ErrorContext(r.Context(), "access: forward auth", "error", err)
		unavailable(w)
		return
	}
	method, path, err := CheckedRequest(r.Header, r.Method, ownPath(r))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", err.Error()+".")
		return
	}
	cred := bearerOrKey(r.Header)
	if cred == "" {
		h.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "invalid_token", "Send an access token or API key: Authorization: Bearer …, or X-API-Key: skk_….")
		return
	}
	ds, g, err := e.decideAll(r.Context(), orgID, cred, []Request{{Method: method, Path: path}}, false)
	if err != nil {
		slog.ErrorContext(r.Context(), "access: forward auth", "error", err)
		unavailable(w)
		return
	}
	d := &ds[0]
	switch {
	case d.CredentialProblem():
		h.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "invalid_token", "The access token or API key is "+credentialState(d.Reason)+".")
		return
	case !d.Allowed:
		challenge := `Bearer error="insufficient_scope"`
		if s := d.ScopesThatAllow(); s != "" {
			challenge += `, scope="` + s + `"` // scope-tokens hold no quote or backslash
		}
		h.Set("WWW-Authenticate", challenge)
		writeError(w, http.StatusForbidden, "insufficient_scope", "The credential may not call "+method+" "+truncate(path)+" ("+d.Reason+").")
		return
	}
	c := g.cred
	if c.Kind == credential.APIKey && e.opts.Touch != nil {
		e.opts.Touch(c.ID) // batched: no write per request
	}
	h.Set(HeaderSubject, subject(c))
	h.Set(HeaderClient, clientOf(c))
	h.Set(HeaderScope, d.Scope)
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// ownPath is the request's escaped path after /o/{slug}/v1/forward-auth ("" for none).
func ownPath(r *http.Request) string {
	p := strings.TrimPrefix(r.URL.EscapedPath(), "/o/")
	if i := strings.IndexByte(p, '/'); i >= 0 {
		p = p[i:]
	}
	return strings.TrimPrefix(p, forwardAuthPath)
}

// subject is the user a credential acts for (as introspection's sub), else the token's client.
func subject(c *credential.Credential) string {
	if c.UserID != 0 {
		return strconv.Itoa(c.UserID)
	}
	if c.Client != nil {
		return c.Client.ClientID
	}
	return ""
}

// clientOf is the token's client_id, or an API key's public prefix.
func clientOf(c *credential.Credential) string {
	switch {
	case c.Client != nil:
		return c.Client.ClientID
	case c.Key != nil:
		return c.Key.Prefix
	}
	return ""
}

func credentialState(reason string) string {
	switch reason {
	case ReasonExpired:
		return "expired"
	case ReasonRevoked:
		return "revoked"
	case ReasonClientDisabled:
		return "of a disabled client"
	}
	return "not known to this organisation"
}

func unavailable(w http.ResponseWriter) {
	h := w.Header()
	for _, k := range []string{HeaderSubject, HeaderClient, HeaderScope, "Content-Length", "WWW-Authenticate"} {
		h.Del(k)
	}
	writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "The access decision could not be made; try again.")
}
