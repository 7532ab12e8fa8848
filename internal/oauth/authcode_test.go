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

const consentQuery = `query($id: ID!) { consentRequest(id: $id) { id client { name } scopes { name displayName description emphasize required alreadyGranted } } }`
const decideMutation = `mutation($id: ID!, $approve: Boolean!, $scopes: [String!]) { decideConsent(id: $id, approve: $approve, scopes: $scopes) { redirectTo } }`

// codeFlow drives one authorization request with a real oauth2.Config.
type codeFlow struct {
	t        *testing.T
	tn       *tenant
	cfg      *oauth2.Config
	verifier string
	state    string
	nonce    string
}

func newCodeFlow(t *testing.T, tn *tenant, c *testClient, redirect string, scopes ...string) *codeFlow {
	return &codeFlow{t: t, tn: tn, verifier: oauth2.GenerateVerifier(), state: "st-" + strconv.Itoa(len(scopes)) + "-x", nonce: "n-0S6_WzA2Mj",
		cfg: &oauth2.Config{ClientID: c.ClientID, ClientSecret: c.Secret, RedirectURL: redirect, Scopes: scopes,
			Endpoint: oauth2.Endpoint{AuthURL: tn.Issuer + "/oauth/authorize", TokenURL: tn.tokenURL()}}}
}

func (f *codeFlow) authURL() string {
	return f.cfg.AuthCodeURL(f.state, oauth2.S256ChallengeOption(f.verifier), gooidc.Nonce(f.nonce))
}

// authorize GETs the authorization URL with hc and returns the redirect's Location.
func (f *codeFlow) authorize(hc *http.Client, u string) *url.URL {
	f.t.Helper()
	resp, err := hc.Get(u)
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		f.t.Fatalf("authorize: %s, want 302", resp.Status)
	}
	loc, err := resp.Location()
	if err != nil {
		f.t.Fatal(err)
	}
	return loc
}

// consent follows the consent redirect: reads the request, decides it, returns the redirect.
func (f *codeFlow) consent(g *gql, loc *url.URL, approve bool, keep []string) (map[string]any, *url.URL) {
	f.t.Helper()
	if loc.Path != "/consent" || loc.Query().Get("request") == "" {
		f.t.Fatalf("expected the consent screen, got %s", loc)
	}
	reqID := loc.Query().Get("request")
	cr := g.must(consentQuery, map[string]any{"id": reqID})["consentRequest"].(map[string]any)
	vars := map[string]any{"id": reqID, "approve": approve, "scopes": keep}
	d := g.must(decideMutation, vars)["decideConsent"].(map[string]any)
	back, err := url.Parse(d["redirectTo"].(string))
	if err != nil {
		f.t.Fatal(err)
	}
	return cr, back
}

func (f *codeFlow) code(back *url.URL) string {
	f.t.Helper()
	q := back.Query()
	if q.Get("state") != f.state {
		f.t.Fatalf("state = %q, want %q (%s)", q.Get("state"), f.state, back)
	}
	if q.Get("iss") != f.tn.Issuer {
		f.t.Errorf("iss = %q, want %q (RFC 9207)", q.Get("iss"), f.tn.Issuer)
	}
	c := q.Get("code")
	if c == "" {
		f.t.Fatalf("no code in %s", back)
	}
	return c
}

func (f *codeFlow) exchange(code string) (*oauth2.Token, error) {
	return f.cfg.Exchange(context.Background(), code, oauth2.VerifierOption(f.verifier))
}

