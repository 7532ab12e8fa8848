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

func refresh(t *testing.T, tn *tenant, c *testClient, rt string, scope string) (*http.Response, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	if scope != "" {
		form.Set("scope", scope)
	}
	if c.Secret == "" {
		form.Set("client_id", c.ClientID)
		return postForm(t, tn.tokenURL(), form, "", "")
	}
	return postForm(t, tn.tokenURL(), form, c.ClientID, c.Secret)
}

func refreshOK(t *testing.T, tn *tenant, c *testClient, rt, scope string) map[string]any {
	t.Helper()
	resp, body := refresh(t, tn, c, rt, scope)
	if resp.StatusCode != 200 || body["refresh_token"] == nil || body["access_token"] == nil {
		t.Fatalf("refresh: %d %v", resp.StatusCode, body)
	}
	return body
}

func wantGrantError(t *testing.T, what string, resp *http.Response, body map[string]any, code string) {
	t.Helper()
	if resp.StatusCode != 400 || body["error"] != code {
		t.Fatalf("%s: %d %v, want %s", what, resp.StatusCode, body, code)
	}
}

// OpenID Connect Core §12 and RFC 6749 §6 with a real client: golang.org/x/oauth2 refreshes an
// expired token by itself; every use rotates the refresh token; the ID token keeps auth_time.
func TestOIDCCore12_RefreshWithRealClient(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	web := tn.client(t, oauthclient.KindWEB, read)
	g := tn.owner(t)
	tok, f := signIn(t, tn, web, g, "openid", "profile", "forums.threads.readonly")
	if tok.RefreshToken == "" || !strings.HasPrefix(tok.RefreshToken, "skr_") {
		t.Fatalf("no refresh token: %+v", tok)
	}
	first, _ := verifyID(t, tn, web, tok)

	expired := *tok
	expired.Expiry = time.Now().Add(-time.Minute)
	src := f.cfg.TokenSource(context.Background(), &expired)
	fresh, err := src.Token()
	if err != nil {
		t.Fatalf("x/oauth2 refresh: %v", err)
	}
	if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken == tok.RefreshToken || fresh.RefreshToken == "" {
		t.Fatalf("not rotated: %+v", fresh)
	}
	if grantedScope(t, fresh) != "openid profile forums.threads.readonly" {
		t.Fatalf("scope = %q", grantedScope(t, fresh))
	}
	idt, claims := verifyID(t, tn, web, fresh)
	if idt.Subject != first.Subject || !idt.IssuedAt.After(first.IssuedAt.Add(-time.Second)) || claims["auth_time"] != claimOf(t, tn, web, tok, "auth_time") {
		t.Fatalf("refreshed ID token: %v (first auth_time %v)", claims, claimOf(t, tn, web, tok, "auth_time"))
	}
	if got := introspect(t, tn, web, fresh.AccessToken); got["active"] != true || got["scope"] != "openid profile forums.threads.readonly" {
		t.Fatalf("introspect refreshed access token: %v", got)
	}
	if got := introspect(t, tn, web, fresh.RefreshToken); got["active"] != true || got["token_type"] != "refresh_token" || got["client_id"] != web.ClientID {
		t.Fatalf("introspect refresh token: %v", got)
	}
	// The rotated-out one is no longer active.
	if got := introspect(t, tn, web, tok.RefreshToken); got["active"] != false {
		t.Fatalf("rotated-out refresh token: %v", got)
	}
}

func claimOf(t *testing.T, tn *tenant, c *testClient, tok *oauth2.Token, k string) any {
	_, claims := verifyID(t, tn, c, tok)
	return claims[k]
}

