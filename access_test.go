package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"scopekeeper/pkg/checkmw"
)

// Issue 5: POST {issuer}/v1/check and explainAccess over real HTTP, with real API keys (from
// createAPIKey) and real access tokens (from the token endpoint).

type accessFixture struct {
	e                        *testEnv
	owner                    *gqlClient
	read, modify, adminRead  string // scope IDs
	checkerID, checkerSecret string // the client that calls /v1/check
	workerID, workerSecret   string // the client tokens are issued to
	worker                   string // its node ID
}

func newAccessFixture(t testing.TB, e *testEnv, slug string) *accessFixture {
	t.Helper()
	f := &accessFixture{e: e, owner: e.org(slug)}
	c := f.owner
	api := str(c.must(`mutation { createAPI(input: {name: "forums", basePath: "/forums"}) { id } }`, nil), "createAPI.id")
	ep := func(method, path string) string {
		return str(c.must(`mutation($in: CreateEndpointInput!) { createEndpoint(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"apiID": api, "method": method, "path": path}}), "createEndpoint.id")
	}
	list, one := ep("GET", "/forums/threads"), ep("GET", "/forums/threads/{id}")
	post := ep("POST", "/forums/threads")
	ep("GET", "/forums/stats") // uncategorized
	scope := func(name string, endpoints ...string) string {
		return str(c.must(`mutation($in: CreateScopeInput!) { createScope(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"apiID": api, "name": name, "endpointIDs": endpoints}}), "createScope.id")
	}
	f.read = scope("forums.threads.readonly", list, one)
	f.modify = scope("forums.threads.modify", post)
	d := c.must(`{ scopes(where: {name: "scopekeeper.admin.readonly"}) { edges { node { id } } } }`, nil)
	f.adminRead = str(get(d, "scopes.edges").([]any)[0], "node.id")
	client := func(name string, uncategorizedRead bool) (id, clientID, secret string) {
		d := c.must(`mutation($in: CreateClientInput!) { createClient(input: $in) { client { id clientId } clientSecret } }`,
			map[string]any{"in": map[string]any{"name": name, "kind": "SERVICE", "allowUncategorizedRead": uncategorizedRead}})
		return str(d, "createClient.client.id"), str(d, "createClient.client.clientId"), str(d, "createClient.clientSecret")
	}
	_, f.checkerID, f.checkerSecret = client("gateway", false)
	f.worker, f.workerID, f.workerSecret = client("worker", true)
	c.must(`mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id } }`,
		map[string]any{"c": f.worker, "s": []string{f.read, f.modify}})
	c.must(`mutation($s: [ID!]) { updateOrganisation(input: {apiKeyAllowedScopeIDs: $s}) { id } }`,
		map[string]any{"s": []string{f.adminRead, f.read, f.modify}})
	return f
}

// token gets a real access token for the worker from the token endpoint.
func (f *accessFixture) token(t testing.TB, slug string, scopes ...string) string {
	t.Helper()
	cfg := clientcredentials.Config{ClientID: f.workerID, ClientSecret: f.workerSecret,
		TokenURL: f.e.URL + "/o/" + slug + "/oauth/token", Scopes: scopes}
	tok, err := cfg.Token(context.Background())
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	return tok.AccessToken
}

func (f *accessFixture) key(t *testing.T, scopes ...string) (id, key string) {
	t.Helper()
	d := f.owner.must(`mutation($s: [ID!]) { createAPIKey(input: {name: "gateway test", scopeIDs: $s}) { apiKey { id } key } }`,
		map[string]any{"s": scopes})
	return str(d, "createAPIKey.apiKey.id"), str(d, "createAPIKey.key")
}

type checkResult struct {
	Status  int
	Allowed bool           `json:"allowed"`
	Scope   *string        `json:"scope"`
	Reason  string         `json:"reason"`
	Error   string         `json:"error"`
	Results []*checkResult `json:"results"`
}

func (f *accessFixture) check(t *testing.T, slug, user, pass string, body any) *checkResult {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, f.e.URL+"/o/"+slug+"/v1/check", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := &checkResult{Status: resp.StatusCode}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q", ct)
	}
	return out
}

// decide checks one request as the gateway client and requires a 200.
func (f *accessFixture) decide(t *testing.T, cred, method, path string) *checkResult {
	t.Helper()
	r := f.check(t, "acme", f.checkerID, f.checkerSecret, map[string]any{"credential": cred, "method": method, "path": path})
	if r.Status != http.StatusOK {
		t.Fatalf("status %d (%s)", r.Status, r.Error)
	}
	return r
}

func expectDecision(t *testing.T, r *checkResult, allowed bool, reason, scope string) {
	t.Helper()
	got := ""
	if r.Scope != nil {
		got = *r.Scope
	}
	if r.Allowed != allowed || r.Reason != reason || got != scope {
		t.Fatalf("got allowed=%v reason=%s scope=%q, want %v %s %q", r.Allowed, r.Reason, got, allowed, reason, scope)
	}
}

