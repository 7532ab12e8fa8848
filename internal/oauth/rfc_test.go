package oauth

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"scopekeeper/ent/oauthclient"
)

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// RFC 6749 §4.1.2.1 and §3.1.2.4: errors before the redirect URI is known good are shown to the
// user, never redirected; afterwards they go back to the client with the state.
func TestRFC6749_4_1_2_1_AuthorizationErrors(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	web := tn.client(t, oauthclient.KindWEB, tn.scope(t, "forums.threads.readonly"))
	svc := tn.client(t, oauthclient.KindSERVICE, tn.scope(t, "forums.stats.readonly"))
	g := tn.owner(t)
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	base := url.Values{"response_type": {"code"}, "client_id": {web.ClientID}, "redirect_uri": {"https://app.example/callback"},
		"state": {"xyz"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}, "scope": {"forums.threads.readonly"}}
	with := func(k, v string) url.Values {
		q := url.Values{}
		for kk, vv := range base {
			q[kk] = vv
		}
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q
	}
	cases := []struct {
		name      string
		query     url.Values
		wantPage  int    // a plain error page with this status
		wantError string // or a redirect back with this error
	}{
		{"unknown client_id", with("client_id", "nobody"), 400, ""},
		{"missing client_id", with("client_id", ""), 400, ""},
		{"unregistered redirect_uri", with("redirect_uri", "https://evil.example/cb"), 400, ""},
		{"redirect_uri differing in one character", with("redirect_uri", "https://app.example/callback/"), 400, ""},
		{"missing redirect_uri", with("redirect_uri", ""), 400, ""},
		{"response_type token", with("response_type", "token"), 0, "unsupported_response_type"},
		{"RFC 7636 §4.4.1: no code_challenge", with("code_challenge", ""), 0, "invalid_request"},
		{"RFC 7636 §4.3: plain method refused", with("code_challenge_method", "plain"), 0, "invalid_request"},
		{"RFC 7636 §4.2: malformed challenge", with("code_challenge", "short"), 0, "invalid_request"},
		{"scope the client lacks", with("scope", "forums.stats.readonly"), 0, "invalid_scope"},
		{"malformed scope", with("scope", "bad\\scope"), 0, "invalid_scope"},
		{"SERVICE client", func() url.Values { q := with("client_id", svc.ClientID); return q }(), 400, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := g.HTTP.Get(tn.Issuer + "/oauth/authorize?" + c.query.Encode())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if c.wantPage != 0 {
				if resp.StatusCode != c.wantPage || resp.Header.Get("Location") != "" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
					t.Fatalf("status %d, Location %q, %s; want a %d HTML page", resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Content-Type"), c.wantPage)
				}
				return
			}
			loc, err := resp.Location()
			if err != nil || resp.StatusCode != http.StatusFound {
				t.Fatalf("status %d: %v", resp.StatusCode, err)
			}
			if loc.Host != "app.example" || loc.Query().Get("error") != c.wantError || loc.Query().Get("state") != "xyz" {
				t.Fatalf("redirected to %s, want error=%s", loc, c.wantError)
			}
		})
	}
	// The registered redirect URI's own query is kept.
	resp, err := g.HTTP.Get(tn.Issuer + "/oauth/authorize?" + with("redirect_uri", "http://127.0.0.1:5173/cb?x=1").Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc, _ := resp.Location(); loc == nil || loc.Path != "/consent" {
		t.Fatalf("redirect URI with a query: %v", resp.Header)
	}
}

