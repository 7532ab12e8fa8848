package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"scopekeeper/ent/user"
	"scopekeeper/internal/orgs"
	"scopekeeper/internal/secret"
	"scopekeeper/internal/viewer"
)

// Issue 11: ISSUER/v1/forward-auth over real HTTP, with the header conventions of Traefik, Caddy,
// NGINX and Envoy, and real tokens and API keys.

// forwardCase is one request a gateway asks about, and the answer it must get.
type forwardCase struct {
	name         string
	cred         string // "" sends none
	viaKeyHeader bool   // X-API-Key rather than Authorization: Bearer
	method, uri  string
	status       int
	scope        string // X-Scopekeeper-Scope of a 200
	subject      string // X-Scopekeeper-Subject of a 200
	client       string // X-Scopekeeper-Client of a 200
	challenge    string // WWW-Authenticate of a 401 or 403
}

// forwardCases builds the table on a fresh organisation "acme" (newAccessFixture).
func forwardCases(t *testing.T, e *testEnv, f *accessFixture) []forwardCase {
	t.Helper()
	all := f.token(t, "acme")
	readOnly := f.token(t, "acme", "forums.threads.readonly")
	revoked := f.token(t, "acme")
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/o/acme/oauth/revoke", strings.NewReader(url.Values{"token": {revoked}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(f.workerID, f.workerSecret)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("revoke: %v %v", resp, err)
	}
	expiredTok := f.token(t, "acme")
	expireToken(t, e, expiredTok)
	expectDecision(t, f.decide(t, expiredTok, "GET", "/forums/threads"), false, "expired", "")
	expiredID, expired := f.key(t, f.read)
	_, key := f.key(t, f.read)
	keys := f.owner.must(`{ apiKeys(first: 50) { edges { node { prefix } } } }`, nil)
	keyPrefix := ""
	for _, edge := range get(keys, "apiKeys.edges").([]any) {
		if p := str(edge, "node.prefix"); strings.HasPrefix(key, p) {
			keyPrefix = p
		}
	}
	owner := ownerID(t, e, "acme")
	expire(t, e, "acme", expiredID)
	const invalid = `Bearer error="invalid_token"`
	return []forwardCase{
		{name: "allowed GET", cred: all, method: "GET", uri: "/forums/threads/42?page=2", status: 200,
			scope: "forums.threads.readonly", subject: f.workerID, client: f.workerID},
		{name: "allowed POST with a modify scope", cred: all, method: "POST", uri: "/forums/threads", status: 200,
			scope: "forums.threads.modify", subject: f.workerID, client: f.workerID},
		{name: "uncategorized read allowed to the client", cred: all, method: "GET", uri: "/forums/stats", status: 200,
			subject: f.workerID, client: f.workerID},
		{name: "readonly scope on POST", cred: readOnly, method: "POST", uri: "/forums/threads", status: 403,
			challenge: `Bearer error="insufficient_scope", scope="forums.threads.modify"`},
		{name: "unknown path", cred: all, method: "GET", uri: "/forums/nope", status: 403, challenge: `Bearer error="insufficient_scope"`},
		{name: "no credential", method: "GET", uri: "/forums/threads", status: 401, challenge: invalid},
		{name: "unknown token", cred: "ska_unknown", method: "GET", uri: "/forums/threads", status: 401, challenge: invalid},
		{name: "revoked token", cred: revoked, method: "GET", uri: "/forums/threads", status: 401, challenge: invalid},
		{name: "expired token", cred: expiredTok, method: "GET", uri: "/forums/threads", status: 401, challenge: invalid},
		{name: "expired API key", cred: expired, method: "GET", uri: "/forums/threads", status: 401, challenge: invalid},
		{name: "API key, allowed", cred: key, method: "GET", uri: "/forums/threads", status: 200,
			scope: "forums.threads.readonly", subject: owner, client: keyPrefix},
		{name: "API key in X-API-Key, allowed", cred: key, viaKeyHeader: true, method: "HEAD", uri: "/forums/threads/1", status: 200,
			scope: "forums.threads.readonly", subject: owner, client: keyPrefix},
		{name: "API key, denied", cred: key, method: "POST", uri: "/forums/threads", status: 403,
			challenge: `Bearer error="insufficient_scope", scope="forums.threads.modify"`},
		{name: "API key, uncategorized read not allowed", cred: key, viaKeyHeader: true, method: "GET", uri: "/forums/stats", status: 403,
			challenge: `Bearer error="insufficient_scope"`},
		{name: "dot segment", cred: all, method: "GET", uri: "/forums/threads/%2E%2E/stats", status: 400},
		{name: "encoded slash", cred: all, method: "GET", uri: "/forums/threads/1%2F2", status: 400},
	}
}

