package oauth

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"scopekeeper/ent/oauthclient"
)

// relogin signs g's user in again with the same cookie jar (a new session).
func relogin(t *testing.T, e *env, g *gql, email, password string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	resp, err := g.HTTP.Post(e.URL+"/auth/login", "application/json", bytes.NewReader(body))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("sign in again: %v %v", resp, err)
	}
	resp.Body.Close()
}

// OpenID Connect Core §3.1.2.1 and §2: auth_time is when the user signed in, not when the client
// asked; max_age and prompt=login send the user to sign in again and come back to the request;
// prompt=none answers without a page; prompt=consent asks again.
func TestOIDCCore3_1_2_1_PromptAndMaxAge(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	web := tn.client(t, oauthclient.KindWEB, read)
	g := tn.owner(t)
	signedIn := time.Now().Unix()
	tok, _ := signIn(t, tn, web, g, "openid", "forums.threads.readonly")
	first := claimOf(t, tn, web, tok, "auth_time").(float64)
	if d := int64(first) - signedIn; d < -1 || d > 1 {
		t.Fatalf("auth_time %v, signed in at %d", first, signedIn)
	}
	// A later authorization in the same session keeps auth_time.
	e.P.now = func() time.Time { return time.Now().Add(time.Hour) }
	tok, _ = signIn(t, tn, web, g, "openid", "forums.threads.readonly")
	if got := claimOf(t, tn, web, tok, "auth_time"); got != first {
		t.Fatalf("auth_time reset per authorization: %v → %v", first, got)
	}
	// max_age 600 with a session an hour old, max_age 0, and prompt=login ask for a new sign-in.
	if loc := newCodeFlow(t, tn, web, "https://app.example/callback", "openid").authorize(g.HTTP, func() string {
		f := newCodeFlow(t, tn, web, "https://app.example/callback", "openid")
		return f.authURL() + "&max_age=600"
	}()); loc.Path != "/login" {
		t.Fatalf("max_age=600 an hour after sign-in: %s", loc)
	}
	e.P.now = time.Now
	for _, extra := range []url.Values{{"max_age": {"0"}}, {"prompt": {"login"}}} {
		f := newCodeFlow(t, tn, web, "https://app.example/callback", "openid", "forums.threads.readonly")
		u := f.authURL()
		for k, v := range extra {
			u += "&" + k + "=" + v[0]
		}
		loc := f.authorize(g.HTTP, u)
		if loc.Path != "/login" {
			t.Fatalf("%v: redirected to %s, want the sign-in page", extra, loc)
		}
		next, _ := url.Parse(loc.Query().Get("next"))
		if next.Query().Get("prompt") == "login" || next.Query().Has("max_age") || next.Query().Get("state") != f.state ||
			next.Query().Get("code_challenge") == "" || next.Query().Get(loginAfterParam) == "" {
			t.Fatalf("%v: next = %s", extra, next)
		}
		// Coming back without signing in again still goes to the sign-in page.
		if loc := f.authorize(g.HTTP, e.URL+next.String()); loc.Path != "/login" {
			t.Fatalf("%v: back without a new sign-in: %s", extra, loc)
		}
		before := time.Now().Unix()
		relogin(t, e, g, tn.Email, tn.Password)
		back := f.authorize(g.HTTP, e.URL+next.String())
		tok, err := f.exchange(f.code(back))
		if err != nil {
			t.Fatal(err)
		}
		if at := int64(claimOf(t, tn, web, tok, "auth_time").(float64)); at < before-1 {
			t.Fatalf("%v: auth_time %d is older than the new sign-in at %d", extra, at, before)
		}
	}

	promptNone := func(hc *http.Client, c *testClient, scopes ...string) url.Values {
		f := newCodeFlow(t, tn, c, "https://app.example/callback", scopes...)
		loc := f.authorize(hc, f.authURL()+"&prompt=none")
		if loc.Host != "app.example" || loc.Query().Get("state") != f.state {
			t.Fatalf("prompt=none showed a page: %s", loc)
		}
		return loc.Query()
	}
	if q := promptNone(noRedirects, web, "openid", "forums.threads.readonly"); q.Get("error") != "login_required" {
		t.Fatalf("prompt=none without a session: %v", q)
	}
	if q := promptNone(g.HTTP, web, "openid", "forums.threads.readonly"); q.Get("code") == "" {
		t.Fatalf("prompt=none with a session and consent: %v", q)
	}
	if q := promptNone(g.HTTP, web, "openid", "email"); q.Get("error") != "consent_required" {
		t.Fatalf("prompt=none without consent: %v", q)
	}
	globex := e.tenant(t, "globex")
	if q := promptNone(globex.owner(t).HTTP, web, "openid"); q.Get("error") != "interaction_required" {
		t.Fatalf("prompt=none as a user of another organisation: %v", q)
	}
	f := newCodeFlow(t, tn, web, "https://app.example/callback", "openid")
	if loc := f.authorize(g.HTTP, f.authURL()+"&prompt=none&max_age=0"); loc.Query().Get("error") != "login_required" {
		t.Fatalf("prompt=none with max_age=0: %s", loc)
	}
	// prompt=consent asks again for what was consented to.
	if loc := f.authorize(g.HTTP, f.authURL()+"&prompt=consent"); loc.Path != "/consent" {
		t.Fatalf("prompt=consent: %s", loc)
	}
	for _, bad := range []string{"prompt=none+login", "prompt=everything", "max_age=-1", "max_age=soon"} {
		if loc := f.authorize(g.HTTP, f.authURL()+"&"+bad); loc.Query().Get("error") != "invalid_request" {
			t.Fatalf("%s: %s", bad, loc)
		}
	}
}

