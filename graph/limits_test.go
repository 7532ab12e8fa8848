package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"scopekeeper/internal/store"
)

// newTestHandler serves the GraphQL handler over a fresh SQLite database, with nobody signed in.
func newTestHandler(t testing.TB, opts Options) (*Handler, *httptest.Server) {
	t.Helper()
	db, err := store.Open(t.Context(), t.TempDir()+"/graph.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := NewHandler(db.Client, &Resolver{}, opts)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv
}

type response struct {
	status int
	body   string
	errors []gqlErr
}

type gqlErr struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

func (r response) code() string {
	if len(r.errors) == 0 {
		return ""
	}
	c, _ := r.errors[0].Extensions["code"].(string)
	return c
}

func send(t *testing.T, url string, body []byte) response {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	var out struct {
		Errors []gqlErr `json:"errors"`
	}
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatalf("status %d, body not JSON: %.200s", resp.StatusCode, buf.String())
	}
	return response{status: resp.StatusCode, body: buf.String(), errors: out.Errors}
}

func query(q string, vars map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	return b
}

// Issue 9, finding 2: documents refused as too complex entered gqlgen's cache (twelve refused
// 2.5 MiB documents held 800 MiB). Only accepted documents are cached now.
func TestCacheKeepsOnlyAcceptedDocuments(t *testing.T) {
	h, srv := newTestHandler(t, Options{})
	for i := range 12 {
		// Valid, but far over the complexity limit: 1,000 × 1,000 × 1,000 rows.
		q := fmt.Sprintf(`query Q%d { apis(first: 1000) { edges { node { scopes(first: 1000) { edges { node {
			clients(first: 1000) { edges { node { id } } } } } } } } } }`, i)
		if r := send(t, srv.URL, query(q, nil)); r.code() != "COMPLEXITY_LIMIT_EXCEEDED" {
			t.Fatalf("complex query: %d %s", r.status, r.body)
		}
	}
	if n := h.cache.lru.Len(); n != 0 {
		t.Fatalf("%d refused documents were cached", n)
	}
	if r := send(t, srv.URL, query(`{ __typename }`, nil)); len(r.errors) != 0 {
		t.Fatalf("accepted query: %s", r.body)
	}
	if n := h.cache.lru.Len(); n != 1 {
		t.Fatalf("accepted document not cached: %d entries", n)
	}
}

func TestCacheIsBoundedByBytes(t *testing.T) {
	c := newAcceptedCache()
	doc := &ast.QueryDocument{}
	big := strings.Repeat(" ", cacheBytes/64)
	for i := range 200 {
		c.put(fmt.Sprintf("{ __typename } # %d%s", i, big[:len(big)-20]), doc)
	}
	if c.bytes.Load() > cacheBytes {
		t.Fatalf("cache holds %d bytes of queries, more than %d", c.bytes.Load(), cacheBytes)
	}
	var sum int64
	for _, k := range c.lru.Keys() {
		sum += int64(len(k))
	}
	if sum != c.bytes.Load() {
		t.Fatalf("counted %d bytes, holds %d", c.bytes.Load(), sum)
	}
}

