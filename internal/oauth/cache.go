package oauth

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	entgo "entgo.io/ent"

	"scopekeeper/ent"
	"scopekeeper/internal/credential"
	"scopekeeper/internal/txstate"
	"scopekeeper/internal/viewer"
)

// cacheTTL bounds how long a cached entry is trusted even without an invalidation. Changes made
// through this process invalidate at once (the ent hook below), changes made by another server
// process sharing the database when the access engine's Sync sees them (ForgetCached); the TTL
// is the bound when nothing calls Sync.
const cacheTTL = 2 * time.Second

// maxCredentials bounds the resolved-token cache; it is emptied when full.
const maxCredentials = 200_000

// runtimeTypes are the OAuth runtime's own records: writing them is not a configuration change.
var runtimeTypes = map[string]bool{
	ent.TypeToken: true, ent.TypeRefreshToken: true, ent.TypeAuthRequest: true, ent.TypeConsent: true, ent.TypeSession: true,
	ent.TypeAuditEvent: true, ent.TypeRevision: true, ent.TypeScopeUsage: true,
}

// cache holds what token issuance and introspection read on every request. Every entry is tagged
// with the configuration generation current when its load began; any configuration change bumps
// the generation (when the mutation runs and again when its transaction commits), so an entry
// loaded from older data is never used afterwards.
type cache struct {
	gen     atomic.Uint64
	revoked atomic.Uint64 // bumped by every revocation; a load that saw one in flight is not stored

	orgs    sync.Map // slug → *entry[*orgInfo]
	clients sync.Map // clientKey → *entry[*clientInfo]
	creds   sync.Map // string(token digest) → *entry[*resolved]
	docs    sync.Map // organisation ID → *discoveryDoc, rendered at the revision it records
	origins sync.Map // organisation ID → *entry[map[string]bool]
	nCreds  atomic.Int64

	// What discovery documents are rendered from changes far less often than the rest, and per
	// organisation: each has its own revision, so a change elsewhere leaves its document alone.
	docRevs  sync.Map      // organisation ID → *atomic.Uint64, bumped by changes to its scopes and APIs
	docEpoch atomic.Uint64 // bumped by changes outside any organisation and by ForgetCached

	txs txstate.Map[*txDocs] // what open transactions changed, bumped again when they commit
}

type entry[T any] struct {
	v      T
	gen    uint64
	loaded time.Time
}

type clientKey struct {
	org      int
	clientID string
}

func newCache() *cache { return &cache{} }

func (c *cache) generation() uint64 { return c.gen.Load() }

func (c *cache) bump() { c.gen.Add(1) }

func get[T any](c *cache, m *sync.Map, k any) (T, bool) {
	var zero T
	v, ok := m.Load(k)
	if !ok {
		return zero, false
	}
	e := v.(*entry[T])
	if e.gen != c.gen.Load() || time.Since(e.loaded) > cacheTTL {
		m.Delete(k)
		return zero, false
	}
	return e.v, true
}

func put[T any](c *cache, m *sync.Map, k any, v T, gen uint64) {
	if gen != c.gen.Load() {
		return // the configuration changed while loading
	}
	m.Store(k, &entry[T]{v: v, gen: gen, loaded: time.Now()})
}

func (c *cache) org(slug string) (*orgInfo, bool) { return get[*orgInfo](c, &c.orgs, slug) }
func (c *cache) putOrg(slug string, o *orgInfo, gen uint64) {
	put(c, &c.orgs, slug, o, gen)
}

func (c *cache) client(org int, id string) (*clientInfo, bool) {
	return get[*clientInfo](c, &c.clients, clientKey{org, id})
}
func (c *cache) putClient(org int, id string, ci *clientInfo, gen uint64) {
	put(c, &c.clients, clientKey{org, id}, ci, gen)
}

// resolved is a token as credential.Resolve saw it, with its introspection answer rendered once.
type resolved struct {
	cred *credential.Credential
	body []byte // the RFC 7662 response while the token is active; nil otherwise
}

