package main

import (
	"context"

	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
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

		// A signing-key rotation: B signs ID tokens with the new key after its sync.
		d := f.owner.must(`mutation($in: CreateClientInput!) { createClient(input: $in) { client { id clientId } clientSecret } }`,
			map[string]any{"in": map[string]any{"name": "web", "kind": "WEB", "redirectURIs": []string{"https://app.example/cb"}}})
		web := &oauth2.Config{ClientID: str(d, "createClient.client.clientId"), ClientSecret: str(d, "createClient.clientSecret"),
			RedirectURL: "https://app.example/cb", Scopes: []string{"openid", "forums.threads.readonly"},
			Endpoint: oauth2.Endpoint{AuthURL: b.URL + "/o/acme/oauth/authorize", TokenURL: b.URL + "/o/acme/oauth/token"}}
		f.owner.must(`mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id } }`,
			map[string]any{"c": str(d, "createClient.client.id"), "s": []string{f.read}})
		ownerOnB := b.login("owner@acme.test", "correct horse battery")
		idTokenKey(t, web, ownerOnB) // makes the organisation's first key
		sync()                       // so that the rotation is the only change the next sync brings
		before := idTokenKey(t, web, ownerOnB)
		rotated := str(f.owner.must(`mutation { rotateSigningKey { kid } }`, nil), "rotateSigningKey.kid")
		sync()
		if after := idTokenKey(t, web, ownerOnB); after != rotated || after == before {
			t.Fatalf("after the rotation through A, B signs with %s, want the new key %s (was %s)", after, rotated, before)
		}

		// Discovery: B's document (kept up to date scope by scope for B's own changes) drops a
		// scope hidden through A once B syncs.
		listed := func() []any {
			t.Helper()
			resp, err := http.Get(b.URL + "/o/acme/.well-known/openid-configuration")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var doc map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
				t.Fatal(err)
			}
			return doc["scopes_supported"].([]any)
		}
		if got := listed(); !slices.Contains(got, any("forums.threads.readonly")) {
			t.Fatalf("B's discovery before the change: %v", got)
		}
		f.owner.must(`mutation($id: ID!) { updateScope(id: $id, input: {showInDiscoveryDocument: false}) { id } }`, map[string]any{"id": f.read})
		sync()
		if got := listed(); slices.Contains(got, any("forums.threads.readonly")) {
			t.Fatalf("B's discovery after A hid the scope and B synced: %v", got)
		}
	})
}

// idTokenKey runs the authorization-code flow with PKCE as the signed-in user of g and returns
// the key ID that signed the ID token.
func idTokenKey(t *testing.T, cfg *oauth2.Config, g *gqlClient) string {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	hc := &http.Client{Jar: g.http.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("authorize: %s, no redirect", resp.Status)
	}
	if loc.Path == "/consent" {
		d := g.must(`mutation($id: ID!) { decideConsent(id: $id, approve: true) { redirectTo } }`, map[string]any{"id": loc.Query().Get("request")})
		loc, _ = url.Parse(str(d, "decideConsent.redirectTo"))
	}
	tok, err := cfg.Exchange(context.Background(), loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	return jws.Signatures[0].Header.KeyID
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
