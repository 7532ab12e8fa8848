package oauth

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"scopekeeper/ent/oauthclient"
	"scopekeeper/ent/refreshtoken"
	"scopekeeper/ent/token"
	"scopekeeper/internal/secret"
	"scopekeeper/internal/store"
	"scopekeeper/internal/testdb"
)

// statementLog records the SQL statements sent to the database while it is on.
type statementLog struct {
	on  atomic.Bool
	mu  sync.Mutex
	all []string
}

func (l *statementLog) option() store.Option {
	return store.WithDriver(func(d dialect.Driver) dialect.Driver {
		return dialect.DebugWithContext(d, func(_ context.Context, v ...any) {
			if s := fmt.Sprint(v...); l.on.Load() && (strings.Contains(s, ".Exec: query=") || strings.Contains(s, ".Query: query=") || strings.Contains(s, ".QueryContext: query=")) {
				l.mu.Lock()
				l.all = append(l.all, s[strings.Index(s, "query=")+len("query="):])
				l.mu.Unlock()
			}
		})
	})
}

// during returns the statements run while f ran.
func (l *statementLog) during(f func()) []string {
	l.mu.Lock()
	l.all = nil
	l.mu.Unlock()
	l.on.Store(true)
	f()
	l.on.Store(false)
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.all
}

// eachDatabase runs f on SQLite, and on PostgreSQL when SCOPEKEEPER_TEST_POSTGRES is set.
func eachDatabase(t *testing.T, f func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { f(t, t.TempDir()+"/oauth.db") })
	if !testdb.HasPostgres() {
		t.Log("SCOPEKEEPER_TEST_POSTGRES is unset: PostgreSQL skipped")
		return
	}
	t.Run("postgres", func(t *testing.T) { f(t, testdb.Postgres(t)) })
}

// pausedWriter is a token writer without its loop: rows queue until the test commits them.
func pausedWriter(p *Provider) *tokenWriter {
	return &tokenWriter{client: p.client, ch: make(chan *tokenRow, tokenQueue), quit: make(chan struct{}), stopped: make(chan struct{})}
}

// take waits until n rows have queued on w and returns them.
func take(t testing.TB, w *tokenWriter, n int) []*tokenRow {
	t.Helper()
	rows := make([]*tokenRow, n)
	for i := range rows {
		rows[i] = <-w.ch
	}
	return rows
}

// Refresh issuance stays on the group-committing writer, in a constant number of statements per
// batch whatever its size: 8 refresh grants committed together read their families in one SELECT,
// rotate the families' rows in place in one UPDATE and insert the new access tokens in one INSERT;
// no refresh-token row is inserted. Alone, an offline refresh grant runs those 3 statements and
// nothing else; an online one also reads its sign-in session.
func TestRefreshStatementsPerGrant(t *testing.T) { eachDatabase(t, testRefreshStatementsPerGrant) }

