package main

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"scopekeeper/internal/scalegen"
	"scopekeeper/internal/store"
)

// The console's list queries, as its screens send them (frontend/src/features/*/operations.ts),
// with the Scopes tab also counting each scope's clients.
const (
	planScopeFields = `id name displayName description required emphasize showInDiscoveryDocument deprecated builtIn group entity modifier apiID`
	planScopesTab   = `query($first: Int, $after: Cursor, $where: ScopeWhereInput, $orderBy: ScopeOrder) {
		scopes(first: $first, after: $after, where: $where, orderBy: $orderBy) {
			totalCount pageInfo { hasNextPage endCursor }
			edges { cursor node { ` + planScopeFields + ` api { id name displayName } clients(first: 0) { totalCount } } } } }`
	planClients = `query($first: Int, $after: Cursor, $where: ClientWhereInput, $orderBy: ClientOrder) {
		clients(first: $first, after: $after, where: $where, orderBy: $orderBy) {
			totalCount pageInfo { hasNextPage endCursor }
			edges { node { id clientId name description kind grantTypes redirectURIs allowUncategorizedRead
				allowUncategorizedModify enabled createdAt
				scopes { id name displayName description required emphasize deprecated group entity modifier api { id name displayName } } } } } }`
	planPicker = `query($first: Int, $after: Cursor, $where: ScopeWhereInput) {
		scopes(first: $first, after: $after, where: $where, orderBy: { field: NAME, direction: ASC }) {
			totalCount pageInfo { hasNextPage endCursor } edges { node { id name api { id name } } } } }`
	planApis = `query($first: Int, $orderBy: APIOrder) { apis(first: $first, orderBy: $orderBy) {
		totalCount edges { cursor node { id name displayName description basePath builtIn scopes(first: 0) { totalCount } } } } }`
	planEndpoints = `query($where: EndpointWhereInput) { endpoints(first: 50, where: $where, orderBy: {field: PATH, direction: ASC}) {
		totalCount edges { node { id method path scopes { id name } } } } }`
	planImpact      = `query($id: ID!) { scopeImpact(id: $id) { canDelete reason usedBy activeTokens clients { id name } apiKeys { id name } } }`
	planAudit       = `query { auditEvents(first: 50, orderBy: { field: AT, direction: DESC }) { totalCount edges { node { id actor action targetType targetID at } } } }`
	planAuditObject = `query($id: String!) { auditEvents(first: 50, where: {targetType: "Scope", targetID: $id}, orderBy: { field: AT, direction: DESC }) {
		totalCount edges { node { id actor action targetType targetID at } } } }`
	planKeys  = `query { apiKeys(first: 25, where: {revokedAtIsNil: true}, orderBy: { field: CREATED_AT, direction: DESC }) { totalCount edges { node { id name } } } }`
	planUsers = `query { users(first: 25, orderBy: { field: EMAIL, direction: ASC }) { totalCount edges { node { id email } } } }`
)

// consoleQuery is one request of the console, given the organisation's generated API.
type consoleQuery struct {
	name  string
	query string
	vars  func(apiID, scopeID, cursor string) map[string]any
}

