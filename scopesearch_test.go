package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"scopekeeper/internal/scalegen"
	"scopekeeper/internal/scopesearch"
)

// searchPage is the Scopes tab's search: a page of an API's scopes in name order with its count
// and cursors.
const searchPage = `query($first: Int, $after: Cursor, $where: ScopeWhereInput) {
	scopes(first: $first, after: $after, where: $where, orderBy: {field: NAME, direction: ASC}) {
		totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name } } } }`

// uncached numbers requests, so that the response cache answers none of them.
var uncached atomic.Int64

// searchAll walks every page of a search, pageSize at a time, and returns the names and the
// cursors of every page in order, and the totalCount of the first page.
func searchAll(c *gqlClient, where map[string]any, pageSize int) (names, cursors []string, total float64) {
	var after any
	for page := 0; ; page++ {
		query := fmt.Sprintf("%s # %d", searchPage, uncached.Add(1))
		d := c.must(query, map[string]any{"first": pageSize, "after": after, "where": where})
		if page == 0 {
			total, _ = get(d, "scopes.totalCount").(float64)
		}
		for _, e := range get(d, "scopes.edges").([]any) {
			names = append(names, str(e, "node.name"))
			cursors = append(cursors, str(e, "cursor"))
		}
		if get(d, "scopes.pageInfo.hasNextPage") != true {
			return names, cursors, total
		}
		after = str(d, "scopes.pageInfo.endCursor")
	}
}