func testRefreshStatementsPerGrant(t *testing.T, dsn string) {
	var log statementLog
	e := newEnvDSN(t, dsn, log.option())
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	web := tn.client(t, oauthclient.KindWEB, read)
	ctx := context.Background()
	org, err := e.P.orgBySlug(ctx, tn.Slug)
	if err != nil {
		t.Fatal(err)
	}
	ci, err := e.P.oauthClient(ctx, tn.ID, web.ClientID)
	if err != nil {
		t.Fatal(err)
	}

	const n = 8
	values := mintRefresh(t, e, tn, web, []int{read.ID}, n)
	grant := func(value string) (*tokenResponse, *oidc.Error) {
		body := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {value}}.Encode()
		f, oe := parseForm("", "application/x-www-form-urlencoded", []byte(body))
		if oe != nil {
			return nil, oe
		}
		return e.P.refreshGrant(httptest.NewRequest("POST", tn.tokenURL(), nil), org, ci, f)
	}

	running := e.P.writer
	paused := pausedWriter(e.P)
	e.P.writer = paused
	results := make([]*tokenResponse, n)
	errs := make([]*oidc.Error, n)
	var wg sync.WaitGroup
	for i, v := range values {
		wg.Go(func() { results[i], errs[i] = grant(v) })
	}
	batch := take(t, paused, n)
	stmts := log.during(func() { paused.commit(batch) })
	wg.Wait()
	e.P.writer = running
	for i := range n {
		if errs[i] != nil || results[i].RefreshToken == "" {
			t.Fatalf("grant %d: %v %v", i, results[i], errs[i])
		}
	}
	if len(stmts) != 3 || strings.Count(strings.Join(stmts, "\n"), "INSERT") != 1 {
		t.Fatalf("%d refresh grants in one batch ran %d statements, want 3 (one INSERT):\n%s", n, len(stmts), strings.Join(stmts, "\n"))
	}
	rows, err := e.DB.Client.RefreshToken.Query().All(e.sys(tn.ID))
	if err != nil || len(rows) != n {
		t.Fatalf("%d refresh-token rows (%v), want %d", len(rows), err, n)
	}
	for _, rt := range rows {
		if rt.Generation != 2 || rt.UsedAt != nil {
			t.Fatalf("a family after one rotation: generation %d, used %v; want 2, nil", rt.Generation, rt.UsedAt)
		}
	}

	// Alone, over HTTP: the client is cached, so the grant is the writer's 3 statements.
	next := results[0].RefreshToken
	stmts = log.during(func() { next = refreshOK(t, tn, web, next, "")["refresh_token"].(string) })
	if len(stmts) != 3 {
		t.Fatalf("an offline refresh grant ran %d statements, want 3:\n%s", len(stmts), strings.Join(stmts, "\n"))
	}
	// Online (bound to the sign-in session): one more, the session's end, in the same transaction.
	online, _ := signIn(t, tn, web, tn.owner(t), "forums.threads.readonly")
	next = refreshOK(t, tn, web, online.RefreshToken, "")["refresh_token"].(string) // after the sign-in's changes, fills the client cache
	stmts = log.during(func() { refreshOK(t, tn, web, next, "") })
	if len(stmts) != 4 || !strings.Contains(stmts[1], "sessions") {
		t.Fatalf("an online refresh grant ran %d statements, want 4 (the second reading its session):\n%s", len(stmts), strings.Join(stmts, "\n"))
	}
}

// Reuse inside one batch: the same refresh token twice in the batch rotates once; the second use
// revokes the family, another grant of the batch is unaffected.
func TestRefreshReuseWithinBatch(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	web := tn.client(t, oauthclient.KindWEB, read)
	g := tn.owner(t)
	a, _ := signIn(t, tn, web, g, "forums.threads.readonly")
	b, _ := signIn(t, tn, web, g, "forums.threads.readonly")

	running := e.P.writer
	paused := pausedWriter(e.P)
	e.P.writer = paused
	type answer struct {
		status int
		body   map[string]any
	}
	answers := make([]answer, 3)
	var wg sync.WaitGroup
	for i, rt := range []string{a.RefreshToken, a.RefreshToken, b.RefreshToken} {
		wg.Go(func() {
			resp, body := refresh(t, tn, web, rt, "")
			answers[i] = answer{resp.StatusCode, body}
		})
	}
	paused.commit(take(t, paused, 3))
	wg.Wait()
	e.P.writer = running

	if answers[0].status+answers[1].status != 200+400 {
		t.Fatalf("the same refresh token twice in one batch: %v", answers[:2])
	}
	won := answers[0]
	if won.status != 200 {
		won = answers[1]
	}
	if got := introspect(t, tn, web, won.body["access_token"].(string)); got["active"] != false {
		t.Fatalf("the access token of a reused family is active: %v", got)
	}
	resp, body := refresh(t, tn, web, won.body["refresh_token"].(string), "")
	wantGrantError(t, "the family's newest token after reuse", resp, body, "invalid_grant")
	if answers[2].status != 200 {
		t.Fatalf("another grant of the batch: %v", answers[2])
	}
	refreshOK(t, tn, web, answers[2].body["refresh_token"].(string), "")
}

// When a family was rotated or revoked since the batch read it (by another server process), that
// grant's UPDATE changes nothing: the grant fails and writes nothing, the batch's others are stored.
func TestRefreshRotatedElsewhereWritesNothing(t *testing.T) {
	eachDatabase(t, testRefreshRotatedElsewhereWritesNothing)
}