// RFC 7636: the code_verifier must match the S256 challenge; codes expire; redirect_uri and client
// must match the authorization request (RFC 6749 §4.1.3).
func TestRFC7636_PKCE(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	web := tn.client(t, oauthclient.KindWEB, read)
	other := tn.client(t, oauthclient.KindWEB, read)
	g := tn.owner(t)

	newCode := func(t *testing.T) (*codeFlow, string) {
		f := newCodeFlow(t, tn, web, "https://app.example/callback", "forums.threads.readonly")
		loc := f.authorize(g.HTTP, f.authURL())
		if loc.Path == "/consent" {
			_, loc = f.consent(g, loc, true, []string{"forums.threads.readonly"})
		}
		return f, f.code(loc)
	}
	cases := []struct {
		name   string
		mutate func(f *codeFlow, form url.Values)
		want   string
	}{
		{"matching verifier", func(*codeFlow, url.Values) {}, ""},
		{"§4.6 wrong verifier", func(_ *codeFlow, v url.Values) { v.Set("code_verifier", oauth2.GenerateVerifier()) }, "invalid_grant"},
		{"§4.1 verifier too short", func(_ *codeFlow, v url.Values) { v.Set("code_verifier", "abc") }, "invalid_request"},
		{"§4.5 verifier missing", func(_ *codeFlow, v url.Values) { v.Del("code_verifier") }, "invalid_request"},
		{"the challenge itself as verifier", func(f *codeFlow, v url.Values) {
			v.Set("code_verifier", oauth2.S256ChallengeFromVerifier(f.verifier))
		}, "invalid_grant"},
		{"RFC 6749 §4.1.3 other redirect_uri", func(_ *codeFlow, v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:5173/cb?x=1") }, "invalid_grant"},
		{"RFC 6749 §4.1.3 another client's code", func(_ *codeFlow, v url.Values) {
			v.Set("client_id", other.ClientID)
			v.Set("client_secret", other.Secret)
		}, "invalid_grant"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, code := newCode(t)
			form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"https://app.example/callback"},
				"code_verifier": {f.verifier}, "client_id": {web.ClientID}, "client_secret": {web.Secret}}
			c.mutate(f, form)
			resp, body := postForm(t, tn.tokenURL(), form, "", "")
			if c.want == "" {
				if resp.StatusCode != 200 {
					t.Fatalf("%s %v", resp.Status, body)
				}
				return
			}
			if body["error"] != c.want {
				t.Fatalf("got %s %v, want %s", resp.Status, body, c.want)
			}
		})
	}
	t.Run("§4.1.2 expired code", func(t *testing.T) {
		f, code := newCode(t)
		e.P.now = func() time.Time { return time.Now().Add(CodeTTL + time.Second) }
		defer func() { e.P.now = time.Now }()
		if _, err := f.exchange(code); oauthErrorCode(err) != "invalid_grant" {
			t.Fatalf("expired code: %v", err)
		}
	})
	t.Run("codes are single-use under concurrency", func(t *testing.T) {
		f, code := newCode(t)
		errs := make(chan error, 8)
		for range 8 {
			go func() { _, err := f.exchange(code); errs <- err }()
		}
		ok := 0
		for range 8 {
			if err := <-errs; err == nil {
				ok++
			} else if oauthErrorCode(err) != "invalid_grant" {
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d exchanges succeeded, want 1", ok)
		}
	})
}

// A BROWSER client is public: PKCE without a secret, and CORS for its redirect URIs' origins only.
func TestBrowserClientPublicFlowAndCORS(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	spa := tn.client(t, oauthclient.KindBROWSER, tn.scope(t, "forums.threads.readonly"))
	g := tn.owner(t)
	f := newCodeFlow(t, tn, spa, "http://127.0.0.1:5173/cb?x=1", "forums.threads.readonly")
	_, back := f.consent(g, f.authorize(g.HTTP, f.authURL()), true, []string{"forums.threads.readonly"})
	form := url.Values{"grant_type": {"authorization_code"}, "code": {f.code(back)}, "redirect_uri": {"http://127.0.0.1:5173/cb?x=1"},
		"code_verifier": {f.verifier}, "client_id": {spa.ClientID}}

	// Preflight from the SPA's origin, then from another.
	pre := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, tn.tokenURL(), nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := pre("http://127.0.0.1:5173"); r.Header.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:5173" || r.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("preflight from the SPA: %v", r.Header)
	}
	if r := pre("https://evil.example"); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from elsewhere: %v", r.Header)
	}
	req, _ := http.NewRequest(http.MethodPost, tn.tokenURL(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://127.0.0.1:5173")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	_ = jsonDecode(resp, &body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:5173" {
		t.Fatalf("token: %s %v %v", resp.Status, resp.Header, body)
	}
	// A public client cannot use a secret, nor introspect.
	form.Set("client_secret", "sks_x")
	if resp, _ := postForm(t, tn.tokenURL(), form, "", ""); resp.StatusCode != 401 {
		t.Fatalf("public client with a secret: %s", resp.Status)
	}
	if resp, _ := postForm(t, tn.Issuer+"/oauth/introspect", url.Values{"token": {body["access_token"].(string)}, "client_id": {spa.ClientID}}, "", ""); resp.StatusCode != 401 {
		t.Fatalf("public client introspecting: %s", resp.Status)
	}
	// It may revoke its own token (RFC 7009 §2.1 public clients).
	if resp, _ := postForm(t, tn.Issuer+"/oauth/revoke", url.Values{"token": {body["access_token"].(string)}, "client_id": {spa.ClientID}}, "", ""); resp.StatusCode != 200 {
		t.Fatalf("public client revoking: %s", resp.Status)
	}
}

