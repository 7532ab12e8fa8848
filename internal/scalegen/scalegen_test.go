package scalegen

import (
	"context"
	"testing"

	"scopekeeper/ent/oauthclient"
	"scopekeeper/ent/scope"
	"scopekeeper/internal/store"
	"scopekeeper/internal/viewer"
)

func TestGenerate(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir()+"/gen.db")
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
	var stats int
	if err := db.SQL.QueryRow("SELECT count(*) FROM sqlite_stat1").Scan(&stats); err != nil || stats == 0 {
		t.Errorf("no statistics gathered (%d rows, %v)", stats, err)
	}
}
