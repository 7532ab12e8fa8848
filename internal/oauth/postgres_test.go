package oauth

import (
	"context"
	"net/url"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"scopekeeper/ent/oauthclient"
	"scopekeeper/internal/testdb"
)

// The main flows on PostgreSQL (SCOPEKEEPER_TEST_POSTGRES=postgres://…; skipped visibly without).
func TestPostgres_ClientCredentialsCodeFlowIntrospection(t *testing.T) {
	e := newEnvDSN(t, testdb.Postgres(t))
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	tn.scope(t, "forums.members.readonly", required)
	svc := tn.client(t, oauthclient.KindSERVICE, read)
	web := tn.client(t, oauthclient.KindWEB, read)

	tok, err := ccToken(t, tn, svc)
	if err != nil {
		t.Fatal(err)
	}
	if got := introspect(t, tn, svc, tok.AccessToken)["scope"]; got != "forums.members.readonly forums.threads.readonly" {
		t.Fatalf("introspected scope = %v", got)
	}
	provider, err := gooidc.NewProvider(context.Background(), tn.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	g := tn.owner(t)
	f := newCodeFlow(t, tn, web, "https://app.example/callback", "openid", "forums.threads.readonly")
	_, back := f.consent(g, f.authorize(g.HTTP, f.authURL()), true, []string{"forums.threads.readonly"})
	code := f.code(back)
	utok, err := f.exchange(code)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.Verifier(&gooidc.Config{ClientID: web.ClientID}).Verify(context.Background(), utok.Extra("id_token").(string)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.exchange(code); oauthErrorCode(err) != "invalid_grant" {
		t.Fatalf("code reuse: %v", err)
	}
	if resp, _ := postForm(t, tn.Issuer+"/oauth/revoke", url.Values{"token": {tok.AccessToken}}, svc.ClientID, svc.Secret); resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	if got := introspect(t, tn, svc, tok.AccessToken); got["active"] != false {
		t.Fatalf("revoked: %v", got)
	}
}