func consoleQueries() []consoleQuery {
	tab := func(field, dir string) func(api, _, _ string) map[string]any {
		return func(api, _, _ string) map[string]any {
			return map[string]any{"first": 100, "where": map[string]any{"apiID": api}, "orderBy": map[string]any{"field": field, "direction": dir}}
		}
	}
	clients := func(field, dir string, where map[string]any) func(_, _, _ string) map[string]any {
		return func(_, _, _ string) map[string]any {
			return map[string]any{"first": 25, "where": where, "orderBy": map[string]any{"field": field, "direction": dir}}
		}
	}
	return []consoleQuery{
		{"scopes tab by name", planScopesTab, tab("NAME", "ASC")},
		{"scopes tab by name, descending", planScopesTab, tab("NAME", "DESC")},
		{"scopes tab by display name", planScopesTab, tab("DISPLAY_NAME", "ASC")},
		{"scopes tab, newest first", planScopesTab, tab("CREATED_AT", "DESC")},
		{"scopes tab, recently changed", planScopesTab, tab("UPDATED_AT", "DESC")},
		{"scopes tab, a later page", planScopesTab, func(api, _, cursor string) map[string]any {
			return map[string]any{"first": 100, "after": cursor, "where": map[string]any{"apiID": api}, "orderBy": map[string]any{"field": "NAME", "direction": "ASC"}}
		}},
		{"scopes tab, search", planScopesTab, func(api, _, _ string) map[string]any {
			return map[string]any{"first": 100, "where": map[string]any{"apiID": api, "nameContainsFold": "item00001"}, "orderBy": map[string]any{"field": "NAME", "direction": "ASC"}}
		}},
		{"clients by name", planClients, clients("NAME", "ASC", nil)},
		{"clients by name, descending", planClients, clients("NAME", "DESC", nil)},
		{"clients, newest first", planClients, clients("CREATED_AT", "DESC", nil)},
		{"clients, oldest first", planClients, clients("CREATED_AT", "ASC", nil)},
		{"clients, search", planClients, clients("NAME", "ASC", map[string]any{"nameContainsFold": "client 1"})},
		{"scope picker", planPicker, func(_, _, _ string) map[string]any {
			return map[string]any{"first": 50, "where": map[string]any{"deprecated": false}}
		}},
		{"scope picker, one API's group", planPicker, func(api, _, _ string) map[string]any {
			return map[string]any{"first": 100, "where": map[string]any{"apiID": api, "nameHasPrefix": "generated.", "deprecated": false}}
		}},
		{"scope picker, required scopes", planPicker, func(api, _, _ string) map[string]any {
			return map[string]any{"first": 50, "where": map[string]any{"required": true, "apiIDIn": []string{api}, "deprecated": false}}
		}},
		{"APIs with scope counts", planApis, func(_, _, _ string) map[string]any {
			return map[string]any{"first": 25, "orderBy": map[string]any{"field": "NAME", "direction": "ASC"}}
		}},
		{"endpoints tab", planEndpoints, func(api, _, _ string) map[string]any {
			return map[string]any{"where": map[string]any{"apiID": api}}
		}},
		{"scope impact", planImpact, func(_, scope, _ string) map[string]any { return map[string]any{"id": scope} }},
		{"audit log", planAudit, func(_, _, _ string) map[string]any { return nil }},
		{"audit log of one object", planAuditObject, func(_, scope, _ string) map[string]any { return map[string]any{"id": scope} }},
		{"API keys", planKeys, func(_, _, _ string) map[string]any { return nil }},
		{"users", planUsers, func(_, _, _ string) map[string]any { return nil }},
		{"discovery preview", `{ discoveryDocument }`, func(_, _, _ string) map[string]any { return nil }},
	}
}

// bigTables are the tables that grow with an organisation's scopes and clients: reading one whole
// is what must not happen on any console request.
var bigTables = map[string]bool{
	"scopes": true, "clients": true, "oauth_client_scopes": true, "api_key_scopes": true,
	"scope_endpoints": true, "organisation_api_key_allowed_scopes": true, "endpoints": true,
	"ap_is": true, "api_keys": true, "users": true, "audit_events": true, "tokens": true,
}

var (
	sqliteScan = regexp.MustCompile(`^SCAN (\w+)`)
	// An organisation's clients or keys tested one by one against a subquery's list, where the
	// list should drive: an organisation can have 100,000 clients.
	sqliteWholeOrg = regexp.MustCompile(`^SEARCH (clients|api_keys) USING (?:COVERING )?INDEX \w+ \(organisation_id=\?\)$`)
	pgSeqScan      = regexp.MustCompile(`Seq Scan on (\w+)`)
	pgIndexScan    = regexp.MustCompile(`Index (?:Only )?Scan (?:Backward )?using \w+ on (\w+)`)
)

