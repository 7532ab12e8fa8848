package graph

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"golang.org/x/sync/singleflight"

	"scopekeeper/ent"
	"scopekeeper/ent/revision"
	"scopekeeper/internal/metrics"
	"scopekeeper/internal/viewer"
)

// Bounds of the response cache.
const (
	responseCacheBytes    = 16 << 20
	responseCacheEntries  = 4096
	responseCacheMaxEntry = 1 << 20
)

// cacheable lists, per type, the fields whose value changes only through a mutation of an API,
// endpoint, scope or client, each of which bumps the organisation's revision (internal/access
// Hook) in the transaction that makes it. An operation that selects any other field (the viewer,
// API keys and their last use, users, the audit log, tokens, anything computed from the clock)
// is never cached. A field added to the schema stays uncached until it is listed here.
var cacheable = map[string]map[string]bool{
	"Query":              set("apis", "scopes", "endpoints", "clients"),
	"APIConnection":      set("edges", "pageInfo", "totalCount"),
	"ScopeConnection":    set("edges", "pageInfo", "totalCount"),
	"EndpointConnection": set("edges", "pageInfo", "totalCount"),
	"ClientConnection":   set("edges", "pageInfo", "totalCount"),
	"APIEdge":            set("node", "cursor"),
	"ScopeEdge":          set("node", "cursor"),
	"EndpointEdge":       set("node", "cursor"),
	"ClientEdge":         set("node", "cursor"),
	"PageInfo":           set("hasNextPage", "hasPreviousPage", "startCursor", "endCursor"),
	"API": set("id", "createdAt", "updatedAt", "name", "displayName", "description", "basePath", "builtIn", "scopes", "endpoints",
		"identifier", "accessTokenFormat", "jwtLifetime", "resourceIdentifier", "resourceMetadataURL"),
	"Scope": set("id", "createdAt", "updatedAt", "name", "displayName", "description", "required", "emphasize",
		"showInDiscoveryDocument", "deprecated", "builtIn", "apiID", "api", "clients", "endpoints", "group", "entity", "modifier",
		"replacedBy", "sunsetAt"),
	"Client": set("id", "createdAt", "updatedAt", "clientId", "name", "description", "kind", "redirectURIs",
		"allowUncategorizedRead", "allowUncategorizedModify", "enabled", "refreshTokens", "requirePKCE",
		"postLogoutRedirectURIs", "scopes", "grantTypes"),
	"Endpoint": set("id", "createdAt", "updatedAt", "method", "path", "apiID", "api", "scopes"),
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// responseCache answers a read query the same caller asked before, while the organisation's
// revision is unchanged, without resolving it again: the Scopes tab spends nearly all of its CPU
// in field resolution. The key holds everything the answer depends on: the organisation and the
// revision counters read from the database before the query runs (so changes made through
// another server process count too), the caller (user, API key and what it may do, role), the
// query text, operation name and variables. Every read is confined to the caller's organisation
// by the privacy rules, so an answer never holds another organisation's rows. Answers with errors
// are not kept. An answer filed under a revision that has moved on can never be asked for again,
// so an organisation's answers go as soon as one of a newer revision is kept: while scopes change
// ten times a second at a million scopes, superseded Scopes-tab pages had held several MiB.
type responseCache struct {
	client *ent.Client
	flight singleflight.Group

	mu    sync.Mutex
	lru   *lru.Cache[[32]byte, cached]
	bytes int
	orgs  map[int]*orgAnswers
}

// cached is a kept answer and the organisation it is for.
type cached struct {
	data json.RawMessage
	org  int
}

// orgAnswers are the keys of an organisation's kept answers, all of revision gen.
type orgAnswers struct {
	gen  int64
	keys map[[32]byte]struct{}
}

func newResponseCache(client *ent.Client) *responseCache {
	c := &responseCache{client: client, orgs: map[int]*orgAnswers{}}
	var err error
	c.lru, err = lru.NewWithEvict(responseCacheEntries, func(key [32]byte, v cached) {
		// Under mu: every call that evicts holds it.
		c.bytes -= len(v.data)
		if o := c.orgs[v.org]; o != nil {
			delete(o.keys, key)
			if len(o.keys) == 0 {
				delete(c.orgs, v.org)
			}
		}
	})
	if err != nil {
		panic(err) // only for a size below 1
	}
	return c
}

func (*responseCache) ExtensionName() string                   { return "ResponseCache" }
func (*responseCache) Validate(graphql.ExecutableSchema) error { return nil }

func (c *responseCache) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	oc := graphql.GetOperationContext(ctx)
	caller := viewer.FromContext(ctx)
	if caller == nil || caller.System || oc.Operation == nil || oc.Operation.Operation != ast.Query ||
		!selectsCacheable(oc.Operation.SelectionSet, "Query") {
		return next(ctx)
	}
	key, gen, ok := c.key(ctx, oc, caller)
	if !ok {
		return next(ctx)
	}
	c.mu.Lock()
	kept, hit := c.lru.Get(key)
	c.mu.Unlock()
	if hit {
		metrics.CacheHit("graphql_response")
		return &graphql.Response{Data: kept.data}
	}
	metrics.CacheMiss("graphql_response")
	// Concurrent misses of one key (the same caller asking again before the first answer is
	// ready, e.g. a list in several tabs after a change) resolve once.
	led := false
	v, _, _ := c.flight.Do(string(key[:]), func() (any, error) {
		led = true
		resp := next(ctx)
		if resp != nil && len(resp.Errors) == 0 && len(graphql.GetErrors(ctx)) == 0 && resp.Data != nil {
			c.put(caller.OrgID, gen, key, resp.Data)
		}
		return resp, nil
	})
	resp := v.(*graphql.Response)
	if led {
		return resp
	}
	if resp == nil || len(resp.Errors) > 0 || resp.Data == nil {
		return next(ctx) // e.g. the first caller went away: resolve this one on its own
	}
	return &graphql.Response{Data: resp.Data}
}

