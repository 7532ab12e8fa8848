package main

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"scopekeeper/ent/oauthclient"
	"scopekeeper/ent/scopeusage"
	"scopekeeper/internal/rule"
	"scopekeeper/internal/store"
	"scopekeeper/internal/usage"
)

const reviewQuery = `query($days: Int!) { accessReview(days: $days) { days since
  clients { client { id name } scopes { scope { id name lastUsedAt } lastGrantedAt lastUsedAt unused } }
  apiKeys { apiKey { id name } scopes { scope { id name } lastGrantedAt lastUsedAt unused } } } }`

// reviewed finds the review of one client's or key's scope by names.
func reviewed(t *testing.T, d map[string]any, list, holder, scope string) map[string]any {
	t.Helper()
	field := "client"
	if list == "apiKeys" {
		field = "apiKey"
	}
	for _, h := range get(d, "accessReview."+list).([]any) {
		if str(h, field+".name") != holder {
			continue
		}
		for _, s := range get(h, "scopes").([]any) {
			if str(s, "scope.name") == scope {
				return s.(map[string]any)
			}
		}
	}
	t.Fatalf("no %s %q with scope %q in %v", field, holder, scope, d)
	return nil
}

// TestAccessReview: real tokens from the token endpoint and real checks (POST /v1/check and forward
// auth) are noted in memory, written only by the flush, and shown per client and key.
func TestAccessReview(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(*testing.T) string) {
		e := startServer(t, dsn(t))
		f := newAccessFixture(t, e, "acme")
		owner := f.owner
		keyID, key := f.key(t, f.read)

		var tok string
		stmts := e.capture(func() {
			tok = f.token(t, "acme", "forums.threads.readonly")
			expectDecision(t, f.decide(t, tok, "GET", "/forums/threads"), true, "granted", "forums.threads.readonly")
			expectDecision(t, f.decide(t, tok, "POST", "/forums/threads"), false, "missing_scope", "")
			expectDecision(t, f.decide(t, key, "GET", "/forums/threads/7"), true, "granted", "forums.threads.readonly")
		})
		for _, s := range stmts {
			if strings.Contains(s.query, scopeusage.Table) {
				t.Fatalf("a request wrote the access review: %s", s.query)
			}
		}
		// Nothing is written before the flush.
		d := owner.must(reviewQuery, map[string]any{"days": 30})
		if r := reviewed(t, d, "clients", "worker", "forums.threads.readonly"); r["lastUsedAt"] != nil || r["lastGrantedAt"] != nil || r["unused"] != true {
			t.Fatalf("before the flush: %v", r)
		}

		e.app.flushUsage(context.Background())
		d = owner.must(reviewQuery, map[string]any{"days": 30})
		if get(d, "accessReview.days") != float64(30) {
			t.Fatalf("days: %v", get(d, "accessReview.days"))
		}
		read := reviewed(t, d, "clients", "worker", "forums.threads.readonly")
		if read["lastGrantedAt"] == nil || read["lastUsedAt"] == nil || read["unused"] != false {
			t.Fatalf("worker's read scope after a token and an allowed check: %v", read)
		}
		if get(read, "scope.lastUsedAt") == nil {
			t.Fatalf("Scope.lastUsedAt of a used scope: %v", read)
		}
		// Not requested in the token, not used: unused, never recorded.
		modify := reviewed(t, d, "clients", "worker", "forums.threads.modify")
		if modify["lastGrantedAt"] != nil || modify["lastUsedAt"] != nil || modify["unused"] != true || get(modify, "scope.lastUsedAt") != nil {
			t.Fatalf("worker's modify scope: %v", modify)
		}
		if k := reviewed(t, d, "apiKeys", "gateway test", "forums.threads.readonly"); k["lastUsedAt"] == nil || k["lastGrantedAt"] != nil || k["unused"] != false {
			t.Fatalf("the key's read scope: %v", k)
		}
		used, err := time.Parse(time.RFC3339, read["lastUsedAt"].(string))
		if err != nil || time.Since(used) > time.Hour || time.Since(used) < -time.Minute {
			t.Fatalf("lastUsedAt %v (%v)", read["lastUsedAt"], err)
		}

		// Forward auth counts as use too (the modify scope, by a token that holds it).
		tok2 := f.token(t, "acme", "forums.threads.modify")
		req, _ := http.NewRequest(http.MethodPost, e.URL+"/o/acme/v1/forward-auth/forums/threads", nil)
		req.Header.Set("Authorization", "Bearer "+tok2)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("forward auth: %d", resp.StatusCode)
		}
		e.app.flushUsage(context.Background())
		d = owner.must(reviewQuery, map[string]any{"days": 30})
		if m := reviewed(t, d, "clients", "worker", "forums.threads.modify"); m["lastUsedAt"] == nil || m["lastGrantedAt"] == nil || m["unused"] != false {
			t.Fatalf("modify after forward auth: %v", m)
		}

		// Another process's older times never move a stored time backwards; later ones move it on.
		ctx := context.Background()
		ids := e.reviewIDs(t, "worker", f.read)
		older := usage.Record{Key: usage.Key{Org: ids.org, Kind: usage.Client, Cred: ids.client, Scope: ids.scope},
			Granted: used.Add(-48 * time.Hour), Used: used.Add(-48 * time.Hour)}
		if _, err := usage.Write(ctx, e.DB.Client, []usage.Record{older}); err != nil {
			t.Fatal(err)
		}
		d = owner.must(reviewQuery, map[string]any{"days": 30})
		if got := reviewed(t, d, "clients", "worker", "forums.threads.readonly"); got["lastUsedAt"] != read["lastUsedAt"] || got["lastGrantedAt"] != read["lastGrantedAt"] {
			t.Fatalf("an older write moved the times: %v, was %v", got, read)
		}
		later := older
		later.Used, later.Granted = used.Add(time.Hour), time.Time{}
		if _, err := usage.Write(ctx, e.DB.Client, []usage.Record{later}); err != nil {
			t.Fatal(err)
		}
		d = owner.must(reviewQuery, map[string]any{"days": 30})
		got := reviewed(t, d, "clients", "worker", "forums.threads.readonly")
		if got["lastUsedAt"] != used.Add(time.Hour).UTC().Format(time.RFC3339) || got["lastGrantedAt"] != read["lastGrantedAt"] {
			t.Fatalf("a later use: %v", got)
		}

		// A use older than the window is unused in it.
		stale := usage.Record{Key: usage.Key{Org: ids.org, Kind: usage.APIKey, Cred: atoi(t, keyID), Scope: atoi(t, f.modify)},
			Used: time.Now().Add(-3 * 24 * time.Hour)}
		owner.must(`mutation($id: ID!, $s: [ID!]) { updateAPIKey(id: $id, input: {addScopeIDs: $s}) { id } }`,
			map[string]any{"id": keyID, "s": []string{f.modify}})
		if _, err := usage.Write(ctx, e.DB.Client, []usage.Record{stale}); err != nil {
			t.Fatal(err)
		}
		for days, unused := range map[int]bool{2: true, 4: false} {
			d = owner.must(reviewQuery, map[string]any{"days": days})
			if k := reviewed(t, d, "apiKeys", "gateway test", "forums.threads.modify"); k["unused"] != unused || k["lastUsedAt"] == nil {
				t.Fatalf("a key's scope used 3 days ago, %d-day window: %v", days, k)
			}
		}

		// A deleted client's records go with it; records of what no longer exists are not written.
		worker := f.worker
		owner.must(`mutation($id: ID!) { deleteClient(id: $id) }`, map[string]any{"id": worker})
		if n := e.usageRows(t, ids.org); n != 2 { // the key's
			t.Fatalf("%d usage rows after deleting the client, want 2", n)
		}
		gone, err := usage.Write(ctx, e.DB.Client, []usage.Record{older})
		if err != nil || len(gone) != 1 {
			t.Fatalf("writing for a deleted client: gone %v, %v", gone, err)
		}
		if n := e.usageRows(t, ids.org); n != 2 {
			t.Fatalf("%d usage rows after writing for a deleted client, want 2", n)
		}

		owner.fails("VALIDATION_FAILED", reviewQuery, map[string]any{"days": 0})
		if r := owner.raw(reviewQuery, map[string]any{"days": 3651}); r.Field() != "days" {
			t.Fatalf("days 3651: %+v", r)
		}
	})
}

