package access

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"entgo.io/ent"

	gen "scopekeeper/ent"
	"scopekeeper/ent/revision"
	"scopekeeper/internal/viewer"
)

// Versions: every organisation has two counters that only grow. config counts committed changes to
// what the endpoint matcher is compiled from (APIs, endpoints, scopes); grants counts committed
// changes to what a credential grants (clients, keys, tokens, scopes, the organisation's API-key
// set, users). A cached view or credential is stamped with the counter read BEFORE the database was
// read, and used only while the counter still has that value. Because a change bumps the counter
// after it commits and before the commit returns to its caller, a decision that starts after a
// change was acknowledged never uses what was read before it.
//
// A change outside any organisation (no caller in the context) bumps an engine-wide epoch of the
// same kind, which every stamp of that kind includes.

type orgState struct {
	config, grants atomic.Uint64

	view  atomic.Pointer[view]
	build sync.Mutex // one compilation at a time per organisation

	mu      sync.RWMutex
	creds   map[[32]byte]*grant
	clients map[string]*checkClient
}

func (e *Engine) org(orgID int) *orgState {
	e.mu.RLock()
	s := e.orgs[orgID]
	e.mu.RUnlock()
	if s != nil {
		return s
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if s = e.orgs[orgID]; s == nil {
		s = &orgState{creds: map[[32]byte]*grant{}, clients: map[string]*checkClient{}}
		e.orgs[orgID] = s
	}
	return s
}

func (e *Engine) configStamp(s *orgState) uint64 { return e.configEpoch.Load() + s.config.Load() }
func (e *Engine) grantStamp(s *orgState) uint64  { return e.grantsEpoch.Load() + s.grants.Load() }

// what a mutation of each entity type invalidates.
const (
	affectsConfig = 1 << iota
	affectsGrants
	affectsKeys // nothing the engine caches; counted so other processes drop cached signers
)

func affected(m ent.Mutation) int {
	switch m.Type() {
	case gen.TypeAPI, gen.TypeEndpoint:
		return affectsConfig
	case gen.TypeScope:
		return affectsConfig | affectsGrants
	case gen.TypeOAuthClient, gen.TypeOrganisation, gen.TypeUser:
		return affectsGrants
	case gen.TypeSigningKey:
		return affectsKeys
	case gen.TypeAPIKey:
		// The batched last-used write changes nothing a decision reads.
		if f := m.Fields(); len(f) == 1 && f[0] == "last_used_at" && len(m.AddedEdges()) == 0 &&
			len(m.RemovedEdges()) == 0 && len(m.ClearedFields()) == 0 && len(m.ClearedEdges()) == 0 {
			return 0
		}
		return affectsGrants
	case gen.TypeToken:
		// A new token is in no cache; revocation (and clean-up) must be seen.
		if m.Op().Is(ent.OpCreate) {
			return 0
		}
		return affectsGrants
	}
	return 0
}

// Hook returns the ent hook that bumps the versions; install it with client.Use(engine.Hook()).
// A transaction counts its change once, in the same transaction, and bumps when it commits
// (an import creates a hundred thousand scopes in one); a mutation outside one bumps once it has
// been applied.
func (e *Engine) Hook() ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			what := affected(m)
			if what == 0 {
				return next.Mutate(ctx, m)
			}
			org := orgRef{}
			if c := viewer.FromContext(ctx); c != nil && !(m.Type() == gen.TypeOrganisation && m.Op().Is(ent.OpCreate)) {
				org = orgRef{c.OrgID, true}
			}
			if tx, err := m.(interface{ Tx() (*gen.Tx, error) }).Tx(); err == nil {
				change := e.txs.Of(tx, newTxChange, e.bumpChange)
				change.note(org, what) // bumped at commit even if this mutation fails: harmless
				v, err := next.Mutate(ctx, m)
				if err != nil {
					return v, err
				}
				// Counted in the same transaction: other processes see the change when it commits.
				if missing := change.uncounted(org, what); missing != 0 {
					now, err := record(ctx, tx.Client(), org.id, missing)
					if err != nil {
						return v, err
					}
					if change.counted(org, ownValues(missing, now)) {
						tx.OnCommit(func(next gen.Committer) gen.Committer {
							return gen.CommitFunc(func(ctx context.Context, tx *gen.Tx) error {
								err := next.Commit(ctx, tx)
								if err == nil {
									e.committed(change)
								}
								return err
							})
						})
					}
				}
				return v, nil
			}
			v, err := next.Mutate(ctx, m)
			e.bump(org.id, org.known, what)
			if err == nil {
				err = e.recordAlone(ctx, org.id, what)
			}
			return v, err
		})
	}
}