// put keeps data, the answer of organisation org at revision gen, under key. An answer of a
// revision older than the organisation's kept ones is not kept (a query that read the revision
// before a change and finished after it); one of a newer revision drops the older ones.
func (c *responseCache) put(org int, gen int64, key [32]byte, data json.RawMessage) {
	if len(data) > responseCacheMaxEntry {
		return
	}
	data = append(json.RawMessage(nil), data...)
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.orgs[org]
	switch {
	case o != nil && gen < o.gen:
		return
	case o != nil && gen > o.gen:
		for k := range o.keys {
			c.lru.Remove(k) // the eviction callback deletes it from o.keys
		}
	}
	if c.lru.Contains(key) {
		return
	}
	c.lru.Add(key, cached{data: data, org: org})
	if o = c.orgs[org]; o == nil || o.gen != gen {
		o = &orgAnswers{gen: gen, keys: map[[32]byte]struct{}{}}
		c.orgs[org] = o
	}
	o.keys[key] = struct{}{}
	c.bytes += len(data)
	for c.bytes > responseCacheBytes {
		if _, _, ok := c.lru.RemoveOldest(); !ok {
			return
		}
	}
}

// key reads the revisions of the caller's organisation and of changes outside any organisation
// (before the query reads anything, so an answer is never filed under a revision newer than
// what it read) and hashes them with the caller and the operation. gen is the sum of those
// counters: each only grows, so of two readings the later has the larger sum unless nothing
// changed between them.
func (c *responseCache) key(ctx context.Context, oc *graphql.OperationContext, caller *viewer.Caller) (key [32]byte, gen int64, ok bool) {
	revs, err := c.client.Revision.Query().
		Where(revision.OrganisationIDIn(0, caller.OrgID)).
		All(viewer.SystemContext(ctx, caller.OrgID))
	if err != nil {
		return key, 0, false // the query itself will report the database's trouble
	}
	vars, err := json.Marshal(oc.Variables) // map keys sorted
	if err != nil {
		return key, 0, false
	}
	h := sha256.New()
	var b [8]byte
	num := func(v int64) {
		binary.LittleEndian.PutUint64(b[:], uint64(v))
		h.Write(b[:])
	}
	str := func(s string) {
		num(int64(len(s)))
		h.Write([]byte(s))
	}
	flag := func(v bool) {
		if v {
			num(1)
		} else {
			num(0)
		}
	}
	num(int64(caller.OrgID))
	for _, org := range []int{0, caller.OrgID} {
		var config, grants, keys int64
		for _, r := range revs {
			if r.OrganisationID == org {
				config, grants, keys = r.Config, r.Grants, r.Keys
			}
		}
		num(config)
		num(grants)
		num(keys)
		gen += config + grants + keys
	}
	num(int64(caller.UserID))
	num(int64(caller.APIKeyID))
	flag(caller.KeyRead)
	flag(caller.KeyModify)
	str(string(caller.Role))
	str(oc.OperationName)
	str(oc.RawQuery)
	str(string(vars))
	h.Sum(key[:0])
	return key, gen, true
}

// selectsCacheable reports whether every field the selection set reaches is listed in cacheable.
func selectsCacheable(ss ast.SelectionSet, parent string) bool {
	for _, sel := range ss {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__typename" {
				continue
			}
			if s.Definition == nil || !cacheable[parent][s.Name] {
				return false
			}
			if len(s.SelectionSet) > 0 && !selectsCacheable(s.SelectionSet, s.Definition.Type.Name()) {
				return false
			}
		case *ast.InlineFragment:
			on := parent
			if s.TypeCondition != "" {
				on = s.TypeCondition
			}
			if !selectsCacheable(s.SelectionSet, on) {
				return false
			}
		case *ast.FragmentSpread:
			if s.Definition == nil || !selectsCacheable(s.Definition.SelectionSet, s.Definition.TypeCondition) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = (*responseCache)(nil)