// RFC 9700 §4.14.2: a refresh token used twice revokes its whole family, with the access tokens
// the family bought; so does a race of two uses.
func TestRFC9700_4_14_2_RefreshReuseRevokesFamily(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	web := tn.client(t, oauthclient.KindWEB, read)
	g := tn.owner(t)
	tok, _ := signIn(t, tn, web, g, "openid", "forums.threads.readonly")
	// An unrelated grant of the same user and client stays untouched.
	otherTok, _ := signIn(t, tn, web, g, "openid", "forums.threads.readonly")

	r1 := refreshOK(t, tn, web, tok.RefreshToken, "")
	r2 := refreshOK(t, tn, web, r1["refresh_token"].(string), "")
	// The attacker (or the victim) presents the first, rotated-out token again.
	resp, body := refresh(t, tn, web, tok.RefreshToken, "")
	wantGrantError(t, "reuse", resp, body, "invalid_grant")
	resp, body = refresh(t, tn, web, r2["refresh_token"].(string), "")
	wantGrantError(t, "the family's newest token after reuse", resp, body, "invalid_grant")
	for _, at := range []string{tok.AccessToken, r1["access_token"].(string), r2["access_token"].(string)} {
		if got := introspect(t, tn, web, at); got["active"] != false {
			t.Fatalf("access token of a revoked family: %v", got)
		}
	}
	if got := introspect(t, tn, web, otherTok.AccessToken); got["active"] != true {
		t.Fatalf("another grant was revoked too: %v", got)
	}
	refreshOK(t, tn, web, otherTok.RefreshToken, "")

	// Two concurrent uses of one refresh token: at most one succeeds, and the family ends.
	tok3, _ := signIn(t, tn, web, g, "forums.threads.readonly")
	codes := make(chan int, 2)
	for range 2 {
		go func() {
			resp, _ := refresh(t, tn, web, tok3.RefreshToken, "")
			codes <- resp.StatusCode
		}()
	}
	ok := 0
	for range 2 {
		if <-codes == 200 {
			ok++
		}
	}
	if ok > 1 {
		t.Fatalf("%d concurrent uses of one refresh token succeeded", ok)
	}
}

// RFC 6749 §6: scope may narrow what the refresh token holds, never widen it; rule 8: never a scope
// the client lost since; a refresh token works only for its own client and organisation.
func TestRFC6749_6_RefreshScope(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	modify := tn.scope(t, "forums.threads.modify")
	stats := tn.scope(t, "forums.stats.readonly")
	members := tn.scope(t, "forums.members.readonly", required)
	web := tn.client(t, oauthclient.KindWEB, read, modify, stats)
	g := tn.owner(t)
	tok, _ := signIn(t, tn, web, g, "openid", "email", "forums.threads.readonly", "forums.threads.modify")
	_ = members

	narrowed := refreshOK(t, tn, web, tok.RefreshToken, "forums.threads.readonly")
	if narrowed["scope"] != "forums.members.readonly forums.threads.readonly" || narrowed["id_token"] != nil {
		t.Fatalf("narrowed: %v", narrowed)
	}
	// The new refresh token keeps the original scope: asking for the dropped scope again works.
	again := refreshOK(t, tn, web, narrowed["refresh_token"].(string), "openid forums.threads.modify")
	if again["scope"] != "openid forums.members.readonly forums.threads.modify" {
		t.Fatalf("refresh token lost scope on narrowing: %v", again)
	}
	rt := again["refresh_token"].(string)
	for _, widen := range []string{"forums.stats.readonly", "openid profile", "forums.threads.readonly nonexistent"} {
		resp, body := refresh(t, tn, web, rt, widen)
		wantGrantError(t, "widen to "+widen, resp, body, "invalid_scope")
	}
	// A refused refresh changes nothing: the token still works.
	next := refreshOK(t, tn, web, rt, "")
	rt = next["refresh_token"].(string)

	// Rule 8: the client loses forums.threads.modify; the refresh grants what it still holds.
	g.must(`mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id } }`,
		map[string]any{"c": id(web.ID), "s": []string{id(read.ID), id(stats.ID)}})
	after := refreshOK(t, tn, web, rt, "")
	if after["scope"] != "openid email forums.members.readonly forums.threads.readonly" {
		t.Fatalf("after removal: %v", after)
	}
	rt = after["refresh_token"].(string)
	// Given back to the client, the scope is not regained by this family (it was taken from it);
	// a new authorization gets it.
	g.must(`mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id } }`,
		map[string]any{"c": id(web.ID), "s": []string{id(read.ID), id(modify.ID), id(stats.ID)}})
	regained := refreshOK(t, tn, web, rt, "")
	if regained["scope"] != "openid email forums.members.readonly forums.threads.readonly" {
		t.Fatalf("the family regained a scope taken from it: %v", regained)
	}
	rt = regained["refresh_token"].(string)

	// Another client of the organisation, and a client of another organisation, get nothing.
	other := tn.client(t, oauthclient.KindWEB, read)
	resp, body := refresh(t, tn, other, rt, "")
	wantGrantError(t, "another client", resp, body, "invalid_grant")
	globex := e.tenant(t, "globex")
	foreign := globex.client(t, oauthclient.KindWEB, globex.scope(t, "forums.threads.readonly"))
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	if resp, body := postForm(t, globex.tokenURL(), form, foreign.ClientID, foreign.Secret); resp.StatusCode != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("another organisation: %d %v", resp.StatusCode, body)
	}
	refreshOK(t, tn, web, rt, "")

	// A client with refreshTokens off gets none; a SERVICE client never.
	g.must(`mutation($id: ID!) { updateClient(id: $id, input: {refreshTokens: false}) { id } }`, map[string]any{"id": id(web.ID)})
	if tok, _ := signIn(t, tn, web, g, "forums.threads.readonly"); tok.RefreshToken != "" {
		t.Fatal("a refresh token although refreshTokens is off")
	}
}

