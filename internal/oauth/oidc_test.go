package oauth

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"scopekeeper/ent/oauthclient"
)

// signIn runs an authorization request for scopes as g's user, approving every requested scope on
// the consent screen when it comes, and exchanges the code.
func signIn(t *testing.T, tn *tenant, c *testClient, g *gql, scopes ...string) (*oauth2.Token, *codeFlow) {
	t.Helper()
	f := newCodeFlow(t, tn, c, "https://app.example/callback", scopes...)
	loc := f.authorize(g.HTTP, f.authURL())
	if loc.Path == "/consent" {
		_, loc = f.consent(g, loc, true, scopes)
	}
	tok, err := f.exchange(f.code(loc))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return tok, f
}

func verifyID(t *testing.T, tn *tenant, c *testClient, tok *oauth2.Token) (*gooidc.IDToken, map[string]any) {
	t.Helper()
	p, err := gooidc.NewProvider(context.Background(), tn.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&gooidc.Config{ClientID: c.ClientID}).Verify(context.Background(), raw)
	if err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	return idt, claims
}

// Contract §6 identity scopes: WEB and BROWSER clients ask for openid, profile, email and
// offline_access without an assignment and without counting towards maxScopesPerClient; the
// consent screen shows them in end-user words; OpenID Connect Core §5.4: profile and email bring
// their claims into the ID token, and only those granted.
func TestOIDCCore5_4_IdentityScopesAndClaims(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	g := tn.owner(t)
	g.must(`mutation { updateOrganisation(input: {maxScopesPerClient: 1}) { id } }`, nil)
	web := tn.client(t, oauthclient.KindWEB) // no scopes assigned at all
	g.must(`mutation($id: ID!) { updateUser(id: $id, input: {displayName: "Ada Lovelace", preferredUsername: "ada", emailVerified: true}) { id } }`,
		map[string]any{"id": id(tn.UserID)})

	f := newCodeFlow(t, tn, web, "https://app.example/callback", "openid", "profile", "email")
	loc := f.authorize(g.HTTP, f.authURL())
	cr, back := f.consent(g, loc, true, []string{"profile"}) // the user keeps profile, drops email
	var shown []string
	for _, s := range cr["scopes"].([]any) {
		m := s.(map[string]any)
		shown = append(shown, m["name"].(string)+"="+m["displayName"].(string))
		if m["name"] == "openid" && m["required"] != true {
			t.Errorf("openid (signing in) should not be optional: %v", m)
		}
	}
	if want := "openid=Sign you in|profile=Your name and username|email=Your email address"; strings.Join(shown, "|") != want {
		t.Fatalf("consent screen shows %v, want %s", shown, want)
	}
	tok, err := f.exchange(f.code(back))
	if err != nil {
		t.Fatal(err)
	}
	if got := grantedScope(t, tok); got != "openid profile" {
		t.Fatalf("scope = %q", got)
	}
	idt, claims := verifyID(t, tn, web, tok)
	if idt.Subject != strconv.Itoa(tn.UserID) || claims["name"] != "Ada Lovelace" || claims["preferred_username"] != "ada" || claims["updated_at"] == nil {
		t.Fatalf("profile claims: %v", claims)
	}
	if _, ok := claims["email"]; ok {
		t.Fatalf("email claim without the email scope: %v", claims)
	}

	// Consent is remembered for identity scopes too: asking again for openid profile comes back at once.
	f2 := newCodeFlow(t, tn, web, "https://app.example/callback", "openid", "profile")
	if loc := f2.authorize(g.HTTP, f2.authURL()); loc.Host != "app.example" {
		t.Fatalf("already consented: %s", loc)
	}

	// A BROWSER client with the email scope.
	br := tn.client(t, oauthclient.KindBROWSER)
	tok, _ = signIn(t, tn, br, g, "openid", "email")
	if _, claims := verifyID(t, tn, br, tok); claims["email"] != tn.Email || claims["email_verified"] != true {
		t.Fatalf("email claims: %v", claims)
	}
	// An unknown scope is still refused.
	f3 := newCodeFlow(t, tn, web, "https://app.example/callback", "openid", "phone")
	if loc := f3.authorize(g.HTTP, f3.authURL()); loc.Query().Get("error") != "invalid_scope" {
		t.Fatalf("phone: %s", loc)
	}
}

