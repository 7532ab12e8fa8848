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
	origins sync.Map // organisation ID → *entry[map[string]bool]
	nCreds  atomic.Int64

	// What discovery documents are rendered from changes far less often than the rest, and per
	// organisation: each has its own revision, so a change elsewhere leaves its document alone.
	docRevs  sync.Map      // organisation ID → *orgDocs
	docEpoch atomic.Uint64 // bumped by changes outside any organisation, here or (ForgetCached) elsewhere

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
func (c *cache) docRevision(org int) uint64 { return c.docEpoch.Load() + c.orgDocs(org).rev.Load() }

func (c *cache) orgDocs(org int) *orgDocs {
	if v, ok := c.docRevs.Load(org); ok {
		return v.(*orgDocs)
	}
	v, _ := c.docRevs.LoadOrStore(org, new(orgDocs))
	return v.(*orgDocs)
}

// orgDocs is what one organisation's discovery document is rendered from, and what changed since.
type orgDocs struct {
	rev atomic.Uint64 // bumped by changes to its scopes, its APIs and itself

	mu    sync.Mutex
	dirty map[int]struct{} // scopes changed since a rendering last took them
	full  bool             // a change not pinned to scopes: the next rendering reads them all

	doc     atomic.Pointer[discoveryDoc] // as last rendered, at the revision it records
	render  sync.Mutex                   // one rendering at a time; it owns listing
	listing *listing                     // the listed scopes as last rendered
}

// maxDirty bounds the changed scopes remembered one by one: past it, reading them all is cheaper.
const maxDirty = 4096

// note records changed scopes (or, with full, a change to any of them). It comes before the
// revision is bumped, so a rendering that sees the new revision also sees what changed.
func (d *orgDocs) note(ids []int, full bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if full || d.full || len(d.dirty)+len(ids) > maxDirty {
		d.full, d.dirty = true, nil
		return
	}
	if d.dirty == nil {
		d.dirty = make(map[int]struct{}, len(ids))
	}
	for _, id := range ids {
		d.dirty[id] = struct{}{}
	}
}

// take returns what changed since the last take and forgets it.
func (d *orgDocs) take() (ids []int, full bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for id := range d.dirty {
		ids = append(ids, id)
	}
	full, d.full, d.dirty = d.full, false, nil
	return ids, full
}

// docAffecting lists the types whose changes can change a discovery document.
var docAffecting = map[string]bool{ent.TypeScope: true, ent.TypeAPI: true, ent.TypeOrganisation: true}

// invalidationHook bumps the generation after every change to configuration: organisations, APIs,
// scopes, endpoints, clients, users, API keys; and after changes to an organisation's scopes, its
// APIs or itself, notes what changed and bumps its document revision. Both happen when the
// mutation runs and again when its transaction commits (once per transaction), so nothing read
// before the commit is used after it.
func (c *cache) invalidationHook() entgo.Hook {
	return func(next entgo.Mutator) entgo.Mutator {
		return entgo.MutateFunc(func(ctx context.Context, m entgo.Mutation) (entgo.Value, error) {
			if runtimeTypes[m.Type()] {
				return next.Mutate(ctx, m)
			}
			var ch docChange
			// A new organisation changes no document there is.
			if docAffecting[m.Type()] && !(m.Type() == ent.TypeOrganisation && m.Op().Is(entgo.OpCreate)) {
				if v := viewer.FromContext(ctx); v != nil && v.OrgID != 0 {
					ch.org = c.orgDocs(v.OrgID)
				} else {
					ch.epoch = true
				}
			}
			v, err := next.Mutate(ctx, m)
			if ch.org != nil {
				ch.ids, ch.full = changedScopes(m, err)
			}
			c.apply(ch)
			if txm, ok := m.(interface{ Tx() (*ent.Tx, error) }); ok {
				if tx, terr := txm.Tx(); terr == nil {
					c.txs.Of(tx, newTxDocs, c.applyAtCommit).add(ch)
				}
			}
			return v, err
		})
	}
}

// changedScopes pins a change to the scopes it may have changed: the one scope created, updated
// or deleted. Anything else may change any of them: bulk changes, an API (deleting one deletes its
// scopes), the organisation.
func changedScopes(m entgo.Mutation, err error) (ids []int, full bool) {
	sm, ok := m.(*ent.ScopeMutation)
	if !ok || !m.Op().Is(entgo.OpCreate|entgo.OpUpdateOne|entgo.OpDeleteOne) {
		return nil, true
	}
	if id, ok := sm.ID(); ok {
		return []int{id}, false
	}
	// A create that failed has no ID and created nothing.
	return nil, err == nil || !m.Op().Is(entgo.OpCreate)
}

// docChange is what a change means for discovery documents: org's (nil: none) or, with epoch,
// every organisation's.
type docChange struct {
	org   *orgDocs
	ids   []int
	full  bool
	epoch bool
}

// apply bumps the generation, and notes and bumps the documents ch affects.
func (c *cache) apply(ch docChange) {
	c.bump()
	if ch.org != nil {
		ch.org.note(ch.ids, ch.full)
		ch.org.rev.Add(1)
	}
	if ch.epoch {
		c.docEpoch.Add(1)
	}
}

// txDocs is what a transaction's changes mean for discovery documents, applied again at commit.
type txDocs struct {
	mu    sync.Mutex
	orgs  map[*orgDocs]*scopeChanges
	epoch bool
}

type scopeChanges struct {
	ids  []int
	full bool
}

func newTxDocs() *txDocs { return &txDocs{orgs: map[*orgDocs]*scopeChanges{}} }

func (t *txDocs) add(ch docChange) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.epoch = t.epoch || ch.epoch
	if ch.org == nil {
		return
	}
	sc := t.orgs[ch.org]
	if sc == nil {
		sc = &scopeChanges{}
		t.orgs[ch.org] = sc
	}
	if sc.full = sc.full || ch.full || len(sc.ids)+len(ch.ids) > maxDirty; sc.full {
		sc.ids = nil // an import of many scopes is read whole
	} else {
		sc.ids = append(sc.ids, ch.ids...)
	}
}

func (c *cache) applyAtCommit(t *txDocs) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c.apply(docChange{epoch: t.epoch})
	for org, sc := range t.orgs {
		c.apply(docChange{org: org, ids: sc.ids, full: sc.full})
	}
}

// ForgetCached drops what is cached: another server process changed the configuration of the
// organisations orgIDs (0: outside any organisation, which may affect them all). Discovery
// documents of other organisations are kept.
func (p *Provider) ForgetCached(orgIDs []int) {
	p.cache.bump()
	for _, id := range orgIDs {
		if id == 0 {
			p.cache.docEpoch.Add(1)
			continue
		}
		p.cache.apply(docChange{org: p.cache.orgDocs(id), full: true})
	}
}
