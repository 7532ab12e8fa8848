package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"scopekeeper/internal/reqid"
)

// captureLog sends everything logged through slog during the test to the returned buffer.
func captureLog(t *testing.T) *lockedBuffer {
	t.Helper()
	buf := &lockedBuffer{}
	prev := slog.Default()
	slog.SetDefault(slog.New(reqid.LogHandler(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return buf
}

func post(t *testing.T, url, contentType string, body io.Reader, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, body)
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// Issue 9, finding 1: POST /graphql read a body of any size before authentication, echoed it in
// the error and logged it whole. Bodies are limited on every route (413), never echoed or logged.
func TestBodiesAreLimited(t *testing.T) {
	e := newEnv(t)
	e.org("acme")
	log := captureLog(t)
	marker := "MARKER" + strings.Repeat("x", 2<<20) // over the 1 MiB default
	for _, path := range []string{"/graphql", "/auth/login", "/o/acme/oauth/token", "/o/acme/v1/check"} {
		// With a declared length, refused before reading.
		resp, body := post(t, e.URL+path, "application/json", strings.NewReader(`{"query":"`+marker+`"}`))
		if resp.StatusCode != http.StatusRequestEntityTooLarge || strings.Contains(body, "MARKER") {
			t.Errorf("%s: %d %.200s", path, resp.StatusCode, body)
		}
	}
	// Without a declared length (chunked), reading stops at the limit.
	chunked := io.MultiReader(strings.NewReader(`{"query":"`), strings.NewReader(marker), strings.NewReader(`"}`))
	resp, body := post(t, e.URL+"/graphql", "application/json", chunked)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || strings.Contains(body, "MARKER") || !strings.Contains(body, "GRAPHQL_PARSE_FAILED") {
		t.Errorf("chunked: %d %.200s", resp.StatusCode, body)
	}
	if strings.Contains(log.String(), "MARKER") {
		t.Error("the body reached the log")
	}
}

// Issue 9, finding 7 (and "any malformed JSON body triggers a recovered panic"): a GraphQL request
// with malformed JSON was logged whole at ERROR level, a setUserPassword password included, and
// answered 500 after a panic.
func TestMalformedRequestsAreNeitherEchoedNorLogged(t *testing.T) {
	e := newEnv(t)
	e.org("acme")
	log := captureLog(t)
	secret := "hunter2-SECRET-PASSWORD"
	for _, body := range []string{
		`{"query":"mutation { setUserPassword(id: 1, password: \"` + secret + `\") { id } }", "variables": {`,
		`{"query": 5, "x": "` + secret + `"}`,
		`["` + secret + `"]`,
		secret,
	} {
		resp, got := post(t, e.URL+"/graphql", "application/json", strings.NewReader(body))
		if resp.StatusCode != http.StatusBadRequest || strings.Contains(got, secret) || !strings.Contains(got, "GRAPHQL_PARSE_FAILED") {
			t.Errorf("%.40s: %d %s", body, resp.StatusCode, got)
		}
	}
	// A well-formed request whose variables hold a secret, refused for another reason.
	resp, got := post(t, e.URL+"/graphql", "application/json", strings.NewReader(
		`{"query":"mutation($p: String!) { setUserPassword(id: \"1\", password: $p) { id } }","variables":{"p":"`+secret+`"}}`))
	if strings.Contains(got, secret) {
		t.Errorf("variables echoed: %d %s", resp.StatusCode, got)
	}
	out := log.String()
	if strings.Contains(out, secret) || strings.Contains(out, "panic") {
		t.Errorf("log: %s", out)
	}
}

// Every response carries X-Request-Id, kept from the request when it is plausible, and every log
// line of the request has it.
func TestRequestIDs(t *testing.T) {
	e := newEnv(t)
	e.org("acme")
	log := captureLog(t)
	resp, _ := post(t, e.URL+"/graphql", "application/json", strings.NewReader(`{"query":"{ __typename }"}`), reqid.Header, "trace-0123_abc")
	if got := resp.Header.Get(reqid.Header); got != "trace-0123_abc" {
		t.Errorf("kept ID = %q", got)
	}
	if !strings.Contains(log.String(), `"request_id":"trace-0123_abc"`) {
		t.Errorf("log lines lack the request ID: %s", log.String())
	}
	seen := map[string]bool{}
	for _, sent := range []string{"", "has spaces and \"quotes\"", strings.Repeat("a", 129)} {
		resp, _ := post(t, e.URL+"/o/acme/oauth/token", "application/x-www-form-urlencoded", strings.NewReader("grant_type=client_credentials"), reqid.Header, sent)
		got := resp.Header.Get(reqid.Header)
		if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(got) || seen[got] {
			t.Errorf("sent %q, got %q", sent, got)
		}
		seen[got] = true
	}
}

// GET /metrics serves Prometheus text to loopback callers: requests by route and status, latency,
// tokens by grant, decisions by reason, cache lookups.
func TestMetrics(t *testing.T) {
	e := newEnv(t)
	fx := newAccessFixture(t, e, "acme")
	expectDecision(t, fx.decide(t, fx.token(t, "acme"), "GET", "/forums/threads/1"), true, "granted", "forums.threads.readonly")
	expectDecision(t, fx.decide(t, "unknown-credential", "GET", "/forums/threads/1"), false, "unknown_credential", "")
	resp, err := http.Get(e.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(b)
	for _, want := range []string{
		`scopekeeper_http_requests_total{code="200",route="POST /o/{slug}/oauth/token"}`,
		`scopekeeper_http_request_duration_seconds_bucket{route="POST /o/{slug}/v1/check"`,
		`scopekeeper_tokens_issued_total{grant="client_credentials"}`,
		`scopekeeper_access_decisions_total{reason="granted"}`,
		`scopekeeper_access_decisions_total{reason="unknown_credential"}`,
		`scopekeeper_cache_lookups_total{cache="access_credentials",result="miss"}`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("/metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// Issue 9, finding 14: when a commit failed (disk full), the GraphQL error bypassed the error
// presenter, and /readyz still said ok. The database here lives on a 4 MiB tmpfs that the test fills.
func TestFullDisk(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	e := startServer(t, filepath.Join(dir, "full.db"))
	owner := e.org("acme")
	log := captureLog(t)
	fill, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte{1}, 64<<10)
	for {
		if _, err := fill.Write(chunk); err != nil {
			break
		}
	}
	fill.Close()
	var r gqlResponse
	for i := 0; i < 50 && r.Code() == ""; i++ { // the WAL may have a little room left
		r = owner.raw(createAPI, map[string]any{"in": map[string]any{"name": "full" + string(rune('a'+i%26)) + strings.Repeat("x", i), "basePath": "/full"}})
	}
	if r.Code() != "INTERNAL_SERVER_ERROR" || strings.Contains(r.Errors[0].Message, "disk") {
		t.Fatalf("mutation on a full disk: %+v", r.Errors)
	}
	if !strings.Contains(log.String(), "full") {
		t.Errorf("the failure was not logged: %s", log.String())
	}
	resp, err := http.Get(e.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz on a full disk: %d", resp.StatusCode)
	}
}

// A server started on a missing or read-only directory says exactly that.
func TestServeOnAnUnusableDirectory(t *testing.T) {
	err := run(context.Background(), []string{"serve", "--addr", freeAddr(t), "--db", "/nonexistent-dir/sk.db"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "/nonexistent-dir does not exist") {
		t.Errorf("missing directory: %v", err)
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a read-only tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	err = run(context.Background(), []string{"serve", "--addr", freeAddr(t), "--db", dir + "/sk.db"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), dir+" is not writable") {
		t.Errorf("read-only directory: %v", err)
	}
}

func TestMaxBodyFlag(t *testing.T) {
	if _, err := parseServe([]string{"--max-body", "10"}); err == nil || !strings.Contains(err.Error(), "--max-body") {
		t.Errorf("--max-body 10: %v", err)
	}
	c, err := parseServe([]string{"--max-body", "4096", "--metrics-addr", "127.0.0.1:9100"})
	if err != nil || c.MaxBody != 4096 || c.MetricsAddr != "127.0.0.1:9100" {
		t.Errorf("flags: %+v %v", c, err)
	}
}
