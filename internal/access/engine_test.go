package access

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"scopekeeper/ent"
	"scopekeeper/ent/endpoint"
	"scopekeeper/ent/oauthclient"
	"scopekeeper/ent/token"
	"scopekeeper/internal/orgs"
	"scopekeeper/internal/rule"
	"scopekeeper/internal/secret"
	"scopekeeper/internal/store"
	"scopekeeper/internal/testdb"
	"scopekeeper/internal/usage"
	"scopekeeper/internal/viewer"
)

// world is one organisation on a fresh SQLite database with the engine's hook installed.
type world struct {
	t      testing.TB
	db     *store.DB
	engine *Engine
	orgID  int
	userID int
	sys    context.Context

	mu      sync.Mutex
	touched []int
}

func newWorld(t *testing.T) *world { return openWorld(t, t.TempDir()+"/access.db", true) }

// eachBackend runs f on SQLite, and on PostgreSQL when SCOPEKEEPER_TEST_POSTGRES holds an admin
// connection URL (each run gets a fresh database).
func eachBackend(t *testing.T, f func(t *testing.T, newWorld func(t *testing.T) *world)) {
	t.Run("sqlite", func(t *testing.T) { f(t, newWorld) })
	t.Run("postgres", func(t *testing.T) {
		if !testdb.HasPostgres() {
			t.Skip(testdb.EnvPostgres + " is unset: PostgreSQL skipped")
		}
		f(t, func(t *testing.T) *world { return openWorld(t, testdb.Postgres(t), true) })
	})
}

// newBenchWorld is a world shared by the benchmarks of one run: it outlives the benchmark that
// creates it, and its temporary directory is removed by TestMain.
func newBenchWorld(b *testing.B) *world {
	dir, err := os.MkdirTemp("", "scopekeeper-access-bench-")
	if err != nil {
		b.Fatal(err)
	}
	benchDirs = append(benchDirs, dir)
	return openWorld(b, dir+"/bench.db", false)
}

var benchDirs []string

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range benchDirs {
		_ = os.RemoveAll(d)
	}
	os.Exit(code)
}