// OpenID Connect Core §5.3: the UserInfo endpoint answers a Bearer access token holding openid
// with the claims of its scopes, by GET and POST; anything else is 401 invalid_token, a token
// without openid 403 insufficient_scope (RFC 6750 §3.1).
func TestOIDCCore5_3_UserInfo(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	web := tn.client(t, oauthclient.KindWEB, read)
	g := tn.owner(t)
	tok, _ := signIn(t, tn, web, g, "openid", "email", "profile", "forums.threads.readonly")

	p, err := gooidc.NewProvider(context.Background(), tn.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	ui, err := p.UserInfo(context.Background(), oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("go-oidc UserInfo: %v", err)
	}
	var claims map[string]any
	_ = ui.Claims(&claims)
	if ui.Subject != strconv.Itoa(tn.UserID) || ui.Email != tn.Email || claims["email_verified"] != false ||
		claims["preferred_username"] != tn.Email || claims["name"] == nil {
		t.Fatalf("userinfo = %v", claims)
	}
	// sub is stable: the same as the ID token's.
	if idt, _ := verifyID(t, tn, web, tok); idt.Subject != ui.Subject {
		t.Fatalf("sub %s vs %s", idt.Subject, ui.Subject)
	}

	call := func(method, bearer string) (*http.Response, map[string]any) {
		req, _ := http.NewRequest(method, tn.Issuer+"/oauth/userinfo", nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = jsonDecode(resp, &body)
		return resp, body
	}
	if resp, body := call(http.MethodPost, tok.AccessToken); resp.StatusCode != 200 || body["email"] != tn.Email {
		t.Fatalf("POST: %d %v", resp.StatusCode, body)
	}
	for name, bearer := range map[string]string{"no token": "", "garbage": "nope", "unknown": "ska_" + strings.Repeat("A", 64)} {
		resp, _ := call(http.MethodGet, bearer)
		if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `Bearer `) ||
			!strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("%s: %d %q", name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
	// A token without openid.
	plain, _ := signIn(t, tn, web, g, "forums.threads.readonly")
	if resp, body := call(http.MethodGet, plain.AccessToken); resp.StatusCode != 403 || body["error"] != "insufficient_scope" ||
		!strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
		t.Fatalf("without openid: %d %v", resp.StatusCode, body)
	}
	// A revoked token.
	postForm(t, tn.Issuer+"/oauth/revoke", url.Values{"token": {tok.AccessToken}}, web.ClientID, web.Secret)
	if resp, _ := call(http.MethodGet, tok.AccessToken); resp.StatusCode != 401 {
		t.Fatalf("revoked: %d", resp.StatusCode)
	}
	// Another organisation's issuer does not know the token.
	other := e.tenant(t, "globex")
	req, _ := http.NewRequest(http.MethodGet, other.Issuer+"/oauth/userinfo", nil)
	tok2, _ := signIn(t, tn, web, g, "openid")
	req.Header.Set("Authorization", "Bearer "+tok2.AccessToken)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Fatalf("another issuer: %v %v", resp, err)
	}
}

// The claims' fields: an OWNER sets them for anyone; a user sets their own names but neither
// whether their email is verified nor their role.
func TestUserProfileFields(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	owner := tn.owner(t)
	bob := owner.must(`mutation { createUser(input: {email: "bob@acme.example", password: "another long password", role: MEMBER}) { id } }`, nil)
	bobID := bob["createUser"].(map[string]any)["id"].(string)
	g := e.login(t, "bob@acme.example", "another long password")
	const upd = `mutation($id: ID!, $in: UpdateUserInput!) { updateUser(id: $id, input: $in) { preferredUsername emailVerified displayName } }`
	got := g.must(upd, map[string]any{"id": bobID, "in": map[string]any{"preferredUsername": "bobby", "displayName": "Bob"}})["updateUser"].(map[string]any)
	if got["preferredUsername"] != "bobby" || got["displayName"] != "Bob" {
		t.Fatalf("own names: %v", got)
	}
	if r := g.do(upd, map[string]any{"id": bobID, "in": map[string]any{"emailVerified": true}}); r.code() != "FORBIDDEN" {
		t.Fatalf("a user verifies their own email: %+v", r)
	}
	if r := g.do(upd, map[string]any{"id": id(tn.UserID), "in": map[string]any{"preferredUsername": "x"}}); r.code() == "" {
		t.Fatalf("a member renames the owner: %+v", r)
	}
	got = owner.must(upd, map[string]any{"id": bobID, "in": map[string]any{"emailVerified": true}})["updateUser"].(map[string]any)
	if got["emailVerified"] != true {
		t.Fatalf("owner verifies: %v", got)
	}
	// The password change still works for the user themself.
	g.must(`mutation { changePassword(currentPassword: "another long password", newPassword: "a third long password") { id } }`, nil)
}
