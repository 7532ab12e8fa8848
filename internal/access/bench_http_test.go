package access

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"scopekeeper/ent"
	"scopekeeper/ent/endpoint"
)

// The HTTP benchmarks: POST /o/{slug}/v1/check on one organisation with 1,000 APIs × 50
// endpoints, against a bare net/http handler that reads the same body and writes a fixed answer,
// both through the same keep-alive client in the same run. Run with
//
//	go test -run '^$' -bench 'HTTP' -benchtime 20000x ./internal/access

const (
	benchAPIs         = 1000
	benchEndpointsPer = 50
)

type httpFixture struct {
	w        *world
	client   string
	secret   string
	cred     string
	requests [][]byte // request bodies, over every API
}

var (
	httpFixtureOnce sync.Once
	httpFixtureVal  *httpFixture
)

// seedLarge bulk-inserts the APIs, scopes and endpoints of the HTTP benchmark.
func seedLarge(b *testing.B) *httpFixture {
	httpFixtureOnce.Do(func() {
		start := time.Now()
		w := newBenchWorld(b)
		// One transaction: the schema and audit hooks run per row, and SQLite commits once.
		tx := must(w.db.Tx(w.sys))
		db := tx.Client()
		apiCreates := make([]*ent.APICreate, benchAPIs)
		for i := range apiCreates {
			apiCreates[i] = db.API.Create().SetName(fmt.Sprintf("api%d", i)).SetBasePath(fmt.Sprintf("/api%d", i))
		}
		apis := must(db.API.CreateBulk(apiCreates...).Save(w.sys))
		var scopeCreates []*ent.ScopeCreate
		for i, a := range apis {
			scopeCreates = append(scopeCreates,
				db.Scope.Create().SetAPI(a).SetName(fmt.Sprintf("api%d.items.readonly", i)),
				db.Scope.Create().SetAPI(a).SetName(fmt.Sprintf("api%d.items.modify", i)))
		}
		var scopes []*ent.Scope
		for chunk := range slices.Chunk(scopeCreates, 500) {
			scopes = append(scopes, must(db.Scope.CreateBulk(chunk...).Save(w.sys))...)
		}
		f := &httpFixture{w: w}
		var epCreates []*ent.EndpointCreate
		links := map[int][]int{} // scope ID → indexes into epCreates
		methods := []endpoint.Method{"GET", "POST", "GET", "PUT", "DELETE"}
		for i, a := range apis {
			for j := 0; j < benchEndpointsPer; j++ {
				m := methods[j%5]
				path := fmt.Sprintf("/api%d/e%d", i, j/5)
				if j%5 >= 2 {
					path += "/{id}"
				}
				s := scopes[2*i+1]
				if m == "GET" {
					s = scopes[2*i]
				}
				epCreates = append(epCreates, db.Endpoint.Create().SetAPI(a).SetMethod(m).SetPath(path))
				links[s.ID] = append(links[s.ID], len(epCreates)-1)
				req := strings.ReplaceAll(path, "{id}", fmt.Sprint(j*7919%100000))
				f.requests = append(f.requests, []byte(fmt.Sprintf(`{"credential":%q,"method":%q,"path":%q}`, "%CRED%", m, req)))
			}
		}
		var eps []*ent.Endpoint
		for chunk := range slices.Chunk(epCreates, 1000) {
			eps = append(eps, must(db.Endpoint.CreateBulk(chunk...).Save(w.sys))...)
		}
		// Link from the scopes' side: one update per scope rather than checks per endpoint.
		for _, s := range scopes {
			ids := make([]int, len(links[s.ID]))
			for i, at := range links[s.ID] {
				ids[i] = eps[at].ID
			}
			must(db.Scope.UpdateOne(s).AddEndpointIDs(ids...).Save(w.sys))
		}
		if err := tx.Commit(); err != nil {
			panic(err)
		}
		// A token holding ten scopes: a few requests are granted, most are missing_scope.
		oc, sec := w.client(scopes[:10]...)
		f.client, f.secret = oc.ClientID, sec
		f.cred = w.token(oc, 24*time.Hour, scopes[:10]...)
		for i, r := range f.requests {
			f.requests[i] = bytes.Replace(r, []byte("%CRED%"), []byte(f.cred), 1)
		}
		rand.New(rand.NewSource(1)).Shuffle(len(f.requests), func(i, j int) { f.requests[i], f.requests[j] = f.requests[j], f.requests[i] })
		// Compile once, outside the timed loop.
		if _, err := w.engine.Decide(context.Background(), w.orgID, f.cred, "GET", "/api0/e0"); err != nil {
			panic(err)
		}
		b.Logf("seeded %d APIs and %d endpoints in %s", benchAPIs, len(epCreates), time.Since(start).Round(time.Millisecond))
		httpFixtureVal = f
	})
	if httpFixtureVal == nil {
		b.Fatal("fixture failed")
	}
	return httpFixtureVal
}