// credential returns a cached resolution of the token with the given digest.
func (c *cache) credential(digest []byte) (*resolved, bool) {
	return get[*resolved](c, &c.creds, string(digest))
}

// putCredential stores a resolution unless a revocation or configuration change happened since
// the load began (gen and revoked are the values read before it).
func (c *cache) putCredential(digest []byte, cr *resolved, gen, revoked uint64) {
	if c.revoked.Load() != revoked {
		return
	}
	if c.nCreds.Add(1) > maxCredentials {
		c.creds.Clear()
		c.nCreds.Store(0)
	}
	put(c, &c.creds, string(digest), cr, gen)
}

// forgetCredential drops a token from the cache (it was revoked).
func (c *cache) forgetCredential(digest []byte) {
	c.revoked.Add(1)
	c.creds.Delete(string(digest))
}

// forgetAll drops every cached token resolution (tokens were revoked in bulk).
func (c *cache) forgetAll() {
	c.revoked.Add(1)
	c.bump()
}

// docRevision is the revision of what org's discovery document is rendered from. It only grows.
func (c *cache) docRevision(org int) uint64 { return c.docEpoch.Load() + c.docRev(org).Load() }

func (c *cache) docRev(org int) *atomic.Uint64 {
	if v, ok := c.docRevs.Load(org); ok {
		return v.(*atomic.Uint64)
	}
	v, _ := c.docRevs.LoadOrStore(org, new(atomic.Uint64))
	return v.(*atomic.Uint64)
}

// docAffecting lists the types whose changes can change a discovery document.
var docAffecting = map[string]bool{ent.TypeScope: true, ent.TypeAPI: true, ent.TypeOrganisation: true}

// invalidationHook bumps the generation after every change to configuration: organisations, APIs,
// scopes, endpoints, clients, users, API keys; and the organisation's document revision after
// changes to its scopes. Both happen when the mutation runs and again when its transaction
// commits (once per transaction), so nothing read before the commit is used after it.
func (c *cache) invalidationHook() entgo.Hook {
	return func(next entgo.Mutator) entgo.Mutator {
		return entgo.MutateFunc(func(ctx context.Context, m entgo.Mutation) (entgo.Value, error) {
			if runtimeTypes[m.Type()] {
				return next.Mutate(ctx, m)
			}
			var docs *atomic.Uint64
			if docAffecting[m.Type()] {
				docs = &c.docEpoch
				if v := viewer.FromContext(ctx); v != nil && v.OrgID != 0 {
					docs = c.docRev(v.OrgID)
				}
			}
			v, err := next.Mutate(ctx, m)
			c.bumpDocs(docs)
			if txm, ok := m.(interface{ Tx() (*ent.Tx, error) }); ok {
				if tx, terr := txm.Tx(); terr == nil {
					changed := c.txs.Of(tx, newTxDocs, c.bumpAtCommit)
					changed.mu.Lock()
					changed.docs[docs] = true
					changed.mu.Unlock()
				}
			}
			return v, err
		})
	}
}

// bumpDocs bumps the generation, and docs unless nil.
func (c *cache) bumpDocs(docs *atomic.Uint64) {
	c.bump()
	if docs != nil {
		docs.Add(1)
	}
}

// txDocs is the document revisions a transaction's changes affect (nil: none, only the generation).
type txDocs struct {
	mu   sync.Mutex
	docs map[*atomic.Uint64]bool
}

func newTxDocs() *txDocs { return &txDocs{docs: map[*atomic.Uint64]bool{}} }

func (c *cache) bumpAtCommit(t *txDocs) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for docs := range t.docs {
		c.bumpDocs(docs)
	}
}

// ForgetCached drops everything cached: another server process changed the configuration.
func (p *Provider) ForgetCached() {
	p.cache.bump()
	p.cache.docEpoch.Add(1)
}
