package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"entgo.io/ent/dialect"

	"scopekeeper/internal/oidcscope"
	"scopekeeper/internal/store"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
)

type fetched struct {
	status int
	header http.Header
	body   map[string]any
}

func discover(t *testing.T, u, ifNoneMatch string) fetched {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	f := fetched{status: resp.StatusCode, header: resp.Header}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &f.body); err != nil {
			t.Fatalf("%s: %v: %s", u, err, raw)
		}
	}
	return f
}

func scopesSupported(doc map[string]any) []string {
	var out []string
	for _, s := range doc["scopes_supported"].([]any) {
		out = append(out, s.(string))
	}
	return out
}

// RFC 8414 (and OpenID Connect Discovery): each organisation's metadata at both well-known
// locations, generated from the database, cacheable with an ETag, and found by a real client.
func TestRFC8414_Discovery(t *testing.T) {
	e := newEnv(t)
	acme := e.tenant(t, "acme")
	globex := e.tenant(t, "globex")
	acme.scope(t, "forums.threads.readonly")
	s := acme.scope(t, "forums.members.modify")
	globex.scope(t, "billing.invoices.readonly", onAPI(globex.API))

	for _, tn := range []*tenant{acme, globex} {
		p, err := gooidc.NewProvider(context.Background(), tn.Issuer)
		if err != nil {
			t.Fatalf("go-oidc discovery of %s: %v", tn.Slug, err)
		}
		if p.Endpoint().TokenURL != tn.Issuer+"/oauth/token" {
			t.Fatalf("token endpoint = %s", p.Endpoint().TokenURL)
		}
	}

	d := discover(t, acme.Issuer+"/.well-known/oauth-authorization-server", "")
	o := discover(t, acme.Issuer+"/.well-known/openid-configuration", "")
	if d.status != 200 || o.status != 200 {
		t.Fatalf("status %d / %d", d.status, o.status)
	}
	for _, k := range []string{"issuer", "authorization_endpoint", "token_endpoint", "introspection_endpoint", "revocation_endpoint",
		"jwks_uri", "scopes_supported", "response_types_supported", "grant_types_supported",
		"token_endpoint_auth_methods_supported", "code_challenge_methods_supported", "subject_types_supported",
		"id_token_signing_alg_values_supported"} {
		if _, ok := d.body[k]; !ok {
			t.Errorf("RFC 8414 §2: %s missing", k)
		}
	}
	if d.body["issuer"] != acme.Issuer {
		t.Errorf("issuer = %v", d.body["issuer"])
	}
	if got := d.body["code_challenge_methods_supported"].([]any); len(got) != 1 || got[0] != "S256" {
		t.Errorf("code_challenge_methods_supported = %v", got)
	}
	if got := scopesSupported(d.body); !slices.Equal(got, []string{"email", "forums.members.modify", "forums.threads.readonly", "offline_access", "openid", "profile"}) {
		t.Errorf("acme scopes_supported = %v", got)
	}
	if got := scopesSupported(discover(t, globex.Issuer+"/.well-known/openid-configuration", "").body); !slices.Equal(got, []string{"billing.invoices.readonly", "email", "offline_access", "openid", "profile"}) {
		t.Errorf("globex scopes_supported = %v", got)
	}
	if d.header.Get("ETag") == "" || d.header.Get("ETag") != o.header.Get("ETag") || d.header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("caching headers: %v", d.header)
	}

	// RFC 9110 §13.1.2: If-None-Match → 304 while nothing changed.
	if got := discover(t, acme.Issuer+"/.well-known/openid-configuration", d.header.Get("ETag")); got.status != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", got.status)
	}
	// A change is visible on the next request.
	acme.owner(t).must(`mutation($id: ID!) { updateScope(id: $id, input: {showInDiscoveryDocument: false}) { id } }`, map[string]any{"id": id(s.ID)})
	after := discover(t, acme.Issuer+"/.well-known/openid-configuration", d.header.Get("ETag"))
	if after.status != 200 || slices.Contains(scopesSupported(after.body), "forums.members.modify") || after.header.Get("ETag") == d.header.Get("ETag") {
		t.Fatalf("after hiding the scope: %d %v", after.status, after.body["scopes_supported"])
	}
	// The GraphQL field shows the same document.
	data := acme.owner(t).must(`{ discoveryDocument }`, nil)
	if got := scopesSupported(data["discoveryDocument"].(map[string]any)); !slices.Equal(got, scopesSupported(after.body)) {
		t.Fatalf("GraphQL discoveryDocument scopes = %v", got)
	}
	// An unknown issuer.
	if got := discover(t, e.URL+"/o/nobody/.well-known/openid-configuration", ""); got.status != 404 {
		t.Fatalf("unknown issuer: %d", got.status)
	}
	// The JWKS is published.
	jwks := discover(t, acme.Issuer+"/oauth/jwks", "")
	if keys, _ := jwks.body["keys"].([]any); len(keys) != 1 || keys[0].(map[string]any)["kty"] != "RSA" {
		t.Fatalf("jwks = %v", jwks.body)
	}
	if _, ok := jwks.body["keys"].([]any)[0].(map[string]any)["d"]; ok {
		t.Fatal("the JWKS leaks the private key")
	}
}

