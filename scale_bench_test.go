package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"scopekeeper/internal/loadgen"
)

// BenchmarkScale loads a running server (the real binary, SCOPEKEEPER_BIN) over a database made by
// `scopekeeper generate` (SCOPEKEEPER_BENCH_SCALE_DB, its owners' password in
// SCOPEKEEPER_BENCH_SCALE_PASSWORD) with the console's queries and discovery, 32 connections.
// Beside the throughput and latency it reports the server process's CPU per request and its peak
// resident memory, read from /proc. `make bench-scale` runs it per size (docs/benchmarks.md).
func BenchmarkScale(b *testing.B) {
	dsn, bin := os.Getenv("SCOPEKEEPER_BENCH_SCALE_DB"), os.Getenv("SCOPEKEEPER_BIN")
	password := os.Getenv("SCOPEKEEPER_BENCH_SCALE_PASSWORD")
	if dsn == "" || bin == "" {
		b.Skip("SCOPEKEEPER_BENCH_SCALE_DB and SCOPEKEEPER_BIN are unset: run make bench-scale")
	}
	srv := startBinary(b, bin, dsn)
	large, small := benchLogin(b, srv.url, "owner@large.test", password), benchLogin(b, srv.url, "owner@small-0.test", password)

	largeAPI, largeScope, largeCursor := benchAPI(b, srv.url, large)
	smallAPI, _, _ := benchAPI(b, srv.url, small)
	gql := func(cookie, query string, vars map[string]any) [][]byte {
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		return [][]byte{loadgen.Request(http.MethodPost, srv.url+"/graphql", http.Header{"Cookie": {cookie}, "Content-Type": {"application/json"}}, body)}
	}
	tab := func(api string) map[string]any {
		return map[string]any{"first": 100, "where": map[string]any{"apiID": api}, "orderBy": map[string]any{"field": "NAME", "direction": "ASC"}}
	}
	clients := map[string]any{"first": 25, "orderBy": map[string]any{"field": "NAME", "direction": "ASC"}}
	later := tab(largeAPI)
	later["after"] = largeCursor
	search := map[string]any{"first": 100, "where": map[string]any{"apiID": largeAPI, "nameContainsFold": "item00001"}, "orderBy": map[string]any{"field": "NAME", "direction": "ASC"}}
	discoveryURL := srv.url + "/o/large/.well-known/openid-configuration"
	discovery := [][]byte{loadgen.Request(http.MethodGet, discoveryURL, nil, nil)}

	// The bare handler answers with the discovery document's own bytes, and their length: the
	// ceiling for serving it. It runs in a process of its own, as the server does: in the load
	// generator's process, a request and its answer switch between goroutines of one process, not
	// between processes, which on two cores made the ceiling 1.3–1.6 times higher.
	doc := benchGet(b, discoveryURL)
	bare := startBare(b, doc)
	inProcess := httptest.NewServer(bareHandler(doc))
	defer inProcess.Close()

	label := os.Getenv("SCOPEKEEPER_BENCH_SCALE_LABEL") // e.g. scopes=100000, so sizes read apart
	if label == "" {
		label = "db"
	}
	// run loads url with reqs (while during runs, when not nil) and reports the CPU per request and
	// peak memory of on, the process answering (none: the benchmark's own).
	run := func(name string, on *binaryServer, reqs [][]byte, during func(stop <-chan struct{})) {
		url := on.url
		b.Run(label+"/"+name, func(b *testing.B) {
			stop := make(chan struct{})
			done := make(chan struct{})
			if during != nil {
				go func() { defer close(done); during(stop) }()
			} else {
				close(done)
			}
			if on.pid == 0 {
				loadgen.Run(b, url, 32, reqs, http.StatusOK)
				close(stop)
				<-done
				return
			}
			cpu := on.cpu(b)
			loadgen.Run(b, url, 32, reqs, http.StatusOK)
			used := on.cpu(b) - cpu
			close(stop)
			<-done
			b.ReportMetric(float64(used.Microseconds())/float64(b.N), "server-µs/req")
			b.ReportMetric(on.peakRSS(b), "peak-RSS-MiB")
		})
	}
	run("Bare", bare, [][]byte{loadgen.Request(http.MethodGet, bare.url+"/", nil, nil)}, nil)
	run("InProcessBare", &binaryServer{url: inProcess.URL}, [][]byte{loadgen.Request(http.MethodGet, inProcess.URL+"/", nil, nil)}, nil)
	run("Discovery", srv, discovery, nil)
	// Ten changes a second to the large organisation's scopes, each changing its discovery document
	// and its revision (so cached GraphQL answers are read again).
	changing := func(stop <-chan struct{}) {
		on := false
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				on = !on
				benchGQL(b, srv.url, large, `mutation($id: ID!, $on: Boolean!) { updateScope(id: $id, input: {showInDiscoveryDocument: $on}) { id } }`,
					map[string]any{"id": largeScope, "on": on})
			}
		}
	}
	run("DiscoveryWhileScopesChange", srv, discovery, changing)
	run("ScopesTab", srv, gql(large, planScopesTab, tab(largeAPI)), nil)
	run("ScopesTabWhileScopesChange", srv, gql(large, planScopesTab, tab(largeAPI)), changing)
	run("ScopesTabSmallOrg", srv, gql(small, planScopesTab, tab(smallAPI)), nil)
	run("ScopesTabLaterPage", srv, gql(large, planScopesTab, later), nil)
	run("ScopesSearch", srv, gql(large, planScopesTab, search), nil)
	// Searches never asked before, as typing does (the response cache answers none of them): a
	// term naming one scope of the large API, and a term naming none.
	total := int(get(benchGQL(b, srv.url, large, `query($api: ID!) { scopes(where: {apiID: $api}) { totalCount } }`,
		map[string]any{"api": largeAPI}), "scopes.totalCount").(float64))
	newSearches := func(term func(i int) string) [][]byte {
		reqs := make([][]byte, 20_000) // more than a run makes, so none repeats
		for i := range reqs {
			vars := map[string]any{"first": 100 + i/total, "where": map[string]any{"apiID": largeAPI, "nameContainsFold": term(i)}, "orderBy": map[string]any{"field": "NAME", "direction": "ASC"}}
			reqs[i] = gql(large, planScopesTab, vars)[0]
		}
		return reqs
	}
	run("ScopesSearchNew", srv, newSearches(func(i int) string { return fmt.Sprintf("item%07d", i*7919%total) }), nil)
	run("ScopesSearchNewNone", srv, newSearches(func(i int) string { return fmt.Sprintf("absent%07d", i) }), nil)
	run("ClientList", srv, gql(large, planClients, clients), nil)
	run("ScopeImpact", srv, gql(large, planImpact, map[string]any{"id": largeScope}), nil)
}

