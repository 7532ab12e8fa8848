package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Issue 9, the data rules: who may widen an API key, what the audit log records, linked IDs of
// another organisation, control characters in text, redirect URIs and scopes taken from a client.

// TestAPIKeyScopesOnlyByOwner: OWNER and ACCESS_CONTROL list, rename and revoke every key, but only
// its owner changes what it grants (contract section 2).
func TestAPIKeyScopesOnlyByOwner(t *testing.T) {
	e := newEnv(t)
	owner := e.org("acme")
	ro, mod := builtInScopes(t, owner)
	owner.must(`mutation { createUser(input: {email: "ac@acme.test", password: "access-password", role: ACCESS_CONTROL}) { id } }`, nil)
	ac := e.login("ac@acme.test", "access-password")
	id, key := createKey(t, owner, ro)
	const read = `query($id: ID!) { node(id: $id) { ... on APIKey { scopes { name } allowUncategorizedRead allowUncategorizedModify revokedAt } } }`
	before := fmt.Sprint(owner.must(read, map[string]any{"id": id}))

	const update = `mutation($id: ID!, $in: UpdateAPIKeyInput!) { updateAPIKey(id: $id, input: $in) { id } }`
	for name, in := range map[string]map[string]any{
		"add a scope":                {"addScopeIDs": []string{mod}},
		"replace the scopes":         {"clearScopes": true, "addScopeIDs": []string{mod}},
		"remove a scope":             {"removeScopeIDs": []string{ro}},
		"allow uncategorized read":   {"allowUncategorizedRead": true},
		"allow uncategorized modify": {"allowUncategorizedModify": true},
	} {
		r := ac.fails("FORBIDDEN", update, map[string]any{"id": id, "in": in})
		if !strings.Contains(r.Errors[0].Message, "owner") {
			t.Errorf("%s: message %q does not say only the owner may", name, r.Errors[0].Message)
		}
	}
	if after := fmt.Sprint(owner.must(read, map[string]any{"id": id})); after != before {
		t.Fatalf("a refused change changed the key:\nbefore %s\nafter  %s", before, after)
	}
	e.withKey(key).fails("FORBIDDEN", `mutation { createAPI(input: {name: "widened"}) { id } }`, nil)

	// What administrators keep: listing, renaming and revoking every key.
	if d := ac.must(`{ apiKeys(first: 10) { totalCount } }`, nil); get(d, "apiKeys.totalCount") != float64(1) {
		t.Fatalf("ACCESS_CONTROL lists %v keys", get(d, "apiKeys.totalCount"))
	}
	ac.must(update, map[string]any{"id": id, "in": map[string]any{"name": "renamed"}})
	// The owner widens their own key; so does ACCESS_CONTROL its own.
	owner.must(update, map[string]any{"id": id, "in": map[string]any{"addScopeIDs": []string{mod}, "allowUncategorizedRead": true}})
	acKey, _ := createKey(t, ac, ro)
	ac.must(update, map[string]any{"id": acKey, "in": map[string]any{"addScopeIDs": []string{mod}}})
	ac.must(`mutation($id: ID!) { revokeAPIKey(id: $id) { revokedAt } }`, map[string]any{"id": id})
}

