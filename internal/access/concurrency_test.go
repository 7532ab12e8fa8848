package access

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestNoStaleDecisionAfterAcknowledgement toggles an endpoint's scope while other goroutines
// decide continuously (and so keep recompiling and caching); every decision made after a change
// returned must reflect it.
func TestNoStaleDecisionAfterAcknowledgement(t *testing.T) {
	eachBackend(t, testNoStaleDecisionAfterAcknowledgement)
}

func testNoStaleDecisionAfterAcknowledgement(t *testing.T, newWorld func(*testing.T) *world) {
	w := newWorld(t)
	forums := w.api("forums", "/forums")
	read := w.scope(forums, "forums.threads.readonly")
	other := w.scope(forums, "forums.other.readonly")
	ep := w.endpoint(forums, "GET", "/forums/threads", read)
	client, _ := w.client(read, other)
	tok := w.token(client, time.Hour, read, other)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var decisions atomic.Int64
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, err := w.engine.Decide(ctx, w.orgID, tok, "GET", "/forums/threads"); err != nil && ctx.Err() == nil {
					t.Error(err)
					return
				}
				decisions.Add(1)
			}
		}()
	}
	for i := 0; i < 40; i++ {
		linked, want := other, "forums.other.readonly"
		if i%2 == 1 {
			linked, want = read, "forums.threads.readonly"
		}
		// Half the changes go through a transaction, half not.
		if i%4 < 2 {
			must(w.db.Endpoint.UpdateOne(ep).ClearScopes().AddScopes(linked).Save(w.sys))
		} else {
			tx := must(w.db.Tx(context.Background()))
			must(tx.Endpoint.UpdateOne(ep).ClearScopes().AddScopes(linked).Save(w.sys))
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		if d := w.decide(tok, "GET", "/forums/threads"); d.Scope != want {
			t.Fatalf("change %d: decided with %q, want %q", i, d.Scope, want)
		}
		// The client loses and regains a scope: rule 8 on the next decision.
		must(w.db.OAuthClient.UpdateOne(client).RemoveScopes(linked).Save(w.sys))
		if d := w.decide(tok, "GET", "/forums/threads"); d.Allowed {
			t.Fatalf("change %d: still allowed after the client lost %s", i, want)
		}
		must(w.db.OAuthClient.UpdateOne(client).AddScopes(linked).Save(w.sys))
	}
	cancel()
	wg.Wait()
	t.Logf("%d concurrent decisions", decisions.Load())
}