// TestAccessReviewRoles: VIEWER reads the review, MEMBER does not, and another organisation sees
// nothing of it.
func TestAccessReviewRoles(t *testing.T) {
	e := newEnv(t)
	f := newAccessFixture(t, e, "acme")
	tok := f.token(t, "acme", "forums.threads.readonly")
	expectDecision(t, f.decide(t, tok, "GET", "/forums/threads"), true, "granted", "forums.threads.readonly")
	e.app.flushUsage(context.Background())
	for _, role := range []string{"VIEWER", "MEMBER"} {
		f.owner.must(`mutation($e: String!, $r: Role!) { createUser(input: {email: $e, password: "review password 42", role: $r}) { id } }`,
			map[string]any{"e": strings.ToLower(role) + "@acme.test", "r": role})
	}
	viewerClient := e.login("viewer@acme.test", "review password 42")
	d := viewerClient.must(reviewQuery, map[string]any{"days": 30})
	if r := reviewed(t, d, "clients", "worker", "forums.threads.readonly"); r["lastUsedAt"] == nil {
		t.Fatalf("VIEWER's review: %v", r)
	}
	member := e.login("member@acme.test", "review password 42")
	member.fails("FORBIDDEN", reviewQuery, map[string]any{"days": 30})

	other := e.org("other")
	d = other.must(reviewQuery, map[string]any{"days": 30})
	for _, c := range get(d, "accessReview.clients").([]any) {
		if str(c, "client.name") == "worker" {
			t.Fatalf("another organisation sees acme's client: %v", d)
		}
	}
	if n := len(get(d, "accessReview.apiKeys").([]any)); n != 0 {
		t.Fatalf("another organisation sees %d keys", n)
	}
}

