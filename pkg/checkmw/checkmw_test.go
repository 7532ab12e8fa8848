package checkmw

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeIssuer answers /v1/check from a table, counting calls, and insists on the client's Basic
// credentials. (The end-to-end test against the real server is in the repository root's
// access_test.go.)
type fakeIssuer struct {
	calls   atomic.Int64
	answers map[string]Result // by credential
	status  int
}

func (f *fakeIssuer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	if id, sec, ok := r.BasicAuth(); !ok || id != "gw" || sec != "s%2Bcret" {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
		return
	}
	if r.URL.Path != "/o/acme/v1/check" {
		http.NotFound(w, r)
		return
	}
	if f.status != 0 {
		w.WriteHeader(f.status)
		return
	}
	var body struct{ Credential, Method, Path string }
	_ = json.NewDecoder(r.Body).Decode(&body)
	res, ok := f.answers[body.Credential]
	if !ok {
		res = Result{Reason: "unknown_credential"}
	}
	if body.Path == "/nope" && res.Allowed {
		res = Result{Reason: "unknown_path"}
	}
	_ = json.NewEncoder(w).Encode(res)
}

func setup(t *testing.T, ttl time.Duration) (*fakeIssuer, *Checker, *time.Time, http.Handler) {
	exp := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	f := &fakeIssuer{answers: map[string]Result{
		"ska_good": {Allowed: true, Scope: "forums.threads.readonly", Reason: "granted", Exp: exp.Unix()},
		"skk_good": {Allowed: true, Scope: "forums.threads.modify", Reason: "granted"},
		"ska_weak": {Reason: "missing_scope"},
		"ska_dead": {Reason: "revoked"},
	}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	now := exp.Add(-time.Hour)
	c := New(Config{Issuer: srv.URL + "/o/acme/", ClientID: "gw", ClientSecret: "s+cret", TTL: ttl, Now: func() time.Time { return now }})
	api := c.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, _ := FromContext(r.Context())
		_, _ = w.Write([]byte("ok " + res.Scope))
	}))
	return f, c, &now, api
}

func call(h http.Handler, method, path, auth string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestAnswers(t *testing.T) {
	f, _, _, api := setup(t, time.Minute)
	for _, tc := range []struct {
		auth, path string
		status     int
		body       string
	}{
		{"Bearer ska_good", "/forums/threads", 200, "ok forums.threads.readonly"},
		{"bearer skk_good", "/forums/threads", 200, "ok forums.threads.modify"},
		{"", "/forums/threads", 401, `"error":"invalid_request"`},
		{"Basic abc", "/forums/threads", 401, `"error":"invalid_request"`},
		{"Bearer ska_unknown", "/forums/threads", 401, `"reason":"unknown_credential"`},
		{"Bearer ska_dead", "/forums/threads", 401, `"error":"invalid_token"`},
		{"Bearer ska_weak", "/forums/threads", 403, `"reason":"missing_scope"`},
		{"Bearer ska_good", "/nope", 403, `"reason":"unknown_path"`},
	} {
		w := call(api, "GET", tc.path, tc.auth)
		if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.body) {
			t.Errorf("%q %s: %d %s", tc.auth, tc.path, w.Code, w.Body)
		}
		if w.Code == 401 && w.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%q: 401 without WWW-Authenticate", tc.auth)
		}
	}
	f.status = http.StatusInternalServerError
	if w := call(api, "GET", "/forums/other", "Bearer ska_good"); w.Code != 503 {
		t.Errorf("check unavailable: %d, want 503 (fail closed)", w.Code)
	}
}

func TestCache(t *testing.T) {
	f, _, now, api := setup(t, 5*time.Second)
	get := func(auth string) int { return call(api, "GET", "/forums/threads", auth).Code }

	get("Bearer ska_good")
	get("Bearer ska_good")
	if n := f.calls.Load(); n != 1 {
		t.Fatalf("an allow decision was not reused: %d calls", n)
	}
	if call(api, "POST", "/forums/threads", "Bearer ska_good"); f.calls.Load() != 2 {
		t.Fatal("the cache ignores the method")
	}
	*now = now.Add(6 * time.Second) // past the TTL
	get("Bearer ska_good")
	if n := f.calls.Load(); n != 3 {
		t.Fatalf("an allow decision outlived the TTL: %d calls", n)
	}
	// Denials are never cached.
	get("Bearer ska_weak")
	get("Bearer ska_weak")
	if n := f.calls.Load(); n != 5 {
		t.Fatalf("a denial was cached: %d calls", n)
	}
	// Revocation is seen within the TTL.
	f.answers["skk_good"] = Result{Allowed: true, Scope: "x", Reason: "granted"}
	if get("Bearer skk_good") != 200 {
		t.Fatal("not allowed")
	}
	f.answers["skk_good"] = Result{Reason: "revoked"}
	if get("Bearer skk_good") != 200 {
		t.Fatal("the cached decision was not used within the TTL")
	}
	*now = now.Add(5 * time.Second)
	if code := get("Bearer skk_good"); code != 401 {
		t.Fatalf("revocation not seen after the TTL: %d", code)
	}
}

func TestCacheEndsAtExpiry(t *testing.T) {
	f, c, now, _ := setup(t, time.Hour)
	exp := time.Unix(f.answers["ska_good"].Exp, 0)
	*now = exp.Add(-2 * time.Second)
	if res, err := c.Check(t.Context(), "ska_good", "GET", "/x"); err != nil || !res.Allowed {
		t.Fatal(res, err)
	}
	f.answers["ska_good"] = Result{Reason: "expired"}
	*now = exp.Add(-time.Second)
	if res, _ := c.Check(t.Context(), "ska_good", "GET", "/x"); !res.Allowed {
		t.Fatal("cached decision not used before expiry")
	}
	*now = exp
	if res, _ := c.Check(t.Context(), "ska_good", "GET", "/x"); res.Allowed || res.Reason != "expired" {
		t.Fatalf("a decision outlived the credential's expiry: %+v", res)
	}
}

func TestNoCache(t *testing.T) {
	f, _, _, api := setup(t, -1)
	call(api, "GET", "/forums/threads", "Bearer ska_good")
	call(api, "GET", "/forums/threads", "Bearer ska_good")
	if n := f.calls.Load(); n != 2 {
		t.Fatalf("negative TTL still cached: %d calls", n)
	}
}
