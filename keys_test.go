package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// builtInScopes returns the IDs of scopekeeper.admin.readonly and scopekeeper.admin.modify.
func builtInScopes(t *testing.T, c *gqlClient) (readonly, modify string) {
	t.Helper()
	d := c.must(`{ scopes(where: {builtIn: true}) { edges { node { id name } } } }`, nil)
	for _, e := range get(d, "scopes.edges").([]any) {
		switch str(e, "node.name") {
		case "scopekeeper.admin.readonly":
			readonly = str(e, "node.id")
		case "scopekeeper.admin.modify":
			modify = str(e, "node.id")
		}
	}
	return readonly, modify
}

func createKey(t *testing.T, c *gqlClient, scopes ...string) (id, key string) {
	t.Helper()
	d := c.must(`mutation($s: [ID!]) { createAPIKey(input: {name: "integration", scopeIDs: $s}) { apiKey { id prefix } key } }`,
		map[string]any{"s": scopes})
	key = str(d, "createAPIKey.key")
	if !strings.HasPrefix(key, str(d, "createAPIKey.apiKey.prefix")) || len(key) < 40 {
		t.Fatalf("key %q does not start with its prefix or is short", key)
	}
	return str(d, "createAPIKey.apiKey.id"), key
}

// TestAPIKeys covers contract rules 10 and 11 for the admin API.
func TestAPIKeys(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(*testing.T) string) {
		e := startServer(t, dsn(t))
		owner := e.org("acme")
		ro, mod := builtInScopes(t, owner)
		const query = `{ apis(first: 5) { totalCount } }`
		n := 0
		mutation := func() string {
			n++
			return fmt.Sprintf(`mutation { createAPI(input: {name: "from-key-%d"}) { id } }`, n)
		}

		t.Run("readonly reaches queries, not mutations", func(t *testing.T) {
			_, key := createKey(t, owner, ro)
			c := e.withKey(key)
			c.must(query, nil)
			c.fails("FORBIDDEN", mutation(), nil)
		})
		t.Run("modify reaches mutations", func(t *testing.T) {
			_, key := createKey(t, owner, mod)
			e.withKey(key).must(mutation(), nil)
			d := owner.must(`{ auditEvents(first: 1, orderBy: {field: AT, direction: DESC}) { edges { node { actor action } } } }`, nil)
			if actor := str(get(d, "auditEvents.edges").([]any)[0], "node.actor"); !strings.HasPrefix(actor, "apikey:") {
				t.Fatalf("audit actor = %q", actor)
			}
		})
		t.Run("a key without admin scopes reaches nothing", func(t *testing.T) {
			_, key := createKey(t, owner)
			e.withKey(key).fails("FORBIDDEN", query, nil)
		})
		t.Run("only as far as the owner's role allows", func(t *testing.T) {
			owner.must(`mutation { createUser(input: {email: "v@acme.test", password: "viewer-password", role: VIEWER}) { id } }`, nil)
			// A VIEWER may not create keys; the owner cannot create one on their behalf either, so
			// demote a key holder instead.
			owner.must(`mutation { createUser(input: {email: "ac@acme.test", password: "access-password", role: ACCESS_CONTROL}) { id } }`, nil)
			ac := e.login("ac@acme.test", "access-password")
			_, key := createKey(t, ac, mod)
			e.withKey(key).must(mutation(), nil)
			uid := str(ac.must(`{ viewer { user { id } } }`, nil), "viewer.user.id")
			owner.must(`mutation($id: ID!) { updateUser(id: $id, input: {role: VIEWER}) { id } }`, map[string]any{"id": uid})
			e.withKey(key).fails("FORBIDDEN", mutation(), nil)
			e.withKey(key).must(query, nil)
		})
		t.Run("narrowing the organisation's set takes effect at once", func(t *testing.T) {
			_, key := createKey(t, owner, ro, mod)
			c := e.withKey(key)
			c.must(mutation(), nil)
			owner.must(`mutation($s: [ID!]) { updateOrganisation(input: {apiKeyAllowedScopeIDs: $s}) { id } }`, map[string]any{"s": []string{ro}})
			c.fails("FORBIDDEN", mutation(), nil)
			c.must(query, nil)
			owner.fails("VALIDATION_FAILED", `mutation($s: [ID!]) { createAPIKey(input: {name: "x", scopeIDs: $s}) { key } }`, map[string]any{"s": []string{mod}})
			owner.must(`mutation($s: [ID!]) { updateOrganisation(input: {apiKeyAllowedScopeIDs: $s}) { id } }`, map[string]any{"s": []string{ro, mod}})
		})
		t.Run("revoked and expired keys are refused", func(t *testing.T) {
			id, key := createKey(t, owner, ro)
			owner.must(`mutation($id: ID!) { revokeAPIKey(id: $id) { revokedAt } }`, map[string]any{"id": id})
			if r := e.withKey(key).raw(query, nil); r.Status != 401 || r.Code() != "UNAUTHENTICATED" {
				t.Fatalf("revoked key: status %d code %q", r.Status, r.Code())
			}
			owner.fails("VALIDATION_FAILED", `mutation($x: Time) { createAPIKey(input: {name: "old", expiresAt: $x}) { key } }`,
				map[string]any{"x": time.Now().Add(-time.Hour).Format(time.RFC3339)})
		})
		t.Run("the key is shown once and stored as a digest", func(t *testing.T) {
			id, key := createKey(t, owner, ro)
			d := owner.must(`query($id: ID!) { node(id: $id) { ... on APIKey { prefix lastUsedAt } } }`, map[string]any{"id": id})
			if strings.Contains(str(d, "node.prefix"), key[len(str(d, "node.prefix")):]) {
				t.Fatal("the prefix carries the key's secret part")
			}
			e.withKey(key).must(query, nil)
		})
	})
}
