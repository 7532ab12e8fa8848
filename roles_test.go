package main

import (
	"fmt"
	"slices"
	"testing"
)

// TestRoles walks every mutation for every role: allowed roles succeed, the others get FORBIDDEN
// (or NOT_FOUND for another user's API key, which a MEMBER cannot see).
const rotateSigningKey = `mutation { rotateSigningKey { id } }`

func TestRoles(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(*testing.T) string) {
		e := startServer(t, dsn(t))
		owner := e.org("acme")
		clients := map[string]*gqlClient{"OWNER": owner}
		for _, role := range []string{"ACCESS_CONTROL", "VIEWER", "MEMBER"} {
			email := fmt.Sprintf("%s@acme.test", role)
			owner.must(`mutation($e: String!, $r: Role!) { createUser(input: {email: $e, password: "role password 42", role: $r}) { id } }`,
				map[string]any{"e": email, "r": role})
			clients[role] = e.login(email, "role password 42")
		}
		admins := []string{"OWNER", "ACCESS_CONTROL"}
		keyHolders := []string{"OWNER", "ACCESS_CONTROL", "MEMBER"}
		owners := []string{"OWNER"}

		seq := 0
		next := func() int { seq++; return seq }
		// Each case makes fresh objects as the owner, then returns the operation to try.
		type op struct {
			query string
			vars  map[string]any
		}
		newAPI := func() string {
			return str(owner.must(createAPI, map[string]any{"in": map[string]any{"name": fmt.Sprintf("api%d", next()), "basePath": "/x"}}), "createAPI.id")
		}
		newScope := func() string {
			return str(owner.must(createScope, map[string]any{"in": map[string]any{"apiID": newAPI(), "name": fmt.Sprintf("s%d", next())}}), "createScope.id")
		}
		newEndpoint := func() string {
			return str(owner.must(`mutation($in: CreateEndpointInput!) { createEndpoint(input: $in) { id } }`,
				map[string]any{"in": map[string]any{"apiID": newAPI(), "method": "GET", "path": "/x/y"}}), "createEndpoint.id")
		}
		newClient := func() string {
			return str(owner.must(createClient, map[string]any{"in": map[string]any{"name": "c", "kind": "SERVICE"}}), "createClient.client.id")
		}
		ownerKey := func() string {
			return str(owner.must(`mutation { createAPIKey(input: {name: "k"}) { apiKey { id } } }`, nil), "createAPIKey.apiKey.id")
		}
		newUser := func() string {
			return str(owner.must(`mutation($e: String!) { createUser(input: {email: $e, password: "user password 42", role: MEMBER}) { id } }`,
				map[string]any{"e": fmt.Sprintf("u%d@acme.test", next())}), "createUser.id")
		}
		cases := []struct {
			name    string
			allowed []string
			make    func() op
		}{
			{"createAPI", admins, func() op {
				return op{createAPI, map[string]any{"in": map[string]any{"name": fmt.Sprintf("n%d", next())}}}
			}},
			{"updateAPI", admins, func() op {
				return op{`mutation($id: ID!) { updateAPI(id: $id, input: {displayName: "D"}) { id } }`, map[string]any{"id": newAPI()}}
			}},
			{"deleteAPI", admins, func() op { return op{`mutation($id: ID!) { deleteAPI(id: $id) }`, map[string]any{"id": newAPI()}} }},
			{"createScope", admins, func() op {
				return op{createScope, map[string]any{"in": map[string]any{"apiID": newAPI(), "name": fmt.Sprintf("fresh%d", next())}}}
			}},
			{"updateScope", admins, func() op {
				return op{`mutation($id: ID!) { updateScope(id: $id, input: {emphasize: true}) { id } }`, map[string]any{"id": newScope()}}
			}},
			{"deleteScope", admins, func() op { return op{deleteScope, map[string]any{"id": newScope()}} }},
			{"createEndpoint", admins, func() op {
				return op{`mutation($in: CreateEndpointInput!) { createEndpoint(input: $in) { id } }`,
					map[string]any{"in": map[string]any{"apiID": newAPI(), "method": "POST", "path": "/x"}}}
			}},
			{"updateEndpoint", admins, func() op {
				return op{`mutation($id: ID!) { updateEndpoint(id: $id, input: {path: "/x/z"}) { id } }`, map[string]any{"id": newEndpoint()}}
			}},
			{"deleteEndpoint", admins, func() op {
				return op{`mutation($id: ID!) { deleteEndpoint(id: $id) }`, map[string]any{"id": newEndpoint()}}
			}},
			{"createClient", admins, func() op {
				return op{createClient, map[string]any{"in": map[string]any{"name": "c", "kind": "SERVICE"}}}
			}},
			{"updateClient", admins, func() op {
				return op{`mutation($id: ID!) { updateClient(id: $id, input: {name: "n"}) { id } }`, map[string]any{"id": newClient()}}
			}},
			{"rotateClientSecret", admins, func() op {
				return op{`mutation($id: ID!) { rotateClientSecret(id: $id) { clientSecret } }`, map[string]any{"id": newClient()}}
			}},
			{"deleteClient", admins, func() op {
				return op{`mutation($id: ID!) { deleteClient(id: $id) }`, map[string]any{"id": newClient()}}
			}},
			{"setClientScopes", admins, func() op { return op{setScopes, map[string]any{"c": newClient(), "s": []string{newScope()}}} }},
			{"createAPIKey", keyHolders, func() op { return op{`mutation { createAPIKey(input: {name: "mine"}) { key } }`, nil} }},
			{"updateAPIKey of another user", admins, func() op {
				return op{`mutation($id: ID!) { updateAPIKey(id: $id, input: {name: "x"}) { id } }`, map[string]any{"id": ownerKey()}}
			}},
			{"revokeAPIKey of another user", admins, func() op {
				return op{`mutation($id: ID!) { revokeAPIKey(id: $id) { revokedAt } }`, map[string]any{"id": ownerKey()}}
			}},
			{"updateOrganisation", owners, func() op { return op{`mutation { updateOrganisation(input: {maxScopesPerClient: 9}) { id } }`, nil} }},
			{"createUser", owners, func() op {
				return op{`mutation($e: String!) { createUser(input: {email: $e, password: "user password 42", role: VIEWER}) { id } }`,
					map[string]any{"e": fmt.Sprintf("v%d@acme.test", next())}}
			}},
			{"updateUser", owners, func() op {
				return op{`mutation($id: ID!) { updateUser(id: $id, input: {displayName: "D"}) { id } }`, map[string]any{"id": newUser()}}
			}},
			{"deleteUser", owners, func() op { return op{`mutation($id: ID!) { deleteUser(id: $id) }`, map[string]any{"id": newUser()}} }},
			{"rotateSigningKey", owners, func() op { return op{rotateSigningKey, nil} }},
			{"retireSigningKey", owners, func() op {
				previous := str(owner.must(rotateSigningKey, nil), "rotateSigningKey.id")
				owner.must(rotateSigningKey, nil)
				return op{`mutation($id: ID!) { retireSigningKey(id: $id) { retiredAt } }`, map[string]any{"id": previous}}
			}},
		}
		for _, c := range cases {
			for _, role := range []string{"OWNER", "ACCESS_CONTROL", "VIEWER", "MEMBER"} {
				o := c.make()
				r := clients[role].raw(o.query, o.vars)
				want := "FORBIDDEN"
				if slices.Contains(c.allowed, role) {
					want = ""
				} else if role == "MEMBER" && (c.name == "updateAPIKey of another user" || c.name == "revokeAPIKey of another user") {
					want = "NOT_FOUND"
				}
				if r.Code() != want {
					t.Errorf("%s as %s: code %q, want %q (%+v)", c.name, role, r.Code(), want, r.Errors)
				}
			}
		}

		t.Run("a MEMBER manages their own keys", func(t *testing.T) {
			m := clients["MEMBER"]
			id := str(m.must(`mutation { createAPIKey(input: {name: "laptop"}) { apiKey { id owner { email } } } }`, nil), "createAPIKey.apiKey.id")
			m.must(`mutation($id: ID!) { revokeAPIKey(id: $id) { revokedAt } }`, map[string]any{"id": id})
			d := m.must(`{ apiKeys { totalCount edges { node { owner { email } } } } }`, nil)
			for _, e := range get(d, "apiKeys.edges").([]any) {
				if str(e, "node.owner.email") != "MEMBER@acme.test" && str(e, "node.owner.email") != "member@acme.test" {
					t.Fatalf("a MEMBER sees another user's key: %v", e)
				}
			}
		})
		t.Run("reads", func(t *testing.T) {
			for _, q := range []string{"clients", "endpoints", "auditEvents"} {
				clients["MEMBER"].fails("FORBIDDEN", fmt.Sprintf(`{ %s(first: 1) { totalCount } }`, q), nil)
				clients["VIEWER"].must(fmt.Sprintf(`{ %s(first: 1) { totalCount } }`, q), nil)
			}
			clients["MEMBER"].fails("FORBIDDEN", `{ signingKeys { kid } }`, nil)
			clients["VIEWER"].must(`{ signingKeys { kid current } }`, nil)
			d := clients["MEMBER"].must(`{ users(first: 50) { totalCount } apis(first: 1) { totalCount } }`, nil)
			if get(d, "users.totalCount") != float64(1) {
				t.Fatalf("a MEMBER sees %v users", get(d, "users.totalCount"))
			}
		})
		t.Run("the last owner stays an owner", func(t *testing.T) {
			id := str(owner.must(`{ viewer { user { id } } }`, nil), "viewer.user.id")
			owner.fails("VALIDATION_FAILED", `mutation($id: ID!) { updateUser(id: $id, input: {role: MEMBER}) { id } }`, map[string]any{"id": id})
			owner.fails("VALIDATION_FAILED", `mutation($id: ID!) { deleteUser(id: $id) }`, map[string]any{"id": id})
		})
	})
}