func testRefreshRotatedElsewhereWritesNothing(t *testing.T, dsn string) {
	e := newEnvDSN(t, dsn)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	web := tn.client(t, oauthclient.KindWEB, read)
	ctx := context.Background()
	org, err := e.P.orgBySlug(ctx, tn.Slug)
	if err != nil {
		t.Fatal(err)
	}
	ci, err := e.P.oauthClient(ctx, tn.ID, web.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	values := mintRefresh(t, e, tn, web, []int{read.ID}, 3)
	var rows []*tokenRow
	for i, v := range values {
		key, _, _ := secret.ParseRefresh(v)
		rt, err := e.DB.Client.RefreshToken.Query().Where(refreshtoken.LookupKey(key)).Only(e.sys(tn.ID))
		if err != nil {
			t.Fatal(err)
		}
		switch i {
		case 1: // rotated elsewhere after this batch read it
			e.DB.Client.RefreshToken.UpdateOne(rt).SetGeneration(rt.Generation + 1).ExecX(e.sys(tn.ID))
		case 2: // revoked elsewhere
			e.DB.Client.RefreshToken.UpdateOne(rt).SetRevokedAt(rt.IssuedAt).ExecX(e.sys(tn.ID))
		}
		user, family := rt.UserID, rt.AuthRequestID
		row, _, _ := e.P.newRow(t.Context(), org, ci, &user, &family, []int{read.ID}, shape{}, &refreshRow{key: key, generation: uint32(rt.Generation) + 1, scopeIDs: rt.ScopeIds})
		row.consume, row.done = rt.ID, make(chan error, 1)
		rows = append(rows, row)
	}
	pausedWriter(e.P).commit(rows)
	for i, r := range rows {
		err := <-r.done
		stored, cerr := e.DB.Client.Token.Query().Where(token.LookupKey(r.key)).Count(e.sys(tn.ID))
		if cerr != nil {
			t.Fatal(cerr)
		}
		rotated, cerr := e.DB.Client.RefreshToken.Query().Where(refreshtoken.LookupKey(r.refresh.key), refreshtoken.TokenHash(r.refresh.digest)).Count(e.sys(tn.ID))
		if cerr != nil {
			t.Fatal(cerr)
		}
		want, wantStored := error(nil), 1
		if i > 0 {
			want, wantStored = errRotated, 0
		}
		if err != want || stored != wantStored || rotated != wantStored {
			t.Fatalf("row %d: %v, %d access tokens stored, %d families rotated; want %v and %d", i, err, stored, rotated, want, wantStored)
		}
	}
}

// A decide that panics fails its own row, not the writer: the rest of the batch is stored.
func TestWriterSurvivesPanickingDecide(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	svc := tn.client(t, oauthclient.KindSERVICE, tn.scope(t, "forums.threads.readonly"))
	org, err := e.P.orgBySlug(context.Background(), tn.Slug)
	if err != nil {
		t.Fatal(err)
	}
	ci, err := e.P.oauthClient(context.Background(), tn.ID, svc.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	bad, _, _ := e.P.newRow(t.Context(), org, ci, nil, nil, nil, shape{}, nil)
	bad.decide = func(*tokenRow) error { panic("boom") }
	good, _, _ := e.P.newRow(t.Context(), org, ci, nil, nil, nil, shape{}, nil)
	bad.done, good.done = make(chan error, 1), make(chan error, 1)
	pausedWriter(e.P).commit([]*tokenRow{bad, good})
	if err := <-bad.done; err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("the panicking row: %v", err)
	}
	if err := <-good.done; err != nil {
		t.Fatalf("the other row: %v", err)
	}
	for _, r := range []*tokenRow{bad, good} {
		n, err := e.DB.Client.Token.Query().Where(token.LookupKey(r.key)).Count(e.sys(tn.ID))
		if want := map[*tokenRow]int{bad: 0, good: 1}[r]; err != nil || n != want {
			t.Fatalf("%d tokens stored for a row (%v), want %d", n, err, want)
		}
	}
}
