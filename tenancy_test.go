package main

import (
	"fmt"
	"strings"
	"testing"
)

// orgObjects are one organisation's objects of every kind.
type orgObjects struct {
	api, scope, endpoint, client, key, user string
}

func makeObjects(t *testing.T, c *gqlClient, slug string) orgObjects {
	t.Helper()
	var o orgObjects
	o.api = str(c.must(createAPI, map[string]any{"in": map[string]any{"name": "billing", "basePath": "/billing"}}), "createAPI.id")
	o.scope = str(c.must(createScope, map[string]any{"in": map[string]any{"apiID": o.api, "name": "invoices"}}), "createScope.id")
	o.endpoint = str(c.must(`mutation($in: CreateEndpointInput!) { createEndpoint(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"apiID": o.api, "method": "GET", "path": "/billing/invoices", "scopeIDs": []string{o.scope}}}), "createEndpoint.id")
	o.client = str(c.must(createClient, map[string]any{"in": map[string]any{"name": "worker", "kind": "SERVICE"}}), "createClient.client.id")
	c.must(`mutation { updateOrganisation(input: {}) { id } }`, nil)
	allowed := c.must(`{ viewer { organisation { apiKeyAllowedScopes { id } } } }`, nil)
	ids := []string{o.scope}
	for _, s := range get(allowed, "viewer.organisation.apiKeyAllowedScopes").([]any) {
		ids = append(ids, str(s, "id"))
	}
	c.must(`mutation($ids: [ID!]) { updateOrganisation(input: {apiKeyAllowedScopeIDs: $ids}) { id } }`, map[string]any{"ids": ids})
	o.key = str(c.must(`mutation($s: [ID!]) { createAPIKey(input: {name: "ci", scopeIDs: $s}) { apiKey { id } key } }`,
		map[string]any{"s": []string{o.scope}}), "createAPIKey.apiKey.id")
	o.user = str(c.must(`mutation($e: String!) { createUser(input: {email: $e, password: "member-password", role: MEMBER}) { id } }`,
		map[string]any{"e": "member@" + slug + ".test"}), "createUser.id")
	return o
}

func (o orgObjects) all() []string {
	return []string{o.api, o.scope, o.endpoint, o.client, o.key, o.user}
}

// TestCrossTenant walks every query and mutation with another organisation's IDs: each behaves as
// for an ID that does not exist, and nothing of the other organisation changes.
func TestCrossTenant(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(*testing.T) string) {
		e := startServer(t, dsn(t))
		a := e.org("alpha")
		b := e.org("beta")
		oa := makeObjects(t, a, "alpha")
		ob := makeObjects(t, b, "beta")
		aKey := str(a.must(rotateSigningKey, nil), "rotateSigningKey.id")
		snapshot := func() string {
			return fmt.Sprint(a.must(`{ apis(first: 10) { edges { node { id name displayName basePath updatedAt
				scopes(first: 10) { edges { node { id displayName deprecated clients(first: 10) { totalCount } endpoints { id } } } }
				endpoints(first: 10) { edges { node { id method path } } } } } }
				clients(first: 10) { edges { node { id name enabled scopes { id } } } }
				apiKeys(first: 10) { edges { node { id name revokedAt scopes { id } } } }
				users(first: 10) { edges { node { id email role } } }
				viewer { organisation { name maxScopesPerClient namingPolicy apiKeyAllowedScopes { id } } }
				signingKeys { id retiredAt } }`, nil))
		}
		before := snapshot()

		for _, id := range oa.all() {
			d := b.must(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
			if get(d, "node") != nil {
				t.Errorf("node(%s) of another organisation = %v", id, get(d, "node"))
			}
		}
		d := b.must(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": oa.all()})
		for i, n := range d["nodes"].([]any) {
			if n != nil {
				t.Errorf("nodes[%d] of another organisation = %v", i, n)
			}
		}
		if keys := fmt.Sprint(b.must(`{ signingKeys { id } }`, nil)); strings.Contains(keys, aKey) {
			t.Errorf("signingKeys lists another organisation's key %s: %s", aKey, keys)
		}
		for _, q := range []string{"apis", "scopes", "endpoints", "clients", "apiKeys", "users", "auditEvents"} {
			all := b.must(fmt.Sprintf(`{ %s(first: 100) { edges { node { id } } } }`, q), nil)
			for _, edge := range get(all, q+".edges").([]any) {
				for _, foreign := range oa.all() {
					if str(edge, "node.id") == foreign {
						t.Errorf("%s lists another organisation's %s", q, foreign)
					}
				}
			}
		}

		mutations := []struct {
			name, query string
			vars        map[string]any
		}{
			{"updateAPI", `mutation($id: ID!) { updateAPI(id: $id, input: {displayName: "x"}) { id } }`, map[string]any{"id": oa.api}},
			{"deleteAPI", `mutation($id: ID!) { deleteAPI(id: $id) }`, map[string]any{"id": oa.api}},
			{"createScope", createScope, map[string]any{"in": map[string]any{"apiID": oa.api, "name": "stolen"}}},
			{"createScope endpoint", createScope, map[string]any{"in": map[string]any{"apiID": ob.api, "name": "stolen", "endpointIDs": []string{oa.endpoint}}}},
			{"updateScope", `mutation($id: ID!) { updateScope(id: $id, input: {deprecated: true}) { id } }`, map[string]any{"id": oa.scope}},
			{"deleteScope", deleteScope, map[string]any{"id": oa.scope}},
			{"scopeImpact", `query($id: ID!) { scopeImpact(id: $id) { canDelete } }`, map[string]any{"id": oa.scope}},
			{"createEndpoint", `mutation($in: CreateEndpointInput!) { createEndpoint(input: $in) { id } }`, map[string]any{"in": map[string]any{"apiID": oa.api, "method": "GET", "path": "/billing/x"}}},
			{"createEndpoint scope", `mutation($in: CreateEndpointInput!) { createEndpoint(input: $in) { id } }`, map[string]any{"in": map[string]any{"apiID": ob.api, "method": "GET", "path": "/billing/x", "scopeIDs": []string{oa.scope}}}},
			{"updateEndpoint", `mutation($id: ID!) { updateEndpoint(id: $id, input: {path: "/billing/y"}) { id } }`, map[string]any{"id": oa.endpoint}},
			{"deleteEndpoint", `mutation($id: ID!) { deleteEndpoint(id: $id) }`, map[string]any{"id": oa.endpoint}},
			{"updateClient", `mutation($id: ID!) { updateClient(id: $id, input: {enabled: false}) { id } }`, map[string]any{"id": oa.client}},
			{"rotateClientSecret", `mutation($id: ID!) { rotateClientSecret(id: $id) { clientSecret } }`, map[string]any{"id": oa.client}},
			{"deleteClient", `mutation($id: ID!) { deleteClient(id: $id) }`, map[string]any{"id": oa.client}},
			{"setClientScopes client", setScopes, map[string]any{"c": oa.client, "s": []string{}}},
			{"setClientScopes scope", setScopes, map[string]any{"c": ob.client, "s": []string{oa.scope}}},
			{"createAPIKey", `mutation($s: [ID!]) { createAPIKey(input: {name: "x", scopeIDs: $s}) { key } }`, map[string]any{"s": []string{oa.scope}}},
			{"updateAPIKey", `mutation($id: ID!) { updateAPIKey(id: $id, input: {name: "x"}) { id } }`, map[string]any{"id": oa.key}},
			{"revokeAPIKey", `mutation($id: ID!) { revokeAPIKey(id: $id) { id } }`, map[string]any{"id": oa.key}},
			{"updateOrganisation", `mutation($s: [ID!]) { updateOrganisation(input: {apiKeyAllowedScopeIDs: $s}) { id } }`, map[string]any{"s": []string{oa.scope}}},
			{"updateUser", `mutation($id: ID!) { updateUser(id: $id, input: {role: OWNER}) { id } }`, map[string]any{"id": oa.user}},
			{"deleteUser", `mutation($id: ID!) { deleteUser(id: $id) }`, map[string]any{"id": oa.user}},
			{"retireSigningKey", `mutation($id: ID!) { retireSigningKey(id: $id) { id } }`, map[string]any{"id": aKey}},
		}
		for _, m := range mutations {
			if r := b.raw(m.query, m.vars); r.Code() != "NOT_FOUND" {
				t.Errorf("%s with another organisation's ID: code %q, want NOT_FOUND (%+v)", m.name, r.Code(), r.Errors)
			}
		}
		if after := snapshot(); after != before {
			t.Fatalf("another organisation's data changed:\nbefore %s\nafter  %s", before, after)
		}
	})
}