// TestScopeSearch checks that a search served by the trigram index answers exactly what ent's
// ContainsFold answers (the same query with the term inside `or`, which the index leaves alone):
// the same names in the same order, the same count, the same cursors page by page, for terms with
// LIKE's wildcards and escape character, mixed case, letters outside ASCII and short terms; that
// the index follows deletes and renames; and that another organisation's scopes never appear.
func TestScopeSearch(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(t *testing.T) string) {
		e := startServer(t, dsn(t))
		names := []string{
			"Forums.Threads.Read", "forums.threads.readonly", "forums.THREADS.modify", "billing:Invoices%Read",
			"billing_invoices_read", "a_b", "a%b", "axb", "100%_done", "ITEM0000123", "x.item0000123.y",
			"apiKey:read", "ab", "abc", "keys", "re'ad", "UPPER:CASE", "~tilde~", "[brackets]", "*glob?",
		}
		apis := map[string]string{}
		ids := map[string]map[string]string{} // org → name → ID
		for _, slug := range []string{"acme", "other"} {
			c := e.org(slug)
			c.must(`mutation { updateOrganisation(input: {namingPolicy: FREE}) { id } }`, nil)
			apis[slug] = str(c.must(`mutation { createAPI(input: {name: "forums", basePath: "/forums"}) { id } }`, nil), "createAPI.id")
			ids[slug] = map[string]string{}
			for _, n := range names {
				ids[slug][n] = str(c.must(`mutation($api: ID!, $n: String!) { createScope(input: {apiID: $api, name: $n}) { id } }`,
					map[string]any{"api": apis[slug], "n": n}), "createScope.id")
			}
		}
		acme := e.login("owner@acme.test", "correct horse battery")
		sqlite := e.DB.Dialect == "sqlite3"

		// check compares the indexed search with the plain one, whole and in pages of two, and with
		// what a case-insensitive substring test of the names says (for ASCII terms).
		check := func(t *testing.T, term string, withAPI bool) []string {
			t.Helper()
			where, plain := map[string]any{"nameContainsFold": term}, map[string]any{"or": []any{map[string]any{"nameContainsFold": term}}}
			if withAPI {
				where["apiID"], plain["apiID"] = apis["acme"], apis["acme"]
			}
			var stmts []statement
			var got, gotCursors []string
			var total float64
			stmts = e.capture(func() { got, gotCursors, total = searchAll(acme, where, 2) })
			want, wantCursors, wantTotal := searchAll(acme, plain, 2)
			if !slices.Equal(got, want) || !slices.Equal(gotCursors, wantCursors) || total != wantTotal {
				t.Errorf("%q: indexed search %q (total %v), ContainsFold %q (total %v)", term, got, total, want, wantTotal)
			}
			all, _, _ := searchAll(acme, where, 1000)
			if !slices.Equal(all, want) {
				t.Errorf("%q: one page %q, pages of two %q", term, all, want)
			}
			if isASCII(term) {
				everything, _, _ := searchAll(acme, nil, 1000) // with the built-in API's scopes
				var model []string
				for _, n := range everything {
					if _, ours := ids["acme"][n]; (ours || !withAPI) && strings.Contains(strings.ToLower(n), strings.ToLower(term)) {
						model = append(model, n)
					}
				}
				if !slices.Equal(got, model) {
					t.Errorf("%q: got %q, want %q", term, got, model)
				}
			}
			indexed := slices.ContainsFunc(stmts, func(s statement) bool { return strings.Contains(s.query, "scope_name_fts") })
			if want := sqlite && len([]rune(strings.ToLower(term))) >= scopesearch.MinRunes && !strings.ContainsRune(term, 0); indexed != want {
				t.Errorf("%q: read the trigram index: %v, want %v", term, indexed, want)
			}
			return got
		}
		terms := []string{
			"thread", "THREAD", "ThReAd", "%", "a%b", "a_b", "_b", "%_d", "%_", `\`, `a\b`, "in%", "ices%r",
			"ü", "Äb", "über", "日本語", "İnvoice", "\u212Aey", "ıtem", "ea", "ad", "a", "item0000123", "tem0000123.",
			`"`, `re"ad`, "re'ad", "x y", "*glob", "[br", "oic", "ab", "abc", "readonly", "nothing-matches",
		}
		if sqlite {
			terms = append(terms, "ead\x00") // PostgreSQL refuses NUL in text
		}
		for _, term := range terms {
			check(t, term, true)
			check(t, term, false)
		}

		// The other organisation has the same names: a search finds acme's IDs only.
		d := acme.must(searchPage, map[string]any{"first": 100, "where": map[string]any{"nameContainsFold": "item0000123"}})
		for _, edge := range get(d, "scopes.edges").([]any) {
			if id := str(edge, "node.id"); id != ids["acme"][str(edge, "node.name")] {
				t.Errorf("search returned %s (%s), not acme's", id, str(edge, "node.name"))
			}
		}

		// Deletes and renames reach the index (renames happen only below the API: names are fixed).
		acme.must(`mutation($id: ID!) { deleteScope(id: $id) }`, map[string]any{"id": ids["acme"]["forums.threads.readonly"]})
		delete(ids["acme"], "forums.threads.readonly")
		if got := check(t, "threads.read", true); !slices.Equal(got, []string{"Forums.Threads.Read"}) {
			t.Errorf("after a delete: %q", got)
		}
		var id int
		if _, err := fmt.Sscan(ids["acme"]["axb"], &id); err != nil {
			t.Fatal(err)
		}
		if _, err := e.DB.SQL.ExecContext(context.Background(), "UPDATE scopes SET name = 'renamed.Zebra' WHERE id = $1", id); err != nil {
			t.Fatal(err)
		}
		ids["acme"]["renamed.Zebra"] = ids["acme"]["axb"]
		delete(ids["acme"], "axb")
		if got := check(t, "axb", true); len(got) != 0 {
			t.Errorf("after a rename, the old name is found: %q", got)
		}
		if got := check(t, "ZEBRA", true); !slices.Equal(got, []string{"renamed.Zebra"}) {
			t.Errorf("after a rename: %q", got)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] == 0 {
			return false
		}
	}
	return true
}

// TestScopeSearchScales searches a rare name in an API of 1,000 scopes and in one of 20,000
// (beside small organisations with the same names): both run the same statements and the page
// reads scopes by ID only, the one that matches, never the API's names (on PostgreSQL the
// trigram index serves the candidates). Then the common term, which most names hold, still runs
// in name order (the index would read every match). Every generated name holds "item": the
// index is asked for the rest of the term.
func TestScopeSearchScales(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(t *testing.T) string) {
		type run struct {
			stmts []statement
			ids   int    // IDs bound into the page's statement: the scopes it reads
			match string // what the trigram index was asked for
		}
		search := func(t *testing.T, n int, term string, trigram bool) (run, *testEnv) {
			e := startServer(t, dsn(t))
			res, err := scalegen.Generate(context.Background(), e.DB, scalegen.Spec{
				Slug: "large", Password: "correct horse battery", Scopes: n, Orgs: 2, OrgScopes: 1_000,
			})
			if err != nil {
				t.Fatal(err)
			}
			c := e.login(res.Owner, "correct horse battery")
			d := c.must(`{ apis(first: 5, where: {builtIn: false}) { edges { node { id } } } }`, nil)
			api := str(get(d, "apis.edges").([]any)[0], "node.id")
			var r run
			r.stmts = e.capture(func() {
				d = c.must(planScopesTab, map[string]any{"first": 100, "where": map[string]any{"apiID": api, "nameContainsFold": term},
					"orderBy": map[string]any{"field": "NAME", "direction": "ASC"}})
			})
			if got := get(d, "scopes.totalCount"); got != float64(1) && term != "item0" {
				t.Fatalf("%s at %d: totalCount %v, want 1", term, n, got)
			}
			for _, s := range r.stmts {
				if strings.Contains(s.query, "NOT INDEXED") && strings.HasPrefix(s.query, "SELECT `scopes`.`id`, ") ||
					strings.Contains(s.query, `"scopes"."id" IN (`) && strings.HasPrefix(s.query, `SELECT "scopes"."id", `) {
					r.ids = len(s.args) - 3 // besides the IDs: the pattern, the API and the organisation
				}
				for _, a := range s.args {
					if m, ok := a.(string); ok && r.match == "" && (strings.HasPrefix(m, "name : ") || strings.HasPrefix(m, "%")) {
						r.match = m // the first statement's: the candidates'
					}
				}
				if problem := searchPlanProblem(t, e, s, trigram); problem != "" {
					t.Errorf("%s at %d scopes: %s\n%s\nargs %v", term, n, problem, s.query, s.args)
				}
			}
			return r, e
		}
		small, _ := search(t, 1_000, "iTem0000999", false)
		large, e := search(t, 20_000, "iTem0000999", true)
		if len(small.stmts) != len(large.stmts) {
			t.Errorf("%d statements at 1,000 scopes, %d at 20,000", len(small.stmts), len(large.stmts))
		}
		// The page reads by ID the one candidate of the term's rare part that may hold the whole
		// term (a few more names hold "0999"), never the API's names.
		if small.ids != 1 || large.ids != 1 {
			t.Errorf("the page read %d scopes by ID at 1,000 scopes (%s) and %d at 20,000 (%s), want 1 each", small.ids, small.match, large.ids, large.match)
		}
		// Every name holds "item": the index is asked for the term's rare part only, whose
		// trigrams' entries are few (scopesearch's narrow).
		if large.match == "" || strings.Contains(large.match, "ite") {
			t.Errorf("at 20,000 scopes the index was asked for %q, want the rare part of item0000999", large.match)
		}
		if e.DB.Dialect == "postgres" {
			trigramPlannedPerPattern(t, e)
		}
		common, _ := search(t, 3_000, "item0", false)
		for _, s := range common.stmts {
			if strings.Contains(s.query, "NOT INDEXED") {
				t.Errorf("a term 3,000 names hold read them through the index:\n%s", s.query)
			}
		}
	})
}

// searchPlanProblem is planProblem for a search, where SQLite reads scopes by ID only once it
// chose the index, and PostgreSQL filters names through the trigram index when trigram is set.
func searchPlanProblem(t *testing.T, e *testEnv, s statement, trigram bool) string {
	t.Helper()
	if trigram && e.DB.Dialect == "postgres" && strings.Contains(s.query, "ILIKE") {
		plan := explain(t, e, s)
		if strings.Contains(s.query, `"scopes"."id" IN (`) { // the page and count of the candidates
			if !strings.Contains(plan, "scopes_pkey") || strings.Contains(plan, "scope_name_trgm") {
				return "reads scopes other than by ID:\n" + plan
			}
		} else if !strings.Contains(plan, "scope_name_trgm") {
			return "does not use the trigram index:\n" + plan
		}
		return ""
	}
	if strings.Contains(s.query, "NOT INDEXED") {
		plan := explain(t, e, s)
		for _, line := range strings.Split(plan, "\n") {
			if strings.Contains(line, "scopes") && !strings.Contains(line, "INTEGER PRIMARY KEY") {
				return "reads scopes other than by ID:\n" + plan
			}
		}
		return ""
	}
	return planProblem(t, e.DB, s)
}

// explain is the database's plan for s, one line per step.
func explain(t *testing.T, e *testEnv, s statement) string {
	t.Helper()
	prefix := "EXPLAIN QUERY PLAN "
	if e.DB.Dialect == "postgres" {
		prefix = "EXPLAIN "
	}
	return strings.Join(queryPlan(t, e.DB.SQL, prefix+s.query, s.args), "\n")
}

// trigramPlannedPerPattern searches ten rare names, each new: every search's candidates (the
// rare part of its term) must be read through the trigram index, also past the fifth execution
// of the same statement, when PostgreSQL may switch a prepared statement to a generic plan, made
// without the pattern (scopesearch.PlannedPerPattern).
func trigramPlannedPerPattern(t *testing.T, e *testEnv) {
	t.Helper()
	scans := func() (n int64) {
		if err := e.DB.SQL.QueryRow(`SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'scope_name_trgm'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	c := e.login("owner@large.test", "correct horse battery")
	d := c.must(`{ apis(first: 5, where: {builtIn: false}) { edges { node { id } } } }`, nil)
	api := str(get(d, "apis.edges").([]any)[0], "node.id")
	before := scans()
	for i := range 10 {
		c.must(planScopesTab, map[string]any{"first": 100, "where": map[string]any{"apiID": api, "nameContainsFold": fmt.Sprintf("item%07d", 1000+i*997)},
			"orderBy": map[string]any{"field": "NAME", "direction": "ASC"}})
	}
	// The server's connections report their statistics within about ten seconds of going idle.
	for wait := 0; scans()-before < 10 && wait < 150; wait++ {
		time.Sleep(100 * time.Millisecond)
	}
	if n := scans() - before; n < 10 {
		t.Errorf("ten searches used the trigram index %d times, want 10 or more (their candidates)", n)
	}
}

// TestScopeSearchWholeTermWhenPartIsCommon searches a term whose rarest five characters 600 names
// hold (over the 500 candidates a search reads by ID) while the whole term is held by one: SQLite
// asks the index again for the whole term, PostgreSQL searches with ent's own predicate; both
// find that one name alone.
func TestScopeSearchWholeTermWhenPartIsCommon(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(t *testing.T) string) {
		e := startServer(t, dsn(t))
		c := e.org("acme")
		api := str(c.must(`mutation { createAPI(input: {name: "forums", basePath: "/forums"}) { id } }`, nil), "createAPI.id")
		seed := str(c.must(`mutation($api: ID!) { createScope(input: {apiID: $api, name: "forums:abcabd.read"}) { id } }`,
			map[string]any{"api": api}), "createScope.id")
		// 600 names hold "abcab" (every window of three of abcabd's trigrams), 600 more "cabd".
		for _, prefix := range []string{"forums:abcab.", "forums:cabd."} {
			if _, err := e.DB.SQL.ExecContext(context.Background(), `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600)
				INSERT INTO scopes (organisation_id, created_at, updated_at, name, name_key, display_name, description, required, emphasize,
					show_in_discovery_document, deprecated, built_in, api_id)
				SELECT organisation_id, created_at, updated_at, '`+prefix+`' || n.i, '`+prefix+`' || n.i, display_name, description, required, emphasize,
					show_in_discovery_document, deprecated, built_in, api_id FROM n, scopes WHERE scopes.id = $1`, seed); err != nil {
				t.Fatal(err)
			}
		}
		var stmts []statement
		var names []string
		var total float64
		stmts = e.capture(func() {
			names, _, total = searchAll(c, map[string]any{"apiID": api, "nameContainsFold": "ABCABD"}, 100)
		})
		if !slices.Equal(names, []string{"forums:abcabd.read"}) || total != 1 {
			t.Errorf("found %q (total %v), want forums:abcabd.read alone", names, total)
		}
		var asked []string
		for _, s := range stmts {
			for _, a := range s.args {
				if m, ok := a.(string); ok && (strings.HasPrefix(m, "name : ") || strings.HasPrefix(m, "%")) {
					asked = append(asked, m)
					break
				}
			}
		}
		again := `%abcabd%` // PostgreSQL: ent's predicate
		if e.DB.Dialect == "sqlite3" {
			again = `name : "abcabd"` // SQLite: the index, for the whole term
		}
		if len(asked) < 2 || !strings.Contains(asked[0], "abcab") || strings.Contains(asked[0], "abcabd") || !strings.HasPrefix(asked[1], again) {
			t.Errorf("asked for %q: want the part abcab, then %s", asked, again)
		}
	})
}

// TestScopeSearchWithoutTrigramIndex checks that PostgreSQL without the GIN index (a role that may
// not create pg_trgm) searches with ent's predicate alone: reading candidates for a part would
// scan the organisation's names once more.
func TestScopeSearchWithoutTrigramIndex(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(t *testing.T) string) {
		e := startServer(t, dsn(t))
		if e.DB.Dialect != "postgres" {
			t.Skip("SQLite does not start without its index")
		}
		c := e.org("acme")
		api := str(c.must(`mutation { createAPI(input: {name: "forums", basePath: "/forums"}) { id } }`, nil), "createAPI.id")
		for _, n := range []string{"forums:item0123456.read", "forums:item0123457.read", "forums:other.read"} {
			c.must(`mutation($api: ID!, $n: String!) { createScope(input: {apiID: $api, name: $n}) { id } }`, map[string]any{"api": api, "n": n})
		}
		if _, err := e.DB.SQL.ExecContext(context.Background(), "DROP INDEX scope_name_trgm"); err != nil {
			t.Fatal(err)
		}
		var names []string
		stmts := e.capture(func() {
			names, _, _ = searchAll(c, map[string]any{"apiID": api, "nameContainsFold": "item0123456"}, 100)
		})
		if !slices.Equal(names, []string{"forums:item0123456.read"}) {
			t.Errorf("found %q", names)
		}
		for _, s := range stmts {
			for _, a := range s.args {
				if m, ok := a.(string); ok && strings.HasPrefix(m, "%") && m != "%item0123456%" {
					t.Errorf("without the index, a search asked for %q", m)
				}
			}
		}
	})
}
