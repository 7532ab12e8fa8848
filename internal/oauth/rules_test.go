package oauth

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"scopekeeper/ent/oauthclient"
)

// introspect asks the issuer about token as client c.
func introspect(t *testing.T, tn *tenant, c *testClient, token string) map[string]any {
	t.Helper()
	resp, body := postForm(t, tn.Issuer+"/oauth/introspect", url.Values{"token": {token}}, c.ClientID, c.Secret)
	if resp.StatusCode != 200 {
		t.Fatalf("introspect: %s %v", resp.Status, body)
	}
	return body
}

func ccToken(t *testing.T, tn *tenant, c *testClient, scopes ...string) (*oauth2.Token, error) {
	t.Helper()
	return ccConfig(tn, c, oauth2.AuthStyleInHeader, scopes...).Token(context.Background())
}

// Rule 4: a client with no scopes gets no token; no scope parameter means all the client's scopes;
// a request may narrow but never widen; a token from a code never has more than the code.
func TestScopeRule4_RequestedScopes(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	modify := tn.scope(t, "forums.threads.modify")
	stats := tn.scope(t, "forums.stats.readonly")

	t.Run("client with no scopes", func(t *testing.T) {
		empty := tn.client(t, oauthclient.KindSERVICE)
		if _, err := ccToken(t, tn, empty); oauthErrorCode(err) != "invalid_scope" {
			t.Fatalf("no scope: %v", err)
		}
		if _, err := ccToken(t, tn, empty, "forums.threads.readonly"); oauthErrorCode(err) != "invalid_scope" {
			t.Fatalf("asking for one: %v", err)
		}
	})
	svc := tn.client(t, oauthclient.KindSERVICE, read, modify)
	t.Run("no scope parameter gets all", func(t *testing.T) {
		tok, err := ccToken(t, tn, svc)
		if err != nil {
			t.Fatal(err)
		}
		if got := grantedScope(t, tok); got != "forums.threads.modify forums.threads.readonly" {
			t.Fatalf("scope = %q", got)
		}
		if got := introspect(t, tn, svc, tok.AccessToken)["scope"]; got != "forums.threads.modify forums.threads.readonly" {
			t.Fatalf("introspected scope = %v", got)
		}
	})
	t.Run("narrowing", func(t *testing.T) {
		tok, err := ccToken(t, tn, svc, "forums.threads.modify")
		if err != nil {
			t.Fatal(err)
		}
		if got := introspect(t, tn, svc, tok.AccessToken)["scope"]; got != "forums.threads.modify" {
			t.Fatalf("introspected scope = %v", got)
		}
	})
	t.Run("widening", func(t *testing.T) {
		if _, err := ccToken(t, tn, svc, "forums.threads.modify", stats.Name); oauthErrorCode(err) != "invalid_scope" {
			t.Fatalf("widening: %v", err)
		}
	})
	t.Run("code carries fewer scopes; its token never more", func(t *testing.T) {
		web := tn.client(t, oauthclient.KindWEB, read, modify, stats)
		g := tn.owner(t)
		f := newCodeFlow(t, tn, web, "https://app.example/callback", "forums.threads.readonly")
		_, back := f.consent(g, f.authorize(g.HTTP, f.authURL()), true, []string{"forums.threads.readonly"})
		code := f.code(back)
		// A scope parameter on the token request cannot widen the code's grant.
		tok, err := f.cfg.Exchange(context.Background(), code, oauth2.VerifierOption(f.verifier),
			oauth2.SetAuthURLParam("scope", "forums.threads.readonly forums.threads.modify forums.stats.readonly"))
		if err != nil {
			t.Fatal(err)
		}
		if got := grantedScope(t, tok); got != "forums.threads.readonly" {
			t.Fatalf("scope = %q", got)
		}
	})
}

// Rule 5: a required scope comes, unasked and unremovable, with any token holding another scope of
// its API; never alone, and never with a token of another API only.
func TestScopeRule5_RequiredScopes(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	members := tn.scope(t, "forums.members.readonly", required)
	billing := tn.api(t, "billing")
	invoices := tn.scope(t, "billing.invoices.readonly", onAPI(billing))
	svc := tn.client(t, oauthclient.KindSERVICE, read, invoices)

	tok, err := ccToken(t, tn, svc, "forums.threads.readonly")
	if err != nil {
		t.Fatal(err)
	}
	if got := grantedScope(t, tok); got != "forums.members.readonly forums.threads.readonly" {
		t.Fatalf("forums token scope = %q", got)
	}
	tok, err = ccToken(t, tn, svc, "billing.invoices.readonly")
	if err != nil {
		t.Fatal(err)
	}
	if got := grantedScope(t, tok); got != "billing.invoices.readonly" {
		t.Fatalf("billing token scope = %q (the forums required scope must not come along)", got)
	}
	if _, err := ccToken(t, tn, svc, members.Name); oauthErrorCode(err) != "invalid_scope" {
		t.Fatalf("required scope alone: %v", err)
	}
	tok, err = ccToken(t, tn, svc)
	if err != nil {
		t.Fatal(err)
	}
	if got := grantedScope(t, tok); got != "billing.invoices.readonly forums.members.readonly forums.threads.readonly" {
		t.Fatalf("default scope = %q", got)
	}

	// On the consent screen the required scope cannot be dropped.
	web := tn.client(t, oauthclient.KindWEB, read)
	g := tn.owner(t)
	f := newCodeFlow(t, tn, web, "https://app.example/callback", "forums.threads.readonly")
	_, back := f.consent(g, f.authorize(g.HTTP, f.authURL()), true, []string{"forums.threads.readonly"})
	tok, err = f.exchange(f.code(back))
	if err != nil {
		t.Fatal(err)
	}
	if got := grantedScope(t, tok); got != "forums.members.readonly forums.threads.readonly" {
		t.Fatalf("code token scope = %q", got)
	}
}

