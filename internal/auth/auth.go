// Package auth signs people in (server-side sessions behind an HttpOnly cookie) and recognises API
// keys sent as Authorization: Bearer, turning either into the request's viewer.
package auth

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"scopekeeper/ent"
	"scopekeeper/ent/apikey"
	"scopekeeper/ent/organisation"
	"scopekeeper/ent/session"
	"scopekeeper/ent/user"
	"scopekeeper/internal/metrics"
	"scopekeeper/internal/orgs"
	"scopekeeper/internal/rule"
	"scopekeeper/internal/secret"
	"scopekeeper/internal/throttle"
	"scopekeeper/internal/viewer"
)

// CookieName is the session cookie.
const CookieName = "scopekeeper_session"

// SessionTTL is how long a sign-in lasts.
const SessionTTL = 12 * time.Hour

// Service signs people in and authenticates requests.
type Service struct {
	client *ent.Client
	secure bool // Secure cookies when the public URL is https
	// sameOrigin refuses cookie-authenticated writes sent by other sites (login CSRF, CSRF).
	sameOrigin *http.CrossOriginProtection

	mu       sync.Mutex
	lastUsed map[int]time.Time // API key ID → last use, flushed in batches

	guard *throttle.Guard
}

// New returns a Service for the server at publicURL: cookies are Secure when it is https, and
// browsers may sign in, out and use the session only from pages of its origin.
func New(client *ent.Client, publicURL string) *Service {
	s := &Service{client: client, secure: strings.HasPrefix(publicURL, "https://"), lastUsed: map[int]time.Time{},
		sameOrigin: http.NewCrossOriginProtection(), guard: throttle.New(SignInLimits)}
	if u, err := url.Parse(publicURL); err == nil && u.Scheme != "" && u.Host != "" {
		// Behind a proxy the Host header may differ from the public URL, which pages' Origin carries.
		_ = s.sameOrigin.AddTrustedOrigin(u.Scheme + "://" + u.Host)
	}
	return s
}

