package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"scopekeeper/ent/api"
	"scopekeeper/ent/oauthclient"
)

// RFC 8707 with the authorization code and refresh grants: resource at authorize binds the code
// to that API's scopes; at the token endpoint resource may narrow it, never widen it; a refresh
// may narrow its access token to one API of the grant. Each outside resource is invalid_target.
func TestRFC8707_ResourceWithCodeAndRefresh(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	billing := tn.api(t, "billing")
	// billing's tokens are JWTs: a token for billing alone is one, a token also for forums is not.
	billing = e.DB.Client.API.UpdateOne(billing).SetAccessTokenFormat(api.AccessTokenFormatJWT).SetJwtLifetime(90).SaveX(e.sys(tn.ID))
	inv := tn.scope(t, "billing.invoices.readonly", onAPI(billing))
	stats := tn.api(t, "stats")
	views := tn.scope(t, "stats.views.readonly", onAPI(stats))
	web := tn.client(t, oauthclient.KindWEB, read, inv, views)
	forumsID, billingID, statsID := e.URL+"/forums", e.URL+"/billing", e.URL+"/stats"
	g := tn.owner(t)

	// resource at authorize: an unknown one goes back to the client as invalid_target.
	f := newCodeFlow(t, tn, web, "https://app.example/callback")
	f.cfg.Endpoint.AuthStyle = oauth2.AuthStyleInHeader // one attempt per exchange
	back := f.authorize(g.HTTP, f.authURL()+"&resource="+url.QueryEscape("https://nowhere.example/"))
	if back.Query().Get("error") != "invalid_target" || back.Query().Get("state") != f.state {
		t.Fatalf("unknown resource at authorize: %s", back)
	}
	back = f.authorize(g.HTTP, f.authURL()+"&scope=stats.views.readonly&resource="+url.QueryEscape(forumsID))
	if back.Query().Get("error") != "invalid_target" {
		t.Fatalf("scope outside the resource at authorize: %s", back)
	}

	// Bound to forums and billing: the code holds their scopes only.
	u := f.authURL() + "&resource=" + url.QueryEscape(forumsID) + "&resource=" + url.QueryEscape(billingID)
	loc := f.authorize(g.HTTP, u)
	_, back = f.consent(g, loc, true, []string{"forums.threads.readonly", "billing.invoices.readonly"})
	code := f.code(back)
	// At the token endpoint, stats is outside what the code was issued for.
	if _, err := f.cfg.Exchange(context.Background(), code, oauth2.VerifierOption(f.verifier), oauth2.SetAuthURLParam("resource", statsID)); oauthErrorCode(err) != "invalid_target" {
		t.Fatalf("widening resource at the token endpoint: %v", err)
	}

	// The refused request did not use the code up: redeemed for billing alone.
	tok, err := f.cfg.Exchange(context.Background(), code, oauth2.VerifierOption(f.verifier), oauth2.SetAuthURLParam("resource", billingID))
	if err != nil {
		t.Fatal(err)
	}
	if s := grantedScope(t, tok); s != "billing.invoices.readonly" {
		t.Fatalf("code narrowed to billing: scope %q", s)
	}
	// RFC 9068 §2.2 for a user's token: sub is the user, auth_time when they signed in.
	parts := strings.Split(tok.AccessToken, ".")
	if len(parts) != 3 {
		t.Fatalf("a token for a JWT API alone is not a JWT: %.20s…", tok.AccessToken)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var cl map[string]any
	_ = json.Unmarshal(raw, &cl)
	if cl["sub"] != strconv.Itoa(tn.UserID) || cl["aud"] != billingID || cl["client_id"] != web.ClientID || cl["auth_time"] == nil ||
		cl["exp"].(float64)-cl["iat"].(float64) != 90 {
		t.Fatalf("claims of a user's JWT: %v", cl)
	}
	_, in := postForm(t, tn.Issuer+"/oauth/introspect", url.Values{"token": {tok.AccessToken}}, web.ClientID, web.Secret)
	if in["active"] != true || !slices.Equal(audList(in["aud"]), []string{billingID}) {
		t.Fatalf("introspection: %v", in)
	}

	// The refresh token keeps the grant (forums and billing); a refresh may take either.
	rt := tok.RefreshToken
	if rt == "" {
		t.Fatal("no refresh token")
	}
	resp, body := postForm(t, tn.tokenURL(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "resource": {statsID}}, web.ClientID, web.Secret)
	wantGrantError(t, "refresh widened to stats", resp, body, "invalid_target")
	resp, body = postForm(t, tn.tokenURL(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "resource": {forumsID}}, web.ClientID, web.Secret)
	if resp.StatusCode != 200 || body["scope"] != "forums.threads.readonly" {
		t.Fatalf("refresh narrowed to forums: %d %v", resp.StatusCode, body)
	}
	resp, body = postForm(t, tn.tokenURL(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {body["refresh_token"].(string)}}, web.ClientID, web.Secret)
	if resp.StatusCode != 200 || body["scope"] != "billing.invoices.readonly forums.threads.readonly" {
		t.Fatalf("refresh without resource keeps the grant: %d %v", resp.StatusCode, body)
	}
	if at := body["access_token"].(string); !strings.HasPrefix(at, "ska_") {
		t.Fatalf("a token for an OPAQUE and a JWT API is not opaque: %.20s…", at)
	}
}

func audList(v any) []string {
	switch a := v.(type) {
	case string:
		return []string{a}
	case []any:
		out := make([]string, 0, len(a))
		for _, x := range a {
			s, _ := x.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}
