package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"scopekeeper/internal/auth"
	"scopekeeper/internal/clientaddr"
	"scopekeeper/internal/keys"
	"scopekeeper/internal/orgs"
	"scopekeeper/internal/store"
)

// from returns an HTTP client whose connections come from the loopback address ip (127.0.0.0/8 is
// all loopback on Linux), so the server sees another client address.
func from(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

type answer struct {
	status int
	header http.Header
	body   string
}

// send posts body to path with the given headers (a Cookie among them, if any).
func send(t *testing.T, hc *http.Client, method, u string, headers map[string]string, body string) answer {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, strings.TrimSpace(string(b))}
}

func loginBody(email, pw string) string {
	b, _ := json.Marshal(map[string]string{"email": email, "password": pw})
	return string(b)
}

// sessionCookie signs in and returns the session cookie as a Cookie header value.
func sessionCookie(t *testing.T, e *testEnv, email, pw string) string {
	t.Helper()
	a := send(t, http.DefaultClient, "POST", e.URL+"/auth/login", map[string]string{"Content-Type": "application/json"}, loginBody(email, pw))
	if a.status != 200 {
		t.Fatalf("login: %d %s", a.status, a.body)
	}
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Name == auth.CookieName {
			return c.Name + "=" + c.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

// Finding 6: a cross-site page must not sign a victim in, out, or act with their session.
func TestCrossSiteSignInOutAndGraphQL(t *testing.T) {
	e := newEnv(t)
	owner := e.org("acme")
	login := e.URL + "/auth/login"
	body := loginBody("owner@acme.test", "correct horse battery")
	hasCookie := func(a answer) bool { return a.header.Get("Set-Cookie") != "" }

	// A form or no-cors fetch can send text/plain without a preflight.
	if a := send(t, http.DefaultClient, "POST", login, map[string]string{"Content-Type": "text/plain"}, body); a.status != http.StatusUnsupportedMediaType || hasCookie(a) {
		t.Fatalf("text/plain login: %d %s (cookie %v), want 415 and no cookie", a.status, a.body, hasCookie(a))
	}
	for _, h := range []map[string]string{
		{"Origin": "http://evil.test"},
		{"Origin": "null"},
		{"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.test"},
		{"Sec-Fetch-Site": "same-site", "Origin": "http://sub.127.0.0.1.nip.io"},
	} {
		h["Content-Type"] = "application/json"
		if a := send(t, http.DefaultClient, "POST", login, h, body); a.status != http.StatusForbidden || hasCookie(a) {
			t.Fatalf("login with %v: %d %s, want 403 and no cookie", h, a.status, a.body)
		}
	}
	for _, h := range []map[string]string{
		{"Content-Type": "application/json"}, // curl, scripts
		{"Content-Type": "application/json; charset=utf-8", "Origin": e.URL, "Sec-Fetch-Site": "same-origin"},
	} {
		if a := send(t, http.DefaultClient, "POST", login, h, body); a.status != 200 || !hasCookie(a) {
			t.Fatalf("login with %v: %d %s", h, a.status, a.body)
		}
	}

	cookie := sessionCookie(t, e, "owner@acme.test", "correct horse battery")
	viewer := func() int {
		a := send(t, http.DefaultClient, "POST", e.URL+"/graphql", map[string]string{"Content-Type": "application/json", "Cookie": cookie}, `{"query":"{ viewer { user { email } } }"}`)
		if strings.Contains(a.body, "owner@acme.test") {
			return 1
		}
		return 0
	}
	// Cross-site logout: refused whole, the cookie and the session both stay.
	a := send(t, http.DefaultClient, "POST", e.URL+"/auth/logout", map[string]string{"Cookie": cookie, "Origin": "http://evil.test", "Sec-Fetch-Site": "cross-site"}, "")
	if a.status != http.StatusForbidden || hasCookie(a) || viewer() != 1 {
		t.Fatalf("cross-site logout: %d, Set-Cookie %q, session alive %d; want 403, none, 1", a.status, a.header.Get("Set-Cookie"), viewer())
	}

	// Cookie-authenticated GraphQL from another site is refused before it runs.
	mutation := `{"query":"mutation { createAPI(input: {name: \"csrf\", basePath: \"/csrf\"}) { id } }"}`
	a = send(t, http.DefaultClient, "POST", e.URL+"/graphql", map[string]string{"Content-Type": "application/json", "Cookie": cookie, "Origin": "http://evil.test"}, mutation)
	if a.status != http.StatusForbidden {
		t.Fatalf("cross-site GraphQL with the session cookie: %d %s", a.status, a.body)
	}
	if n := owner.must(`{ apis(where: {name: "csrf"}) { totalCount } }`, nil); get(n, "apis.totalCount") != float64(0) {
		t.Fatal("the cross-site mutation ran")
	}
	// An API key is not ambient: a page cannot make a browser send it, so Origin does not matter.
	d := owner.must(`{ scopes(where: {name: "scopekeeper.admin.readonly"}) { edges { node { id } } } }`, nil)
	read := str(get(d, "scopes.edges").([]any)[0], "node.id")
	owner.must(`mutation($s: [ID!]) { updateOrganisation(input: {apiKeyAllowedScopeIDs: $s}) { id } }`, map[string]any{"s": []string{read}})
	key := str(owner.must(`mutation($s: [ID!]) { createAPIKey(input: {name: "script", scopeIDs: $s}) { key } }`, map[string]any{"s": []string{read}}), "createAPIKey.key")
	a = send(t, http.DefaultClient, "POST", e.URL+"/graphql", map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + key, "Origin": "http://evil.test"}, `{"query":"{ viewer { user { email } } }"}`)
	if a.status != 200 || !strings.Contains(a.body, "owner@acme.test") {
		t.Fatalf("API key with a foreign Origin: %d %s", a.status, a.body)
	}

	// Same-origin logout ends the session and clears the cookie.
	a = send(t, http.DefaultClient, "POST", e.URL+"/auth/logout", map[string]string{"Cookie": cookie, "Origin": e.URL, "Sec-Fetch-Site": "same-origin"}, "")
	if a.status != http.StatusNoContent || !hasCookie(a) || viewer() != 0 {
		t.Fatalf("logout: %d, Set-Cookie %q, session alive %d", a.status, a.header.Get("Set-Cookie"), viewer())
	}
}

// Finding 9: an attacker's failures must not lock the owner out, and a flood from one address stops.
func TestSignInThrottlePerPairAddressAndEmail(t *testing.T) {
	e := newEnv(t)
	e.org("acme")
	l := auth.SignInLimits
	try := func(ip, email, pw string) answer {
		return send(t, from(ip), "POST", e.URL+"/auth/login", map[string]string{"Content-Type": "application/json"}, loginBody(email, pw))
	}
	refused := func(a answer) bool {
		s, _ := strconv.Atoi(a.header.Get("Retry-After"))
		return a.status == http.StatusTooManyRequests && s > 0 && strings.Contains(a.body, "too_many_attempts")
	}
	const owner, right = "owner@acme.test", "correct horse battery"

	// One attacking address: its pair with the owner is refused, the right password included.
	for i := 0; i < l.Pair; i++ {
		if a := try("127.0.0.2", owner, "guess"); a.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d %s", i+1, a.status, a.body)
		}
	}
	before := e.Statements.Load()
	if a := try("127.0.0.2", owner, right); !refused(a) {
		t.Fatalf("after %d failures from one address: %d %s %v", l.Pair, a.status, a.body, a.header)
	}
	if n := e.Statements.Load() - before; n != 0 {
		t.Fatalf("a refused sign-in ran %d SQL statements, want none", n)
	}
	if a := try("127.0.0.1", owner, right); a.status != 200 {
		t.Fatalf("the owner, from a clean address: %d %s", a.status, a.body)
	}

	// Spread over many addresses: past the email's budget, addresses that failed for it are
	// refused; the owner's clean address still signs in.
	for i := l.Pair; i < l.Identity; i++ {
		try("127.0.1."+strconv.Itoa(i%200+1), owner, "guess")
	}
	if a := try("127.0.1."+strconv.Itoa((l.Identity-1)%200+1), owner, "guess"); !refused(a) {
		t.Fatalf("an address that failed, past the email's budget: %d %s", a.status, a.body)
	}
	if a := try("127.0.0.1", owner, right); a.status != 200 {
		t.Fatalf("the owner, with the email under attack: %d %s", a.status, a.body)
	}

	// One address flooding many emails (unknown ones count alike) is refused for every email.
	for i := 0; i < l.Address; i++ {
		if a := try("127.0.0.3", "user"+strconv.Itoa(i)+"@acme.test", "guess"); a.status != http.StatusUnauthorized {
			t.Fatalf("flood failure %d: %d", i+1, a.status)
		}
	}
	if a := try("127.0.0.3", owner, right); !refused(a) {
		t.Fatalf("a flooding address: %d %s", a.status, a.body)
	}
}