// Issue 9, finding 3: repeating one field made validation quadratic (a 46 KiB body cost 14.6 s
// of CPU before any sign-in). Such a document is refused before validation.
func TestRepeatedFieldsAreRefusedBeforeValidation(t *testing.T) {
	_, srv := newTestHandler(t, Options{})
	cases := map[string]string{
		"repeated field": "{ " + strings.Repeat("__typename ", 5000) + "}",
		"aliases":        "{ " + strings.Repeat("a: __typename ", 3000) + "}",
		"fragment spread many times": "fragment F on Query { __typename __typename __typename __typename } { " +
			strings.Repeat("...F ", 200) + "}",
		"nested fragments": "fragment A on Query { __typename __typename } fragment B on Query { ...A ...A ...A ...A } " +
			"fragment C on Query { ...B ...B ...B ...B } fragment D on Query { ...C ...C ...C ...C } { ...D ...D ...D ...D }",
	}
	for name, q := range cases {
		t.Run(name, func(t *testing.T) {
			r := send(t, srv.URL, query(q, nil))
			if r.code() != "GRAPHQL_VALIDATION_FAILED" || !strings.Contains(r.body, "more than 500 fields") {
				t.Fatalf("%d %.300s", r.status, r.body)
			}
		})
	}
	// Tokens are bounded before parsing.
	r := send(t, srv.URL, query("{ "+strings.Repeat("__typename, ", MaxTokens)+"}", nil))
	if r.code() != "GRAPHQL_PARSE_FAILED" {
		t.Fatalf("token limit: %d %.300s", r.status, r.body)
	}
}

func TestCountFields(t *testing.T) {
	for q, want := range map[string]int{
		"{ a b { c d } }": 4,
		"fragment F on Q { x y } { a { ...F ...F } }":     7, // a + 2×2 in the operation, 2 in the definition
		"fragment F on Q { ...F } { ...F }":               MaxFields + 1,
		"{ ... on Q { a b } ...G } fragment G on Q { c }": 4,
	} {
		doc, err := parser.ParseQuery(&ast.Source{Input: q})
		if err != nil {
			t.Fatal(err)
		}
		if got := countFields(doc); got != want {
			t.Errorf("countFields(%q) = %d, want %d", q, got, want)
		}
	}
}

// Issue 9, finding 4: first: 4611686018427387904 overflowed the complexity arithmetic, so the
// connection cost as much as first: 1 and returned the whole table.
func TestPageSizesAreBounded(t *testing.T) {
	_, srv := newTestHandler(t, Options{})
	for _, c := range []struct {
		q    string
		vars map[string]any
	}{
		{`{ apis(first: 4611686018427387904) { totalCount } }`, nil},
		{`{ apis(first: 1001) { totalCount } }`, nil},
		{`{ apis(last: -1) { totalCount } }`, nil},
		{`query($n: Int) { scopes(first: $n) { totalCount } }`, map[string]any{"n": 2000}},
		{`query($n: Int) { apis(first: 10) { edges { node { scopes(first: $n) { totalCount } } } } }`, map[string]any{"n": 1 << 40}},
	} {
		r := send(t, srv.URL, query(c.q, c.vars))
		if r.code() != "GRAPHQL_VALIDATION_FAILED" || len(r.errors) != 1 {
			t.Errorf("%s %v: %d %.300s", c.q, c.vars, r.status, r.body)
		}
	}
	if got := page(1<<40, nil, nil); got != 1<<31-1 {
		t.Errorf("page saturates at %d", got)
	}
}

// Issue 9, finding 15: the schema could be introspected without signing in.
func TestIntrospectionNeedsSignIn(t *testing.T) {
	_, srv := newTestHandler(t, Options{})
	for _, q := range []string{
		`{ __schema { types { name } } }`,
		`{ __type(name: "Scope") { name } }`,
		`query { ... on Query { __schema { queryType { name } } } }`,
		`query { ...F } fragment F on Query { __schema { queryType { name } } }`,
	} {
		if r := send(t, srv.URL, query(q, nil)); r.code() != "UNAUTHENTICATED" || strings.Contains(r.body, `"types"`) {
			t.Errorf("%s: %d %.300s", q, r.status, r.body)
		}
	}
	if r := send(t, srv.URL, query(`{ __typename }`, nil)); len(r.errors) != 0 {
		t.Errorf("__typename: %s", r.body)
	}
	_, demo := newTestHandler(t, Options{Playground: true})
	if r := send(t, demo.URL, query(`{ __schema { queryType { name } } }`, nil)); len(r.errors) != 0 {
		t.Errorf("demo introspection: %s", r.body)
	}
}