// runHTTP sends the bodies round-robin from parallel keep-alive clients and reports decisions per
// second and latency percentiles.
func runHTTP(b *testing.B, url, user, pass string, bodies [][]byte) {
	tr := &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var mu sync.Mutex
	var all []time.Duration
	var next int64
	var nextMu sync.Mutex
	// Steady state: the first request compiles the organisation's matcher and caches the
	// credential (BenchmarkRecompileLarge measures that), and the seeding's garbage is collected.
	warm, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(bodies[0]))
	warm.Header.Set("Content-Type", "application/json")
	if user != "" {
		warm.SetBasicAuth(user, pass)
	}
	if resp, err := client.Do(warm); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	runtime.GC()
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		lat := make([]time.Duration, 0, 1024)
		for pb.Next() {
			nextMu.Lock()
			i := next
			next++
			nextMu.Unlock()
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(bodies[int(i)%len(bodies)]))
			req.Header.Set("Content-Type", "application/json")
			if user != "" {
				req.SetBasicAuth(user, pass)
			}
			t0 := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			lat = append(lat, time.Since(t0))
			if resp.StatusCode != 200 {
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
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(len(all))/elapsed.Seconds(), "decisions/s")
		b.ReportMetric(float64(all[len(all)*50/100].Microseconds()), "p50-µs")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	}
}

func BenchmarkHTTPCheck(b *testing.B) {
	f := seedLarge(b)
	mux := http.NewServeMux()
	f.w.engine.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	runHTTP(b, srv.URL+"/o/acme/v1/check", f.client, f.secret, f.requests)
}

// BenchmarkHTTPBare is the baseline: a handler that reads the body and answers a constant.
func BenchmarkHTTPBare(b *testing.B) {
	f := seedLarge(b)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(`{"allowed":false,"scope":null,"reason":"missing_scope"}` + "\n"))
	}))
	defer srv.Close()
	runHTTP(b, srv.URL+"/o/acme/v1/check", f.client, f.secret, f.requests)
}

// BenchmarkDecideLarge is one in-process decision (cached credential and view) on the same data.
func BenchmarkDecideLarge(b *testing.B) {
	f := seedLarge(b)
	ctx := context.Background()
	paths := []string{"/api1/e3/77", "/api999/e9", "/api500/e4/1"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.w.engine.Decide(ctx, f.w.orgID, f.cred, "GET", paths[i%3]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecompileLarge is what the first decision after a change pays at 50,000 endpoints:
// reading the organisation's endpoints and scopes and compiling the tree.
func BenchmarkRecompileLarge(b *testing.B) {
	f := seedLarge(b)
	s := f.w.engine.org(f.w.orgID)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.config.Add(1) // what the hook does on a change
		if _, err := f.w.engine.view(ctx, s, f.w.orgID); err != nil {
			b.Fatal(err)
		}
	}
}
