package configdoc

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"scopekeeper/internal/orgs"
	"scopekeeper/internal/store"
	"scopekeeper/internal/viewer"
)

// BenchmarkImport imports one document of SCOPEKEEPER_BENCH_IMPORT_APIS APIs (default 1,000) with
// SCOPEKEEPER_BENCH_IMPORT_SCOPES scopes each (default 100) and one endpoint each into an empty
// organisation on SQLite, as the owner: "plan" is the dry run (parse, apply, roll back), "apply"
// parses, applies and commits. make bench-import runs it (docs/benchmarks.md).
func BenchmarkImport(b *testing.B) {
	apis, scopes := envInt("SCOPEKEEPER_BENCH_IMPORT_APIS", 1000), envInt("SCOPEKEEPER_BENCH_IMPORT_SCOPES", 100)
	doc := benchDocument(apis, scopes)
	b.Logf("document: %d APIs × %d scopes, %d KiB of YAML", apis, scopes, len(doc)/1024)
	for _, apply := range []bool{false, true} {
		name := "plan"
		if apply {
			name = "apply"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				ctx, db := benchOrg(b)
				b.StartTimer()
				start := time.Now()
				plan := importOnce(b, ctx, db, doc, apply)
				b.ReportMetric(time.Since(start).Seconds(), "s/import")
				b.StopTimer()
				if len(plan.Changes) < apis*(scopes+2) {
					b.Fatalf("the plan has %d changes", len(plan.Changes))
				}
				db.Close()
				b.StartTimer()
			}
		})
	}
}

func importOnce(b testing.TB, ctx context.Context, db *store.DB, doc []byte, apply bool) *Plan {
	d, err := Parse(doc)
	if err != nil {
		b.Fatal(err)
	}
	tx, err := db.Client.Tx(ctx)
	if err != nil {
		b.Fatal(err)
	}
	plan, err := Import(ctx, tx.Client(), viewerOrg(ctx), d, false)
	if err != nil {
		_ = tx.Rollback()
		b.Fatal(err)
	}
	if apply {
		err = tx.Commit()
	} else {
		err = tx.Rollback()
	}
	if err != nil {
		b.Fatal(err)
	}
	return plan
}

func viewerOrg(ctx context.Context) int { return viewer.FromContext(ctx).OrgID }

// benchOrg opens a fresh SQLite database with one organisation and returns its owner's context.
func benchOrg(b *testing.B) (context.Context, *store.DB) { return openOrg(b, b.TempDir()+"/import.db") }

// openOrg opens the database dsn with one new organisation and returns its owner's context.
func openOrg(tb testing.TB, dsn string, opts ...store.Option) (context.Context, *store.DB) {
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	orgID, userID, err := orgs.Bootstrap(ctx, db.Client, orgs.Owner{OrgName: "Bench", OrgSlug: "bench",
		Email: "owner@bench.test", Password: "correct horse battery"})
	if err != nil {
		tb.Fatal(err)
	}
	return viewer.NewContext(ctx, &viewer.Caller{OrgID: orgID, UserID: userID, Email: "owner@bench.test", Role: viewer.Owner}), db
}

func benchDocument(apis, scopes int) []byte {
	var s strings.Builder
	s.WriteString("version: scopekeeper/v1\norganisation:\n  name: Bench\n  maxScopesPerClient: 100\napis:\n")
	for i := range apis {
		fmt.Fprintf(&s, "  - name: api%04d\n    displayName: API %d\n    basePath: /api%04d\n    scopes:\n", i, i, i)
		for j := range scopes {
			fmt.Fprintf(&s, "      - name: api%04d.s%03d.readonly\n        displayName: S%d\n", i, j, j) // under the 8 MiB document limit
		}
		fmt.Fprintf(&s, "    endpoints:\n      - endpoint: GET /api%04d/items\n        scopes: [api%04d.s000.readonly]\n", i, i)
	}
	s.WriteString("clients:\n  - name: worker\n    kind: SERVICE\n    scopes: [api0000.s000.readonly]\n")
	return []byte(s.String())
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