func TestTokenEndpointThrottle(t *testing.T) {
	e := newEnv(t)
	f := newAccessFixture(t, e, "acme")
	token := func(ip, secret string) answer {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {f.workerID}, "client_secret": {secret}}
		return send(t, from(ip), "POST", e.URL+"/o/acme/oauth/token", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, form.Encode())
	}
	n := 0
	for ; n < 100; n++ {
		a := token("127.0.0.2", "wrong")
		if a.status == http.StatusTooManyRequests {
			if !strings.Contains(a.body, `"error":"too_many_requests"`) || a.header.Get("Retry-After") == "" || a.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("429: %v %s", a.header, a.body)
			}
			break
		}
		if a.status != http.StatusUnauthorized {
			t.Fatalf("wrong secret: %d %s", a.status, a.body)
		}
	}
	if n == 0 || n == 100 {
		t.Fatalf("throttled after %d failures", n)
	}
	if a := token("127.0.0.2", f.workerSecret); a.status != http.StatusTooManyRequests {
		t.Fatalf("the attacking address with the right secret: %d", a.status)
	}
	if a := token("127.0.0.1", f.workerSecret); a.status != 200 {
		t.Fatalf("the client from its own address: %d %s", a.status, a.body)
	}
}

func TestChangePasswordThrottle(t *testing.T) {
	e := newEnv(t)
	owner := e.org("acme")
	const change = `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { id } }`
	for i := 0; i < auth.SignInLimits.Pair; i++ {
		r := owner.fails("VALIDATION_FAILED", change, map[string]any{"c": "guess " + strconv.Itoa(i), "n": "copper lantern orbit meadow"})
		if r.Field() != "currentPassword" || !strings.Contains(r.Errors[0].Message, "not right") {
			t.Fatalf("wrong current password %d: %+v", i, r.Errors)
		}
	}
	r := owner.fails("VALIDATION_FAILED", change, map[string]any{"c": "correct horse battery", "n": "copper lantern orbit meadow"})
	if r.Field() != "currentPassword" || !strings.Contains(r.Errors[0].Message, "Too many") {
		t.Fatalf("after %d wrong current passwords: %+v", auth.SignInLimits.Pair, r.Errors)
	}
	// Refused means unchanged: the old password still signs in, from another address.
	if a := send(t, from("127.0.0.2"), "POST", e.URL+"/auth/login", map[string]string{"Content-Type": "application/json"}, loginBody("owner@acme.test", "correct horse battery")); a.status != 200 {
		t.Fatalf("old password from another address: %d %s", a.status, a.body)
	}
}