// Rule 6: showInDiscoveryDocument puts a scope in scopes_supported (emphasize is covered by the
// consent order in TestRFC6749_4_1_AuthorizationCodeFlow).
func TestScopeRule6_DiscoveryAndEmphasis(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	tn.scope(t, "forums.threads.readonly")
	tn.scope(t, "forums.secret.readonly", hidden)
	tn.scope(t, "forums.a.modify", emphasized)
	doc := discover(t, tn.Issuer+"/.well-known/openid-configuration", "")
	if got := scopesSupported(doc.body); strings.Join(got, " ") != "email forums.a.modify forums.threads.readonly offline_access openid profile" {
		t.Fatalf("scopes_supported = %v", got)
	}
}

// Rule 7: a deprecated scope keeps working where assigned and leaves discovery; a scope in a live
// token cannot be deleted until the token is revoked.
func TestScopeRule7_DeprecatedAndInUse(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	old := tn.scope(t, "forums.legacy.readonly")
	svc := tn.client(t, oauthclient.KindSERVICE, read, old)
	g := tn.owner(t)

	g.must(`mutation($id: ID!) { updateScope(id: $id, input: {deprecated: true}) { id } }`, map[string]any{"id": id(old.ID)})
	if got := scopesSupported(discover(t, tn.Issuer+"/.well-known/oauth-authorization-server", "").body); slices.Contains(got, old.Name) {
		t.Fatalf("deprecated scope still in discovery: %v", got)
	}
	tok, err := ccToken(t, tn, svc, "forums.legacy.readonly")
	if err != nil {
		t.Fatalf("deprecated but assigned scope refused: %v", err)
	}
	if got := introspect(t, tn, svc, tok.AccessToken)["scope"]; got != "forums.legacy.readonly" {
		t.Fatalf("introspected scope = %v", got)
	}
	// Unassign it: the live token still keeps it from being deleted (rule 7) though it no longer
	// grants it (rule 8).
	g.must(`mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id } }`, map[string]any{"c": id(svc.ID), "s": []string{id(read.ID)}})
	if r := g.do(`mutation($id: ID!) { deleteScope(id: $id) }`, map[string]any{"id": id(old.ID)}); r.code() != "SCOPE_IN_USE" {
		t.Fatalf("delete scope of a live token: %+v", r)
	}
	if got := introspect(t, tn, svc, tok.AccessToken); got["active"] != true || got["scope"] != nil {
		t.Fatalf("after unassigning: %v", got)
	}
	resp, _ := postForm(t, tn.Issuer+"/oauth/revoke", url.Values{"token": {tok.AccessToken}}, svc.ClientID, svc.Secret)
	if resp.StatusCode != 200 {
		t.Fatalf("revoke: %s", resp.Status)
	}
	g.must(`mutation($id: ID!) { deleteScope(id: $id) }`, map[string]any{"id": id(old.ID)})
}

// Rule 8: removing a scope from a client takes effect at once for tokens already issued (and the
// required scope that came with it goes too).
func TestScopeRule8_RemovalTakesEffectAtOnce(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	modify := tn.scope(t, "forums.threads.modify")
	tn.scope(t, "forums.members.readonly", required)
	stats := tn.scope(t, "forums.stats.readonly")
	svc := tn.client(t, oauthclient.KindSERVICE, read, modify)
	rs := tn.client(t, oauthclient.KindSERVICE, stats) // a resource server introspecting
	g := tn.owner(t)

	tok, err := ccToken(t, tn, svc)
	if err != nil {
		t.Fatal(err)
	}
	if got := introspect(t, tn, rs, tok.AccessToken)["scope"]; got != "forums.members.readonly forums.threads.modify forums.threads.readonly" {
		t.Fatalf("before: %v", got) // also warms the cache
	}
	setScopes := `mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id } }`
	g.must(setScopes, map[string]any{"c": id(svc.ID), "s": []string{id(read.ID)}})
	if got := introspect(t, tn, rs, tok.AccessToken)["scope"]; got != "forums.members.readonly forums.threads.readonly" {
		t.Fatalf("after removing modify: %v", got)
	}
	g.must(setScopes, map[string]any{"c": id(svc.ID), "s": []string{id(stats.ID)}})
	got := introspect(t, tn, rs, tok.AccessToken)
	if got["active"] != true || got["scope"] != nil {
		t.Fatalf("after removing every issued scope: %v", got)
	}
	// Giving the scope back does not give it back to the token: what was taken stays taken.
	g.must(setScopes, map[string]any{"c": id(svc.ID), "s": []string{id(read.ID), id(stats.ID)}})
	if got := introspect(t, tn, rs, tok.AccessToken); got["active"] != true || got["scope"] != nil {
		t.Fatalf("after giving readonly back: %v", got)
	}
	// A disabled client's tokens are inactive.
	g.must(`mutation($id: ID!) { updateClient(id: $id, input: {enabled: false}) { id } }`, map[string]any{"id": id(svc.ID)})
	if got := introspect(t, tn, rs, tok.AccessToken); got["active"] != false {
		t.Fatalf("token of a disabled client: %v", got)
	}
}
