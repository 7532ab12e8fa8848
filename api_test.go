package main

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

const (
	createAPI    = `mutation($in: CreateAPIInput!) { createAPI(input: $in) { id name basePath } }`
	createScope  = `mutation($in: CreateScopeInput!) { createScope(input: $in) { id name } }`
	createClient = `mutation($in: CreateClientInput!) { createClient(input: $in) { client { id clientId grantTypes } clientSecret } }`
	setScopes    = `mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id scopes { id name } } }`
	deleteScope  = `mutation($id: ID!) { deleteScope(id: $id) }`
)

// fixture is an API with scopes and a SERVICE client in one organisation.
type fixture struct {
	api    string
	scopes []string // IDs of scope0 … scopeN-1
	client string
}

func makeFixture(t *testing.T, c *gqlClient, scopes int) fixture {
	t.Helper()
	var f fixture
	f.api = str(c.must(createAPI, map[string]any{"in": map[string]any{"name": "billing", "basePath": "/billing"}}), "createAPI.id")
	for i := 0; i < scopes; i++ {
		d := c.must(createScope, map[string]any{"in": map[string]any{"apiID": f.api, "name": fmt.Sprintf("scope%d", i)}})
		f.scopes = append(f.scopes, str(d, "createScope.id"))
	}
	f.client = str(c.must(createClient, map[string]any{"in": map[string]any{"name": "worker", "kind": "SERVICE"}}), "createClient.client.id")
	return f
}