func TestAccessCheck(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(*testing.T) string) {
		e := startServer(t, dsn(t))
		f := newAccessFixture(t, e, "acme")

		t.Run("token", func(t *testing.T) {
			tok := f.token(t, "acme")
			expectDecision(t, f.decide(t, tok, "GET", "/forums/threads/42"), true, "granted", "forums.threads.readonly")
			expectDecision(t, f.decide(t, tok, "HEAD", "/forums/threads"), true, "granted", "forums.threads.readonly")
			expectDecision(t, f.decide(t, tok, "POST", "/forums/threads"), true, "granted", "forums.threads.modify")
			expectDecision(t, f.decide(t, tok, "GET", "/forums/stats"), true, "granted_uncategorized", "")
			expectDecision(t, f.decide(t, tok, "GET", "/forums/nope"), false, "unknown_path", "")
			expectDecision(t, f.decide(t, tok, "DELETE", "/forums/threads/1"), false, "unknown_path", "")
			// A token asked for fewer scopes grants only those; modify covers its readonly sibling.
			narrow := f.token(t, "acme", "forums.threads.modify")
			expectDecision(t, f.decide(t, narrow, "GET", "/forums/threads"), true, "granted", "forums.threads.modify")
			readOnly := f.token(t, "acme", "forums.threads.readonly")
			expectDecision(t, f.decide(t, readOnly, "POST", "/forums/threads"), false, "missing_scope", "")
		})

		t.Run("batch", func(t *testing.T) {
			tok := f.token(t, "acme", "forums.threads.readonly")
			r := f.check(t, "acme", f.checkerID, f.checkerSecret, map[string]any{"credential": tok, "requests": []map[string]string{
				{"method": "GET", "path": "/forums/threads"}, {"method": "GET", "path": "/forums/stats"}}})
			if r.Status != 200 || !r.Allowed || len(r.Results) != 2 {
				t.Fatalf("%+v", r)
			}
			r = f.check(t, "acme", f.checkerID, f.checkerSecret, map[string]any{"credential": tok, "requests": []map[string]string{
				{"method": "GET", "path": "/forums/threads"}, {"method": "POST", "path": "/forums/threads"}}})
			if r.Status != 200 || r.Allowed || len(r.Results) != 2 || !r.Results[0].Allowed || r.Results[1].Reason != "missing_scope" {
				t.Fatalf("%+v %+v %+v", r, r.Results[0], r.Results[1])
			}
		})

		t.Run("rule 8: a client losing a scope takes effect on the next check", func(t *testing.T) {
			tok := f.token(t, "acme")
			expectDecision(t, f.decide(t, tok, "POST", "/forums/threads"), true, "granted", "forums.threads.modify")
			f.owner.must(`mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id } }`,
				map[string]any{"c": f.worker, "s": []string{f.read}})
			expectDecision(t, f.decide(t, tok, "POST", "/forums/threads"), false, "missing_scope", "")
			expectDecision(t, f.decide(t, tok, "GET", "/forums/threads"), true, "granted", "forums.threads.readonly")
			f.owner.must(`mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id } }`,
				map[string]any{"c": f.worker, "s": []string{f.read, f.modify}})
		})

		t.Run("API key and rule 10", func(t *testing.T) {
			id, key := f.key(t, f.read, f.modify)
			expectDecision(t, f.decide(t, key, "POST", "/forums/threads"), true, "granted", "forums.threads.modify")
			expectDecision(t, f.decide(t, key, "GET", "/forums/stats"), false, "uncategorized_not_allowed", "")
			f.owner.must(`mutation($s: [ID!]) { updateOrganisation(input: {apiKeyAllowedScopeIDs: $s}) { id } }`,
				map[string]any{"s": []string{f.adminRead, f.read}})
			expectDecision(t, f.decide(t, key, "POST", "/forums/threads"), false, "narrowed_by_organisation", "")
			expectDecision(t, f.decide(t, key, "GET", "/forums/threads"), true, "granted", "forums.threads.readonly")

			d := f.owner.must(`query($c: String!) { explainAccess(credential: $c, method: "POST", path: "/forums/threads") {
				allowed scope reason endpoint { method path api { name } } explanation } }`, map[string]any{"c": key})
			if get(d, "explainAccess.allowed") != false || str(d, "explainAccess.reason") != "narrowed_by_organisation" ||
				str(d, "explainAccess.endpoint.path") != "/forums/threads" || str(d, "explainAccess.endpoint.api.name") != "forums" {
				t.Fatalf("explainAccess: %v", d)
			}
			text := ""
			for _, s := range get(d, "explainAccess.explanation").([]any) {
				text += s.(string) + " "
			}
			if !strings.Contains(text, "forums.threads.modify") || !strings.Contains(text, "organisation") {
				t.Fatalf("explanation does not name the cause: %s", text)
			}

			f.owner.must(`mutation($s: [ID!]) { updateOrganisation(input: {apiKeyAllowedScopeIDs: $s}) { id } }`,
				map[string]any{"s": []string{f.adminRead, f.read, f.modify}})
			expectDecision(t, f.decide(t, key, "POST", "/forums/threads"), true, "granted", "forums.threads.modify")
			f.owner.must(`mutation($id: ID!) { revokeAPIKey(id: $id) { id } }`, map[string]any{"id": id})
			expectDecision(t, f.decide(t, key, "POST", "/forums/threads"), false, "revoked", "")
		})

		t.Run("explainAccess matches /v1/check", func(t *testing.T) {
			tok := f.token(t, "acme", "forums.threads.readonly")
			for _, req := range [][2]string{{"GET", "/forums/threads/7"}, {"POST", "/forums/threads"}, {"GET", "/forums/stats"}, {"PUT", "/x"}} {
				want := f.decide(t, tok, req[0], req[1])
				d := f.owner.must(`query($c: String!, $m: String!, $p: String!) { explainAccess(credential: $c, method: $m, path: $p) { allowed scope reason explanation } }`,
					map[string]any{"c": tok, "m": req[0], "p": req[1]})
				scope, _ := get(d, "explainAccess.scope").(string)
				expectDecision(t, &checkResult{Allowed: get(d, "explainAccess.allowed") == true, Reason: str(d, "explainAccess.reason"), Scope: &scope},
					want.Allowed, want.Reason, deref(want.Scope))
				if len(get(d, "explainAccess.explanation").([]any)) == 0 {
					t.Fatal("no explanation")
				}
			}
			d := f.owner.must(`{ explainAccess(credential: "ska_unknown", method: "GET", path: "/forums/threads") { allowed reason endpoint { id } } }`, nil)
			if str(d, "explainAccess.reason") != "unknown_credential" || get(d, "explainAccess.endpoint") != nil {
				t.Fatalf("%v", d)
			}
		})

		t.Run("explainAccess for a member, who may not read endpoints", func(t *testing.T) {
			f.owner.must(`mutation { createUser(input: {email: "m@acme.test", password: "member-password", role: MEMBER}) { id } }`, nil)
			m := e.login("m@acme.test", "member-password")
			tok := f.token(t, "acme", "forums.threads.readonly")
			d := m.must(`query($c: String!) { explainAccess(credential: $c, method: "GET", path: "/forums/threads") { allowed reason scope endpoint { id } } }`,
				map[string]any{"c": tok})
			if get(d, "explainAccess.allowed") != true || str(d, "explainAccess.scope") != "forums.threads.readonly" || get(d, "explainAccess.endpoint") != nil {
				t.Fatalf("%v", d)
			}
		})

		t.Run("the caller must be a client of the organisation", func(t *testing.T) {
			tok := f.token(t, "acme")
			body := map[string]any{"credential": tok, "method": "GET", "path": "/forums/threads"}
			if r := f.check(t, "acme", f.checkerID, "sks_wrong", body); r.Status != 401 || r.Error != "invalid_client" {
				t.Fatalf("wrong secret: %+v", r)
			}
			other := newAccessFixture(t, e, "other")
			if r := f.check(t, "acme", other.checkerID, other.checkerSecret, body); r.Status != 401 || r.Error != "invalid_client" {
				t.Fatalf("client of another organisation: %+v", r)
			}
			// And an organisation's own client asking about another's token gets unknown_credential.
			r := f.check(t, "other", other.checkerID, other.checkerSecret, body)
			expectDecision(t, r, false, "unknown_credential", "")
		})
	})
}

