package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"scopekeeper/internal/keys"
	"strings"
	"testing"
	"time"
)

func TestLogin(t *testing.T) {
	e := newEnv(t)
	e.org("acme")
	post := func(body string) (*http.Response, string) {
		resp, err := http.Post(e.URL+"/auth/login", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, strings.TrimSpace(string(b))
	}
	wrongPassword, body1 := post(`{"email":"owner@acme.test","password":"wrong password"}`)
	unknownEmail, body2 := post(`{"email":"nobody@acme.test","password":"wrong password"}`)
	if wrongPassword.StatusCode != 401 || unknownEmail.StatusCode != 401 || body1 != body2 || body1 != `{"error":"invalid_credentials"}` {
		t.Fatalf("wrong password: %d %s; unknown email: %d %s", wrongPassword.StatusCode, body1, unknownEmail.StatusCode, body2)
	}
	ok, body := post(`{"email":"OWNER@acme.test","password":"correct horse battery"}`)
	if ok.StatusCode != 200 || !strings.Contains(body, `"role":"OWNER"`) {
		t.Fatalf("login: %d %s", ok.StatusCode, body)
	}
	var cookie *http.Cookie
	for _, c := range ok.Cookies() {
		cookie = c
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie = %+v", cookie)
	}

	c := e.login("owner@acme.test", "correct horse battery")
	c.must(`{ viewer { user { email } } }`, nil)
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/auth/logout", nil)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c.fails("UNAUTHENTICATED", `{ viewer { user { email } } }`, nil)

	// Repeated failures from one address lock the email out there for a while, even with the right password.
	for i := 0; i < 10; i++ {
		post(`{"email":"owner@acme.test","password":"guess"}`)
	}
	locked, body := post(`{"email":"owner@acme.test","password":"correct horse battery"}`)
	if locked.StatusCode != http.StatusTooManyRequests || locked.Header.Get("Retry-After") == "" || !strings.Contains(body, "too_many_attempts") {
		t.Fatalf("after 10 failures: %d %s", locked.StatusCode, body)
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(e.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.TrimSpace(string(b)) != `{"status":"ok"}` {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
	}
	e.DB.SQL.Close()
	resp, err := http.Get(e.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz with the database gone: %d", resp.StatusCode)
	}
}

func TestConsoleRoutes(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/", "/apis/123/scopes", "/consent?request=1"} {
		resp, err := http.Get(e.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// Built or not, client-side routes get the console's page.
		if !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(b), "<html") {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	resp, err := http.Get(e.URL + "/graphql")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == 200 {
		t.Fatal("GET /graphql serves something outside demo mode")
	}
}

func TestCORSIsLockedToThePublicURL(t *testing.T) {
	e := newEnv(t)
	for origin, allowed := range map[string]bool{e.URL: true, "https://evil.example": false} {
		req, _ := http.NewRequest(http.MethodOptions, e.URL+"/graphql", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin") == origin; got != allowed {
			t.Errorf("origin %s: allowed=%v, want %v", origin, got, allowed)
		}
	}
}

// TestNoNPlusOne shows that a list query with nested edges runs the same number of statements for
// 2 APIs as for 10.
func TestNoNPlusOne(t *testing.T) {
	e := newEnv(t)
	owner := e.org("acme")
	var scopeIDs []string
	for i := 0; i < 10; i++ {
		api := str(owner.must(createAPI, map[string]any{"in": map[string]any{"name": fmt.Sprintf("api%02d", i), "basePath": fmt.Sprintf("/a%d", i)}}), "createAPI.id")
		ep := str(owner.must(`mutation($in: CreateEndpointInput!) { createEndpoint(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"apiID": api, "method": "GET", "path": fmt.Sprintf("/a%d/items", i)}}), "createEndpoint.id")
		for j := 0; j < 3; j++ {
			id := str(owner.must(createScope, map[string]any{"in": map[string]any{"apiID": api, "name": fmt.Sprintf("s%d_%d", i, j), "endpointIDs": []string{ep}}}), "createScope.id")
			scopeIDs = append(scopeIDs, id)
		}
	}
	cl := str(owner.must(createClient, map[string]any{"in": map[string]any{"name": "w", "kind": "SERVICE"}}), "createClient.client.id")
	owner.must(setScopes, map[string]any{"c": cl, "s": scopeIDs[:10]})
	const q = `query($n: Int) { apis(first: $n, where: {builtIn: false}, orderBy: {field: NAME}) { totalCount edges { node { name
		scopes(first: 20) { totalCount edges { node { name endpoints { path } clients(first: 5) { totalCount edges { node { name } } } } } }
		endpoints(first: 20) { edges { node { path scopes { name } } } } } } } }`
	count := func(n int) int64 {
		before := e.Statements.Load()
		d := owner.must(q, map[string]any{"n": n})
		if got := len(get(d, "apis.edges").([]any)); got != n {
			t.Fatalf("asked for %d APIs, got %d", n, got)
		}
		return e.Statements.Load() - before
	}
	small, large := count(2), count(10)
	t.Logf("statements: %d for 2 APIs, %d for 10", small, large)
	if small != large {
		t.Fatalf("statements grow with the page: %d for 2 APIs, %d for 10", small, large)
	}
}

func TestBootstrapCommand(t *testing.T) {
	dsn := t.TempDir() + "/boot.db"
	args := []string{"bootstrap", "--db", dsn, "--org-name", "Acme", "--org-slug", "acme", "--email", "o@acme.test", "--password", "correct horse battery"}
	var first, second bytes.Buffer
	if err := run(context.Background(), args, &first); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), args, &second); err != nil {
		t.Fatalf("second run: %v", err)
	}
	var ids map[string]string
	if err := json.Unmarshal(first.Bytes(), &ids); err != nil || ids["organisationId"] == "" || ids["userId"] == "" {
		t.Fatalf("output %q: %v", first.String(), err)
	}
	if first.String() != second.String() || strings.Count(first.String(), "\n") != 1 {
		t.Fatalf("not idempotent or not one line: %q then %q", first.String(), second.String())
	}
	for _, bad := range [][]string{
		{"bootstrap", "--db", dsn, "--org-name", "Acme", "--org-slug", "Not A Slug", "--email", "o@acme.test", "--password", "correct horse battery"},
		{"bootstrap", "--db", dsn, "--org-name", "Acme", "--org-slug", "acme", "--email", "o@acme.test", "--password", "short"},
		{"bootstrap", "--nope"},
	} {
		err := run(context.Background(), bad, io.Discard)
		if err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v, want a one-line reason", bad, err)
		}
	}
}

// TestGracefulShutdown runs `serve --demo` as the binary would and expects a clean stop on cancel.
func TestGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	ln := freeAddr(t)
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--addr", ln, "--db", dir + "/s.db", "--demo"}, out) }()
	url := "http://" + ln
	waitHealthy(t, url)
	if !strings.Contains(out.String(), "admin@acme.example") {
		t.Fatalf("serve --demo did not print the demo login: %q", out.String())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after shutdown", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// serve's flags refuse bad values with the flag's name and a valid example, before anything starts.
func TestServeFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--public-url", "auth.example.com"}, "https://auth.example.com"},
		{[]string{"--key-encryption-key", "too-short"}, "--key-encryption-key"},
		{[]string{"--key-encryption-key", "too-short"}, keys.ExampleKEK},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		if _, err := parseServe(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parseServe(%q) = %v, want an error containing %q", c.args, err, c.want)
		}
	}
	cfg, err := parseServe([]string{"--key-encryption-key", keys.ExampleKEK})
	if err != nil || !cfg.Keys.Seals() {
		t.Fatalf("a valid key-encryption key: %v", err)
	}
	t.Setenv("SCOPEKEEPER_KEY_ENCRYPTION_KEY", keys.ExampleKEK)
	if cfg, err := parseServe(nil); err != nil || !cfg.Keys.Seals() {
		t.Fatalf("the key from the environment: %v", err)
	}
}
