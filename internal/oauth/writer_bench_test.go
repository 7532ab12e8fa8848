package oauth

import (
	"context"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"scopekeeper/ent/oauthclient"
)

// BenchmarkWriterBatch is the token writer's own work for batches of 32 grants, client-credentials
// tokens against refresh grants: the time per grant of committing a batch (reads, rotations,
// inserts and the commit's fsync) on the writer's one goroutine. The requests' own work is not
// counted.
func BenchmarkWriterBatch(b *testing.B) {
	const n = 32
	e := newEnv(b)
	tn := e.tenant(b, "acme")
	read := tn.scope(b, "forums.threads.readonly")
	svc := tn.client(b, oauthclient.KindSERVICE, read)
	web := tn.client(b, oauthclient.KindWEB, read)
	ctx := context.Background()
	org, err := e.P.orgBySlug(ctx, tn.Slug)
	if err != nil {
		b.Fatal(err)
	}
	grant := func(c *testClient, form url.Values) *oidc.Error {
		ci, err := e.P.oauthClient(ctx, tn.ID, c.ClientID)
		if err != nil {
			b.Fatal(err)
		}
		f, oe := parseForm("", "application/x-www-form-urlencoded", []byte(form.Encode()))
		if oe != nil {
			return oe
		}
		r := httptest.NewRequest("POST", tn.tokenURL(), nil)
		if form.Get("grant_type") == "refresh_token" {
			_, oe = e.P.refreshGrant(r, org, ci, f)
		} else {
			_, oe = e.P.clientCredentials(r, org, ci, f)
		}
		return oe
	}
	run := func(b *testing.B, c *testClient, forms func() []url.Values) {
		running := e.P.writer
		paused := pausedWriter(e.P)
		e.P.writer = paused
		defer func() { e.P.writer = running }()
		var spent time.Duration
		for b.Loop() {
			var wg sync.WaitGroup
			for _, form := range forms() {
				wg.Go(func() {
					if oe := grant(c, form); oe != nil {
						b.Error(oe)
					}
				})
			}
			batch := take(b, paused, n)
			start := time.Now()
			paused.commit(batch)
			spent += time.Since(start)
			wg.Wait()
		}
		b.ReportMetric(float64(spent.Microseconds())/float64(b.N*n), "writer-µs/grant")
	}
	b.Run("ClientCredentials", func(b *testing.B) {
		run(b, svc, func() []url.Values {
			forms := make([]url.Values, n)
			for i := range forms {
				forms[i] = url.Values{"grant_type": {"client_credentials"}}
			}
			return forms
		})
	})
	b.Run("Refresh", func(b *testing.B) {
		run(b, web, func() []url.Values {
			forms := make([]url.Values, n)
			for i, v := range mintRefresh(b, e, tn, web, []int{read.ID}, n) {
				forms[i] = url.Values{"grant_type": {"refresh_token"}, "refresh_token": {v}}
			}
			return forms
		})
	})
}