// TestCheckMiddleware protects a small Go API with pkg/checkmw against the real server.
func TestCheckMiddleware(t *testing.T) {
	e := newEnv(t)
	f := newAccessFixture(t, e, "acme")
	checker := checkmw.New(checkmw.Config{Issuer: e.URL + "/o/acme", ClientID: f.checkerID, ClientSecret: f.checkerSecret, TTL: -1})
	mux := http.NewServeMux()
	mux.HandleFunc("/forums/", func(w http.ResponseWriter, r *http.Request) {
		res, _ := checkmw.FromContext(r.Context())
		_, _ = w.Write([]byte(res.Scope))
	})
	api := httptest.NewServer(checker.Handler(mux))
	defer api.Close()
	do := func(method, path, cred string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, api.URL+path, nil)
		if cred != "" {
			req.Header.Set("Authorization", "Bearer "+cred)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	tok := f.token(t, "acme", "forums.threads.readonly")
	if code, body := do("GET", "/forums/threads/9", tok); code != 200 || body != "forums.threads.readonly" {
		t.Fatalf("allowed: %d %s", code, body)
	}
	if code, body := do("POST", "/forums/threads", tok); code != 403 || !strings.Contains(body, "missing_scope") {
		t.Fatalf("missing scope: %d %s", code, body)
	}
	if code, _ := do("GET", "/forums/threads", "ska_nope"); code != 401 {
		t.Fatalf("unknown token: %d", code)
	}
	if code, _ := do("GET", "/forums/threads", ""); code != 401 {
		t.Fatalf("no token: %d", code)
	}
	bad := checkmw.New(checkmw.Config{Issuer: e.URL + "/o/acme", ClientID: f.checkerID, ClientSecret: "wrong"})
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/forums/threads", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	bad.Handler(mux).ServeHTTP(w, r)
	if w.Code != 503 {
		t.Fatalf("middleware with a wrong client secret: %d, want 503", w.Code)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
