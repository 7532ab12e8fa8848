package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const nginxBin = "/usr/sbin/nginx"

// documented returns the configuration docs/gateways.md documents between the markers
// "<!-- NAME-forward-auth:begin -->" and ":end", in a LANG code block, with each replacement made
// (each must be found: the test and the docs cannot drift apart).
func documented(t *testing.T, name, lang string, replace ...[2]string) string {
	t.Helper()
	doc, err := os.ReadFile("docs/gateways.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok1 := strings.Cut(string(doc), "<!-- "+name+"-forward-auth:begin -->\n```"+lang+"\n")
	snippet, _, ok2 := strings.Cut(rest, "```\n<!-- "+name+"-forward-auth:end -->")
	if !ok1 || !ok2 {
		t.Fatalf("docs/gateways.md has no %s-forward-auth block", name)
	}
	for _, r := range replace {
		if !strings.Contains(snippet, r[0]) {
			t.Fatalf("the documented %s configuration no longer has %q", name, r[0])
		}
		snippet = strings.Replace(snippet, r[0], r[1], 1)
	}
	return snippet
}

// nginxSnippet is the documented NGINX server block with the upstreams pointed at scopekeeper and
// api.
func nginxSnippet(t *testing.T, scopekeeper, api string) string {
	return documented(t, "nginx", "nginx",
		[2]string{"upstream scopekeeper { server 127.0.0.1:8080; }", "upstream scopekeeper { server " + scopekeeper + "; }"},
		[2]string{"upstream api         { server 127.0.0.1:3000; }", "upstream api         { server " + api + "; }"})
}

// startNGINX runs NGINX in the foreground with the documented server block listening on a free
// loopback port, and returns that port's URL.
func startNGINX(t *testing.T, scopekeeper, api string) string {
	t.Helper()
	dir := t.TempDir()
	addr := freeAddr(t)
	server := strings.Replace(nginxSnippet(t, scopekeeper, api), "listen 80;", "listen "+addr+";", 1)
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;" // workers must reach the temporary directory, which only root may enter
	}
	conf := fmt.Sprintf(`%s
daemon off;
master_process on;
worker_processes 1;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log info;
events { worker_connections 64; }
http {
    access_log %[2]s/access.log;
    client_body_temp_path %[2]s/client_body;
    proxy_temp_path %[2]s/proxy;
    fastcgi_temp_path %[2]s/fastcgi;
    uwsgi_temp_path %[2]s/uwsgi;
    scgi_temp_path %[2]s/scgi;
%[3]s
}
`, user, dir, server)
	file := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nginxBin, "-p", dir, "-c", file)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt) // fast shutdown of master and workers
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx output:\n%s\nerror.log:\n%s", out.String(), log)
		}
	})
	for i := 0; i < 200; i++ {
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited: %s\n%s", out.String(), log)
		default:
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("nginx never listened on %s: %s", addr, out.String())
	return ""
}

// echoAPI is the API behind a gateway: it echoes what reached it, and counts the requests.
func echoAPI(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("X-Seen-Subject", r.Header.Get("X-Scopekeeper-Subject"))
		w.Header().Set("X-Seen-Client", r.Header.Get("X-Scopekeeper-Client"))
		w.Header().Set("X-Seen-Scope", r.Header.Get("X-Scopekeeper-Scope"))
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "upstream %s %s %s", r.Method, r.URL.RequestURI(), body)
	}))
	t.Cleanup(api.Close)
	return api, &hits
}

// sendVia sends c's request (with its credential and extra headers) to a gateway.
func sendVia(t *testing.T, gateway string, c forwardCase, extra map[string]string) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if c.method == "POST" {
		body = strings.NewReader(`{"title":"hello"}`)
	}
	r, err := http.NewRequest(c.method, gateway+c.uri, body)
	if err != nil {
		t.Fatal(err)
	}
	setCredential(r, c)
	for k, v := range extra {
		r.Header.Set(k, v)
	}
	resp, err := noRedirects.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// gatewayTable checks the forward-auth table through a gateway: allowed requests reach the API
// with the caller's identity (forged identity headers replaced), denied ones never do.
// unreadable is the status the gateway gives for a 400 of forward auth.
func gatewayTable(t *testing.T, gateway string, cases []forwardCase, hits *atomic.Int64, unreadable int) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := hits.Load()
			resp, body := sendVia(t, gateway, c, map[string]string{"X-Scopekeeper-Subject": "forged", "X-Scopekeeper-Scope": "forged"})
			passed := hits.Load() != before
			switch c.status {
			case 200:
				want := "upstream " + c.method + " " + c.uri
				if c.method == "HEAD" {
					want = ""
				}
				if resp.StatusCode != 200 || !passed || !strings.HasPrefix(body, want) {
					t.Fatalf("status %d, upstream reached %v, body %q; want 200 from the upstream", resp.StatusCode, passed, body)
				}
				got := [3]string{resp.Header.Get("X-Seen-Subject"), resp.Header.Get("X-Seen-Client"), resp.Header.Get("X-Seen-Scope")}
				if want := [3]string{c.subject, c.client, c.scope}; got != want {
					t.Fatalf("the upstream saw identity %q, want %q", got, want)
				}
			case 400:
				if resp.StatusCode != unreadable || passed {
					t.Fatalf("status %d, upstream reached %v; want %d, not passed", resp.StatusCode, passed, unreadable)
				}
			default:
				if resp.StatusCode != c.status || passed {
					t.Fatalf("status %d, upstream reached %v; want %d, not passed", resp.StatusCode, passed, c.status)
				}
				if ch := resp.Header.Get("WWW-Authenticate"); ch != c.challenge {
					t.Fatalf("WWW-Authenticate %q, want %q", ch, c.challenge)
				}
			}
		})
	}
}