// orgRef is the organisation a change is in; unknown for the server's own work across them.
type orgRef struct {
	id    int
	known bool
}

// txChange is what one transaction changes, by organisation: what to bump when it commits, and
// what it has counted in the database already.
type txChange struct {
	mu              sync.Mutex
	noted, recorded map[orgRef]int
	made            map[int][]ownValue // by organisation ID: the counter values its commit makes
}

// ownValue is a value a counter (affectsConfig, affectsGrants or affectsKeys) takes.
type ownValue struct {
	counter int
	value   int64
}

func newTxChange() *txChange {
	return &txChange{noted: map[orgRef]int{}, recorded: map[orgRef]int{}, made: map[int][]ownValue{}}
}

func (c *txChange) note(org orgRef, what int) {
	c.mu.Lock()
	c.noted[org] |= what
	c.mu.Unlock()
}

func (c *txChange) uncounted(org orgRef, what int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return what &^ c.recorded[org]
}

// counted notes that the counters of values were counted in the database, taking those values
// when the transaction commits; it reports whether it is the transaction's first count.
func (c *txChange) counted(org orgRef, values []ownValue) (first bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	first = len(c.recorded) == 0
	for _, v := range values {
		c.recorded[org] |= v.counter
	}
	c.made[org.id] = append(c.made[org.id], values...)
	return first
}

// ownValues is the values of the counters in what that a count left in now.
func ownValues(what int, now *gen.Revision) []ownValue {
	var out []ownValue
	for _, v := range []ownValue{{affectsConfig, now.Config}, {affectsGrants, now.Grants}, {affectsKeys, now.Keys}} {
		if what&v.counter != 0 {
			out = append(out, v)
		}
	}
	return out
}

// committed remembers the counter values c's commit made.
func (e *Engine) committed(c *txChange) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for orgID, values := range c.made {
		e.noteOwn(orgID, values)
	}
}

// noteOwn remembers counter values this process committed, so that Sync does not take them for
// another process's changes.
func (e *Engine) noteOwn(orgID int, values []ownValue) {
	e.syncMu.Lock()
	defer e.syncMu.Unlock()
	seen := e.seen[orgID]
	for _, v := range values {
		if v.value <= seen.get(v.counter) {
			continue // Sync read it before this: it took it for another process's change
		}
		if e.own[orgID] == nil {
			e.own[orgID] = map[ownValue]bool{}
		}
		e.own[orgID][v] = true
	}
}

// recordAlone counts a change made outside a transaction in a transaction of its own, and
// remembers the values it committed.
func (e *Engine) recordAlone(ctx context.Context, orgID, what int) error {
	tx, err := e.client.Tx(ctx)
	if err != nil {
		return err
	}
	now, err := record(ctx, tx.Client(), orgID, what)
	if err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	e.noteOwn(orgID, ownValues(what, now))
	return nil
}

func (e *Engine) bumpChange(c *txChange) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for org, what := range c.noted {
		e.bump(org.id, org.known, what)
	}
}