func TestErrorCodes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(*testing.T) string) {
		e := startServer(t, dsn(t))
		owner := e.org("acme")
		f := makeFixture(t, owner, 11)

		t.Run("UNAUTHENTICATED", func(t *testing.T) {
			e.anonymous().fails("UNAUTHENTICATED", `{ viewer { user { id } } }`, nil)
			e.anonymous().fails("UNAUTHENTICATED", `{ apis { totalCount } }`, nil)
			r := e.withKey("skk_not-a-key").raw(`{ apis { totalCount } }`, nil)
			if r.Status != 401 || r.Code() != "UNAUTHENTICATED" {
				t.Fatalf("unknown key: status %d code %q", r.Status, r.Code())
			}
		})
		t.Run("FORBIDDEN", func(t *testing.T) {
			owner.must(`mutation { createUser(input: {email: "v@acme.test", password: "viewer-password", role: VIEWER}) { id } }`, nil)
			v := e.login("v@acme.test", "viewer-password")
			v.fails("FORBIDDEN", createScope, map[string]any{"in": map[string]any{"apiID": f.api, "name": "nope"}})
		})
		t.Run("NOT_FOUND", func(t *testing.T) {
			owner.fails("NOT_FOUND", `mutation { updateScope(id: 99999, input: {displayName: "x"}) { id } }`, nil)
			owner.fails("NOT_FOUND", deleteScope, map[string]any{"id": "12345"})
		})
		t.Run("VALIDATION_FAILED", func(t *testing.T) {
			r := owner.fails("VALIDATION_FAILED", createScope, map[string]any{"in": map[string]any{"apiID": f.api, "name": "has space"}})
			if r.Field() != "name" || !strings.Contains(r.Errors[0].Message, "e.g.") {
				t.Fatalf("field %q message %q", r.Field(), r.Errors[0].Message)
			}
			owner.must(`mutation { updateOrganisation(input: {namingPolicy: DOTTED}) { id } }`, nil)
			r = owner.fails("VALIDATION_FAILED", createScope, map[string]any{"in": map[string]any{"apiID": f.api, "name": "read_user_data"}})
			if !strings.Contains(r.Errors[0].Message, "forums.threads.readonly") {
				t.Fatalf("message %q shows no valid example", r.Errors[0].Message)
			}
			owner.must(`mutation { updateOrganisation(input: {namingPolicy: FREE}) { id } }`, nil)
			r = owner.fails("VALIDATION_FAILED", `mutation { updateOrganisation(input: {maxScopesPerClient: 0}) { id } }`, nil)
			if r.Field() != "maxScopesPerClient" {
				t.Fatalf("field %q", r.Field())
			}
			r = owner.fails("VALIDATION_FAILED", createClient, map[string]any{"in": map[string]any{"name": "web", "kind": "WEB"}})
			if r.Field() != "redirectURIs" {
				t.Fatalf("field %q", r.Field())
			}
		})
		t.Run("CONFLICT", func(t *testing.T) {
			r := owner.fails("CONFLICT", createScope, map[string]any{"in": map[string]any{"apiID": f.api, "name": "SCOPE0"}})
			if r.Field() != "name" {
				t.Fatalf("field %q", r.Field())
			}
		})
		t.Run("SCOPE_LIMIT_EXCEEDED", func(t *testing.T) {
			owner.fails("SCOPE_LIMIT_EXCEEDED", setScopes, map[string]any{"c": f.client, "s": f.scopes})
			d := owner.must(`query($id: ID!) { node(id: $id) { ... on Client { scopes { id } } } }`, map[string]any{"id": f.client})
			if n := len(get(d, "node.scopes").([]any)); n != 0 {
				t.Fatalf("refused assignment changed the client: %d scopes", n)
			}
			owner.must(setScopes, map[string]any{"c": f.client, "s": f.scopes[:10]})
		})
		t.Run("SCOPE_IN_USE", func(t *testing.T) {
			r := owner.fails("SCOPE_IN_USE", deleteScope, map[string]any{"id": f.scopes[0]})
			used, _ := r.Errors[0].Extensions["usedBy"].([]any)
			if len(used) != 1 || !strings.Contains(used[0].(string), "worker") {
				t.Fatalf("usedBy = %v", used)
			}
			owner.must(deleteScope, map[string]any{"id": f.scopes[10]})
		})
		t.Run("GRAPHQL_VALIDATION_FAILED", func(t *testing.T) {
			owner.fails("GRAPHQL_VALIDATION_FAILED", `{ viewer { nope } }`, nil)
		})
		t.Run("GRAPHQL_PARSE_FAILED", func(t *testing.T) {
			owner.fails("GRAPHQL_PARSE_FAILED", `{ viewer { `, nil)
		})
		t.Run("COMPLEXITY_LIMIT_EXCEEDED", func(t *testing.T) {
			owner.fails("COMPLEXITY_LIMIT_EXCEEDED", `{ apis(first: 1000) { edges { node { scopes(first: 1000) { edges { node { name clients(first: 100) { totalCount } } } } } } } }`, nil)
		})
	})
}

