package oauth

import (
	"testing"
	"time"

	"scopekeeper/ent/oauthclient"
)

// Contract section 8: from its sunsetAt on, a deprecated scope is no longer granted by the
// authorization code and refresh grants either; the issuer's clock crosses the instant with no
// write in between, and the cached client notices by itself.
func TestSunset_AuthorizationCodeAndRefresh(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	old, current := tn.scope(t, "forums.threads.readonly"), tn.scope(t, "forums.posts.readonly")
	web := tn.client(t, oauthclient.KindWEB, old, current)
	g := tn.owner(t)
	sunset := time.Now().Add(CodeTTL / 2) // the code must still be valid after it
	if err := e.DB.Client.Scope.UpdateOne(old).SetDeprecated(true).SetSunsetAt(sunset).Exec(e.sys(tn.ID)); err != nil {
		t.Fatal(err)
	}
	scopes := []string{"openid", "forums.threads.readonly", "forums.posts.readonly"}
	tok, _ := signIn(t, tn, web, g, scopes...)
	if got := grantedScope(t, tok); got != "openid forums.posts.readonly forums.threads.readonly" {
		t.Fatalf("before the sunset: %q", got)
	}
	// A code issued before the sunset, redeemed after it.
	f := newCodeFlow(t, tn, web, "https://app.example/callback", scopes...)
	loc := f.authorize(g.HTTP, f.authURL())
	if loc.Path == "/consent" {
		_, loc = f.consent(g, loc, true, scopes)
	}
	code := f.code(loc)

	e.P.now = func() time.Time { return sunset.Add(time.Second) }
	defer func() { e.P.now = time.Now }()

	redeemed, err := f.exchange(code)
	if err != nil {
		t.Fatalf("exchange after the sunset: %v", err)
	}
	if got := grantedScope(t, redeemed); got != "openid forums.posts.readonly" {
		t.Fatalf("code redeemed after the sunset grants %q", got)
	}
	body := refreshOK(t, tn, web, tok.RefreshToken, "")
	if body["scope"] != "openid forums.posts.readonly" {
		t.Fatalf("refresh after the sunset grants %v", body["scope"])
	}
	// Asking a refresh for the retired scope is narrowing to nothing it holds.
	resp, b := refresh(t, tn, web, body["refresh_token"].(string), "forums.threads.readonly")
	wantGrantError(t, "refresh for a retired scope", resp, b, "invalid_scope")
	if got := introspect(t, tn, web, redeemed.RefreshToken); got["scope"] != "openid forums.posts.readonly" {
		t.Fatalf("refresh token introspected after the sunset: %v", got)
	}
	if got := introspect(t, tn, web, tok.AccessToken); got["active"] != true || got["scope"] != "openid forums.posts.readonly" {
		t.Fatalf("access token introspected after the sunset: %v", got)
	}
}
