package access

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"scopekeeper/internal/pathtemplate"
)

func TestCheckedRequest(t *testing.T) {
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Add(kv[i], kv[i+1])
		}
		return out
	}
	for _, c := range []struct {
		name                string
		header              http.Header
		ownMethod, ownPath  string
		method, path, error string
	}{
		{"Traefik/Caddy", h("X-Forwarded-Method", "POST", "X-Forwarded-Uri", "/forums/threads?x=1"), "GET", "", "POST", "/forums/threads", ""},
		{"NGINX", h("X-Original-Method", "delete", "X-Original-URI", "/forums/threads/7#f"), "GET", "", "DELETE", "/forums/threads/7", ""},
		{"Envoy", h(), "PUT", "/forums/threads/7", "PUT", "/forums/threads/7", ""},
		{"X-Forwarded-* win over X-Original-* and the own path", h("X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/a",
			"X-Original-Method", "POST", "X-Original-URI", "/b"), "PATCH", "/c", "GET", "/a", ""},
		{"escapes of unreserved characters are fine", h("X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/forums/%7Euser"), "GET", "", "GET", "/forums/%7Euser", ""},
		{"a URI without its method", h("X-Forwarded-Uri", "/a"), "POST", "", "", "", "X-Forwarded-Method must be sent"},
		{"a method without its URI", h("X-Original-Method", "POST"), "GET", "/a", "", "", "X-Original-URI must be sent"},
		{"a header sent twice", h("X-Forwarded-Method", "GET", "X-Forwarded-Method", "POST", "X-Forwarded-Uri", "/a"), "GET", "", "", "", "exactly once"},
		{"nothing to check", h(), "GET", "", "", "", "no request to check"},
		{"dot segment", h("X-Original-Method", "GET", "X-Original-URI", "/public/../admin"), "GET", "", "", "", "dot segment"},
		{"encoded dot segment", h("X-Original-Method", "GET", "X-Original-URI", "/public/%2e%2E/admin"), "GET", "", "", "", "dot segment"},
		{"encoded slash", h("X-Original-Method", "GET", "X-Original-URI", "/files/a%2fb"), "GET", "", "", "", "encoded slash"},
		{"encoded backslash", h("X-Original-Method", "GET", "X-Original-URI", "/files/a%5Cb"), "GET", "", "", "", "encoded slash"},
		{"backslash", h("X-Original-Method", "GET", "X-Original-URI", `/files\..\admin`), "GET", "", "", "", "backslash"},
		{"dot segment with a parameter", h("X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/public/..;/admin"), "GET", "", "", "", "dot segment with a parameter"},
		{"empty segment", h("X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/a//b"), "GET", "", "", "", "empty segment"},
		{"absolute URI", h("X-Forwarded-Method", "GET", "X-Forwarded-Uri", "http://evil/a"), "GET", "", "", "", "must start with /"},
		{"bad method", h("X-Forwarded-Method", "GE T", "X-Forwarded-Uri", "/a"), "GET", "", "", "", "HTTP method"},
		{"Envoy dot segment", h(), "GET", "/a/%2E/b", "", "", "dot segment"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, p, err := CheckedRequest(c.header, c.ownMethod, c.ownPath)
			if c.error != "" {
				if err == nil || !strings.Contains(err.Error(), c.error) {
					t.Fatalf("got %s %s, %v; want an error with %q", m, p, err, c.error)
				}
				return
			}
			if err != nil || m != c.method || p != c.path {
				t.Fatalf("got %q %q %v, want %q %q", m, p, err, c.method, c.path)
			}
		})
	}
}

func TestBearerOrKey(t *testing.T) {
	for _, c := range []struct{ auth, key, want string }{
		{"Bearer ska_1", "", "ska_1"},
		{"bearer  ska_1 ", "skk_2", "ska_1"},
		{"Basic dTpw", "skk_2", "skk_2"},
		{"Bearer ", "", ""},
		{"", "", ""},
	} {
		h := http.Header{}
		if c.auth != "" {
			h.Set("Authorization", c.auth)
		}
		if c.key != "" {
			h.Set("X-API-Key", c.key)
		}
		if got := bearerOrKey(h); got != c.want {
			t.Errorf("%q %q: got %q, want %q", c.auth, c.key, got, c.want)
		}
	}
}

