package graph

import (
	"encoding/json"
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

// TestResponseCacheDropsSupersededRevisions: once an organisation's answer of a newer revision is
// kept, its answers of older revisions (which no request can ask for again) are gone, another
// organisation's stay, and an answer of an older revision arriving late is not kept.
func TestResponseCacheDropsSupersededRevisions(t *testing.T) {
	c := newResponseCache(nil)
	key := func(n byte) [32]byte { return [32]byte{n} }
	data := json.RawMessage(`{"scopes":{"totalCount":1}}`)
	c.put(1, 10, key(1), data)
	c.put(1, 10, key(2), data)
	c.put(2, 10, key(3), data)
	if c.lru.Len() != 3 {
		t.Fatalf("%d answers kept, want 3", c.lru.Len())
	}
	c.put(1, 11, key(4), data)
	for n, want := range map[byte]bool{1: false, 2: false, 3: true, 4: true} {
		if c.lru.Contains(key(n)) != want {
			t.Errorf("answer %d kept: %v, want %v", n, !want, want)
		}
	}
	c.put(1, 10, key(5), data)
	if c.lru.Contains(key(5)) {
		t.Error("an answer of a superseded revision was kept")
	}
	if want := 2 * len(data); c.bytes != want {
		t.Errorf("bytes %d, want %d", c.bytes, want)
	}
	// Evicted for room: its organisation forgets it too.
	for i := range responseCacheEntries {
		c.put(3, 1, [32]byte{9, byte(i), byte(i >> 8)}, data)
	}
	if c.orgs[1] != nil || c.orgs[2] != nil {
		t.Errorf("evicted answers still listed: %v %v", c.orgs[1], c.orgs[2])
	}
	if len(c.orgs[3].keys) != c.lru.Len() {
		t.Errorf("organisation 3 lists %d answers, the cache holds %d", len(c.orgs[3].keys), c.lru.Len())
	}
}