// pgRows is PostgreSQL's estimate of a table's rows. Tables the generated data leaves nearly empty
// (API keys, users, endpoints) are read whole whatever the settings and are checked on SQLite only.
func pgRows(t *testing.T, conn *sql.Conn, table string) float64 {
	var n float64
	if err := conn.QueryRowContext(context.Background(), "SELECT reltuples FROM pg_class WHERE relname = $1", table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// pgHasIndexCond reports whether the plan node whose detail lines follow has an Index Cond.
func pgHasIndexCond(rest []string) bool {
	for _, l := range rest {
		if strings.Contains(l, "->") {
			return false
		}
		if strings.Contains(l, "Index Cond:") {
			return true
		}
	}
	return false
}

// TestConsoleQueryPlans runs every console list, count, search and nested edge against a large
// organisation (10,000 scopes, a client per ten) and a small one (1,000) in the same database,
// then asks the database how it ran each statement: none may read a large table whole, and the
// large organisation's requests run exactly as many statements as the small one's.
func TestConsoleQueryPlans(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(t *testing.T) string) {
		e := startServer(t, dsn(t))
		res, err := scalegen.Generate(context.Background(), e.DB, scalegen.Spec{
			Slug: "large", Password: "correct horse battery", Scopes: 10_000, Orgs: 3, OrgScopes: 1_000,
		})
		if err != nil {
			t.Fatal(err)
		}
		large, small := e.login(res.Owner, "correct horse battery"), e.login(res.SmallOwner, "correct horse battery")
		apiOf := func(c *gqlClient) (api, scope, cursor string) {
			d := c.must(planScopesTab, map[string]any{"first": 100, "where": map[string]any{"builtIn": false}, "orderBy": map[string]any{"field": "NAME", "direction": "ASC"}})
			api = str(get(d, "scopes.edges").([]any)[0], "node.apiID")
			scope = str(get(d, "scopes.edges").([]any)[0], "node.id")
			return api, scope, str(d, "scopes.pageInfo.endCursor")
		}
		largeAPI, largeScope, largeCursor := apiOf(large)
		smallAPI, smallScope, smallCursor := apiOf(small)
		for _, q := range consoleQueries() {
			run := func(c *gqlClient, api, scope, cursor string) []statement {
				return e.capture(func() { c.must(q.query, q.vars(api, scope, cursor)) })
			}
			smallStmts := run(small, smallAPI, smallScope, smallCursor)
			largeStmts := run(large, largeAPI, largeScope, largeCursor)
			if len(smallStmts) != len(largeStmts) {
				t.Errorf("%s: %d statements for 1,000 scopes, %d for 10,000", q.name, len(smallStmts), len(largeStmts))
			}
			for _, s := range largeStmts {
				if problem := planProblem(t, e.DB, s); problem != "" {
					t.Errorf("%s: %s\n%s\nargs %v", q.name, problem, s.query, s.args)
				}
			}
		}
	})
}

// planProblem explains how the database would run s and says what is wrong with it, if anything:
// a large table read whole, or a page sorted after reading every row.
func planProblem(t *testing.T, db *store.DB, s statement) string {
	t.Helper()
	if !strings.HasPrefix(s.query, "SELECT") {
		return ""
	}
	ctx := context.Background()
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	explain := "EXPLAIN QUERY PLAN "
	if db.Dialect == "postgres" {
		// On tables this small PostgreSQL rightly prefers reading them whole, or joining them
		// whole; with those plans priced out it still reads a table whole only when no index
		// serves the statement.
		explain = "EXPLAIN "
		for _, set := range []string{"enable_seqscan", "enable_hashjoin", "enable_mergejoin"} {
			if _, err := conn.ExecContext(ctx, "SET "+set+" = off"); err != nil {
				t.Fatal(err)
			}
			defer conn.ExecContext(ctx, "RESET "+set)
		}
	}
	plan := queryPlan(t, conn, explain+s.query, s.args)
	for i, line := range plan {
		m := sqliteScan.FindStringSubmatch(line)
		if m == nil {
			m = pgSeqScan.FindStringSubmatch(line)
		}
		if m == nil {
			if ix := pgIndexScan.FindStringSubmatch(line); ix != nil && !pgHasIndexCond(plan[i+1:]) {
				m = ix // the whole index, in its order, without a condition on it
			}
		}
		if m != nil && bigTables[m[1]] && !(db.Dialect == "postgres" && pgRows(t, conn, m[1]) < 1000) {
			return "reads the whole table " + m[1] + ":\n  " + strings.Join(plan, "\n  ")
		}
		if m := sqliteWholeOrg.FindStringSubmatch(line); m != nil && strings.Contains(s.query, "IN (SELECT") {
			return "reads every row of the organisation in " + m[1] + ":\n  " + strings.Join(plan, "\n  ")
		}
		// A search the trigram index served reads at most its limit of scopes by ID
		// (internal/scopesearch): sorting those is the plan.
		if strings.Contains(line, "TEMP B-TREE FOR ORDER BY") && strings.Contains(s.query, "LIMIT") && !strings.Contains(s.query, "NOT INDEXED") {
			return "sorts every row before taking a page:\n  " + strings.Join(plan, "\n  ")
		}
	}
	return ""
}

// queryPlan runs explain (an EXPLAIN statement) with args on q and returns the plan, a line per
// row: its last column, SQLite's detail or PostgreSQL's QUERY PLAN.
func queryPlan(t *testing.T, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, explain string, args []any) []string {
	t.Helper()
	rows, err := q.QueryContext(context.Background(), explain, args...)
	if err != nil {
		t.Fatalf("%s: %v", explain, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var plan []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}
