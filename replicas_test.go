package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Two server processes on one database: a change made through one reaches the other's cached
// decisions and introspection answers once it syncs (every syncInterval in production; here the
// test syncs explicitly, so nothing depends on timing).
func TestChangesReachOtherServers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(*testing.T) string) {
		db := dsn(t)
		a, b := startServer(t, db), startServer(t, db)
		f := newAccessFixture(t, a, "acme")
		onB := *f
		onB.e = b
		sync := func() {
			t.Helper()
			if _, err := b.app.access.Sync(context.Background()); err != nil {
				t.Fatal(err)
			}
		}

		keyID, key := f.key(t, f.read)
		token := f.token(t, "acme")
		// B reads and caches both credentials.
		expectDecision(t, onB.decide(t, key, "GET", "/forums/threads"), true, "granted", "forums.threads.readonly")
		expectDecision(t, onB.decide(t, token, "POST", "/forums/threads"), true, "granted", "forums.threads.modify")
		if got := introspect(t, b, f, token); got["active"] != true {
			t.Fatalf("introspection on B before the change: %v", got)
		}

		// Through A: revoke the key, take a scope from the client.
		f.owner.must(`mutation($id: ID!) { revokeAPIKey(id: $id) { revokedAt } }`, map[string]any{"id": keyID})
		f.owner.must(`mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id } }`,
			map[string]any{"c": f.worker, "s": []string{f.read}})
		sync()

		expectDecision(t, onB.decide(t, key, "GET", "/forums/threads"), false, "revoked", "")
		expectDecision(t, onB.decide(t, token, "POST", "/forums/threads"), false, "missing_scope", "")
		if got := introspect(t, b, f, token); got["scope"] != "forums.threads.readonly" {
			t.Fatalf("introspection on B after the change still grants the withdrawn scope: %v", got)
		}

		// A change of what endpoints exist (the compiled matcher) travels the same way.
		apis := f.owner.must(`{ apis(where: {name: "forums"}) { edges { node { id } } } }`, nil)
		api := str(get(apis, "apis.edges").([]any)[0], "node.id")
		expectDecision(t, onB.decide(t, token, "GET", "/forums/threads/7/posts"), false, "unknown_path", "")
		f.owner.must(`mutation($in: CreateEndpointInput!) { createEndpoint(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"apiID": api, "method": "GET", "path": "/forums/threads/{id}/posts", "scopeIDs": []string{f.read}}})
		sync()
		expectDecision(t, onB.decide(t, token, "GET", "/forums/threads/7/posts"), true, "granted", "forums.threads.readonly")
	})
}

// introspect asks server e about token as the gateway client of f.
func introspect(t *testing.T, e *testEnv, f *accessFixture, token string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/o/acme/oauth/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(f.checkerID, f.checkerSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}