// TestAuditRecordsWholeObject: an event's before and after hold every field of the object,
// whatever the mutation selected, and never a secret.
func TestAuditRecordsWholeObject(t *testing.T) {
	e := newEnv(t)
	c := e.org("acme")
	f := makeFixture(t, c, 1)
	c.must(`mutation($id: ID!) { updateScope(id: $id, input: {description: "Old."}) { id } }`, map[string]any{"id": f.scopes[0]})
	c.must(`mutation($id: ID!) { updateScope(id: $id, input: {description: "New.", displayName: "Scope zero"}) { id } }`, map[string]any{"id": f.scopes[0]})
	last := func() map[string]any {
		d := c.must(`{ auditEvents(first: 1, orderBy: {field: AT, direction: DESC}) { edges { node { action targetType targetID before after } } } }`, nil)
		return get(d, "auditEvents.edges").([]any)[0].(map[string]any)["node"].(map[string]any)
	}
	ev := last()
	if ev["targetID"] != f.scopes[0] || ev["action"] != "update" {
		t.Fatalf("last event %v", ev)
	}
	fields := []string{"id", "name", "display_name", "description", "required", "emphasize",
		"show_in_discovery_document", "deprecated", "built_in", "api_id", "created_at", "updated_at"}
	for _, side := range []string{"before", "after"} {
		m, _ := ev[side].(map[string]any)
		for _, k := range fields {
			if _, ok := m[k]; !ok {
				t.Errorf("%s lacks %s: %v", side, k, m)
			}
		}
	}
	if get(ev, "before.description") != "Old." || get(ev, "after.description") != "New." || get(ev, "before.display_name") != "" {
		t.Fatalf("before/after = %v / %v", ev["before"], ev["after"])
	}

	// Secrets stay out: the client's secret digest, the user's password hash.
	c.must(`mutation($id: ID!) { rotateClientSecret(id: $id) { client { id } } }`, map[string]any{"id": f.client})
	checkNoSecret := func(ev map[string]any, want string, secrets ...string) {
		t.Helper()
		for _, side := range []string{"before", "after"} {
			m, _ := ev[side].(map[string]any)
			if _, ok := m[want]; !ok {
				t.Errorf("%s event's %s lacks %s: %v", ev["targetType"], side, want, m)
			}
			for _, s := range secrets {
				if _, ok := m[s]; ok {
					t.Errorf("%s event's %s holds the secret %s", ev["targetType"], side, s)
				}
			}
		}
	}
	checkNoSecret(last(), "allow_uncategorized_read", "secret_hash")
	id := str(c.must(`mutation { createUser(input: {email: "v@acme.test", password: "viewer-password", role: VIEWER}) { id } }`, nil), "createUser.id")
	c.must(`mutation($id: ID!) { setUserPassword(id: $id, password: "another-password") { id } }`, map[string]any{"id": id})
	checkNoSecret(last(), "email", "password_hash")
}

// TestLinkedIDsOfAnotherOrganisation: every ID a mutation links to is checked, not only the first,
// and another organisation's ID is answered exactly like a missing one; nothing changes.
func TestLinkedIDsOfAnotherOrganisation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(*testing.T) string) {
		e := startServer(t, dsn(t))
		a, b := e.org("alpha"), e.org("beta")
		oa, ob := makeObjects(t, a, "alpha"), makeObjects(t, b, "beta")
		missing := func(id string) string { n, _ := strconv.Atoi(id); return strconv.Itoa(n + 100000) }
		snapshot := func(c *gqlClient) string {
			return fmt.Sprint(c.must(`{ scopes(first: 50) { totalCount edges { node { id endpoints { id } } } }
				endpoints(first: 50) { totalCount edges { node { id scopes { id } } } }
				clients(first: 10) { edges { node { id scopes { id } } } }
				apiKeys(first: 10) { totalCount edges { node { id scopes { id } } } }
				viewer { organisation { apiKeyAllowedScopes { id } } } }`, nil))
		}
		beforeA, beforeB := snapshot(a), snapshot(b)

		n := 0
		cases := []struct {
			name, query  string
			vars         func(ids []string) map[string]any
			own, foreign string
		}{
			{"createScope endpointIDs", createScope, func(ids []string) map[string]any {
				n++
				return map[string]any{"in": map[string]any{"apiID": oa.api, "name": fmt.Sprintf("linked%d", n), "endpointIDs": ids}}
			}, oa.endpoint, ob.endpoint},
			{"updateScope addEndpointIDs", `mutation($id: ID!, $e: [ID!]) { updateScope(id: $id, input: {addEndpointIDs: $e}) { id } }`,
				func(ids []string) map[string]any { return map[string]any{"id": oa.scope, "e": ids} }, oa.endpoint, ob.endpoint},
			{"createEndpoint scopeIDs", `mutation($in: CreateEndpointInput!) { createEndpoint(input: $in) { id } }`, func(ids []string) map[string]any {
				n++
				return map[string]any{"in": map[string]any{"apiID": oa.api, "method": "GET", "path": fmt.Sprintf("/billing/linked%d", n), "scopeIDs": ids}}
			}, oa.scope, ob.scope},
			{"setClientScopes scopeIDs", setScopes, func(ids []string) map[string]any { return map[string]any{"c": oa.client, "s": ids} }, oa.scope, ob.scope},
			{"updateOrganisation apiKeyAllowedScopeIDs", `mutation($s: [ID!]) { updateOrganisation(input: {apiKeyAllowedScopeIDs: $s}) { id } }`,
				func(ids []string) map[string]any { return map[string]any{"s": ids} }, oa.scope, ob.scope},
			{"createAPIKey scopeIDs", `mutation($s: [ID!]) { createAPIKey(input: {name: "x", scopeIDs: $s}) { key } }`,
				func(ids []string) map[string]any { return map[string]any{"s": ids} }, oa.scope, ob.scope},
			{"updateAPIKey addScopeIDs", `mutation($id: ID!, $s: [ID!]) { updateAPIKey(id: $id, input: {addScopeIDs: $s}) { id } }`,
				func(ids []string) map[string]any { return map[string]any{"id": oa.key, "s": ids} }, oa.scope, ob.scope},
		}
		for _, c := range cases {
			var answers []string
			for _, ids := range [][]string{{c.own, c.foreign}, {c.foreign}, {missing(c.foreign)}, {c.own, missing(c.foreign)}} {
				r := a.raw(c.query, c.vars(ids))
				if r.Code() != "NOT_FOUND" || len(r.Errors) != 1 {
					t.Errorf("%s %v: code %q, want one NOT_FOUND (%+v)", c.name, ids, r.Code(), r.Errors)
					continue
				}
				answers = append(answers, r.Errors[0].Message)
			}
			if len(slices.Compact(slices.Clone(answers))) != 1 {
				t.Errorf("%s: a foreign ID and a missing one are answered differently: %q", c.name, answers)
			}
		}
		if after := snapshot(a); after != beforeA {
			t.Errorf("a refused link changed the organisation:\nbefore %s\nafter  %s", beforeA, after)
		}
		if after := snapshot(b); after != beforeB {
			t.Errorf("a refused link changed the other organisation:\nbefore %s\nafter  %s", beforeB, after)
		}
	})
}