func openWorld(t testing.TB, path string, closeAfter bool) *world {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if closeAfter {
		t.Cleanup(func() { db.Close() })
	}
	w := &world{t: t, db: db}
	// Uses are recorded as the server does (its cost is in the benchmarks).
	w.engine = New(db.Client, Options{Usage: usage.New(10_000), Touch: func(id int) { w.mu.Lock(); w.touched = append(w.touched, id); w.mu.Unlock() }})
	db.Client.Use(w.engine.Hook())
	w.orgID, w.userID, err = orgs.Bootstrap(ctx, db.Client, orgs.Owner{OrgName: "Acme", OrgSlug: "acme", Email: "o@acme.test", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	w.sys = viewer.SystemContext(ctx, w.orgID)
	return w
}

// must returns v, or panics on err (which fails the test with a stack).
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func (w *world) api(name, base string) *ent.API {
	return must(w.db.API.Create().SetName(name).SetBasePath(base).Save(w.sys))
}

func (w *world) endpoint(api *ent.API, method, path string, scopes ...*ent.Scope) *ent.Endpoint {
	c := w.db.Endpoint.Create().SetAPI(api).SetMethod(endpointMethod(method)).SetPath(path)
	for _, s := range scopes {
		c.AddScopeIDs(s.ID)
	}
	return must(c.Save(w.sys))
}

func (w *world) scope(api *ent.API, name string) *ent.Scope {
	return must(w.db.Scope.Create().SetAPI(api).SetName(name).Save(w.sys))
}

func (w *world) key(scopes ...*ent.Scope) (string, *ent.APIKey) {
	value, digest := secret.New(secret.APIKeyPrefix)
	c := w.db.APIKey.Create().SetName("ci").SetPrefix(value[:12]).SetKeyHash(digest).SetOwnerID(w.userID)
	for _, s := range scopes {
		c.AddScopeIDs(s.ID)
	}
	return value, must(c.Save(w.sys))
}

func (w *world) client(scopes ...*ent.Scope) (*ent.OAuthClient, string) {
	value, digest := secret.New(secret.ClientSecretPrefix)
	c := w.db.OAuthClient.Create().SetName("worker").SetKind(oauthclient.KindSERVICE).
		SetClientID(secret.RandomID(16)).SetSecretHash(digest)
	for _, s := range scopes {
		c.AddScopeIDs(s.ID)
	}
	return must(c.Save(w.sys)), value
}

// token stores an access token the way the token endpoint does.
func (w *world) token(c *ent.OAuthClient, ttl time.Duration, scopes ...*ent.Scope) string {
	value, key, digest := secret.NewSplit(secret.AccessTokenPrefix, time.Now())
	ids := []int{}
	for _, s := range scopes {
		ids = append(ids, s.ID)
	}
	must(w.db.Token.Create().SetLookupKey(key).SetTokenHash(digest).SetClientID(c.ID).SetScopeIds(ids).
		SetExpiresAt(time.Now().Add(ttl)).Save(w.sys))
	return value
}

func (w *world) decide(cred, method, path string) Decision {
	w.t.Helper()
	return must(w.engine.Decide(context.Background(), w.orgID, cred, method, path))
}

func endpointMethod(m string) endpoint.Method { return endpoint.Method(m) }

func TestEngineSeesEveryCommittedChange(t *testing.T) {
	eachBackend(t, testEngineSeesEveryCommittedChange)
}

func testEngineSeesEveryCommittedChange(t *testing.T, newWorld func(*testing.T) *world) {
	w := newWorld(t)
	forums := w.api("forums", "/forums")
	read := w.scope(forums, "forums.threads.readonly")
	modify := w.scope(forums, "forums.threads.modify")
	w.endpoint(forums, "GET", "/forums/threads", read)
	key, k := w.key()
	client, _ := w.client(read)
	tok := w.token(client, time.Hour, read)

	expect := func(cred, method, path, reason string) {
		t.Helper()
		if d := w.decide(cred, method, path); d.Reason != reason {
			t.Fatalf("%s %s: reason %s, want %s", method, path, d.Reason, reason)
		}
	}
	expect(tok, "GET", "/forums/threads", ReasonGranted)
	expect(key, "GET", "/forums/threads", ReasonMissingScope)
	expect(tok, "POST", "/forums/threads", ReasonUnknownPath)

	// A new endpoint is matched at once.
	post := w.endpoint(forums, "POST", "/forums/threads", modify)
	expect(tok, "POST", "/forums/threads", ReasonMissingScope)
	// Rule 8: the client gains and loses a scope.
	must(w.db.OAuthClient.UpdateOne(client).AddScopes(modify).Save(w.sys))
	expect(tok, "POST", "/forums/threads", ReasonMissingScope) // the token was not issued it
	must(w.db.OAuthClient.UpdateOne(client).RemoveScopes(read).Save(w.sys))
	expect(tok, "GET", "/forums/threads", ReasonMissingScope)
	// A key gains a scope; the organisation narrows its set (rule 10), then widens it again.
	must(w.db.Organisation.UpdateOneID(w.orgID).AddAPIKeyAllowedScopes(read, modify).Save(w.sys))
	must(w.db.APIKey.UpdateOne(k).AddScopes(read, modify).Save(w.sys))
	expect(key, "POST", "/forums/threads", ReasonGranted)
	must(w.db.Organisation.UpdateOneID(w.orgID).RemoveAPIKeyAllowedScopes(modify).Save(w.sys))
	expect(key, "POST", "/forums/threads", ReasonNarrowedByOrganisation)
	expect(key, "GET", "/forums/threads", ReasonGranted)
	// The endpoint loses its scope: uncategorized.
	must(w.db.Endpoint.UpdateOne(post).ClearScopes().Save(w.sys))
	expect(key, "POST", "/forums/threads", ReasonUncategorizedNotAllowed)
	must(w.db.APIKey.UpdateOne(k).SetAllowUncategorizedModify(true).Save(w.sys))
	expect(key, "POST", "/forums/threads", ReasonGrantedUncategorized)
	// Deleting the endpoint makes the path unknown.
	if err := w.db.Endpoint.DeleteOne(post).Exec(w.sys); err != nil {
		t.Fatal(err)
	}
	expect(key, "POST", "/forums/threads", ReasonUnknownPath)
	// Revocation of a key and a token, and a disabled client.
	tok2 := w.token(client, time.Hour, modify)
	must(w.db.OAuthClient.UpdateOne(client).SetEnabled(false).Save(w.sys))
	expect(tok2, "GET", "/forums/threads", ReasonClientDisabled)
	must(w.db.OAuthClient.UpdateOne(client).SetEnabled(true).Save(w.sys))
	expect(tok2, "GET", "/forums/threads", ReasonGranted)
	must(w.db.Token.Update().SetRevokedAt(time.Now()).Save(w.sys))
	expect(tok2, "GET", "/forums/threads", ReasonRevoked)
	must(w.db.APIKey.UpdateOne(k).SetRevokedAt(time.Now()).Save(w.sys))
	expect(key, "GET", "/forums/threads", ReasonRevoked)
	expect("skk_nope", "GET", "/forums/threads", ReasonUnknownCredential)
	expect("nothing", "GET", "/forums/threads", ReasonUnknownCredential)
}

// TestChangeInTransactionCountsOnceCommitted: a decision made while a transaction is open uses
// the committed state, and the first decision after the commit returns uses the new one.
func TestChangeInTransactionCountsOnceCommitted(t *testing.T) {
	eachBackend(t, testChangeInTransactionCountsOnceCommitted)
}

func testChangeInTransactionCountsOnceCommitted(t *testing.T, newWorld func(*testing.T) *world) {
	w := newWorld(t)
	forums := w.api("forums", "/forums")
	read := w.scope(forums, "forums.threads.readonly")
	ep := w.endpoint(forums, "GET", "/forums/threads")
	client, _ := w.client(read)
	tok := w.token(client, time.Hour, read)
	if d := w.decide(tok, "GET", "/forums/threads"); d.Reason != ReasonUncategorizedNotAllowed {
		t.Fatalf("before: %s", d.Reason)
	}
	s := w.engine.org(w.orgID)
	for _, commit := range []bool{false, true} {
		before := w.engine.configStamp(s)
		tx := must(w.db.Tx(context.Background()))
		must(tx.Endpoint.UpdateOne(ep).AddScopes(read).Save(w.sys))
		if got := w.engine.configStamp(s); got != before {
			t.Fatalf("the version moved before the commit: %d → %d", before, got)
		}
		// Another connection reads the committed state.
		if d := w.decide(tok, "GET", "/forums/threads"); d.Reason != ReasonUncategorizedNotAllowed {
			t.Fatalf("during the transaction: %s", d.Reason)
		}
		if !commit {
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			if d := w.decide(tok, "GET", "/forums/threads"); d.Reason != ReasonUncategorizedNotAllowed {
				t.Fatalf("after rollback: %s", d.Reason)
			}
			continue
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if got := w.engine.configStamp(s); got == before {
			t.Fatal("the version did not move on commit")
		}
		if d := w.decide(tok, "GET", "/forums/threads"); d.Reason != ReasonGranted {
			t.Fatalf("after commit: %s", d.Reason)
		}
	}
}

func TestTokenPurgeKeepsTheMatcher(t *testing.T) {
	w := newWorld(t)
	forums := w.api("forums", "/forums")
	read := w.scope(forums, "forums.threads.readonly")
	w.endpoint(forums, "GET", "/forums/threads", read)
	client, _ := w.client(read)
	tok := w.token(client, time.Hour, read)
	w.decide(tok, "GET", "/forums/threads")
	s := w.engine.org(w.orgID)
	view, grants := w.engine.configStamp(s), w.engine.grantStamp(s)
	// The purge deletes expired tokens of every organisation, without a caller.
	if _, err := w.db.Token.Delete().Where(token.ExpiresAtLT(time.Now().Add(-time.Hour))).Exec(rule.Bypass(context.Background())); err != nil {
		t.Fatal(err)
	}
	if w.engine.configStamp(s) != view {
		t.Fatal("deleting tokens made the matcher recompile")
	}
	if w.engine.grantStamp(s) == grants {
		t.Fatal("deleting tokens left cached credentials valid")
	}
	// A new token changes nothing cached.
	grants = w.engine.grantStamp(s)
	w.token(client, time.Hour, read)
	if w.engine.grantStamp(s) != grants {
		t.Fatal("issuing a token invalidated the caches")
	}
}

func TestKeyLastUsedIsNotAWrite(t *testing.T) {
	w := newWorld(t)
	_, k := w.key()
	s := w.engine.org(w.orgID)
	before := w.engine.grantStamp(s)
	must(w.db.APIKey.UpdateOne(k).SetLastUsedAt(time.Now()).Save(w.sys))
	if w.engine.grantStamp(s) != before {
		t.Fatal("recording a key's last use invalidated the caches")
	}
	must(w.db.APIKey.UpdateOne(k).SetName("renamed").Save(w.sys))
	if w.engine.grantStamp(s) == before {
		t.Fatal("a change to a key did not invalidate the caches")
	}
}

func TestTenantsDoNotSeeEachOther(t *testing.T) {
	w := newWorld(t)
	forums := w.api("forums", "/forums")
	read := w.scope(forums, "forums.threads.readonly")
	w.endpoint(forums, "GET", "/forums/threads", read)
	client, _ := w.client(read)
	tok := w.token(client, time.Hour, read)
	otherID, _, err := orgs.Bootstrap(context.Background(), w.db.Client, orgs.Owner{OrgName: "Other", OrgSlug: "other", Email: "o@other.test", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	d := must(w.engine.Decide(context.Background(), otherID, tok, "GET", "/forums/threads"))
	if d.Reason != ReasonUnknownCredential {
		t.Fatalf("another organisation's token: %s", d.Reason)
	}
}

func postCheck(t *testing.T, url, user, pass, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return resp.StatusCode, out
}

func TestCheckHandler(t *testing.T) {
	w := newWorld(t)
	forums := w.api("forums", "/forums")
	read := w.scope(forums, "forums.threads.readonly")
	w.endpoint(forums, "GET", "/forums/threads", read)
	w.endpoint(forums, "POST", "/forums/threads")
	must(w.db.Organisation.UpdateOneID(w.orgID).AddAPIKeyAllowedScopes(read).Save(w.sys))
	key, k := w.key(read)
	client, sec := w.client(read)
	mux := http.NewServeMux()
	w.engine.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	url := srv.URL + "/o/acme/v1/check"

	t.Run("single", func(t *testing.T) {
		status, out := postCheck(t, url, client.ClientID, sec, `{"credential":"`+key+`","method":"GET","path":"/forums/threads"}`)
		if status != 200 || out["allowed"] != true || out["scope"] != "forums.threads.readonly" || out["reason"] != "granted" {
			t.Fatalf("%d %v", status, out)
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if len(w.touched) == 0 || w.touched[len(w.touched)-1] != k.ID {
			t.Fatalf("the key's use was not recorded: %v", w.touched)
		}
	})
	t.Run("batch", func(t *testing.T) {
		status, out := postCheck(t, url, client.ClientID, sec, `{"credential":"`+key+`","requests":[{"method":"GET","path":"/forums/threads"},{"method":"POST","path":"/forums/threads"}]}`)
		results, _ := out["results"].([]any)
		if status != 200 || out["allowed"] != false || len(results) != 2 ||
			results[0].(map[string]any)["allowed"] != true || results[1].(map[string]any)["reason"] != "uncategorized_not_allowed" {
			t.Fatalf("%d %v", status, out)
		}
	})
	t.Run("client authentication", func(t *testing.T) {
		other, _, err := orgs.Bootstrap(context.Background(), w.db.Client, orgs.Owner{OrgName: "Other", OrgSlug: "other", Email: "o@other.test", Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		_ = other
		body := `{"credential":"` + key + `","method":"GET","path":"/forums/threads"}`
		for name, c := range map[string][2]string{
			"no credentials": {"", ""}, "wrong secret": {client.ClientID, "sks_wrong"},
			"unknown client": {"nobody", sec},
		} {
			status, out := postCheck(t, url, c[0], c[1], body)
			if status != 401 || out["error"] != "invalid_client" {
				t.Errorf("%s: %d %v", name, status, out)
			}
		}
		// A client of another organisation is invalid here.
		status, out := postCheck(t, srv.URL+"/o/other/v1/check", client.ClientID, sec, body)
		if status != 401 || out["error"] != "invalid_client" {
			t.Errorf("foreign client: %d %v", status, out)
		}
		// A disabled client, seen at once.
		must(w.db.OAuthClient.UpdateOne(client).SetEnabled(false).Save(w.sys))
		if status, _ := postCheck(t, url, client.ClientID, sec, body); status != 401 {
			t.Errorf("disabled client: %d", status)
		}
		must(w.db.OAuthClient.UpdateOne(client).SetEnabled(true).Save(w.sys))
		if status, _ := postCheck(t, url, client.ClientID, sec, body); status != 200 {
			t.Errorf("re-enabled client: %d", status)
		}
		if status, out := postCheck(t, srv.URL+"/o/nope/v1/check", client.ClientID, sec, body); status != 404 {
			t.Errorf("unknown organisation: %d %v", status, out)
		}
	})
	t.Run("bad requests", func(t *testing.T) {
		for body, field := range map[string]string{
			`not json`:                                                      "JSON object",
			`{"method":"GET","path":"/x"}`:                                  `"credential"`,
			`{"credential":"x","path":"/x"}`:                                `"method"`,
			`{"credential":"x","method":"GET"}`:                             `"path"`,
			`{"credential":"x","requests":[]}`:                              `"requests"`,
			`{"credential":"x","requests":[{"method":"GET"}]}`:              `"requests[0].path"`,
			`{"credential":"x","method":"GET","path":"/x","requests":[{}]}`: `"requests"`,
			`{"credential":1,"method":"GET","path":"/x"}`:                   `"credential"`,
		} {
			status, out := postCheck(t, url, client.ClientID, sec, body)
			desc, _ := out["error_description"].(string)
			if status != 400 || out["error"] != "invalid_request" || !strings.Contains(desc, field) || !strings.Contains(desc, "e.g.") {
				t.Errorf("%s: %d %v", body, status, out)
			}
		}
	})
}

// Sync tells this process's own committed changes from another process's: only the latter make
// it report a change (and call Changed, which drops the OAuth caches, discovery documents and
// all). A step of a counter that this process committed is never taken for another's.
func TestSyncTellsOwnChangesFromOthers(t *testing.T) {
	eachBackend(t, func(t *testing.T, newWorld func(t *testing.T) *world) {
		w := newWorld(t)
		changed := 0
		w.engine.opts.Changed = func(orgIDs []int) {
			if !slices.Equal(orgIDs, []int{w.orgID}) {
				t.Errorf("Changed(%v), want the organisation changed", orgIDs)
			}
			changed++
		}
		sync := func() bool {
			t.Helper()
			moved, err := w.engine.Sync(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			return moved
		}
		sync() // what happened before: the organisation's creation
		changed = 0
		inTx := func(client *ent.Client, f func(*ent.Client)) {
			t.Helper()
			tx, err := client.Tx(w.sys)
			if err != nil {
				t.Fatal(err)
			}
			f(tx.Client())
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		api := func(c *ent.Client, name string) {
			c.API.Create().SetName(name).SetDisplayName(name).SetBasePath("/" + name).ExecX(w.sys)
		}
		for i := range 3 {
			inTx(w.db.Client, func(c *ent.Client) { api(c, fmt.Sprintf("own%d", i)) })
		}
		api(w.db.Client, "own-outside-a-transaction")
		if sync() || changed != 0 {
			t.Fatalf("after four changes of its own, Sync reports a change (Changed called %d times)", changed)
		}
		// Another process: its own client and engine on the same database.
		other := New(w.db.Client, Options{})
		otherClient := ent.NewClient(ent.Driver(entsql.OpenDB(w.db.Dialect, w.db.SQL)))
		otherClient.Use(other.Hook())
		inTx(otherClient, func(c *ent.Client) { api(c, "theirs") })
		if !sync() || changed != 1 {
			t.Fatalf("after another process's change, Sync reports none (Changed called %d times)", changed)
		}
		// Interleaved: one of ours, one of theirs, one of ours.
		inTx(w.db.Client, func(c *ent.Client) { api(c, "own3") })
		inTx(otherClient, func(c *ent.Client) { api(c, "theirs2") })
		inTx(w.db.Client, func(c *ent.Client) { api(c, "own4") })
		if !sync() || changed != 2 {
			t.Fatalf("a change of another process between two of ours went unseen (Changed called %d times)", changed)
		}
		// A transaction rolled back leaves nothing to take for its own.
		tx, err := w.db.Client.Tx(w.sys)
		if err != nil {
			t.Fatal(err)
		}
		api(tx.Client(), "rolled-back")
		_ = tx.Rollback()
		inTx(otherClient, func(c *ent.Client) { api(c, "theirs3") })
		if !sync() || changed != 3 {
			t.Fatalf("another process's change after a rollback went unseen (Changed called %d times)", changed)
		}
	})
}
