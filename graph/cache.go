package graph

import (
	"context"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Bounds of the parsed-document cache.
const (
	cacheEntries = 1000
	cacheBytes   = 8 << 20 // of query text; a parsed document takes some 25 times its text
)

// acceptedCache keeps parsed documents, but only those that passed every limit: gqlgen adds a
// document once it validates, before the complexity limit refuses it, so refused documents (up
// to the body limit each) filled the cache. gqlgen's Add is ignored; the accept extension, last
// in the chain, adds.
type acceptedCache struct {
	lru   *lru.Cache[string, *ast.QueryDocument]
	bytes atomic.Int64
}

func newAcceptedCache() *acceptedCache {
	c := &acceptedCache{}
	var err error
	c.lru, err = lru.NewWithEvict(cacheEntries, func(query string, _ *ast.QueryDocument) {
		c.bytes.Add(-int64(len(query)))
	})
	if err != nil {
		panic(err) // only for a size below 1
	}
	return c
}

func (c *acceptedCache) Get(_ context.Context, query string) (*ast.QueryDocument, bool) {
	return c.lru.Get(query)
}

func (c *acceptedCache) Add(context.Context, string, *ast.QueryDocument) {}

func (c *acceptedCache) has(query string) bool { return c.lru.Contains(query) }

func (c *acceptedCache) put(query string, doc *ast.QueryDocument) {
	if len(query) > cacheBytes/64 {
		return
	}
	if present, _ := c.lru.ContainsOrAdd(query, doc); present {
		return
	}
	c.bytes.Add(int64(len(query)))
	for c.bytes.Load() > cacheBytes {
		if _, _, ok := c.lru.RemoveOldest(); !ok {
			return
		}
	}
}

// accept adds an operation's document to the cache once every other extension accepted it.
type accept struct{ cache *acceptedCache }

func (accept) ExtensionName() string                   { return "CacheAccepted" }
func (accept) Validate(graphql.ExecutableSchema) error { return nil }

func (a accept) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	a.cache.put(oc.RawQuery, oc.Doc)
	return nil
}