// TestControlCharactersRefused: one rule for every text field of every admin entity: no control
// characters, but line breaks and tabs in descriptions.
func TestControlCharactersRefused(t *testing.T) {
	e := newEnv(t)
	c := e.org("acme")
	f := makeFixture(t, c, 1)
	web := str(c.must(createClient, map[string]any{"in": map[string]any{"name": "web", "kind": "WEB", "redirectURIs": []string{"https://app.example.com/cb"}}}), "createClient.client.id")
	const readBack = `{ apis(first: 10) { totalCount edges { node { name displayName description
			scopes(first: 10) { totalCount edges { node { displayName description } } } endpoints(first: 10) { totalCount edges { node { path } } } } } }
		clients(first: 10) { totalCount edges { node { name description redirectURIs } } }
		apiKeys(first: 10) { totalCount } users(first: 10) { totalCount edges { node { email displayName } } }
		viewer { organisation { name } } }`
	before := fmt.Sprint(c.must(readBack, nil))

	cases := []struct {
		name, query, field string
		vars               map[string]any
	}{
		{"API displayName", createAPI, "displayName", map[string]any{"in": map[string]any{"name": "x", "displayName": "Bill\x00ing"}}},
		{"API description", createAPI, "description", map[string]any{"in": map[string]any{"name": "x", "description": "Bills\x1b[2J"}}},
		{"scope description", createScope, "description", map[string]any{"in": map[string]any{"apiID": f.api, "name": "x", "description": "See\x00all"}}},
		{"scope displayName update", `mutation($id: ID!) { updateScope(id: $id, input: {displayName: "Read\u0085posts"}) { id } }`, "displayName", map[string]any{"id": f.scopes[0]}},
		{"scope displayName newline", `mutation($id: ID!) { updateScope(id: $id, input: {displayName: "Read\nposts"}) { id } }`, "displayName", map[string]any{"id": f.scopes[0]}},
		{"endpoint path", `mutation($in: CreateEndpointInput!) { createEndpoint(input: $in) { id } }`, "path",
			map[string]any{"in": map[string]any{"apiID": f.api, "method": "GET", "path": "/billing/\x00"}}},
		{"client name", createClient, "name", map[string]any{"in": map[string]any{"name": "work\x07er", "kind": "SERVICE"}}},
		{"client redirect URI", `mutation($id: ID!) { updateClient(id: $id, input: {redirectURIs: ["https://app.example.com/cb\u0000"]}) { id } }`, "redirectURIs", map[string]any{"id": web}},
		{"API key name", `mutation { createAPIKey(input: {name: "ci\u007f"}) { key } }`, "name", nil},
		{"user email", `mutation { createUser(input: {email: "ada\u0000@acme.test", password: "plum-harbour-violet-9", role: VIEWER}) { id } }`, "email", nil},
		{"user displayName", `mutation { createUser(input: {email: "ada@acme.test", displayName: "Ada\u0000", password: "plum-harbour-violet-9", role: VIEWER}) { id } }`, "displayName", nil},
		{"organisation name", `mutation { updateOrganisation(input: {name: "Acme\u0000"}) { id } }`, "name", nil},
	}
	for _, tc := range cases {
		r := c.raw(tc.query, tc.vars)
		if r.Code() != "VALIDATION_FAILED" || r.Field() != tc.field {
			t.Errorf("%s: code %q field %q, want VALIDATION_FAILED %s (%+v)", tc.name, r.Code(), r.Field(), tc.field, r.Errors)
			continue
		}
		if msg := r.Errors[0].Message; !strings.Contains(msg, "control character") || !strings.Contains(msg, "e.g.") {
			t.Errorf("%s: message %q should name the problem and give an example", tc.name, msg)
		}
	}
	if after := fmt.Sprint(c.must(readBack, nil)); after != before {
		t.Fatalf("a refused change changed something:\nbefore %s\nafter  %s", before, after)
	}
	// Descriptions are multi-line.
	d := c.must(`mutation($id: ID!) { updateScope(id: $id, input: {description: "See posts.\n\tAlso threads."}) { description } }`, map[string]any{"id": f.scopes[0]})
	if str(d, "updateScope.description") != "See posts.\n\tAlso threads." {
		t.Fatalf("description = %q", str(d, "updateScope.description"))
	}
}

