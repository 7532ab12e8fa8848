package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
)

// scopesTab is the console's Scopes tab query: a page of an API's scopes with their clients' count.
const scopesTab = `query($api: ID!, $first: Int!) {
  scopes(first: $first, where: {hasAPIWith: {id: $api}}, orderBy: {field: NAME}) {
    totalCount
    edges { cursor node { id name description api { id name } clients(first: 0) { totalCount } } }
    pageInfo { hasNextPage endCursor }
  }
}`

// dataTables matches a statement that reads what the Scopes tab shows.
var dataTables = regexp.MustCompile(`(?i)\b(FROM|JOIN)\s+["` + "`" + `]?(scopes|ap_is|clients|oauth_client_scopes)\b`)

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestResponseCache: a repeated read is answered without reading the data again, yet every change
// is visible at once (also one made through another server process), and a cached answer is never
// served to another organisation, another user or a role that may not read it.
func TestResponseCache(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(*testing.T) string) {
		db := dsn(t)
		e, other := startServer(t, db), startServer(t, db)
		owner := e.org("acme")
		api := str(owner.must(createAPI, map[string]any{"in": map[string]any{"name": "forums", "basePath": "/forums"}}), "createAPI.id")
		scope := str(owner.must(createScope, map[string]any{"in": map[string]any{"apiID": api, "name": "forums.threads.readonly"}}), "createScope.id")
		client := str(owner.must(createClient, map[string]any{"in": map[string]any{"name": "bot", "kind": "SERVICE"}}), "createClient.client.id")
		owner.must(`mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id } }`,
			map[string]any{"c": client, "s": []string{scope}})
		vars := map[string]any{"api": api, "first": 100}

		first := jsonOf(t, owner.must(scopesTab, vars))
		var second string
		stmts := e.capture(func() { second = jsonOf(t, owner.must(scopesTab, vars)) })
		if second != first {
			t.Fatalf("cached answer differs:\n%s\n%s", first, second)
		}
		for _, s := range stmts {
			if dataTables.MatchString(s.query) {
				t.Errorf("the repeated query read data: %s", s.query)
			}
		}
		if len(stmts) == 0 {
			t.Error("no statement recorded: the revision must be read per request")
		}

		// A change through this server is visible at once.
		owner.must(createScope, map[string]any{"in": map[string]any{"apiID": api, "name": "forums.threads.modify"}})
		if got := owner.must(scopesTab, vars); get(got, "scopes.totalCount") != 2.0 {
			t.Fatalf("after createScope: %s", jsonOf(t, got))
		}
		// A change of a nested edge: the client's scopes.
		owner.must(`mutation($c: ID!) { setClientScopes(clientID: $c, scopeIDs: []) { id } }`, map[string]any{"c": client})
		if got := jsonOf(t, owner.must(scopesTab, vars)); regexp.MustCompile(`"totalCount":1\b`).MatchString(got) {
			t.Fatalf("after setClientScopes([]), a scope still counts a client: %s", got)
		}
		// A change through another server process sharing the database.
		onOther := other.login("owner@acme.test", "correct horse battery")
		onOther.must(`mutation($id: ID!) { updateScope(id: $id, input: {description: "changed elsewhere"}) { id } }`, map[string]any{"id": scope})
		if got := jsonOf(t, owner.must(scopesTab, vars)); !regexp.MustCompile(`changed elsewhere`).MatchString(got) {
			t.Fatalf("a change made through another server is not visible: %s", got)
		}

		// Another organisation asking the very same query and variables sees nothing of acme's.
		rival := e.org("rival")
		if got := rival.must(scopesTab, vars); get(got, "scopes.totalCount") != 0.0 {
			t.Fatalf("another organisation was served acme's scopes: %s", jsonOf(t, got))
		}

		// A MEMBER may not read clients: the owner's cached answer is not served.
		owner.must(`mutation { createUser(input: {email: "m@acme.test", password: "member password 42", role: MEMBER}) { id } }`, nil)
		member := e.login("m@acme.test", "member password 42")
		clients := `query { clients(first: 10) { totalCount edges { node { id name } } } }`
		owner.must(clients, nil)
		owner.must(clients, nil)
		member.fails("FORBIDDEN", clients, nil)

		// Demoting the owner's colleague changes what they may read at once.
		owner.must(`mutation { createUser(input: {email: "ac@acme.test", password: "admin password 42", role: ACCESS_CONTROL}) { id } }`, nil)
		admin := e.login("ac@acme.test", "admin password 42")
		admin.must(clients, nil)
		admin.must(clients, nil)
		id := ""
		for _, u := range get(owner.must(`query { users(first: 10) { edges { node { id email } } } }`, nil), "users.edges").([]any) {
			if n := u.(map[string]any)["node"].(map[string]any); n["email"] == "ac@acme.test" {
				id = n["id"].(string)
			}
		}
		owner.must(`mutation($id: ID!) { updateUser(id: $id, input: {role: MEMBER}) { id } }`, map[string]any{"id": id})
		admin.fails("FORBIDDEN", clients, nil)

	})
}

// TestImportCommandIsSeen: `scopekeeper import` writes to the database outside any server; the
// servers on it must not go on answering from what they cached before.
func TestImportCommandIsSeen(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(*testing.T) string) {
		db := dsn(t)
		e := startServer(t, db)
		owner := e.org("acme")
		api := str(owner.must(createAPI, map[string]any{"in": map[string]any{"name": "forums", "basePath": "/forums"}}), "createAPI.id")
		owner.must(`mutation($in: CreateScopeInput!) { createScope(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"apiID": api, "name": "forums.threads.readonly", "description": "Before the import."}})
		vars := map[string]any{"api": api, "first": 100}
		doc := export(t, owner, "YAML")
		if got := jsonOf(t, owner.must(scopesTab, vars)); !strings.Contains(got, "Before the import.") {
			t.Fatalf("before: %s", got)
		}
		file := t.TempDir() + "/config.yaml"
		if err := os.WriteFile(file, []byte(strings.Replace(doc, "Before the import.", "After the import.", 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := importCmd(context.Background(), []string{"--db", db, "--org", "acme", file}, io.Discard); err != nil {
			t.Fatal(err)
		}
		if got := jsonOf(t, owner.must(scopesTab, vars)); !strings.Contains(got, "After the import.") {
			t.Fatalf("the import is not visible: %s", got)
		}
	})
}