// bareHandler answers every request with doc.
func bareHandler(doc []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(doc)
	})
}

// startBare runs this test binary again as the bare handler's process (TestMain) serving
// doc, until the benchmark ends.
func startBare(b *testing.B, doc []byte) *binaryServer {
	file := b.TempDir() + "/doc.json"
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = append(os.Environ(), "SCOPEKEEPER_BENCH_BARE_DOC="+file)
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cancel(); _ = cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatalf("the bare handler's process: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return &binaryServer{url: "http://" + strings.TrimSpace(addr), pid: cmd.Process.Pid}
}

// TestMain serves as BenchmarkScale's bare handler when it runs this binary again with
// SCOPEKEEPER_BENCH_BARE_DOC, the document to serve: it prints its address and serves until
// killed. Otherwise it runs the tests.
func TestMain(m *testing.M) {
	if file := os.Getenv("SCOPEKEEPER_BENCH_BARE_DOC"); file != "" {
		doc, err := os.ReadFile(file)
		if err != nil {
			log.Fatal(err)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(l.Addr())
		log.Fatal(http.Serve(l, bareHandler(doc)))
	}
	os.Exit(m.Run())
}

type binaryServer struct {
	url string
	pid int
}

// startBinary runs `bin serve` on dsn at a free loopback port until the benchmark ends.
func startBinary(b *testing.B, bin, dsn string) *binaryServer {
	addr := freeAddrB(b)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve", "--addr", addr, "--db", dsn)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &logs
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cancel(); _ = cmd.Wait() })
	s := &binaryServer{url: "http://" + addr, pid: cmd.Process.Pid}
	for range 1200 {
		if resp, err := http.Get(s.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				b.Logf("server ready in %v", time.Since(start).Round(time.Millisecond))
				return s
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.Fatalf("the server never became ready: %s", logs.String())
	return nil
}

// cpu is the server process's user and system CPU time so far.
func (s *binaryServer) cpu(b *testing.B) time.Duration {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(s.pid) + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+2:])) // fields from the 3rd on
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ
}

// peakRSS is the server process's peak resident memory in MiB (VmHWM).
func (s *binaryServer) peakRSS(b *testing.B) float64 {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(s.pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

func freeAddrB(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// benchLogin signs in and returns the session cookie as a Cookie header value.
func benchLogin(b *testing.B, url, email, password string) string {
	resp, err := http.Post(url+"/auth/login", "application/json", strings.NewReader(fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)))
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "scopekeeper_session" {
			return c.Name + "=" + c.Value
		}
	}
	b.Fatalf("sign-in of %s: status %d, no session", email, resp.StatusCode)
	return ""
}

func benchGQL(b *testing.B, url, cookie, query string, vars map[string]any) map[string]any {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Error(err)
		return nil
	}
	defer resp.Body.Close()
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
		b.Errorf("%s: %v %v", query, err, out.Errors)
	}
	return out.Data
}

func benchGet(b *testing.B, url string) []byte {
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return body
}

// benchAPI finds the generated API of the caller's organisation, its first scope and the cursor
// after the first page of its Scopes tab.
func benchAPI(b *testing.B, url, cookie string) (api, scope, cursor string) {
	d := benchGQL(b, url, cookie, planScopesTab, map[string]any{"first": 100, "where": map[string]any{"builtIn": false}, "orderBy": map[string]any{"field": "NAME", "direction": "ASC"}})
	edges := get(d, "scopes.edges").([]any)
	return str(edges[0], "node.apiID"), str(edges[0], "node.id"), str(d, "scopes.pageInfo.endCursor")
}