// gatewayNoForgedRequest: a client sending the headers that carry the checked request cannot
// have another request checked.
func gatewayNoForgedRequest(t *testing.T, gateway, readOnlyToken string, hits *atomic.Int64) {
	before := hits.Load()
	for _, forged := range []map[string]string{
		{"X-Forwarded-Method": "GET", "X-Forwarded-Uri": "/forums/threads"},
		{"X-Original-Method": "GET", "X-Original-URI": "/forums/threads"},
	} {
		resp, _ := sendVia(t, gateway, forwardCase{cred: readOnlyToken, method: "POST", uri: "/forums/threads"}, forged)
		if resp.StatusCode != 403 {
			t.Errorf("%v: status %d, want 403", forged, resp.StatusCode)
		}
	}
	if hits.Load() != before {
		t.Fatal("a denied request reached the upstream")
	}
}

// gatewayDown: with forward auth unreachable, the gateway passes nothing.
func gatewayDown(t *testing.T, down, tok string, hits *atomic.Int64) {
	before := hits.Load()
	resp, _ := sendVia(t, down, forwardCase{cred: tok, method: "GET", uri: "/forums/threads"}, nil)
	if resp.StatusCode < 500 || hits.Load() != before {
		t.Fatalf("status %d, upstream reached %v; want a 5xx and no pass", resp.StatusCode, hits.Load() != before)
	}
}

// TestForwardAuthNGINX puts real NGINX, configured as docs/gateways.md says, in front of a small
// Go API and checks the forward-auth table through it.
func TestForwardAuthNGINX(t *testing.T) {
	if _, err := os.Stat(nginxBin); err != nil {
		t.Skipf("NGINX is not installed (%s): apt-get install nginx to run this test", nginxBin)
	}
	e := newEnv(t)
	f := newAccessFixture(t, e, "acme")
	cases := forwardCases(t, e, f)
	api, hits := echoAPI(t)
	gateway := startNGINX(t, strings.TrimPrefix(e.URL, "http://"), strings.TrimPrefix(api.URL, "http://"))

	// NGINX answers 500 for any status of the subrequest but 2xx, 401 and 403.
	gatewayTable(t, gateway, cases, hits, 500)
	t.Run("a client cannot choose what is checked", func(t *testing.T) {
		gatewayNoForgedRequest(t, gateway, f.token(t, "acme", "forums.threads.readonly"), hits)
	})
	t.Run("forward auth down: nothing passes", func(t *testing.T) {
		// NGINX pointed at a port nothing listens on.
		gatewayDown(t, startNGINX(t, freeAddr(t), strings.TrimPrefix(api.URL, "http://")), f.token(t, "acme"), hits)
	})
}

// caddyBin finds Caddy: SCOPEKEEPER_CADDY, else caddy on PATH ("" when neither).
func caddyBin() string {
	if p := os.Getenv("SCOPEKEEPER_CADDY"); p != "" {
		return p
	}
	p, _ := exec.LookPath("caddy")
	return p
}

// startCaddy runs Caddy with the documented site, served over plain HTTP on a free loopback port,
// and returns its URL.
func startCaddy(t *testing.T, bin, scopekeeper, api string) string {
	t.Helper()
	dir := t.TempDir()
	addr := freeAddr(t)
	site := documented(t, "caddy", "caddyfile",
		[2]string{"api.example.com {", "http://" + addr + " {"},
		[2]string{"forward_auth https://auth.example.com {", "forward_auth http://" + scopekeeper + " {"},
		[2]string{"reverse_proxy 127.0.0.1:3000", "reverse_proxy " + api})
	file := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(file, []byte("{\n\tadmin off\n\tpersist_config off\n}\n\n"+site), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", file, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("caddy output:\n%s", out.String())
		}
	})
	for i := 0; i < 400; i++ {
		select {
		case <-exited:
			t.Fatalf("caddy exited: %s", out.String())
		default:
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("caddy never listened on %s: %s", addr, out.String())
	return ""
}

// TestForwardAuthCaddy does the same through real Caddy (forward_auth) with the documented site.
func TestForwardAuthCaddy(t *testing.T) {
	bin := caddyBin()
	if bin == "" {
		t.Skip("Caddy is not installed: go install github.com/caddyserver/caddy/v2/cmd/caddy@v2.11.9 and put it on PATH (or set SCOPEKEEPER_CADDY) to run this test")
	}
	e := newEnv(t)
	f := newAccessFixture(t, e, "acme")
	cases := forwardCases(t, e, f)
	api, hits := echoAPI(t)
	gateway := startCaddy(t, bin, strings.TrimPrefix(e.URL, "http://"), strings.TrimPrefix(api.URL, "http://"))

	// Caddy passes forward auth's answer to the client when it is not a 2xx.
	gatewayTable(t, gateway, cases, hits, 400)
	t.Run("a client cannot choose what is checked", func(t *testing.T) {
		gatewayNoForgedRequest(t, gateway, f.token(t, "acme", "forums.threads.readonly"), hits)
	})
	t.Run("forward auth down: nothing passes", func(t *testing.T) {
		gatewayDown(t, startCaddy(t, bin, freeAddr(t), strings.TrimPrefix(api.URL, "http://")), f.token(t, "acme"), hits)
	})
}