func TestScopeRules(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(*testing.T) string) {
		e := startServer(t, dsn(t))
		owner := e.org("acme")
		f := makeFixture(t, owner, 3)

		t.Run("name is immutable and the update input has no name", func(t *testing.T) {
			owner.fails("GRAPHQL_VALIDATION_FAILED", `mutation($id: ID!) { updateScope(id: $id, input: {name: "x"}) { id } }`, map[string]any{"id": f.scopes[0]})
		})
		t.Run("dotted parts", func(t *testing.T) {
			d := owner.must(createScope, map[string]any{"in": map[string]any{"apiID": f.api, "name": "billing.invoices.readonly"}})
			id := str(d, "createScope.id")
			d = owner.must(`query($id: ID!) { node(id: $id) { ... on Scope { group entity modifier } } }`, map[string]any{"id": id})
			if str(d, "node.group") != "billing" || str(d, "node.entity") != "invoices" || str(d, "node.modifier") != "readonly" {
				t.Fatalf("parts = %v", d)
			}
			d = owner.must(`query($id: ID!) { node(id: $id) { ... on Scope { group } } }`, map[string]any{"id": f.scopes[0]})
			if get(d, "node.group") != nil {
				t.Fatalf("group of an undotted name = %v", get(d, "node.group"))
			}
		})
		t.Run("deprecated scope cannot be newly assigned but stays where assigned", func(t *testing.T) {
			owner.must(setScopes, map[string]any{"c": f.client, "s": []string{f.scopes[0]}})
			for _, id := range f.scopes[:2] {
				owner.must(`mutation($id: ID!) { updateScope(id: $id, input: {deprecated: true}) { id } }`, map[string]any{"id": id})
			}
			r := owner.fails("VALIDATION_FAILED", setScopes, map[string]any{"c": f.client, "s": []string{f.scopes[0], f.scopes[1]}})
			if r.Field() != "scopeIDs" {
				t.Fatalf("field %q", r.Field())
			}
			owner.must(setScopes, map[string]any{"c": f.client, "s": []string{f.scopes[0], f.scopes[2]}})
		})
		t.Run("required scopes do not count towards the limit", func(t *testing.T) {
			owner.must(`mutation { updateOrganisation(input: {maxScopesPerClient: 1}) { id } }`, nil)
			owner.must(`mutation($id: ID!) { updateScope(id: $id, input: {required: true}) { id } }`, map[string]any{"id": f.scopes[2]})
			owner.must(setScopes, map[string]any{"c": f.client, "s": []string{f.scopes[0], f.scopes[2]}})
			owner.must(`mutation { updateOrganisation(input: {maxScopesPerClient: 10}) { id } }`, nil)
		})
		t.Run("built-in scopes cannot be changed or deleted", func(t *testing.T) {
			d := owner.must(`{ scopes(where: {builtIn: true}) { edges { node { id name } } } }`, nil)
			edges := get(d, "scopes.edges").([]any)
			if len(edges) != 2 {
				t.Fatalf("built-in scopes: %v", edges)
			}
			id := str(edges[0], "node.id")
			owner.fails("FORBIDDEN", `mutation($id: ID!) { updateScope(id: $id, input: {displayName: "x"}) { id } }`, map[string]any{"id": id})
			owner.fails("FORBIDDEN", deleteScope, map[string]any{"id": id})
		})
		t.Run("scopeImpact names the users", func(t *testing.T) {
			d := owner.must(`query($id: ID!) { scopeImpact(id: $id) { canDelete reason usedBy clients { name } } }`, map[string]any{"id": f.scopes[0]})
			if get(d, "scopeImpact.canDelete") != false || len(get(d, "scopeImpact.usedBy").([]any)) != 1 {
				t.Fatalf("impact = %v", d)
			}
		})
		t.Run("audit events record the change", func(t *testing.T) {
			d := owner.must(`{ auditEvents(first: 5, orderBy: {field: AT, direction: DESC}, where: {action: "update", targetType: "Scope"}) { edges { node { actor action targetType before after } } } }`, nil)
			ev := get(d, "auditEvents.edges").([]any)[0]
			if str(ev, "node.actor") != "user:owner@acme.test" || get(ev, "node.before.required") == get(ev, "node.after.required") {
				t.Fatalf("event = %v", ev)
			}
		})
	})
}

func TestRaceNamesIgnoringCase(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(*testing.T) string) {
		e := startServer(t, dsn(t))
		owner := e.org("acme")
		api := str(owner.must(createAPI, map[string]any{"in": map[string]any{"name": "billing", "basePath": "/billing"}}), "createAPI.id")
		names := []string{"invoices:read", "Invoices:Read", "INVOICES:READ", "invoices:READ", "Invoices:read", "iNvOiCeS:rEaD", "invoiceS:read", "INVOICES:read"}
		var wg sync.WaitGroup
		codes := make([]string, len(names))
		for i, n := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = owner.raw(createScope, map[string]any{"in": map[string]any{"apiID": api, "name": n}}).Code()
			}()
		}
		wg.Wait()
		ok, conflict := 0, 0
		for _, c := range codes {
			switch c {
			case "":
				ok++
			case "CONFLICT":
				conflict++
			default:
				t.Errorf("unexpected code %q", c)
			}
		}
		if ok != 1 || conflict != len(names)-1 {
			t.Fatalf("%d created, %d conflicts: %v", ok, conflict, codes)
		}
	})
}