// The discovery document is rendered once per revision of its organisation: many concurrent
// requests read its scopes once, a change elsewhere does not make it read them again, and a change
// to its scopes is visible on the next request.
func TestDiscoveryRenderedOncePerRevision(t *testing.T) {
	// Statements that read all of an organisation's listed scopes for its document, and that read
	// changed scopes again.
	var reads, rereads atomic.Int64
	e := newEnvDSN(t, t.TempDir()+"/oauth.db", store.WithDriver(func(d dialect.Driver) dialect.Driver {
		return dialect.DebugWithContext(d, func(_ context.Context, v ...any) {
			switch s := fmt.Sprint(v...); {
			case strings.Contains(s, "FROM `scopes` WHERE (`scopes`.`show_in_discovery_document` = ?"):
				reads.Add(1)
			case strings.Contains(s, "`scopes`.`show_in_discovery_document`, `scopes`.`deprecated` FROM `scopes` WHERE `scopes`.`id` IN"):
				rereads.Add(1)
			}
		})
	}))
	acme, globex := e.tenant(t, "acme"), e.tenant(t, "globex")
	s := acme.scope(t, "forums.threads.readonly")
	globex.scope(t, "billing.invoices.readonly")
	url := acme.Issuer + "/.well-known/openid-configuration"

	concurrently := func(n int) []fetched {
		out := make([]fetched, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { out[i] = discoverQuiet(url) })
		}
		wg.Wait()
		return out
	}
	for round := range 3 {
		for _, f := range concurrently(32) {
			if f.status != 200 || !slices.Equal(ownScopes(f.body), []string{"forums.threads.readonly"}) {
				t.Fatalf("round %d: %d %v", round, f.status, f.body["scopes_supported"])
			}
		}
	}
	if n := reads.Load(); n != 1 {
		t.Fatalf("96 requests read acme's scopes %d times, want 1", n)
	}

	// Another organisation's change leaves acme's document as it was rendered.
	globex.scope(t, "billing.payments.modify")
	concurrently(16)
	if n := reads.Load(); n != 1 {
		t.Fatalf("after a change in globex, acme's scopes were read %d times, want 1", n)
	}

	// A change to acme's scopes: the next request sees it, rendered once for everyone.
	acme.owner(t).must(`mutation($in: CreateScopeInput!) { createScope(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"apiID": id(acme.API.ID), "name": "forums.members.modify"}})
	for _, f := range concurrently(32) {
		if !slices.Equal(ownScopes(f.body), []string{"forums.members.modify", "forums.threads.readonly"}) {
			t.Fatalf("after creating a scope: %v", f.body["scopes_supported"])
		}
	}
	acme.owner(t).must(`mutation($id: ID!) { updateScope(id: $id, input: {showInDiscoveryDocument: false}) { id } }`, map[string]any{"id": id(s.ID)})
	if got := ownScopes(discoverQuiet(url).body); !slices.Equal(got, []string{"forums.members.modify"}) {
		t.Fatalf("after hiding a scope: %v", got)
	}
	if n, m := reads.Load(), rereads.Load(); n != 1 || m != 2 {
		t.Fatalf("two changes to one scope each: %d full readings and %d of changed scopes, want 1 and 2", n, m)
	}
}

// ownScopes is scopes_supported without the identity scopes every organisation has.
func ownScopes(body map[string]any) []string {
	return slices.DeleteFunc(scopesSupported(body), func(n string) bool {
		return slices.ContainsFunc(oidcscope.All, func(s oidcscope.Scope) bool { return s.Name == n })
	})
}

// discoverQuiet fetches a document from any goroutine (discover needs the test's goroutine).
func discoverQuiet(u string) fetched {
	resp, err := http.Get(u)
	if err != nil {
		return fetched{status: -1}
	}
	defer resp.Body.Close()
	f := fetched{status: resp.StatusCode, header: resp.Header}
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &f.body)
	return f
}

// RFC 8414 §3.1: the metadata of an issuer with a path is also at
// {host}/.well-known/oauth-authorization-server{path}; a path under the issuer that is no endpoint
// is a JSON 404 whatever the method, never the console.
func TestRFC8414_3_1_WellKnownURL(t *testing.T) {
	e := newEnv(t)
	acme := e.tenant(t, "acme")
	d := discover(t, e.URL+"/.well-known/oauth-authorization-server/o/acme", "")
	if d.status != 200 || d.body["issuer"] != acme.Issuer || d.body["token_endpoint"] != acme.Issuer+"/oauth/token" {
		t.Fatalf("§3.1 URL: %d %v", d.status, d.body)
	}
	// What works is advertised (contract §6).
	if d.body["userinfo_endpoint"] != acme.Issuer+"/oauth/userinfo" || d.body["end_session_endpoint"] != acme.Issuer+"/oauth/logout" {
		t.Errorf("endpoints: %v", d.body)
	}
	for k, want := range map[string][]string{
		"grant_types_supported":   {"authorization_code", "refresh_token", "client_credentials"},
		"claims_supported":        {"sub", "auth_time", "name", "preferred_username", "updated_at", "email", "email_verified"},
		"prompt_values_supported": {"none", "login", "consent"},
		"scopes_supported":        {"openid", "profile", "email", "offline_access"},
	} {
		got, _ := d.body[k].([]any)
		for _, w := range want {
			if !slices.Contains(got, any(w)) {
				t.Errorf("%s = %v lacks %s", k, got, w)
			}
		}
	}
	// Identity scope names are reserved.
	r := acme.owner(t).do(`mutation($api: ID!) { createScope(input: {apiID: $api, name: "Email", displayName: "x", description: "x"}) { id } }`, map[string]any{"api": id(acme.API.ID)})
	if r.code() != "CONFLICT" {
		t.Errorf("a scope named Email: %+v", r)
	}
	if got := discover(t, e.URL+"/.well-known/oauth-authorization-server/o/nobody", ""); got.status != 404 {
		t.Fatalf("§3.1 URL of an unknown issuer: %d", got.status)
	}
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		for _, path := range []string{"/nothing", "/oauth/nothing", "/.well-known/nothing", "/oauth/"} {
			req, _ := http.NewRequest(m, acme.Issuer+path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if resp.StatusCode != 404 || body["error"] != "not_found" || resp.Header.Get("Content-Type") != "application/json;charset=UTF-8" {
				t.Errorf("%s %s: %d %v", m, path, resp.StatusCode, body)
			}
		}
	}
}

// A document larger than the server's write buffer goes out with its length, not in chunks: one
// write for the whole answer instead of one per chunk and another for the end (17% of a discovery
// request's CPU went to that last write).
func TestDiscoveryIsSentWithItsLength(t *testing.T) {
	e := newEnv(t)
	acme := e.tenant(t, "acme")
	for i := range 300 {
		acme.scope(t, fmt.Sprintf("forums.thread%03d.readonly", i))
	}
	for _, path := range []string{"/.well-known/openid-configuration", "/oauth/jwks"} {
		resp, err := http.Get(acme.Issuer + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.ContentLength != int64(len(body)) || len(resp.TransferEncoding) > 0 {
			t.Errorf("%s: %d bytes sent with Content-Length %d, Transfer-Encoding %v", path, len(body), resp.ContentLength, resp.TransferEncoding)
		}
	}
}

// The issuer's public answers (discovery, JWKS, RFC 9728 metadata) allow every origin with "*", so
// they do not vary by Origin: a shared cache keeps one copy for all sites rather than one per site
// (Fetch §3.2.5: Vary: Origin is for answers that echo the origin).
func TestPublicAnswersDoNotVaryByOrigin(t *testing.T) {
	e := newEnv(t)
	acme := e.tenant(t, "acme")
	acme.scope(t, "forums.threads.readonly")
	for _, path := range []string{"/.well-known/openid-configuration", "/oauth/jwks", "/.well-known/oauth-authorization-server"} {
		var seen []http.Header
		for _, origin := range []string{"", "https://a.example", "https://b.example"} {
			req, _ := http.NewRequest(http.MethodGet, acme.Issuer+path, nil)
			if origin != "" {
				req.Header.Set("Origin", origin)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "*" || len(resp.Header.Values("Vary")) > 0 {
				t.Errorf("%s from %q: %s, Access-Control-Allow-Origin %q, Vary %q", path, origin, resp.Status,
					resp.Header.Get("Access-Control-Allow-Origin"), resp.Header.Values("Vary"))
			}
			seen = append(seen, resp.Header)
		}
		if seen[0].Get("Etag") != seen[1].Get("Etag") || seen[1].Get("Etag") != seen[2].Get("Etag") {
			t.Errorf("%s: ETag differs by origin", path)
		}
	}
}
