package access

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"scopekeeper/ent"
	"scopekeeper/ent/endpoint"
	"scopekeeper/internal/loadgen"
)

// The HTTP benchmarks: POST /o/{slug}/v1/check and GET /o/{slug}/v1/forward-auth on one
// organisation with 1,000 APIs × 50 endpoints, each against a bare net/http handler that reads the
// same request and writes a fixed answer (…Bare), all through the same keep-alive client in the
// same run. Run with
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
	requests [][]byte  // request bodies, over every API
	allowed  []Request // requests the token may make (the APIs of its scopes), for forward auth
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
				if i < 5 {
					f.allowed = append(f.allowed, Request{Method: string(m), Path: req})
				}
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
		// A token holding ten scopes (those of the first five APIs): a few requests are granted,
		// most are missing_scope.
		oc, sec := w.client(scopes[:10]...)
		f.client, f.secret = oc.ClientID, sec
		f.cred = w.token(oc, 24*time.Hour, scopes[:10]...)
		for i, r := range f.requests {
			f.requests[i] = bytes.Replace(r, []byte("%CRED%"), []byte(f.cred), 1)
		}
		rnd := rand.New(rand.NewSource(1))
		rnd.Shuffle(len(f.requests), func(i, j int) { f.requests[i], f.requests[j] = f.requests[j], f.requests[i] })
		rnd.Shuffle(len(f.allowed), func(i, j int) { f.allowed[i], f.allowed[j] = f.allowed[j], f.allowed[i] })
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

// runHTTP sends the bodies round-robin over keep-alive connections (internal/loadgen) and reports
// decisions (requests) per second and latency percentiles.
func runHTTP(b *testing.B, url, user, pass string, bodies [][]byte) {
	h := http.Header{"Content-Type": {"application/json"}}
	if user != "" {
		r, _ := http.NewRequest(http.MethodPost, url, nil)
		r.SetBasicAuth(user, pass)
		h.Set("Authorization", r.Header.Get("Authorization"))
	}
	reqs := make([][]byte, len(bodies))
	for i, body := range bodies {
		reqs[i] = loadgen.Request(http.MethodPost, url, h, body)
	}
	loadgen.Run(b, url, 32, reqs, http.StatusOK)
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

// runForwardAuth asks about the token's allowed requests as Traefik does (GET with
// X-Forwarded-Method and X-Forwarded-Uri), every answer a 200.
func runForwardAuth(b *testing.B, url string, f *httpFixture) {
	reqs := make([][]byte, len(f.allowed))
	for i, r := range f.allowed {
		h := http.Header{"Authorization": {"Bearer " + f.cred}, "X-Forwarded-Method": {r.Method}, "X-Forwarded-Uri": {r.Path}}
		reqs[i] = loadgen.Request(http.MethodGet, url, h, nil)
	}
	loadgen.Run(b, url, 32, reqs, http.StatusOK)
}

// BenchmarkHTTPForwardAuth is GET /o/{slug}/v1/forward-auth on the same organisation.
func BenchmarkHTTPForwardAuth(b *testing.B) {
	f := seedLarge(b)
	mux := http.NewServeMux()
	f.w.engine.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	runForwardAuth(b, srv.URL+"/o/acme/v1/forward-auth", f)
}

// BenchmarkHTTPForwardAuthBare is its baseline: a handler that answers 200 with the identity
// headers.
func BenchmarkHTTPForwardAuthBare(b *testing.B) {
	f := seedLarge(b)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set(HeaderSubject, f.client)
		h.Set(HeaderClient, f.client)
		h.Set(HeaderScope, "api0.items.readonly")
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	runForwardAuth(b, srv.URL+"/o/acme/v1/forward-auth", f)
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
