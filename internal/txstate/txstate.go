// Package txstate keeps what hooks note about a transaction until it ends, so that work its
// mutations share (counting the change, bumping caches at commit) is done once per transaction
// rather than once per mutation: an import creates a hundred thousand scopes in one.
package txstate

import (
	"context"
	"sync"

	gen "scopekeeper/ent"
)

// Map holds a state of type S per open transaction.
type Map[S any] struct{ m sync.Map }

// Of returns tx's state. The first call for tx makes it with newState and registers commit to run
// with it after tx commits, whatever the commit's outcome (it is unknown after a failure); the
// state is dropped when tx commits or rolls back.
func (m *Map[S]) Of(tx *gen.Tx, newState func() S, commit func(S)) S {
	key := tx.Key()
	if s, ok := m.m.Load(key); ok {
		return s.(S)
	}
	s := newState()
	if prev, loaded := m.m.LoadOrStore(key, s); loaded {
		return prev.(S)
	}
	tx.OnCommit(func(next gen.Committer) gen.Committer {
		return gen.CommitFunc(func(ctx context.Context, tx *gen.Tx) error {
			err := next.Commit(ctx, tx)
			m.m.Delete(key)
			commit(s)
			return err
		})
	})
	tx.OnRollback(func(next gen.Rollbacker) gen.Rollbacker {
		return gen.RollbackFunc(func(ctx context.Context, tx *gen.Tx) error {
			m.m.Delete(key)
			return next.Rollback(ctx, tx)
		})
	})
	return s
}