// crossSite answers a browser request that another site's page sent.
func crossSite(w http.ResponseWriter) {
	writeJSON(w, http.StatusForbidden, map[string]string{"error": "cross_site_request",
		"error_description": "Sign-in, sign-out and the session work only from the console's own pages."})
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// UserJSON is the user as /auth/login reports it.
type UserJSON struct {
	ID    int         `json:"id,string"`
	Email string      `json:"email"`
	Role  viewer.Role `json:"role"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Login handles POST /auth/login.
func (s *Service) Login(w http.ResponseWriter, r *http.Request) {
	if s.sameOrigin.Check(r) != nil {
		crossSite(w)
		return
	}
	// JSON only: a form or a no-cors fetch from another site can send text/plain, never JSON.
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "invalid_request",
			"error_description": `send Content-Type: application/json, e.g. {"email":"ada@example.com","password":"…"}`})
		return
	}
	var req loginRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil || req.Email == "" || req.Password == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request",
			"error_description": `send JSON such as {"email":"ada@example.com","password":"…"}`})
		return
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	ctx := rule.Bypass(r.Context())
	var u *ent.User
	lookup := func() (*string, error) {
		var err error
		if u, err = s.client.User.Query().Where(user.Email(email)).Only(ctx); ent.IsNotFound(err) {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		return &u.PasswordHash, nil
	}
	var tooMany *TooManyAttempts
	switch err := s.verify(email, throttle.Addr(r), req.Password, lookup); {
	case errors.As(err, &tooMany):
		metrics.ThrottledRequest("sign_in")
		w.Header().Set("Retry-After", strconv.Itoa(tooMany.RetryAfter()))
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "too_many_attempts", "error_description": tooMany.Error()})
		return
	case err != nil && !errors.Is(err, ErrWrongPassword):
		slog.ErrorContext(ctx, "auth: look up user", "error", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	case err != nil:
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_credentials"})
		return
	}
	value, digest := secret.New(secret.SessionPrefix)
	expires := time.Now().Add(SessionTTL)
	if err := s.client.Session.Create().SetTokenHash(digest).SetUserID(u.ID).SetExpiresAt(expires).Exec(ctx); err != nil {
		slog.ErrorContext(ctx, "auth: create session", "error", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: value, Path: "/", Expires: expires,
		HttpOnly: true, Secure: s.secure,
		// Lax, not Strict: the authorization endpoint is reached by top-level navigation from
		// the client's site and must see the session.
		SameSite: http.SameSiteLaxMode,
	})
	writeJSON(w, http.StatusOK, map[string]any{"user": UserJSON{ID: u.ID, Email: u.Email, Role: u.Role}})
}

// Logout handles POST /auth/logout. Another site's request is refused whole: the session and
// the cookie both stay.
func (s *Service) Logout(w http.ResponseWriter, r *http.Request) {
	if s.sameOrigin.Check(r) != nil {
		crossSite(w)
		return
	}
	if err := s.EndSession(w, r); err != nil {
		slog.ErrorContext(r.Context(), "auth: delete session", "error", err)
	}
	w.WriteHeader(http.StatusNoContent)
}

// EndSession deletes the session of r's cookie, if any, and clears the cookie (also the issuer's
// RP-Initiated Logout).
func (s *Service) EndSession(w http.ResponseWriter, r *http.Request) error {
	var err error
	if c, cerr := r.Cookie(CookieName); cerr == nil {
		_, err = s.client.Session.Delete().Where(session.TokenHash(secret.Digest(c.Value))).Exec(rule.Bypass(r.Context()))
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	return err
}

// SessionCaller returns the signed-in user of r, or nil.
func (s *Service) SessionCaller(r *http.Request) (*viewer.Caller, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || !strings.HasPrefix(c.Value, secret.SessionPrefix) {
		return nil, nil
	}
	ctx := rule.Bypass(r.Context())
	sess, err := s.client.Session.Query().
		Where(session.TokenHash(secret.Digest(c.Value)), session.ExpiresAtGT(time.Now())).
		WithUser().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u := sess.Edges.User
	return &viewer.Caller{OrgID: u.OrganisationID, UserID: u.ID, Email: u.Email, Role: u.Role, SessionID: sess.ID}, nil
}

// ErrInvalidKey is returned for a bearer credential that is not a live API key.
var ErrInvalidKey = errorString("invalid, expired or revoked API key")

type errorString string

func (e errorString) Error() string { return string(e) }

// KeyCaller returns the caller an API key acts as: its owner, with the key's admin scopes narrowed
// by the organisation's allowed set (contract rules 10 and 11).
func (s *Service) KeyCaller(ctx context.Context, key string) (*viewer.Caller, error) {
	if !strings.HasPrefix(key, secret.APIKeyPrefix) {
		return nil, ErrInvalidKey
	}
	bypass := rule.Bypass(ctx)
	k, err := s.client.APIKey.Query().
		Where(apikey.KeyHash(secret.Digest(key)), apikey.RevokedAtIsNil()).
		WithOwner().WithScopes().Only(bypass)
	if ent.IsNotFound(err) {
		return nil, ErrInvalidKey
	}
	if err != nil {
		return nil, err
	}
	if k.ExpiresAt != nil && !k.ExpiresAt.After(time.Now()) {
		return nil, ErrInvalidKey
	}
	allowed, err := s.client.Organisation.Query().Where(organisation.ID(k.OrganisationID)).
		QueryAPIKeyAllowedScopes().Select("name").Strings(bypass)
	if err != nil {
		return nil, err
	}
	c := &viewer.Caller{OrgID: k.OrganisationID, UserID: k.OwnerID, Email: k.Edges.Owner.Email, Role: k.Edges.Owner.Role, APIKeyID: k.ID}
	for _, sc := range k.Edges.Scopes {
		if !contains(allowed, sc.Name) {
			continue
		}
		switch sc.Name {
		case orgs.AdminModify:
			c.KeyModify, c.KeyRead = true, true
		case orgs.AdminReadOnly:
			c.KeyRead = true
		}
	}
	s.Touch(k.ID)
	return c, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Middleware puts the request's caller into its context: an API key from Authorization: Bearer, or
// the session cookie. A bearer credential that is not a live key is refused with 401; a write
// carrying the session cookie that another site's page sent, with 403 (a key is not ambient: no
// page can make a browser send it).
func (s *Service) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(context.WithValue(r.Context(), attemptKey{}, attempt{s: s, addr: throttle.Addr(r)}))
		var c *viewer.Caller
		var err error
		if h := r.Header.Get("Authorization"); h != "" {
			key, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				unauthenticated(w, "Send the API key as Authorization: Bearer <key>.")
				return
			}
			if c, err = s.KeyCaller(r.Context(), strings.TrimSpace(key)); err == ErrInvalidKey {
				unauthenticated(w, "The API key is invalid, expired or revoked.")
				return
			}
		} else if _, cerr := r.Cookie(CookieName); cerr == nil && s.sameOrigin.Check(r) != nil {
			writeJSON(w, http.StatusForbidden, map[string]any{"errors": []any{map[string]any{
				"message":    "Requests with the session cookie are accepted only from the console's own pages; scripts use an API key.",
				"extensions": map[string]any{"code": "FORBIDDEN"}}}})
			return
		} else {
			c, err = s.SessionCaller(r)
		}
		if err != nil {
			slog.ErrorContext(r.Context(), "auth: authenticate", "error", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		if c != nil {
			r = r.WithContext(viewer.NewContext(r.Context(), c))
		}
		next.ServeHTTP(w, r)
	})
}

func unauthenticated(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="scopekeeper"`)
	writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": []any{map[string]any{
		"message": msg, "extensions": map[string]any{"code": "UNAUTHENTICATED"}}}})
}

// Touch records a key's use (here, or at POST /v1/check) in memory; Flush writes the batch, so
// authenticating a key does not write.
func (s *Service) Touch(id int) {
	s.mu.Lock()
	s.lastUsed[id] = time.Now()
	s.mu.Unlock()
}

// Flush writes the recorded key uses.
func (s *Service) Flush(ctx context.Context) {
	s.mu.Lock()
	batch := s.lastUsed
	s.lastUsed = map[int]time.Time{}
	s.mu.Unlock()
	for id, at := range batch {
		if err := s.client.APIKey.UpdateOneID(id).SetLastUsedAt(at).Exec(rule.Bypass(ctx)); err != nil && !ent.IsNotFound(err) {
			slog.ErrorContext(ctx, "auth: record key use", "error", err)
		}
	}
}

// Run flushes key uses every interval and purges expired sessions every purgeEvery until ctx
// ends, then flushes once more.
func (s *Service) Run(ctx context.Context, interval, purgeEvery time.Duration) {
	flush, purge := time.NewTicker(interval), time.NewTicker(purgeEvery)
	defer flush.Stop()
	defer purge.Stop()
	for {
		select {
		case <-ctx.Done():
			s.Flush(context.WithoutCancel(ctx))
			return
		case <-flush.C:
			s.Flush(ctx)
		case <-purge.C:
			if _, err := s.client.Session.Delete().Where(session.ExpiresAtLT(time.Now())).Exec(rule.Bypass(ctx)); err != nil {
				slog.ErrorContext(ctx, "auth: purge sessions", "error", err)
			}
		}
	}
}
