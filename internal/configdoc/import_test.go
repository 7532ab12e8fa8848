package configdoc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"entgo.io/ent/dialect"

	"scopekeeper/internal/memo"
	"scopekeeper/internal/scopename"
	"scopekeeper/internal/store"
	"scopekeeper/internal/testdb"
)

// eachDatabase runs f on SQLite, and on PostgreSQL when SCOPEKEEPER_TEST_POSTGRES is set.
func eachDatabase(t *testing.T, f func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { f(t, t.TempDir()+"/import.db") })
	if !testdb.HasPostgres() {
		t.Log("SCOPEKEEPER_TEST_POSTGRES is unset: PostgreSQL skipped")
		return
	}
	t.Run("postgres", func(t *testing.T) { f(t, testdb.Postgres(t)) })
}

// statementCounter counts the SQL statements sent to the database while it is on.
type statementCounter struct {
	n  atomic.Int64
	on atomic.Bool
}

func (c *statementCounter) option() store.Option {
	return store.WithDriver(func(d dialect.Driver) dialect.Driver {
		return dialect.DebugWithContext(d, func(_ context.Context, v ...any) {
			if s := fmt.Sprint(v...); c.on.Load() && (strings.Contains(s, ".Exec: query=") || strings.Contains(s, ".Query: query=")) {
				c.n.Add(1)
			}
		})
	})
}

func (c *statementCounter) during(f func()) int64 {
	c.n.Store(0)
	c.on.Store(true)
	f()
	c.on.Store(false)
	return c.n.Load()
}

// tryImport parses doc, imports it and rolls back, returning the import's error.
func tryImport(t *testing.T, ctx context.Context, db *store.DB, doc string) error {
	d, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	_, err = Import(ctx, tx.Client(), viewerOrg(ctx), d, false)
	return err
}

// An import writes new scopes in batches, and its hooks read the organisation and each API once:
// 600 more scopes cost a couple of statements, not one or more per scope (it was four per scope).
func TestImportWritesScopesInBatches(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		var counter statementCounter
		ctx, db := openOrg(t, dsn, counter.option())
		defer db.Close()
		count := func(doc []byte) int64 {
			return counter.during(func() { importOnce(t, ctx, db, doc, false) })
		}
		small, large := count(benchDocument(2, 600)), count(benchDocument(2, 1200))
		if large-small > 10 {
			t.Fatalf("2 × 600 scopes ran %d statements, 2 × 1,200 ran %d: more than a few statements per 500 new scopes", small, large)
		}
	})
}

// A rule that one scope of a batch breaks names that scope, and the import changes nothing.
func TestImportNamesTheScopeOfABatchThatBreaksARule(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		ctx, db := openOrg(t, dsn)
		defer db.Close()
		doc := strings.Replace(string(benchDocument(1, 700)), "displayName: S620\n", `displayName: "S\a620"`+"\n", 1)
		err := tryImport(t, ctx, db, doc)
		var oe *ObjectError
		if !errors.As(err, &oe) || oe.Object != `scope "api0000.s620.readonly"` || !strings.Contains(err.Error(), "control characters") {
			t.Fatalf("the import's error is %v, want one naming scope api0000.s620.readonly and its display name", err)
		}
		if n := db.Client.Scope.Query().CountX(ctx); n != 2 { // the built-in API's scopes
			t.Fatalf("the organisation has %d scopes after a refused import", n)
		}
	})
}

// Names are unique in the organisation: a documented scope that another API has is refused by
// name, not created beside it.
func TestImportRefusesToMoveAScopeBetweenAPIs(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		ctx, db := openOrg(t, dsn)
		defer db.Close()
		doc := func(a, b string) string {
			return "version: scopekeeper/v1\norganisation: {name: Bench}\napis:\n" +
				"  - {name: a, basePath: /a, scopes: [" + a + "]}\n  - {name: b, basePath: /b, scopes: [" + b + "]}\n"
		}
		importOnce(t, ctx, db, []byte(doc("{name: x}", "{name: y}")), true)
		err := tryImport(t, ctx, db, doc("{name: y}", "{name: x}"))
		if err == nil || !strings.Contains(err.Error(), `scope "y": It belongs to another API`) {
			t.Fatalf("moving a scope between APIs gave %v", err)
		}
	})
}

// The hooks remember the organisation within one change (internal/memo) but not past a change to
// it: a naming policy set halfway applies to the scopes created after it.
func TestRememberedReadsFollowChanges(t *testing.T) {
	ctx, db := openOrg(t, t.TempDir()+"/memo.db")
	defer db.Close()
	ctx = memo.New(ctx)
	api := db.Client.API.Create().SetName("a").SetBasePath("/a").SaveX(ctx)
	db.Client.Scope.Create().SetAPIID(api.ID).SetName("invoices:read").ExecX(ctx)
	db.Client.Organisation.UpdateOneID(viewerOrg(ctx)).SetNamingPolicy(scopename.Dotted).ExecX(ctx)
	if err := db.Client.Scope.Create().SetAPIID(api.ID).SetName("invoices:write").Exec(ctx); err == nil {
		t.Fatal("a scope name against the DOTTED policy set in the same change was accepted")
	}
}
