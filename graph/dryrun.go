package graph

import (
	"context"

	"scopekeeper/ent"
)

// inOwnTx runs change in a transaction of its own (the Transactioner skips the fields that call
// it) and commits it unless dryRun: a dry run makes every change, so that every rule is checked,
// and rolls them back. Either way nothing is kept when change fails.
func inOwnTx[T any](ctx context.Context, dryRun bool, change func(ctx context.Context, tx *ent.Client) (T, error)) (T, error) {
	var zero T
	tx, err := ent.FromContext(ctx).Tx(ctx)
	if err != nil {
		return zero, err
	}
	out, err := change(ent.NewContext(ctx, tx.Client()), tx.Client())
	if err == nil && !dryRun {
		err = tx.Commit()
	} else {
		_ = tx.Rollback()
	}
	if err != nil {
		return zero, err
	}
	return out, nil
}
