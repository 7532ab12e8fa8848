package main

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"scopekeeper/internal/scopecount"
	"scopekeeper/internal/store"
)

// countsScopes matches a statement that counts scopes rows.
var countsScopes = regexp.MustCompile(`(?is)count\(.*\bFROM\s+["` + "`" + `]?scopes\b`)

// TestScopeCountsKeptByTheDatabase: the Scopes tab's totalCount of an API (no other filter) is the
// API's counter, read instead of counting its scopes, and the counter follows every way scopes
// come and go: created, imported in bulk, deleted, a refused change, the API deleted. Another
// organisation asking with the API's ID counts nothing; a filtered count still counts.
func TestScopeCountsKeptByTheDatabase(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(*testing.T) string) {
		db := dsn(t)
		e := startServer(t, db)
		owner := e.org("acme")
		newAPI := func(c *gqlClient, name string) string {
			return str(c.must(createAPI, map[string]any{"in": map[string]any{"name": name, "basePath": "/" + name}}), "createAPI.id")
		}
		newScope := func(api, name string) string {
			return str(owner.must(createScope, map[string]any{"in": map[string]any{"apiID": api, "name": name}}), "createScope.id")
		}
		// consistent: every API's counter is the count of its scopes.
		consistent := func(when string) {
			t.Helper()
			rows, err := e.DB.SQL.QueryContext(context.Background(), `SELECT a.id, a.scope_count, (SELECT count(*) FROM scopes s WHERE s.api_id = a.id) FROM ap_is a`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var id, kept, counted int
				if err := rows.Scan(&id, &kept, &counted); err != nil {
					t.Fatal(err)
				}
				if kept != counted {
					t.Errorf("%s: API %d counts %d scopes, has %d", when, id, kept, counted)
				}
			}
		}
		tab := `query($api: ID!, $first: Int!) { scopes(first: $first, where: {apiID: $api}, orderBy: {field: NAME}) { totalCount edges { node { id } } } }`
		total := func(c *gqlClient, api string, first int) float64 {
			return get(c.must(tab, map[string]any{"api": api, "first": first}), "scopes.totalCount").(float64)
		}

		forums, wiki := newAPI(owner, "forums"), newAPI(owner, "wiki")
		var ids []string
		for i := range 5 {
			ids = append(ids, newScope(forums, fmt.Sprintf("forums.thread%d.readonly", i)))
		}
		newScope(wiki, "wiki.pages.readonly")
		consistent("after createScope")

		var n float64
		stmts := e.capture(func() { n = total(owner, forums, 2) })
		if n != 5 {
			t.Fatalf("totalCount %v, want 5", n)
		}
		for _, s := range stmts {
			if countsScopes.MatchString(s.query) {
				t.Errorf("the Scopes tab counted scopes: %s", s.query)
			}
		}
		filtered := `query($api: ID!) { scopes(first: 2, where: {apiID: $api, nameContainsFold: "thread1"}) { totalCount } }`
		if got := get(owner.must(filtered, map[string]any{"api": forums}), "scopes.totalCount"); got != 1.0 {
			t.Fatalf("filtered totalCount %v, want 1", got)
		}

		owner.must(deleteScope, map[string]any{"id": ids[0]})
		consistent("after deleteScope")
		if n := total(owner, forums, 3); n != 4 {
			t.Fatalf("after deleteScope: totalCount %v, want 4", n)
		}
		owner.fails("VALIDATION_FAILED", createScope, map[string]any{"in": map[string]any{"apiID": forums, "name": "has space"}})
		consistent("after a refused createScope")

		// Another organisation names acme's API: it has no scope there.
		rival := e.org("rival")
		newAPI(rival, "forums")
		if n := total(rival, forums, 2); n != 0 {
			t.Fatalf("another organisation counted %v of acme's scopes", n)
		}

		// Imported in bulk, then the API deleted with its scopes.
		source, empty := e.org("source"), e.org("empty")
		seedConfiguration(t, source)
		empty.must(importQuery, map[string]any{"d": export(t, source, "YAML"), "dry": false, "prune": false})
		consistent("after an import")
		owner.must(`mutation($id: ID!) { deleteAPI(id: $id) }`, map[string]any{"id": wiki})
		consistent("after deleteAPI")

		// A database from before the counters (or whose scopes table a migration rebuilt): no
		// triggers, counters that say nothing. Opening it counts every API's scopes, an API
		// without scopes included.
		if err := scopecount.Pause(t.Context(), e.DB.SQL, e.DB.Dialect); err != nil {
			t.Fatal(err)
		}
		newScope(forums, "forums.uncounted.readonly")
		newAPI(owner, "bare")
		if _, err := e.DB.SQL.ExecContext(t.Context(), `UPDATE ap_is SET scope_count = 7`); err != nil {
			t.Fatal(err)
		}
		reopened, err := store.Open(t.Context(), db)
		if err != nil {
			t.Fatal(err)
		}
		reopened.Close()
		consistent("after opening a database without the counters' triggers")
	})
}
