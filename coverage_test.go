package main

import (
	"slices"
	"testing"
)

const coverageQuery = `query($api: ID!) { endpointCoverage(apiID: $api) {
	uncategorized { method path } unusedScopes { name } unreachable { method path } } }`

func coverageNames(t *testing.T, d map[string]any, field, key string) []string {
	t.Helper()
	var out []string
	for _, v := range get(d, "endpointCoverage."+field).([]any) {
		m := v.(map[string]any)
		if key == "route" {
			out = append(out, m["method"].(string)+" "+m["path"].(string))
		} else {
			out = append(out, m[key].(string))
		}
	}
	return out
}

func TestEndpointCoverage(t *testing.T) {
	e := newEnv(t)
	c := e.org("acme")
	api := str(c.must(`mutation { createAPI(input: {name: "shop", basePath: "/shop"}) { id } }`, nil), "createAPI.id")
	ep := func(method, path string) string {
		return str(c.must(`mutation($in: CreateEndpointInput!) { createEndpoint(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"apiID": api, "method": method, "path": path}}), "createEndpoint.id")
	}
	list, create, _, del := ep("GET", "/shop/items"), ep("POST", "/shop/items"), ep("GET", "/shop/stats"), ep("DELETE", "/shop/items/{id}")
	scope := func(name string, endpoints ...string) string {
		return str(c.must(`mutation($in: CreateScopeInput!) { createScope(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"apiID": api, "name": name, "endpointIDs": endpoints}}), "createScope.id")
	}
	scope("shop.items.readonly", list)
	modify := scope("shop.items.modify", create) // also opens GET /shop/items, its readonly sibling's
	scope("shop.orders.modify", del)
	scope("shop.extra.readonly") // guards nothing
	scope("shop.items2.modify")  // guards nothing, and has no readonly sibling
	scope("shop.stock.modify")
	scope("shop.stock.readonly", list) // its modify sibling opens GET /shop/items too
	client := str(c.must(`mutation { createClient(input: {name: "till", kind: SERVICE}) { client { id } } }`, nil), "createClient.client.id")
	c.must(`mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id } }`, map[string]any{"c": client, "s": []string{modify}})

	d := c.must(coverageQuery, map[string]any{"api": api})
	if got := coverageNames(t, d, "uncategorized", "route"); !slices.Equal(got, []string{"GET /shop/stats"}) {
		t.Errorf("uncategorized = %v", got)
	}
	if got := coverageNames(t, d, "unusedScopes", "name"); !slices.Equal(got, []string{"shop.extra.readonly", "shop.items2.modify"}) {
		t.Errorf("unused scopes = %v", got)
	}
	// The client's modify scope reaches POST and, as the sibling, GET /shop/items; nobody holds
	// shop.orders.modify, and nobody allows uncategorized reads.
	if got := coverageNames(t, d, "unreachable", "route"); !slices.Equal(got, []string{"DELETE /shop/items/{id}", "GET /shop/stats"}) {
		t.Errorf("unreachable = %v", got)
	}
	// A client that allows uncategorized reads makes GET /shop/stats reachable.
	c.must(`mutation { createClient(input: {name: "reporter", kind: SERVICE, allowUncategorizedRead: true}) { client { id } } }`, nil)
	d = c.must(coverageQuery, map[string]any{"api": api})
	if got := coverageNames(t, d, "unreachable", "route"); !slices.Equal(got, []string{"DELETE /shop/items/{id}"}) {
		t.Errorf("unreachable with an uncategorized reader = %v", got)
	}
	// Another organisation's API is not found.
	e.org("other").fails("NOT_FOUND", coverageQuery, map[string]any{"api": api})
}
