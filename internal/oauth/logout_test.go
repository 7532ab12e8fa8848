package oauth

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"scopekeeper/ent/oauthclient"
)

// OpenID Connect RP-Initiated Logout 1.0 §2–3: end_session_endpoint ends the user's session (and
// with it online refresh tokens) and sends the browser to a registered post_logout_redirect_uri
// with state, or shows a signed-out page; an unregistered URI is never followed; without a valid
// id_token_hint the user confirms first.
func TestRPInitiatedLogout(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	web := tn.client(t, oauthclient.KindWEB, read)
	g := tn.owner(t)
	g.must(`mutation($id: ID!) { updateClient(id: $id, input: {postLogoutRedirectURIs: ["https://app.example/bye"]}) { postLogoutRedirectURIs } }`,
		map[string]any{"id": id(web.ID)})
	if r := g.do(`mutation($id: ID!) { updateClient(id: $id, input: {postLogoutRedirectURIs: ["http://evil.example/bye"]}) { id } }`,
		map[string]any{"id": id(web.ID)}); r.code() != "VALIDATION_FAILED" {
		t.Fatalf("plain http post-logout URI: %+v", r)
	}
	doc := discover(t, tn.Issuer+"/.well-known/openid-configuration", "")
	if doc.body["end_session_endpoint"] != tn.Issuer+"/oauth/logout" {
		t.Fatalf("end_session_endpoint = %v", doc.body["end_session_endpoint"])
	}
	tok, _ := signIn(t, tn, web, g, "openid", "forums.threads.readonly")
	idToken := tok.Extra("id_token").(string)

	get := func(hc *http.Client, q url.Values) (*http.Response, string) {
		resp, err := hc.Get(tn.Issuer + "/oauth/logout?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	// An unregistered post_logout_redirect_uri is not followed and ends nothing.
	resp, body := get(g.HTTP, url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {"https://evil.example/bye"}})
	if resp.StatusCode != 400 || resp.Header.Get("Location") != "" || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("unregistered URI: %d %s", resp.StatusCode, body)
	}
	// A forged hint is refused.
	resp, _ = get(g.HTTP, url.Values{"id_token_hint": {idToken[:len(idToken)-4] + "AAAA"}, "post_logout_redirect_uri": {"https://app.example/bye"}})
	if resp.StatusCode != 400 {
		t.Fatalf("forged hint: %d", resp.StatusCode)
	}
	// Without a hint the user is asked first, and nothing ends yet.
	resp, body = get(g.HTTP, url.Values{"client_id": {web.ClientID}, "post_logout_redirect_uri": {"https://app.example/bye"}, "state": {"s9"}})
	if resp.StatusCode != 200 || !strings.Contains(body, `<form method="post"`) || !strings.Contains(body, "Sign out") {
		t.Fatalf("no hint: %d %s", resp.StatusCode, body)
	}
	refreshOK(t, tn, web, tok.RefreshToken, "")
	tok, _ = signIn(t, tn, web, g, "openid", "forums.threads.readonly")

	// With the hint: the session ends and the browser goes back with state.
	resp, _ = get(g.HTTP, url.Values{"id_token_hint": {tok.Extra("id_token").(string)}, "post_logout_redirect_uri": {"https://app.example/bye"}, "state": {"s1"}})
	loc, _ := resp.Location()
	if resp.StatusCode != http.StatusFound || loc == nil || loc.Host != "app.example" || loc.Path != "/bye" || loc.Query().Get("state") != "s1" {
		t.Fatalf("logout: %d %v", resp.StatusCode, loc)
	}
	if r := g.do(`{ viewer { user { id } } }`, nil); r.code() != "UNAUTHENTICATED" {
		t.Fatalf("still signed in: %+v", r)
	}
	rresp, rbody := refresh(t, tn, web, tok.RefreshToken, "")
	wantGrantError(t, "online refresh token after RP-initiated logout", rresp, rbody, "invalid_grant")
	f := newCodeFlow(t, tn, web, "https://app.example/callback", "openid")
	if loc := f.authorize(g.HTTP, f.authURL()); loc.Path != "/login" {
		t.Fatalf("after logout, authorize goes to %s", loc)
	}

	// Confirmed by POST (the form of the page above); without a redirect URI, a signed-out page.
	relogin(t, e, g, tn.Email, tn.Password)
	resp, err := g.HTTP.PostForm(tn.Issuer+"/oauth/logout", url.Values{"confirm": {"yes"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "You are signed out") {
		t.Fatalf("POST logout: %d %s", resp.StatusCode, b)
	}
	if r := g.do(`{ viewer { user { id } } }`, nil); r.code() != "UNAUTHENTICATED" {
		t.Fatalf("still signed in after POST: %+v", r)
	}
}
