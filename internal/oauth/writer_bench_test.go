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

// BenchmarkWriterBatch is the token writer's own work for batches of 32 grants: client-credentials
// tokens against refresh grants. It reports, per grant, the time of the first stage (reading and
// deciding, done while the batch before commits) and of the commit, whose time (fsync included)
// bounds the writer's throughput. The requests' own work is not counted.
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
	grant := func(c *testClient, form url.Values) (*tokenResponse, *oidc.Error) {
		ci, err := e.P.oauthClient(ctx, tn.ID, c.ClientID)
		if err != nil {
			b.Fatal(err)
		}
		f, oe := parseForm("", "application/x-www-form-urlencoded", []byte(form.Encode()))
		if oe != nil {
			return nil, oe
		}
		r := httptest.NewRequest("POST", tn.tokenURL(), nil)
		if form.Get("grant_type") == "refresh_token" {
			return e.P.refreshGrant(r, org, ci, f)
		}
		return e.P.clientCredentials(r, org, ci, f)
	}
	run := func(b *testing.B, c *testClient, forms func(int) []url.Values) {
		running := e.P.writer
		paused := pausedWriter(e.P)
		e.P.writer = paused
		defer func() { e.P.writer = running }()
		var reading, committing time.Duration
		for i := 0; b.Loop(); i++ {
			var wg sync.WaitGroup
			for _, form := range forms(i) {
				wg.Go(func() {
					if _, oe := grant(c, form); oe != nil {
						b.Error(oe)
					}
				})
			}
			batch := take(b, paused, n)
			start := time.Now()
			batch = paused.read(batch)
			read := time.Now()
			paused.commit(batch)
			reading, committing = reading+read.Sub(start), committing+time.Since(read)
			wg.Wait()
		}
		b.ReportMetric(float64(reading.Microseconds())/float64(b.N*n), "read-µs/grant")
		b.ReportMetric(float64(committing.Microseconds())/float64(b.N*n), "commit-µs/grant")
	}
	b.Run("ClientCredentials", func(b *testing.B) {
		run(b, svc, func(int) []url.Values {
			forms := make([]url.Values, n)
			for i := range forms {
				forms[i] = url.Values{"grant_type": {"client_credentials"}}
			}
			return forms
		})
	})
	b.Run("Refresh", func(b *testing.B) {
		values := mintRefresh(b, e, tn, web, []int{read.ID}, 50_000)
		run(b, web, func(i int) []url.Values {
			forms := make([]url.Values, n)
			for j := range forms {
				forms[j] = url.Values{"grant_type": {"refresh_token"}, "refresh_token": {values[(i*n+j)%len(values)]}}
			}
			return forms
		})
	})
}