// RFC 6749 §4.1 with RFC 7636 and OpenID Connect: the whole authorization code flow with real
// clients (golang.org/x/oauth2, github.com/coreos/go-oidc) against the issuer, the console's
// sign-in and the consent GraphQL API.
func TestRFC6749_4_1_AuthorizationCodeFlow(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	modify := tn.scope(t, "forums.threads.modify", emphasized)
	members := tn.scope(t, "forums.members.readonly", required)
	web := tn.client(t, oauthclient.KindWEB, read, modify)
	ctx := context.Background()

	provider, err := gooidc.NewProvider(ctx, tn.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	f := newCodeFlow(t, tn, web, "https://app.example/callback", gooidc.ScopeOpenID, "forums.threads.readonly", "forums.threads.modify")
	f.cfg.Endpoint = provider.Endpoint()

	// Without a session: to the console's sign-in, which comes back to the same request.
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	authURL := f.authURL()
	loc := f.authorize(anon, authURL)
	au, _ := url.Parse(authURL)
	if loc.Path != "/login" || loc.Query().Get("next") != au.RequestURI() {
		t.Fatalf("no session: redirected to %s, want /login?next=%s", loc, au.RequestURI())
	}

	// Signed in: to the consent screen.
	g := tn.owner(t)
	loc = f.authorize(g.HTTP, authURL)
	cr, back := f.consent(g, loc, true, []string{"forums.threads.readonly"})
	if cr["client"].(map[string]any)["name"] != web.Name {
		t.Errorf("consent client = %v", cr["client"])
	}
	var names []string
	for _, s := range cr["scopes"].([]any) {
		m := s.(map[string]any)
		names = append(names, m["name"].(string))
		if m["name"] == members.Name && m["required"] != true {
			t.Errorf("required scope not marked: %v", m)
		}
	}
	// Identity scopes first; rule 6: emphasized first, then by name; rule 5: the required scope comes along unasked.
	if want := "openid forums.threads.modify forums.members.readonly forums.threads.readonly"; strings.Join(names, " ") != want {
		t.Fatalf("consent scopes = %v, want %s", names, want)
	}

	code := f.code(back)
	tok, err := f.exchange(code)
	if err != nil {
		t.Fatal(err)
	}
	// The user dropped forums.threads.modify: the token has the kept scope and the required one.
	if got := grantedScope(t, tok); got != "openid forums.members.readonly forums.threads.readonly" {
		t.Fatalf("scope = %q", got)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&gooidc.Config{ClientID: web.ClientID}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	if idt.Nonce != f.nonce || idt.Subject != strconv.Itoa(tn.UserID) || idt.Issuer != tn.Issuer {
		t.Fatalf("ID token = %+v", idt)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Fatalf("at_hash: %v", err)
	}

	if got := introspect(t, tn, web, tok.AccessToken); got["active"] != true {
		t.Fatalf("fresh token: %v", got)
	}
	// §4.1.2: a code is single-use, and using it again revokes what it bought.
	if _, err := f.exchange(code); oauthErrorCode(err) != "invalid_grant" {
		t.Fatalf("second exchange: %v", err)
	}
	if got := introspect(t, tn, web, tok.AccessToken); got["active"] != false {
		t.Fatalf("token of a reused code: %v", got)
	}

	// Consent is remembered: asking again for what was granted comes straight back with a code.
	f2 := newCodeFlow(t, tn, web, "https://app.example/callback", "openid", "forums.threads.readonly")
	f2.cfg.Endpoint = provider.Endpoint()
	loc = f2.authorize(g.HTTP, f2.authURL())
	if loc.Host != "app.example" {
		t.Fatalf("already consented: redirected to %s, want the client", loc)
	}
	if _, err := f2.exchange(f2.code(loc)); err != nil {
		t.Fatal(err)
	}
	// Asking for more than was consented goes to the consent screen again, which shows what
	// was already granted.
	f3 := newCodeFlow(t, tn, web, "https://app.example/callback", "forums.threads.modify", "forums.threads.readonly")
	loc = f3.authorize(g.HTTP, f3.authURL())
	cr, back = f3.consent(g, loc, false, nil)
	for _, s := range cr["scopes"].([]any) {
		m := s.(map[string]any)
		if want := m["name"] != "forums.threads.modify"; m["alreadyGranted"] != want {
			t.Errorf("alreadyGranted of %v = %v, want %v", m["name"], m["alreadyGranted"], want)
		}
	}
	// Denied: back with access_denied and the state.
	if back.Query().Get("error") != "access_denied" || back.Query().Get("state") != f3.state || back.Query().Get("code") != "" {
		t.Fatalf("deny: %s", back)
	}
}

// The consent request belongs to the user who started it.
func TestConsentRequestOnlyForItsUser(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	web := tn.client(t, oauthclient.KindWEB, tn.scope(t, "forums.threads.readonly"))
	owner := tn.owner(t)
	f := newCodeFlow(t, tn, web, "https://app.example/callback", "forums.threads.readonly")
	loc := f.authorize(owner.HTTP, f.authURL())
	reqID := loc.Query().Get("request")

	// Another user of the same organisation.
	owner.must(`mutation { createUser(input: {email: "bob@acme.example", password: "another long password", role: MEMBER}) { id } }`, nil)
	bob := e.login(t, "bob@acme.example", "another long password")
	if r := bob.do(consentQuery, map[string]any{"id": reqID}); r.code() != "NOT_FOUND" {
		t.Fatalf("bob reads owner's request: %+v", r)
	}
	if r := bob.do(decideMutation, map[string]any{"id": reqID, "approve": true}); r.code() != "NOT_FOUND" {
		t.Fatalf("bob decides owner's request: %+v", r)
	}
	// A user of another organisation.
	other := e.tenant(t, "globex")
	if r := other.owner(t).do(consentQuery, map[string]any{"id": reqID}); r.code() != "NOT_FOUND" {
		t.Fatalf("globex reads acme's request: %+v", r)
	}
	// Without a session.
	anon := &gql{t: t, url: e.URL + "/graphql", HTTP: http.DefaultClient}
	if r := anon.do(consentQuery, map[string]any{"id": reqID}); r.code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous reads the request: %+v", r)
	}
	// The owner may; once decided it is gone.
	owner.must(decideMutation, map[string]any{"id": reqID, "approve": true})
	if r := owner.do(decideMutation, map[string]any{"id": reqID, "approve": true}); r.code() != "NOT_FOUND" {
		t.Fatalf("deciding twice: %+v", r)
	}
}

// The sign-in page says which application asks, and for which organisation: client-info answers
// for a registered client_id with its exact redirect_uri, and for nothing else.
func TestClientInfoForSignInPage(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	web := tn.client(t, oauthclient.KindWEB, tn.scope(t, "forums.threads.readonly"))
	svc := tn.client(t, oauthclient.KindSERVICE, tn.scope(t, "forums.stats.readonly"))
	get := func(clientID, redirect string) fetched {
		q := url.Values{"client_id": {clientID}, "redirect_uri": {redirect}}
		return discover(t, tn.Issuer+"/oauth/client-info?"+q.Encode(), "")
	}
	if got := get(web.ClientID, "https://app.example/callback"); got.status != 200 || got.body["clientName"] != web.Name || got.body["organisationName"] != "acme" {
		t.Fatalf("client-info: %d %v", got.status, got.body)
	}
	for _, c := range [][2]string{{web.ClientID, "https://evil.example/cb"}, {"nobody", "https://app.example/callback"}, {svc.ClientID, ""}} {
		if got := get(c[0], c[1]); got.status != 404 || got.body["error"] != "not_found" {
			t.Fatalf("%v: %d %v", c, got.status, got.body)
		}
	}
}