// Online and offline refresh tokens (contract §6): without offline_access the refresh token ends
// with the user's sign-in session; with it, it outlives the session. Revoking a refresh token at
// /oauth/revoke (RFC 7009) revokes its family and the family's access tokens.
func TestRefreshOnlineOfflineAndRevocation(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	web := tn.client(t, oauthclient.KindWEB, read)
	br := tn.client(t, oauthclient.KindBROWSER, read)
	g := tn.owner(t)
	online, _ := signIn(t, tn, web, g, "openid", "forums.threads.readonly")
	offline, _ := signIn(t, tn, web, g, "openid", "offline_access", "forums.threads.readonly")
	public, _ := signIn(t, tn, br, g, "openid", "forums.threads.readonly")
	if public.RefreshToken == "" {
		t.Fatal("a BROWSER client gets no refresh token")
	}
	if grantedScope(t, offline) != "openid offline_access forums.threads.readonly" {
		t.Fatalf("offline scope = %q", grantedScope(t, offline))
	}
	onlineRT := refreshOK(t, tn, web, online.RefreshToken, "")["refresh_token"].(string)
	publicRT := refreshOK(t, tn, br, public.RefreshToken, "")["refresh_token"].(string)

	// The user signs out.
	resp, err := g.HTTP.Post(e.URL+"/auth/logout", "application/json", nil)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %v %v", resp, err)
	}
	resp, body := refresh(t, tn, web, onlineRT, "")
	wantGrantError(t, "online token after logout", resp, body, "invalid_grant")
	resp, body = refresh(t, tn, br, publicRT, "")
	wantGrantError(t, "online BROWSER token after logout", resp, body, "invalid_grant")
	off := refreshOK(t, tn, web, offline.RefreshToken, "")

	// Revocation of the refresh token takes the family.
	offRT, offAT := off["refresh_token"].(string), off["access_token"].(string)
	if resp, _ := postForm(t, tn.Issuer+"/oauth/revoke", url.Values{"token": {offRT}}, web.ClientID, web.Secret); resp.StatusCode != 200 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	resp, body = refresh(t, tn, web, offRT, "")
	wantGrantError(t, "revoked refresh token", resp, body, "invalid_grant")
	for _, at := range []string{offline.AccessToken, offAT} {
		if got := introspect(t, tn, web, at); got["active"] != false {
			t.Fatalf("access token of a revoked refresh token: %v", got)
		}
	}
	if got := introspect(t, tn, web, offRT); got["active"] != false {
		t.Fatalf("revoked refresh token introspects %v", got)
	}
	// Another client may not revoke it.
	g2 := tn.owner(t)
	tok, _ := signIn(t, tn, web, g2, "forums.threads.readonly")
	other := tn.client(t, oauthclient.KindWEB, read)
	if resp, body := postForm(t, tn.Issuer+"/oauth/revoke", url.Values{"token": {tok.RefreshToken}}, other.ClientID, other.Secret); resp.StatusCode != 400 || body["error"] != "unauthorized_client" {
		t.Fatalf("revoke by another client: %d %v", resp.StatusCode, body)
	}
	refreshOK(t, tn, web, tok.RefreshToken, "")
}

// Expired refresh tokens stop working and are purged.
func TestRefreshExpiryAndPurge(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	web := tn.client(t, oauthclient.KindWEB, read)
	g := tn.owner(t)
	g.must(`mutation { updateOrganisation(input: {refreshTokenLifetime: 300}) { refreshTokenLifetime } }`, nil)
	tok, _ := signIn(t, tn, web, g, "offline_access", "forums.threads.readonly")
	e.P.now = func() time.Time { return time.Now().Add(301 * time.Second) }
	resp, body := refresh(t, tn, web, tok.RefreshToken, "")
	wantGrantError(t, "expired", resp, body, "invalid_grant")
	if r := g.do(`mutation { updateOrganisation(input: {refreshTokenLifetime: 10}) { id } }`, nil); r.code() != "VALIDATION_FAILED" {
		t.Fatalf("lifetime of 10 s: %+v", r)
	}
	e.P.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	before, _ := e.DB.Client.RefreshToken.Query().Count(e.sys(tn.ID))
	e.P.Purge(context.Background())
	after, _ := e.DB.Client.RefreshToken.Query().Count(e.sys(tn.ID))
	if before != 1 || after != 0 {
		t.Fatalf("purge: %d → %d refresh tokens", before, after)
	}
}
