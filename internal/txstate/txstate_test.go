package txstate

import (
	"context"
	"testing"

	gen "scopekeeper/ent"
	"scopekeeper/internal/store"
)

// Every Tx value of one transaction shares one state, commit runs once after the commit, and a
// rolled-back transaction's state is dropped without running it.
func TestOncePerTransaction(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir()+"/tx.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var m Map[*int]
	commits := 0
	commit := func(n *int) { commits += *n }
	for _, end := range []string{"commit", "rollback"} {
		tx, err := db.Client.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Mutations see the transaction through Tx values of their own, as ent makes them.
		view, err := tx.Client().Organisation.Create().Mutation().Tx()
		if err != nil {
			t.Fatal(err)
		}
		for _, view := range []*gen.Tx{tx, view} {
			*m.Of(view, func() *int { return new(int) }, commit)++
		}
		if end == "commit" {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if commits != 2 {
		t.Fatalf("commit ran with %d noted changes, want the committed transaction's 2", commits)
	}
	n := 0
	m.m.Range(func(any, any) bool { n++; return true })
	if n != 0 {
		t.Fatalf("%d transactions' states kept after they ended", n)
	}
}