// RFC 7662 §2: introspection request authentication and response members.
func TestRFC7662_Introspection(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	svc := tn.client(t, oauthclient.KindSERVICE, read)
	rs := tn.client(t, oauthclient.KindSERVICE, tn.scope(t, "forums.stats.readonly"))
	web := tn.client(t, oauthclient.KindWEB, read)
	tok, err := ccToken(t, tn, svc)
	if err != nil {
		t.Fatal(err)
	}
	g := tn.owner(t)
	f := newCodeFlow(t, tn, web, "https://app.example/callback", "forums.threads.readonly")
	_, back := f.consent(g, f.authorize(g.HTTP, f.authURL()), true, []string{"forums.threads.readonly"})
	userTok, err := f.exchange(f.code(back))
	if err != nil {
		t.Fatal(err)
	}
	// A value with a real token's lookup key but other random bits must not match it.
	forged := tok.AccessToken[:len(tok.AccessToken)-4] + "AAAA"
	if forged == tok.AccessToken {
		forged = tok.AccessToken[:len(tok.AccessToken)-4] + "BBBB"
	}
	cases := []struct {
		name       string
		form       url.Values
		id, secret string
		wantStatus int
		want       map[string]any
	}{
		{"§2.2 active client_credentials token", url.Values{"token": {tok.AccessToken}}, rs.ClientID, rs.Secret, 200,
			map[string]any{"active": true, "scope": "forums.threads.readonly", "client_id": svc.ClientID, "token_type": "Bearer", "sub": svc.ClientID}},
		{"§2.2 active user token: sub is the user", url.Values{"token": {userTok.AccessToken}}, rs.ClientID, rs.Secret, 200,
			map[string]any{"active": true, "client_id": web.ClientID, "sub": id(tn.UserID)}},
		{"§2.1 token_type_hint is accepted", url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}}, rs.ClientID, rs.Secret, 200,
			map[string]any{"active": true}},
		{"§2.2 unknown token is inactive and nothing else", url.Values{"token": {"ska_nope"}}, rs.ClientID, rs.Secret, 200, map[string]any{"active": false}},
		{"§2.2 a real token's lookup key with forged secret bits is inactive", url.Values{"token": {forged}}, rs.ClientID, rs.Secret, 200, map[string]any{"active": false}},
		{"§2.2 not a token at all", url.Values{"token": {"hello"}}, rs.ClientID, rs.Secret, 200, map[string]any{"active": false}},
		{"§2.1 token missing", url.Values{}, rs.ClientID, rs.Secret, 400, map[string]any{"error": "invalid_request"}},
		{"§2.1 caller must authenticate", url.Values{"token": {tok.AccessToken}}, "", "", 401, map[string]any{"error": "invalid_client"}},
		{"§2.1 wrong secret", url.Values{"token": {tok.AccessToken}}, rs.ClientID, "sks_no", 401, map[string]any{"error": "invalid_client"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := postForm(t, tn.Issuer+"/oauth/introspect", c.form, c.id, c.secret)
			if resp.StatusCode != c.wantStatus {
				t.Fatalf("status %s %v", resp.Status, body)
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", resp.Header.Get("Cache-Control"))
			}
			for k, v := range c.want {
				if body[k] != v {
					t.Errorf("%s = %v, want %v (%v)", k, body[k], v, body)
				}
			}
			if c.want["active"] == false && len(body) != 1 {
				t.Errorf("inactive answer says more than active: %v", body)
			}
			if c.want["active"] == true {
				exp, _ := body["exp"].(float64)
				iat, _ := body["iat"].(float64)
				if exp-iat != AccessTokenTTL.Seconds() {
					t.Errorf("exp %v iat %v", exp, iat)
				}
			}
		})
	}
	t.Run("§2.2 expired token is inactive", func(t *testing.T) {
		e.P.now = func() time.Time { return time.Now().Add(AccessTokenTTL + time.Minute) }
		defer func() { e.P.now = time.Now }()
		if got := introspect(t, tn, rs, tok.AccessToken); got["active"] != false {
			t.Fatalf("expired: %v", got)
		}
	})
}