// FuzzCheckedRequest: whatever the headers, an accepted request is one /v1/check can match, read
// from one source only, upper-cased, without query, encoded slash, backslash or dot segment.
func FuzzCheckedRequest(f *testing.F) {
	f.Add(uint8(1), "POST", "/forums/threads?x=1", "", "", "GET", "")
	f.Add(uint8(2), "", "", "get", "/forums/threads/7", "GET", "")
	f.Add(uint8(0), "", "", "", "", "PUT", "/forums/threads/7")
	f.Add(uint8(3), "GET", "/a/..;/b", "POST", "/c", "GET", "/d")
	f.Add(uint8(2), "", "", "GET", "/a/%2e%2e/b%2F", "GET", "")
	f.Fuzz(func(t *testing.T, present uint8, fm, fu, om, ou, ownMethod, ownPath string) {
		h := http.Header{}
		if present&1 != 0 {
			h.Set("X-Forwarded-Method", fm)
			h.Set("X-Forwarded-Uri", fu)
		}
		if present&2 != 0 {
			h.Set("X-Original-Method", om)
			h.Set("X-Original-URI", ou)
		}
		if present&4 != 0 {
			h.Del("X-Forwarded-Method") // half a pair
		}
		m, p, err := CheckedRequest(h, ownMethod, ownPath)
		if err != nil {
			return
		}
		src := ownPath
		switch {
		case present&1 != 0 && present&4 == 0:
			src = fu
		case present&1 != 0:
			t.Fatalf("half a pair accepted: %q %q", m, p)
		case present&2 != 0:
			src = ou
		}
		if !strings.HasPrefix(src, p) {
			t.Fatalf("path %q not read from %q", p, src)
		}
		if m != strings.ToUpper(m) || !validMethod(m) {
			t.Fatalf("method %q", m)
		}
		if strings.ContainsAny(p, `?#\`) || containsFold(p, "%2f") || containsFold(p, "%5c") {
			t.Fatalf("path %q", p)
		}
		segs, err := pathtemplate.SplitRequest(p)
		if err != nil {
			t.Fatalf("accepted %q that /v1/check refuses: %v", p, err)
		}
		for _, s := range segs {
			if s == "." || s == ".." || strings.HasPrefix(s, "..;") || strings.HasPrefix(s, ".;") {
				t.Fatalf("dot segment in %q", p)
			}
		}
	})
}

// TestForwardAuthFailsClosed: when the decision cannot be made, the answer is 503, never 200.
func TestForwardAuthFailsClosed(t *testing.T) {
	w := openWorld(t, t.TempDir()+"/access.db", false)
	api := w.api("forums", "/forums")
	read := w.scope(api, "forums.threads.readonly")
	w.endpoint(api, "GET", "/forums/threads", read)
	must(w.db.Organisation.UpdateOneID(w.orgID).AddAPIKeyAllowedScopes(read).Save(w.sys))
	key, _ := w.key(read)
	mux := http.NewServeMux()
	w.engine.Register(mux)
	ask := func(e *Engine, cred string) *httptest.ResponseRecorder {
		mux := mux
		if e != w.engine {
			mux = http.NewServeMux()
			e.Register(mux)
		}
		r := httptest.NewRequest(http.MethodGet, "/o/acme/v1/forward-auth", nil)
		r.Header.Set("X-Forwarded-Method", "GET")
		r.Header.Set("X-Forwarded-Uri", "/forums/threads")
		r.Header.Set("X-API-Key", cred)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		return rec
	}
	if rec := ask(w.engine, key); rec.Code != http.StatusOK || rec.Header().Get(HeaderScope) != "forums.threads.readonly" {
		t.Fatalf("while the database is up: %d %v", rec.Code, rec.Header())
	}
	// The organisation and the key are cached now; another key must be read from the database.
	other, _ := w.key(read)
	if err := w.db.Close(); err != nil {
		t.Fatal(err)
	}
	if rec := ask(w.engine, other); rec.Code != http.StatusServiceUnavailable || rec.Header().Get(HeaderSubject) != "" {
		t.Fatalf("database closed: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	// An engine without a database panics on its first read: the panic is answered with a 503.
	if rec := ask(New(nil, Options{}), key); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("panic: %d %s", rec.Code, rec.Body)
	}
}
