package oauth

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"scopekeeper/ent/oauthclient"
)

// BenchmarkLoopback measures the issuer over real HTTP on loopback against SQLite (a file in a
// temporary directory), with the load generator in the same process:
//
//	go test -run '^$' -bench Loopback -benchtime 5s ./internal/oauth
//
// SCOPEKEEPER_BENCH_DB overrides the database (a SQLite path or file: URI, or a postgres:// URL).
//
// Each sub-benchmark reports req/s and the p50/p99 latency of one request; Bare is a net/http
// handler that writes a fixed small JSON body, the ceiling the machine allows for this harness.
func BenchmarkLoopback(b *testing.B) {
	dsn := b.TempDir() + "/bench.db"
	if v := os.Getenv("SCOPEKEEPER_BENCH_DB"); v != "" {
		dsn = v // e.g. a postgres:// URL, or a SQLite file with extra parameters
	}
	e := newEnvDSN(b, dsn)
	tn := e.tenant(b, "acme")
	read := tn.scope(b, "forums.threads.readonly")
	modify := tn.scope(b, "forums.threads.modify")
	tn.scope(b, "forums.members.readonly", required)
	svc := tn.client(b, oauthclient.KindSERVICE, read, modify)
	rs := tn.client(b, oauthclient.KindSERVICE, tn.scope(b, "forums.stats.readonly"))

	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = r.Body.Read(make([]byte, 512))
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(`{"active":true,"scope":"forums.threads.readonly","client_id":"x","token_type":"Bearer"}` + "\n"))
	}))
	defer bare.Close()

	tokens := make([]string, 64)
	for i := range tokens {
		tok, err := ccConfig(tn, svc, oauth2.AuthStyleInHeader).Token(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		tokens[i] = tok.AccessToken
	}
	ccBody := url.Values{"grant_type": {"client_credentials"}}.Encode()

	b.Run("Bare", func(b *testing.B) {
		loop(b, func(c *http.Client, i int) (*http.Request, int) {
			req, _ := http.NewRequest(http.MethodPost, bare.URL, strings.NewReader(ccBody))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(svc.ClientID, svc.Secret)
			return req, 200
		})
	})
	b.Run("ClientCredentials", func(b *testing.B) {
		loop(b, func(c *http.Client, i int) (*http.Request, int) {
			req, _ := http.NewRequest(http.MethodPost, tn.tokenURL(), strings.NewReader(ccBody))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(svc.ClientID, svc.Secret)
			return req, 200
		})
	})
	b.Run("Introspection", func(b *testing.B) {
		loop(b, func(c *http.Client, i int) (*http.Request, int) {
			body := url.Values{"token": {tokens[i%len(tokens)]}}.Encode()
			req, _ := http.NewRequest(http.MethodPost, tn.Issuer+"/oauth/introspect", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(rs.ClientID, rs.Secret)
			return req, 200
		})
	})
}

// loop sends b.N requests from concurrent keep-alive clients and reports throughput and latency.
func loop(b *testing.B, next func(*http.Client, int) (*http.Request, int)) {
	tr := &http.Transport{MaxIdleConnsPerHost: 256, DialContext: (&net.Dialer{}).DialContext, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var mu sync.Mutex
	var all []time.Duration
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		lat := make([]time.Duration, 0, 1024)
		i := 0
		for pb.Next() {
			req, want := next(client, i)
			i++
			t0 := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			var buf [1024]byte
			for {
				if _, err := resp.Body.Read(buf[:]); err != nil {
					break
				}
			}
			resp.Body.Close()
			lat = append(lat, time.Since(t0))
			if resp.StatusCode != want {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
		mu.Lock()
		all = append(all, lat...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(0, "ns/op")
}