// TestRedirectURIsReplacedWhole: updateClient's redirectURIs replaces the list; the append input
// entgql generated (which did nothing) is not part of the API.
func TestRedirectURIsReplacedWhole(t *testing.T) {
	e := newEnv(t)
	c := e.org("acme")
	id := str(c.must(createClient, map[string]any{"in": map[string]any{"name": "web", "kind": "WEB", "redirectURIs": []string{"https://a.example.com/cb"}}}), "createClient.client.id")
	c.fails("GRAPHQL_VALIDATION_FAILED", `mutation($id: ID!) { updateClient(id: $id, input: {appendRedirectURIs: ["https://b.example.com/cb"]}) { redirectURIs } }`, map[string]any{"id": id})
	d := c.must(`mutation($id: ID!) { updateClient(id: $id, input: {redirectURIs: ["https://a.example.com/cb", "https://b.example.com/cb"]}) { redirectURIs } }`, map[string]any{"id": id})
	if got := fmt.Sprint(get(d, "updateClient.redirectURIs")); got != "[https://a.example.com/cb https://b.example.com/cb]" {
		t.Fatalf("redirectURIs = %s", got)
	}
}

// TestRemovedScopeNotRegained: a scope taken from a client and given back is not granted again to
// tokens issued before it was taken (contract rule 8); tokens issued after hold it.
func TestRemovedScopeNotRegained(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(*testing.T) string) {
		e := startServer(t, dsn(t))
		f := newAccessFixture(t, e, "acme")
		assign := func(ids ...string) {
			f.owner.must(setScopes, map[string]any{"c": f.worker, "s": ids})
		}
		// modify also covers GET (rule 9), so the old token asks for readonly alone.
		old := f.token(t, "acme", "forums.threads.readonly")
		expectDecision(t, f.decide(t, old, "GET", "/forums/threads"), true, "granted", "forums.threads.readonly")
		if s := introspect(t, e, f, old)["scope"]; s != "forums.threads.readonly" {
			t.Fatalf("scope at issuance = %v", s)
		}
		assign(f.modify)
		assign(f.read, f.modify)
		expectDecision(t, f.decide(t, old, "GET", "/forums/threads"), false, "missing_scope", "")
		if s, _ := introspect(t, e, f, old)["scope"].(string); strings.Contains(s, "readonly") {
			t.Fatalf("the old token's scope after removal and re-assignment = %q", s)
		}
		// Keeping a scope across a Save is not a removal.
		assign(f.read, f.modify)
		fresh := f.token(t, "acme", "forums.threads.readonly")
		expectDecision(t, f.decide(t, fresh, "GET", "/forums/threads"), true, "granted", "forums.threads.readonly")
		if s := introspect(t, e, f, fresh)["scope"]; s != "forums.threads.readonly" {
			t.Fatalf("a new token's scope = %v", s)
		}
	})
}
