package access

import (
	"context"
	"sync"
	"sync/atomic"

	"entgo.io/ent"

	gen "scopekeeper/ent"
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
)

func affected(m ent.Mutation) int {
	switch m.Type() {
	case gen.TypeAPI, gen.TypeEndpoint:
		return affectsConfig
	case gen.TypeScope:
		return affectsConfig | affectsGrants
	case gen.TypeOAuthClient, gen.TypeOrganisation, gen.TypeUser:
		return affectsGrants
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
// A mutation inside a transaction bumps when the transaction commits (tx.OnCommit); one outside
// bumps once it has been applied.
func (e *Engine) Hook() ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			what := affected(m)
			if what == 0 {
				return next.Mutate(ctx, m)
			}
			orgID, known := 0, false
			if c := viewer.FromContext(ctx); c != nil && !(m.Type() == gen.TypeOrganisation && m.Op().Is(ent.OpCreate)) {
				orgID, known = c.OrgID, true
			}
			bump := func() { e.bump(orgID, known, what) }
			if tx, err := m.(interface{ Tx() (*gen.Tx, error) }).Tx(); err == nil {
				tx.OnCommit(func(next gen.Committer) gen.Committer {
					return gen.CommitFunc(func(ctx context.Context, tx *gen.Tx) error {
						err := next.Commit(ctx, tx)
						bump() // also after a failed commit: its outcome is unknown
						return err
					})
				})
				return next.Mutate(ctx, m)
			}
			v, err := next.Mutate(ctx, m)
			bump()
			return v, err
		})
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