// RFC 7636 and RFC 9700 §2.1.1: PKCE is always required of BROWSER clients and of WEB clients
// unless requirePKCE is off; a challenge that was sent is verified even then, and a verifier for a
// request without a challenge is refused (no downgrade).
func TestRFC7636_PKCEPolicy(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	web := tn.client(t, oauthclient.KindWEB, read)
	br := tn.client(t, oauthclient.KindBROWSER, read)
	g := tn.owner(t)
	signIn(t, tn, web, g, "forums.threads.readonly") // consented once
	noPKCE := func(c *testClient) *url.URL {
		q := url.Values{"response_type": {"code"}, "client_id": {c.ClientID}, "redirect_uri": {"https://app.example/callback"},
			"scope": {"forums.threads.readonly"}, "state": {"s1"}}
		resp, err := g.HTTP.Get(tn.Issuer + "/oauth/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := resp.Location()
		return loc
	}
	if loc := noPKCE(web); loc.Query().Get("error") != "invalid_request" {
		t.Fatalf("WEB with requirePKCE: %s", loc)
	}
	if loc := noPKCE(br); loc.Query().Get("error") != "invalid_request" {
		t.Fatalf("BROWSER: %s", loc)
	}
	if r := g.do(`mutation($id: ID!) { updateClient(id: $id, input: {requirePKCE: false}) { id } }`, map[string]any{"id": id(br.ID)}); r.code() != "VALIDATION_FAILED" {
		t.Fatalf("BROWSER without PKCE: %+v", r)
	}
	g.must(`mutation($id: ID!) { updateClient(id: $id, input: {requirePKCE: false}) { requirePKCE } }`, map[string]any{"id": id(web.ID)})
	loc := noPKCE(web)
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("WEB without requirePKCE: %s", loc)
	}
	exchange := func(code, verifier string) map[string]any {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"https://app.example/callback"}}
		if verifier != "" {
			form.Set("code_verifier", verifier)
		}
		_, body := postForm(t, tn.tokenURL(), form, web.ClientID, web.Secret)
		return body
	}
	// A verifier for a code that had no challenge is a downgrade attempt.
	if body := exchange(code, "v"+strconv.Itoa(1)+"-0123456789012345678901234567890123456789012"); body["error"] != "invalid_grant" {
		t.Fatalf("verifier without challenge: %v", body)
	}
	if body := exchange(noPKCE(web).Query().Get("code"), ""); body["access_token"] == nil {
		t.Fatalf("WEB without PKCE: %v", body)
	}
	// A challenge sent anyway binds the code.
	f := newCodeFlow(t, tn, web, "https://app.example/callback", "forums.threads.readonly")
	back := f.authorize(g.HTTP, f.authURL())
	c := f.code(back)
	if body := exchange(c, ""); body["error"] != "invalid_request" {
		t.Fatalf("challenge sent, no verifier: %v", body)
	}
	back = f.authorize(g.HTTP, f.authURL())
	if body := exchange(f.code(back), "wrong-verifier-0123456789012345678901234567890123"); body["error"] != "invalid_grant" {
		t.Fatalf("challenge sent, wrong verifier: %v", body)
	}
	back = f.authorize(g.HTTP, f.authURL())
	if _, err := f.exchange(f.code(back)); err != nil {
		t.Fatalf("challenge sent, right verifier: %v", err)
	}
}