// RFC 7009: revocation.
func TestRFC7009_Revocation(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	svc := tn.client(t, oauthclient.KindSERVICE, read)
	other := tn.client(t, oauthclient.KindSERVICE, read)
	tok, err := ccToken(t, tn, svc)
	if err != nil {
		t.Fatal(err)
	}
	revoke := func(form url.Values, id, sec string) (*http.Response, map[string]any) {
		return postForm(t, tn.Issuer+"/oauth/revoke", form, id, sec)
	}
	introspect(t, tn, other, tok.AccessToken) // cache it

	// §2.1: another client's token is refused, not revoked.
	if resp, body := revoke(url.Values{"token": {tok.AccessToken}}, other.ClientID, other.Secret); resp.StatusCode != 400 || body["error"] != "unauthorized_client" {
		t.Fatalf("revoke another client's token: %s %v", resp.Status, body)
	}
	if got := introspect(t, tn, other, tok.AccessToken); got["active"] != true {
		t.Fatalf("another client revoked the token: %v", got)
	}
	// §2.1: authentication is required.
	if resp, body := revoke(url.Values{"token": {tok.AccessToken}}, svc.ClientID, "sks_wrong"); resp.StatusCode != 401 || body["error"] != "invalid_client" {
		t.Fatalf("wrong secret: %s %v", resp.Status, body)
	}
	if resp, body := revoke(url.Values{}, svc.ClientID, svc.Secret); resp.StatusCode != 400 || body["error"] != "invalid_request" {
		t.Fatalf("no token: %s %v", resp.Status, body)
	}
	// §2.2: revoked at once, idempotent, and unknown tokens are answered 200.
	for range 2 {
		if resp, _ := revoke(url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}}, svc.ClientID, svc.Secret); resp.StatusCode != 200 {
			t.Fatalf("revoke: %s", resp.Status)
		}
	}
	if got := introspect(t, tn, other, tok.AccessToken); got["active"] != false {
		t.Fatalf("revoked token still active: %v", got)
	}
	if resp, _ := revoke(url.Values{"token": {"ska_unknown"}, "token_type_hint": {"refresh_token"}}, svc.ClientID, svc.Secret); resp.StatusCode != 200 {
		t.Fatalf("unknown token: %s", resp.Status)
	}
	_ = context.Background
}

// Expired tokens and authorization requests are purged in the background.
func TestPurgeExpired(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	svc := tn.client(t, oauthclient.KindSERVICE, tn.scope(t, "forums.threads.readonly"))
	web := tn.client(t, oauthclient.KindWEB, tn.scope(t, "forums.stats.readonly"))
	for range 3 {
		if _, err := ccToken(t, tn, svc); err != nil {
			t.Fatal(err)
		}
	}
	g := tn.owner(t)
	f := newCodeFlow(t, tn, web, "https://app.example/callback", "forums.stats.readonly")
	f.authorize(g.HTTP, f.authURL())
	if tok, req := e.P.Purge(context.Background()); tok != 0 || req != 0 {
		t.Fatalf("purged live rows: %d tokens, %d requests", tok, req)
	}
	e.P.now = func() time.Time { return time.Now().Add(AccessTokenTTL + time.Minute) }
	defer func() { e.P.now = time.Now }()
	if tok, req := e.P.Purge(context.Background()); tok != 3 || req != 1 {
		t.Fatalf("purged %d tokens, %d requests; want 3 and 1", tok, req)
	}
}

// OpenID Connect Core §3.1.2.1 prompt: none never shows a page (login_required, consent_required);
// consent always asks again.
func TestOIDCPrompt(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	web := tn.client(t, oauthclient.KindWEB, tn.scope(t, "forums.threads.readonly"))
	g := tn.owner(t)
	f := newCodeFlow(t, tn, web, "https://app.example/callback", "openid", "forums.threads.readonly")
	none := f.authURL() + "&prompt=none"
	if loc := f.authorize(noRedirects, none); loc.Query().Get("error") != "login_required" || loc.Host != "app.example" {
		t.Fatalf("prompt=none without a session: %s", loc)
	}
	if loc := f.authorize(g.HTTP, none); loc.Query().Get("error") != "consent_required" {
		t.Fatalf("prompt=none without consent: %s", loc)
	}
	f.consent(g, f.authorize(g.HTTP, f.authURL()), true, []string{"forums.threads.readonly"})
	if loc := f.authorize(g.HTTP, none); loc.Query().Get("code") == "" {
		t.Fatalf("prompt=none after consent: %s", loc)
	}
	if loc := f.authorize(g.HTTP, f.authURL()+"&prompt=consent"); loc.Path != "/consent" {
		t.Fatalf("prompt=consent: %s", loc)
	}
}