// expire moves an API key's expiry into the past, as time would (the API refuses a past expiry).
func expire(t *testing.T, e *testEnv, slug, keyID string) {
	t.Helper()
	ctx := context.Background()
	org, err := orgs.BySlug(ctx, e.DB.Client, slug)
	if err != nil {
		t.Fatal(err)
	}
	sys := viewer.SystemContext(ctx, org.ID)
	id, err := strconv.Atoi(keyID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.DB.Client.APIKey.UpdateOneID(id).SetExpiresAt(time.Now().Add(-time.Minute)).Exec(sys); err != nil {
		t.Fatal(err)
	}
}

// expireToken moves a token's expiry into the past before it is first used (the schema keeps
// expires_at immutable, so through SQL; nothing has cached the token yet).
func expireToken(t *testing.T, e *testEnv, tok string) {
	t.Helper()
	res, err := e.DB.SQL.Exec(`UPDATE tokens SET expires_at = $1 WHERE lookup_key = $2`,
		time.Now().Add(-time.Minute).UTC(), secret.LookupKey(secret.AccessTokenPrefix, tok))
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("expire token: %d rows", n)
	}
}

func ownerID(t *testing.T, e *testEnv, slug string) string {
	t.Helper()
	ctx := context.Background()
	org, err := orgs.BySlug(ctx, e.DB.Client, slug)
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.DB.Client.User.Query().Where(user.Email("owner@" + slug + ".test")).OnlyID(viewer.SystemContext(ctx, org.ID))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(id)
}

// convention builds the forward-auth request a gateway sends for METHOD URI.
type convention struct {
	name  string
	build func(issuer, method, uri string) *http.Request
}

var conventions = []convention{
	{"Traefik", func(issuer, method, uri string) *http.Request { // GET, X-Forwarded-*
		r, _ := http.NewRequest(http.MethodGet, issuer+"/v1/forward-auth", nil)
		r.Header.Set("X-Forwarded-Method", method)
		r.Header.Set("X-Forwarded-Proto", "https")
		r.Header.Set("X-Forwarded-Host", "api.example.com")
		r.Header.Set("X-Forwarded-Uri", uri)
		return r
	}},
	{"Caddy", func(issuer, method, uri string) *http.Request { // GET, X-Forwarded-*
		r, _ := http.NewRequest(http.MethodGet, issuer+"/v1/forward-auth", nil)
		r.Header.Set("X-Forwarded-Method", method)
		r.Header.Set("X-Forwarded-Uri", uri)
		return r
	}},
	{"NGINX", func(issuer, method, uri string) *http.Request { // GET, X-Original-*
		r, _ := http.NewRequest(http.MethodGet, issuer+"/v1/forward-auth", nil)
		r.Header.Set("X-Original-Method", method)
		r.Header.Set("X-Original-URI", uri)
		return r
	}},
	{"Envoy", func(issuer, method, uri string) *http.Request { // the own method, path_prefix + path
		r, _ := http.NewRequest(method, issuer+"/v1/forward-auth"+uri, nil)
		return r
	}},
}

func setCredential(r *http.Request, c forwardCase) {
	switch {
	case c.cred == "":
	case c.viaKeyHeader:
		r.Header.Set("X-API-Key", c.cred)
	default:
		r.Header.Set("Authorization", "Bearer "+c.cred)
	}
}

