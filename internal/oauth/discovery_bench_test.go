package oauth

import (
	"context"
	"os"
	"strconv"
	"testing"

	"scopekeeper/internal/scalegen"
	"scopekeeper/internal/viewer"
)

// BenchmarkDiscoveryAfterOneChange renders the discovery document of an organisation whose
// 100,000 scopes are all listed, after one scope's showInDiscoveryDocument changed (the change
// itself is not timed):
//
//	go test -run '^$' -bench DiscoveryAfterOneChange -benchtime 200x ./internal/oauth
//
// SCOPEKEEPER_BENCH_DISCOVERY_SCOPES changes the size.
func BenchmarkDiscoveryAfterOneChange(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("SCOPEKEEPER_BENCH_DISCOVERY_SCOPES")); err == nil {
		n = v
	}
	e := newEnv(b)
	res, err := scalegen.Generate(context.Background(), e.DB, scalegen.Spec{Slug: "large", Password: "unused-bench-password", Scopes: n, ClientEvery: 1000})
	if err != nil {
		b.Fatal(err)
	}
	ctx := viewer.SystemContext(context.Background(), res.OrgID)
	// scalegen lists one scope in ten: list them all.
	if err := e.DB.Client.Scope.Update().SetShowInDiscoveryDocument(true).Exec(ctx); err != nil {
		b.Fatal(err)
	}
	org, err := e.P.orgBySlug(ctx, "large")
	if err != nil {
		b.Fatal(err)
	}
	toggled, err := e.DB.Client.Scope.Query().FirstID(ctx)
	if err != nil {
		b.Fatal(err)
	}
	render := func() int {
		d, err := e.P.discovery(ctx, org)
		if err != nil {
			b.Fatal(err)
		}
		return len(d.body)
	}
	b.Logf("%d bytes", render())
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		if err := e.DB.Client.Scope.UpdateOneID(toggled).SetShowInDiscoveryDocument(i%2 == 1).Exec(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		render()
	}
}
