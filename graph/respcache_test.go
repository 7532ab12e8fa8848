package graph

import (
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestSelectsCacheable: only operations whose every field (through fragments too) is listed are
// cached.
func TestSelectsCacheable(t *testing.T) {
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	for query, want := range map[string]bool{
		`{ scopes(first: 5) { totalCount edges { cursor node { id name group api { id name } clients(first: 0) { totalCount } } } pageInfo { hasNextPage endCursor } } }`: true,
		`{ __typename clients(first: 5) { edges { node { id grantTypes scopes { id } } } } }`:                                                                             true,
		`{ apis(first: 5) { edges { node { ...A } } } } fragment A on API { id endpoints(first: 1) { edges { node { id method path } } } }`:                               true,
		`{ scopes(first: 5) { edges { node { ... on Scope { id } } } } }`:                                                                                                 true,
		`{ viewer { user { email } } }`:                                                             false,
		`{ scopes(first: 5) { totalCount } viewer { user { role } } }`:                              false,
		`{ ...Q } fragment Q on Query { scopes(first: 1) { totalCount } viewer { user { role } } }`: false,
		`{ scopes(first: 1) { edges { node { ... on Scope { id } ... on Node { id } } } } }`:        false, // conservative: types are listed, interfaces not
		`{ node(id: "1") { id } }`:                                                                  false,
		`{ apiKeys(first: 5) { edges { node { id lastUsedAt } } } }`:                                false,
		`{ scopeImpact(id: "1") { canDelete } }`:                                                    false,
		`{ __schema { types { name } } }`:                                                           false,
		`{ scopes(first: 1) { edges { node { id } } } auditEvents(first: 1) { totalCount } }`:       false,
	} {
		doc, errs := gqlparser.LoadQuery(schema, query)
		if errs != nil {
			t.Fatalf("%s: %v", query, errs)
		}
		op := doc.Operations[0]
		if op.Operation != ast.Query {
			t.Fatal(query)
		}
		if got := selectsCacheable(op.SelectionSet, "Query"); got != want {
			t.Errorf("%s: cacheable %v, want %v", query, got, want)
		}
	}
}