// noRedirects is a client that reports a redirect rather than following it.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func TestForwardAuth(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(*testing.T) string) {
		e := startServer(t, dsn(t))
		f := newAccessFixture(t, e, "acme")
		cases := forwardCases(t, e, f)
		issuer := e.URL + "/o/acme"
		for _, conv := range conventions {
			t.Run(conv.name, func(t *testing.T) {
				for _, c := range cases {
					r := conv.build(issuer, c.method, c.uri)
					setCredential(r, c)
					resp, err := noRedirects.Do(r)
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					expectForward(t, c, resp)
				}
			})
		}

		t.Run("GraphQL gives the URL", func(t *testing.T) {
			d := f.owner.must(`{ viewer { organisation { forwardAuthURL } } }`, nil)
			if got := str(d, "viewer.organisation.forwardAuthURL"); got != issuer+"/v1/forward-auth" {
				t.Fatalf("forwardAuthURL %q", got)
			}
		})

		t.Run("never 200 otherwise", func(t *testing.T) {
			tok := f.token(t, "acme")
			for _, c := range []struct {
				method, target string
				header         map[string]string
				status         int
			}{
				{"GET", "/o/acme/v1/forward-auth", nil, 400},       // nothing to check
				{"DELETE", "/o/acme/v1/forward-auth", nil, 400},    // every method is routed here, never to the console
				{"OPTIONS", "/o/acme/v1/forward-auth/x", nil, 403}, // Envoy form, no such endpoint
				{"GET", "/o/nope/v1/forward-auth/forums/threads", nil, 404},
				{"GET", "/o/acme/v1/forward-auth", map[string]string{"X-Forwarded-Uri": "/forums/threads"}, 400}, // half a pair
				{"GET", "/o/acme/v1/forward-auth", map[string]string{"X-Original-Method": "GET", "X-Original-URI": "/forums/threads/..;/stats"}, 400},
				{"GET", "/o/acme/v1/forward-auth/forums/threads/../stats", nil, 307}, // the router redirects to the clean path: never 200
				{"GET", "/o/acme/v1/forward-auth", map[string]string{"X-Forwarded-Method": "G E T", "X-Forwarded-Uri": "/forums/threads"}, 400},
			} {
				u, _ := url.Parse(e.URL)
				r := &http.Request{Method: c.method, URL: &url.URL{Scheme: "http", Host: u.Host, Opaque: c.target}, Header: http.Header{}, Host: u.Host}
				r.Header.Set("Authorization", "Bearer "+tok)
				for k, v := range c.header {
					r.Header.Set(k, v)
				}
				resp, err := noRedirects.Do(r)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != c.status || resp.Header.Get("X-Scopekeeper-Subject") != "" {
					t.Errorf("%s %s %v: status %d, want %d: %s", c.method, c.target, c.header, resp.StatusCode, c.status, body)
				}
			}
		})

		t.Run("a repeated question reads nothing from the database", func(t *testing.T) {
			tok := f.token(t, "acme")
			ask := func() {
				r := conventions[2].build(issuer, "GET", "/forums/threads/9")
				r.Header.Set("Authorization", "Bearer "+tok)
				resp, err := http.DefaultClient.Do(r)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("status %d", resp.StatusCode)
				}
			}
			ask()
			before := e.Statements.Load()
			for i := 0; i < 20; i++ {
				ask()
			}
			if n := e.Statements.Load() - before; n != 0 {
				t.Fatalf("20 cached forward-auth requests ran %d SQL statements", n)
			}
		})

		t.Run("a change takes effect on the next request", func(t *testing.T) {
			tok := f.token(t, "acme")
			ask := func() int {
				r := conventions[0].build(issuer, "POST", "/forums/threads")
				r.Header.Set("Authorization", "Bearer "+tok)
				resp, err := http.DefaultClient.Do(r)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			if s := ask(); s != 200 {
				t.Fatalf("before: %d", s)
			}
			f.owner.must(`mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id } }`,
				map[string]any{"c": f.worker, "s": []string{f.read}})
			defer f.owner.must(`mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id } }`,
				map[string]any{"c": f.worker, "s": []string{f.read, f.modify}})
			if s := ask(); s != 403 {
				t.Fatalf("after the client lost the modify scope: %d", s)
			}
		})
	})
}

func expectForward(t *testing.T, c forwardCase, resp *http.Response) {
	t.Helper()
	if resp.StatusCode != c.status {
		t.Errorf("%s: status %d, want %d", c.name, resp.StatusCode, c.status)
		return
	}
	got := [3]string{resp.Header.Get("X-Scopekeeper-Subject"), resp.Header.Get("X-Scopekeeper-Client"), resp.Header.Get("X-Scopekeeper-Scope")}
	if want := [3]string{c.subject, c.client, c.scope}; got != want {
		t.Errorf("%s: identity %q, want %q", c.name, got, want)
	}
	if ch := resp.Header.Get("WWW-Authenticate"); ch != c.challenge {
		t.Errorf("%s: WWW-Authenticate %q, want %q", c.name, ch, c.challenge)
	}
}