type reviewIDs struct{ org, client, scope int }

// reviewIDs reads the database IDs behind a client's name and a scope's node ID.
func (e *testEnv) reviewIDs(t *testing.T, clientName, scopeNodeID string) reviewIDs {
	t.Helper()
	c, err := e.DB.Client.OAuthClient.Query().Where(oauthclient.Name(clientName)).Only(rule.Bypass(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	return reviewIDs{org: c.OrganisationID, client: c.ID, scope: atoi(t, scopeNodeID)}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// usageRows counts the organisation's access-review rows.
func (e *testEnv) usageRows(t *testing.T, org int) int {
	t.Helper()
	n, err := e.DB.Client.ScopeUsage.Query().Where(scopeusage.OrganisationID(org)).Count(rule.Bypass(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestUsageWrittenAtShutdown: what the server recorded since its last write is written when serve
// stops gracefully (the interval is an hour, so only the shutdown writes it).
func TestUsageWrittenAtShutdown(t *testing.T) {
	dbPath, addr := t.TempDir()+"/sk.db", freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"serve", "--addr", addr, "--db", dbPath, "--usage-interval", "1h"}, io.Discard)
	}()
	waitHealthy(t, "http://"+addr)
	db, err := store.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := &testEnv{t: t, URL: "http://" + addr, DB: db}
	f := newAccessFixture(t, e, "acme")
	tok := f.token(t, "acme", "forums.threads.readonly")
	expectDecision(t, f.decide(t, tok, "GET", "/forums/threads"), true, "granted", "forums.threads.readonly")
	ids := e.reviewIDs(t, "worker", f.read)
	if n := e.usageRows(t, ids.org); n != 0 {
		t.Fatalf("%d usage rows before shutdown, want 0", n)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	r, err := db.Client.ScopeUsage.Query().Where(scopeusage.ClientID(ids.client), scopeusage.ScopeID(ids.scope)).
		Only(rule.Bypass(context.Background()))
	if err != nil || r.LastGrantedAt == nil || r.LastUsedAt == nil {
		t.Fatalf("after shutdown: %+v, %v", r, err)
	}
}