func TestRaceAssignments(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(*testing.T) string) {
		e := startServer(t, dsn(t))
		owner := e.org("acme")
		f := makeFixture(t, owner, 20)
		// Concurrent Saves of different sets, some over the limit: every over-limit one is refused,
		// and the client ends with exactly one of the accepted sets.
		sets := [][]string{f.scopes[:10], f.scopes[10:20], f.scopes[:11], f.scopes[5:15], f.scopes[9:20], f.scopes[2:12]}
		var wg sync.WaitGroup
		codes := make([]string, len(sets))
		for i, s := range sets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = owner.raw(setScopes, map[string]any{"c": f.client, "s": s}).Code()
			}()
		}
		wg.Wait()
		for i, s := range sets {
			want := ""
			if len(s) > 10 {
				want = "SCOPE_LIMIT_EXCEEDED"
			}
			if codes[i] != want {
				t.Errorf("set %d (%d scopes): code %q, want %q", i, len(s), codes[i], want)
			}
		}
		d := owner.must(`query($id: ID!) { node(id: $id) { ... on Client { scopes { id } } } }`, map[string]any{"id": f.client})
		var got []string
		for _, s := range get(d, "node.scopes").([]any) {
			got = append(got, str(s, "id"))
		}
		slices.Sort(got)
		matched := false
		for _, s := range sets {
			want := slices.Clone(s)
			slices.Sort(want)
			matched = matched || (len(s) <= 10 && slices.Equal(got, want))
		}
		if !matched {
			t.Fatalf("client ended with %d scopes that match no accepted set", len(got))
		}
	})
}

func TestBuiltInAPIStaysAsMade(t *testing.T) {
	e := newEnv(t)
	owner := e.org("acme")
	d := owner.must(`{ apis(where: {builtIn: true}) { edges { node { id } } } }`, nil)
	api := str(get(d, "apis.edges").([]any)[0], "node.id")
	owner.fails("FORBIDDEN", createScope, map[string]any{"in": map[string]any{"apiID": api, "name": "extra"}})
	owner.fails("FORBIDDEN", `mutation($id: ID!) { updateAPI(id: $id, input: {displayName: "x"}) { id } }`, map[string]any{"id": api})
	owner.fails("FORBIDDEN", `mutation($id: ID!) { deleteAPI(id: $id) }`, map[string]any{"id": api})
	owner.fails("NOT_FOUND", `mutation { updateScope(id: "not-an-id", input: {displayName: "x"}) { id } }`, nil)
}

// The audit log's vocabulary names every action and target type its events carry.
func TestAuditVocabulary(t *testing.T) {
	e := newEnv(t)
	owner := e.org("acme")
	owner.must(createAPI, map[string]any{"in": map[string]any{"name": "forums", "basePath": "/forums"}})
	owner.must(`mutation { rotateSigningKey { id } }`, nil)
	v := owner.must(`{ auditVocabulary { actions targetTypes } }`, nil)
	in := func(list, value string) bool {
		for _, x := range get(v, "auditVocabulary."+list).([]any) {
			if x == value {
				return true
			}
		}
		return false
	}
	events := owner.must(`{ auditEvents(first: 100) { edges { node { action targetType } } } }`, nil)
	for _, edge := range get(events, "auditEvents.edges").([]any) {
		if a, tt := str(edge, "node.action"), str(edge, "node.targetType"); !in("actions", a) || !in("targetTypes", tt) {
			t.Errorf("an event (%s %s) outside the vocabulary %v", a, tt, v)
		}
	}
	for _, want := range []string{"API", "Scope", "OAuthClient", "APIKey", "SigningKey"} {
		if !in("targetTypes", want) {
			t.Errorf("targetTypes lacks %s: %v", want, v)
		}
	}
}
