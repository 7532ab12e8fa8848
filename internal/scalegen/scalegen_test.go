package scalegen

import (
	"context"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"scopekeeper/ent"
	"scopekeeper/ent/auditevent"
	"scopekeeper/ent/oauthclient"
	"scopekeeper/ent/revision"
	"scopekeeper/ent/scope"
	"scopekeeper/internal/store"
	"scopekeeper/internal/testdb"
	"scopekeeper/internal/viewer"
)

func TestGenerate(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testGenerate(t, t.TempDir()+"/gen.db") })
	if !testdb.HasPostgres() {
		t.Log(testdb.EnvPostgres + " is unset: PostgreSQL skipped")
		return
	}
	t.Run("postgres", func(t *testing.T) { testGenerate(t, testdb.Postgres(t)) })
}

func testGenerate(t *testing.T, dsn string) {
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := Generate(ctx, db, Spec{Slug: "large", Password: "correct horse", Scopes: 12345, Orgs: 3, OrgScopes: 100})
	if err != nil {
		t.Fatal(err)
	}
	sys := viewer.SystemContext(ctx, res.OrgID)
	if n := db.Scope.Query().Where(scope.APIID(res.APIID)).CountX(sys); n != 12345 {
		t.Errorf("large organisation's API has %d scopes, want 12345", n)
	}
	if n := db.OAuthClient.Query().CountX(sys); n != 1235 {
		t.Errorf("large organisation has %d clients, want 1235", n)
	}
	// Every generated scope has exactly one client.
	if n := db.Scope.Query().Where(scope.APIID(res.APIID), scope.Not(scope.HasClients())).CountX(sys); n != 0 {
		t.Errorf("%d scopes without a client", n)
	}
	if n := db.OAuthClient.Query().Where(oauthclient.HasScopesWith(scope.APIID(res.APIID))).CountX(sys); n != 1235 {
		t.Errorf("%d clients hold generated scopes, want 1235", n)
	}
	small := viewer.SystemContext(ctx, res.SmallOrgID)
	if n := db.Scope.Query().Where(scope.APIID(res.SmallAPIID)).CountX(small); n != 100 {
		t.Errorf("small organisation's API has %d scopes, want 100", n)
	}
	// The counters the Scopes tab reads (internal/scopecount), counted once after the load.
	if a := db.API.GetX(sys, res.APIID); a.ScopeCount != 12345 {
		t.Errorf("large organisation's API counts %d scopes, want 12345", a.ScopeCount)
	}
	if a := db.API.GetX(small, res.SmallAPIID); a.ScopeCount != 100 {
		t.Errorf("small organisation's API counts %d scopes, want 100", a.ScopeCount)
	}
	// What the hooks would have done: an audit event per scope and client, the name key that
	// keeps names unique ignoring case, and a revision other servers notice.
	made := db.Scope.Query().CountX(sys) + db.OAuthClient.Query().CountX(sys) // built-in scopes too
	if n := db.AuditEvent.Query().Where(auditevent.TargetTypeIn(ent.TypeScope, ent.TypeOAuthClient), auditevent.Action("create")).CountX(sys); n != made {
		t.Errorf("%d audit events of created scopes and clients, want %d", n, made)
	}
	if _, err := db.Scope.Create().SetAPIID(res.APIID).SetName("GENERATED.item0000001.readonly").Save(sys); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("a scope named like a generated one ignoring case was created: %v", err)
	}
	if rev := db.Revision.Query().Where(revision.OrganisationID(res.OrgID)).OnlyX(viewer.SystemContext(ctx, 0)); rev.Config == 0 || rev.Grants == 0 {
		t.Errorf("no change recorded for the large organisation: %+v", rev)
	}
	// The scope-name index, paused for the load, is back and holds the generated names.
	stats, index := "SELECT count(*) FROM sqlite_stat1", "SELECT count(*) FROM scope_name_fts WHERE scope_name_fts MATCH '\"item0012344\"'"
	if db.Dialect == dialect.Postgres {
		stats = "SELECT count(*) FROM pg_stats WHERE tablename = 'scopes'"
		index = "SELECT count(*) FROM pg_indexes WHERE tablename = 'scopes' AND indexname = 'scope_name_trgm'"
	}
	for what, query := range map[string]string{"statistics": stats, "the scope-name index": index} {
		var n int
		if err := db.SQL.QueryRow(query).Scan(&n); err != nil || n == 0 {
			t.Errorf("%s: %d rows (%v)", what, n, err)
		}
	}
}