func (e *Engine) bump(orgID int, known bool, what int) {
	if !known {
		// E.g. the purge of expired tokens, across organisations: only what it affects.
		if what&affectsConfig != 0 {
			e.configEpoch.Add(1)
		}
		if what&affectsGrants != 0 {
			e.grantsEpoch.Add(1)
		}
		return
	}
	s := e.org(orgID)
	if what&affectsConfig != 0 {
		s.config.Add(1)
	}
	if what&affectsGrants != 0 {
		s.grants.Add(1)
	}
}

// record counts a change in the database (organisation 0: outside any organisation), for the
// other server processes sharing it, in client's transaction, and returns the counters as they
// are then. The row stays locked until that transaction ends: if it commits, the counters it
// counted have the returned values from the commit on.
func record(ctx context.Context, client *gen.Client, orgID, what int) (*gen.Revision, error) {
	var config, grants, keys int64
	if what&affectsConfig != 0 {
		config = 1
	}
	if what&affectsGrants != 0 {
		grants = 1
	}
	if what&affectsKeys != 0 {
		keys = 1
	}
	ctx = viewer.SystemContext(ctx, orgID)
	err := client.Revision.Create().SetOrganisationID(orgID).SetConfig(config).SetGrants(grants).SetKeys(keys).
		OnConflictColumns(revision.FieldOrganisationID).
		Update(func(u *gen.RevisionUpsert) { u.AddConfig(config).AddGrants(grants).AddKeys(keys) }).
		Exec(ctx)
	if err != nil {
		return nil, err
	}
	return client.Revision.Query().Where(revision.OrganisationID(orgID)).Only(ctx)
}

// RecordChange counts a change to all of organisation orgID's configuration and grants, for
// writers that insert rows beside the hooks (internal/scalegen), so that every server on the
// database reads the organisation again.
func RecordChange(ctx context.Context, client *gen.Client, orgID int) error {
	_, err := record(ctx, client, orgID, affectsConfig|affectsGrants)
	return err
}

// seenRevision is what Sync last read of one organisation's counters.
type seenRevision struct{ config, grants, keys int64 }

func (s seenRevision) get(counter int) int64 {
	switch counter {
	case affectsConfig:
		return s.config
	case affectsGrants:
		return s.grants
	}
	return s.keys
}

// Sync applies the changes that other server processes committed to the database since the last
// Sync (changes made through this process were applied when they committed). It reports whether
// there were any. Run it often (Watch): until it runs, this process may decide with what it read
// before another process's change.
//
// Each transaction adds at most one to each counter, so a counter's every step is one commit's:
// the steps this process made (Hook notes the values its commits left) are not another process's
// change.
func (e *Engine) Sync(ctx context.Context) (bool, error) {
	rows, err := e.client.Revision.Query().All(viewer.SystemContext(ctx, 0))
	if err != nil {
		return false, err
	}
	e.syncMu.Lock()
	defer e.syncMu.Unlock()
	var changed []int
	for _, r := range rows {
		last, now := e.seen[r.OrganisationID], seenRevision{r.Config, r.Grants, r.Keys}
		if now == last {
			continue
		}
		own := e.own[r.OrganisationID]
		what := 0
		for _, counter := range []int{affectsConfig, affectsGrants, affectsKeys} {
			for v := last.get(counter) + 1; v <= now.get(counter); v++ {
				if !own[ownValue{counter, v}] {
					what |= counter
					break
				}
			}
		}
		for v := range own {
			if v.value <= now.get(v.counter) {
				delete(own, v)
			}
		}
		e.seen[r.OrganisationID] = now
		if what != 0 {
			e.bump(r.OrganisationID, r.OrganisationID != 0, what)
			changed = append(changed, r.OrganisationID)
		}
	}
	if len(changed) > 0 && e.opts.Changed != nil {
		e.opts.Changed(changed)
	}
	return len(changed) > 0, nil
}

// Watch runs Sync every interval until ctx ends.
func (e *Engine) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := e.Sync(ctx); err != nil && ctx.Err() == nil {
				slog.WarnContext(ctx, "access: read other processes' changes", "error", err)
			}
		}
	}
}