// Finding 12: weak passwords are refused everywhere a password is set.
func TestPasswordRule(t *testing.T) {
	e := newEnv(t)
	owner := e.org("acme")
	for _, weak := range []string{"xxxxxxxx", "xxxxxxxxxxxxxxxx", "password1234", "qwertyuiopas", "v@acme.test123"} {
		r := owner.fails("VALIDATION_FAILED", `mutation($p: String!) { createUser(input: {email: "v@acme.test", password: $p, role: VIEWER}) { id } }`, map[string]any{"p": weak})
		if r.Field() != "password" || !strings.Contains(r.Errors[0].Message, "e.g.") {
			t.Fatalf("createUser with %q: %+v", weak, r.Errors)
		}
	}
	id := str(owner.must(`mutation { createUser(input: {email: "v@acme.test", password: "viewer pass 1234", role: VIEWER}) { id } }`, nil), "createUser.id")
	r := owner.fails("VALIDATION_FAILED", `mutation($id: ID!) { setUserPassword(id: $id, password: "aaaaaaaaaaaaaaaa") { id } }`, map[string]any{"id": id})
	if r.Field() != "password" {
		t.Fatalf("setUserPassword: %+v", r.Errors)
	}
	r = owner.fails("VALIDATION_FAILED", `mutation { changePassword(currentPassword: "correct horse battery", newPassword: "owner@acme.test") { id } }`, nil)
	if r.Field() != "newPassword" {
		t.Fatalf("changePassword: %+v", r.Errors)
	}
	e.login("v@acme.test", "viewer pass 1234") // unchanged by the refused setUserPassword

	err := run(context.Background(), []string{"bootstrap", "--db", t.TempDir() + "/b.db", "--org-name", "Beta", "--org-slug", "beta",
		"--email", "o@beta.test", "--password", "xxxxxxxxxxxxxxxx"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--password") {
		t.Fatalf("bootstrap with a weak password: %v", err)
	}
}

// Finding 13: security headers on every response; HSTS only behind an https public URL.
func TestSecurityHeaders(t *testing.T) {
	check := func(t *testing.T, h http.Handler, https bool) {
		for _, r := range []*http.Request{
			httptest.NewRequest("GET", "/", nil),
			httptest.NewRequest("GET", "/clients", nil),
			httptest.NewRequest("GET", "/healthz", nil),
			httptest.NewRequest("POST", "/graphql", strings.NewReader(`{"query":"{ viewer { user { id } } }"}`)),
			httptest.NewRequest("GET", "/o/nope/.well-known/openid-configuration", nil),
		} {
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			got := w.Header()
			if got.Get("Referrer-Policy") != "no-referrer" || got.Get("X-Content-Type-Options") != "nosniff" || got.Get("X-Frame-Options") != "DENY" {
				t.Errorf("%s %s: headers %v", r.Method, r.URL, got)
			}
			if hsts := got.Get("Strict-Transport-Security"); (hsts == "max-age=63072000; includeSubDomains") != https {
				t.Errorf("%s %s with https=%v: Strict-Transport-Security %q", r.Method, r.URL, https, hsts)
			}
		}
	}
	for _, public := range []string{"http://127.0.0.1:8080", "https://auth.example"} {
		t.Run(public, func(t *testing.T) {
			db, err := store.Open(context.Background(), t.TempDir()+"/h.db")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			kp, _ := keys.NewKeeper("")
			a := newApp(db, Config{PublicURL: public, Keys: kp})
			defer a.oauth.Close()
			check(t, a.handler(), strings.HasPrefix(public, "https:"))
		})
	}
}

// X-Forwarded-For names the client only when the peer is a --trusted-proxies address.
func TestTrustedProxies(t *testing.T) {
	for _, trusted := range []bool{false, true} {
		t.Run(strconv.FormatBool(trusted), func(t *testing.T) {
			db, err := store.Open(context.Background(), t.TempDir()+"/p.db")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			srv := httptest.NewUnstartedServer(nil)
			kp, _ := keys.NewKeeper("")
			cfg := Config{PublicURL: "http://" + srv.Listener.Addr().String(), Keys: kp}
			if trusted {
				cfg.TrustedProxies, _ = clientaddr.Parse("127.0.0.0/8")
			}
			a := newApp(db, cfg)
			defer a.oauth.Close()
			srv.Config.Handler = a.handler()
			srv.Start()
			defer srv.Close()
			if _, _, err := orgs.Bootstrap(context.Background(), db.Client, orgs.Owner{OrgName: "Acme", OrgSlug: "acme", Email: "owner@acme.test", Password: "correct horse battery"}); err != nil {
				t.Fatal(err)
			}
			try := func(xff, pw string) int {
				return send(t, http.DefaultClient, "POST", srv.URL+"/auth/login", map[string]string{"Content-Type": "application/json", "X-Forwarded-For": xff},
					loginBody("owner@acme.test", pw)).status
			}
			for i := 0; i < auth.SignInLimits.Pair; i++ {
				try("198.51.100."+strconv.Itoa(i+1)+", 198.51.100.1", "guess") // a client may prepend anything
			}
			got := try("198.51.100.2", "correct horse battery")
			if want := map[bool]int{false: http.StatusTooManyRequests, true: http.StatusOK}[trusted]; got != want {
				t.Fatalf("another forwarded client after %d failures: %d, want %d", auth.SignInLimits.Pair, got, want)
			}
			if trusted {
				if got := try("198.51.100.1", "correct horse battery"); got != http.StatusTooManyRequests {
					t.Fatalf("the forwarded client that failed: %d", got)
				}
			}
		})
	}
}
