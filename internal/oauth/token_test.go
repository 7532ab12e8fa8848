package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"scopekeeper/ent/oauthclient"
)

// ccConfig is a real client-credentials client for c.
func ccConfig(tn *tenant, c *testClient, style oauth2.AuthStyle, scopes ...string) *clientcredentials.Config {
	return &clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.Secret, TokenURL: tn.tokenURL(), Scopes: scopes, AuthStyle: style}
}

func oauthErrorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

func grantedScope(t *testing.T, tok *oauth2.Token) string {
	t.Helper()
	s, _ := tok.Extra("scope").(string)
	return s
}

// RFC 6749 §4.4: the client credentials grant, with both client authentication methods of §2.3.1.
func TestRFC6749_4_4_ClientCredentials(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	modify := tn.scope(t, "forums.threads.modify")
	other := tn.scope(t, "forums.members.modify")
	_ = other
	svc := tn.client(t, oauthclient.KindSERVICE, read, modify)
	ctx := context.Background()

	for _, style := range []struct {
		name  string
		style oauth2.AuthStyle
	}{{"client_secret_basic", oauth2.AuthStyleInHeader}, {"client_secret_post", oauth2.AuthStyleInParams}} {
		t.Run(style.name, func(t *testing.T) {
			cases := []struct {
				name      string
				scopes    []string
				wantScope string
				wantErr   string
				secret    string
			}{
				{name: "no scope gets every scope of the client", wantScope: "forums.threads.modify forums.threads.readonly"},
				{name: "narrowed", scopes: []string{"forums.threads.readonly"}, wantScope: "forums.threads.readonly"},
				{name: "names match ignoring case, stored spelling returned", scopes: []string{"FORUMS.Threads.READONLY"}, wantScope: "forums.threads.readonly"},
				{name: "widened is invalid_scope", scopes: []string{"forums.threads.readonly", "forums.members.modify"}, wantErr: "invalid_scope"},
				{name: "unknown scope is invalid_scope", scopes: []string{"nope"}, wantErr: "invalid_scope"},
				{name: "wrong secret is invalid_client", secret: "sks_wrong", wantErr: "invalid_client"},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					cfg := ccConfig(tn, svc, style.style, c.scopes...)
					if c.secret != "" {
						cfg.ClientSecret = c.secret
					}
					tok, err := cfg.Token(ctx)
					if c.wantErr != "" {
						if got := oauthErrorCode(err); got != c.wantErr {
							t.Fatalf("error = %v (code %q), want %s", err, got, c.wantErr)
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					if !strings.HasPrefix(tok.AccessToken, "ska_") || tok.TokenType != "Bearer" || tok.Expiry.IsZero() {
						t.Fatalf("token = %+v", tok)
					}
					if got := grantedScope(t, tok); got != c.wantScope {
						t.Fatalf("scope = %q, want %q", got, c.wantScope)
					}
				})
			}
		})
	}
}

// RFC 6749 §5.1 and §5.2: response headers, error bodies and status codes.
func TestRFC6749_5_TokenEndpointResponses(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	svc := tn.client(t, oauthclient.KindSERVICE, read)
	web := tn.client(t, oauthclient.KindWEB, read)

	type req struct {
		form        url.Values
		basicID     string
		basicSecret string
		contentType string
		header      string
	}
	good := url.Values{"grant_type": {"client_credentials"}}
	cases := []struct {
		name       string
		req        req
		wantStatus int
		wantError  string
	}{
		{"§5.1 success", req{form: good, basicID: svc.ClientID, basicSecret: svc.Secret}, 200, ""},
		{"§5.2 invalid_request: grant_type missing", req{form: url.Values{}, basicID: svc.ClientID, basicSecret: svc.Secret}, 400, "invalid_request"},
		{"§5.2 unsupported_grant_type", req{form: url.Values{"grant_type": {"password"}}, basicID: svc.ClientID, basicSecret: svc.Secret}, 400, "unsupported_grant_type"},
		{"§5.2 unsupported_grant_type: password", req{form: url.Values{"grant_type": {"password"}, "username": {"x"}, "password": {"y"}}, basicID: svc.ClientID, basicSecret: svc.Secret}, 400, "unsupported_grant_type"},
		{"§5.2 unauthorized_client: refresh_token for a SERVICE client", req{form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, basicID: svc.ClientID, basicSecret: svc.Secret}, 400, "unauthorized_client"},
		{"§5.2 invalid_scope: openid for a SERVICE client", req{form: url.Values{"grant_type": {"client_credentials"}, "scope": {"openid"}}, basicID: svc.ClientID, basicSecret: svc.Secret}, 400, "invalid_scope"},
		{"§5.2 invalid_scope: email for a SERVICE client", req{form: url.Values{"grant_type": {"client_credentials"}, "scope": {"email forums.threads.readonly"}}, basicID: svc.ClientID, basicSecret: svc.Secret}, 400, "invalid_scope"},
		{"§3.2 invalid_request: repeated parameter", req{form: url.Values{"grant_type": {"client_credentials", "client_credentials"}}, basicID: svc.ClientID, basicSecret: svc.Secret}, 400, "invalid_request"},
		{"§3.2 invalid_request: not form encoded", req{form: good, basicID: svc.ClientID, basicSecret: svc.Secret, contentType: "application/json"}, 400, "invalid_request"},
		{"§2.3 invalid_request: two authentication methods", req{form: url.Values{"grant_type": {"client_credentials"}, "client_secret": {svc.Secret}}, basicID: svc.ClientID, basicSecret: svc.Secret}, 400, "invalid_request"},
		{"§5.2 invalid_client: wrong secret (basic)", req{form: good, basicID: svc.ClientID, basicSecret: "sks_nope"}, 401, "invalid_client"},
		{"§5.2 invalid_client: wrong secret (post)", req{form: url.Values{"grant_type": {"client_credentials"}, "client_id": {svc.ClientID}, "client_secret": {"sks_nope"}}}, 401, "invalid_client"},
		{"§5.2 invalid_client: unknown client", req{form: good, basicID: "nobody", basicSecret: "x"}, 401, "invalid_client"},
		{"§5.2 invalid_client: no authentication", req{form: good}, 401, "invalid_client"},
		{"§5.2 invalid_client: Bearer is not client authentication", req{form: good, header: "Bearer abc"}, 401, "invalid_client"},
		{"§5.2 unauthorized_client: WEB client asks for client_credentials", req{form: good, basicID: web.ClientID, basicSecret: web.Secret}, 400, "unauthorized_client"},
		{"§5.2 invalid_scope: malformed scope", req{form: url.Values{"grant_type": {"client_credentials"}, "scope": {"a\"b"}}, basicID: svc.ClientID, basicSecret: svc.Secret}, 400, "invalid_scope"},
		{"§5.2 invalid_grant: unknown code", req{form: url.Values{"grant_type": {"authorization_code"}, "code": {"skc_x"}, "redirect_uri": {"https://app.example/callback"}, "code_verifier": {strings.Repeat("a", 43)}}, basicID: web.ClientID, basicSecret: web.Secret}, 400, "invalid_grant"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodPost, tn.tokenURL(), strings.NewReader(c.req.form.Encode()))
			ct := c.req.contentType
			if ct == "" {
				ct = "application/x-www-form-urlencoded"
			}
			r.Header.Set("Content-Type", ct)
			if c.req.basicID != "" {
				r.SetBasicAuth(c.req.basicID, c.req.basicSecret)
			}
			if c.req.header != "" {
				r.Header.Set("Authorization", c.req.header)
			}
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			if err := jsonDecode(resp, &body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != c.wantStatus {
				t.Fatalf("status = %d, want %d (%v)", resp.StatusCode, c.wantStatus, body)
			}
			if got := resp.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q", got)
			}
			if got := resp.Header.Get("Pragma"); got != "no-cache" {
				t.Errorf("Pragma = %q", got)
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type = %q", resp.Header.Get("Content-Type"))
			}
			if c.wantError == "" {
				for _, k := range []string{"access_token", "token_type", "expires_in", "scope"} {
					if _, ok := body[k]; !ok {
						t.Errorf("success body lacks %s: %v", k, body)
					}
				}
				return
			}
			if body["error"] != c.wantError {
				t.Fatalf("error = %v, want %s", body, c.wantError)
			}
			if d, _ := body["error_description"].(string); d == "" {
				t.Errorf("no error_description: %v", body)
			}
			if c.wantStatus == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("401 without WWW-Authenticate: %v", resp.Header)
			}
		})
	}
}

// Another organisation's client gets nothing from this issuer, and this issuer's tokens mean
// nothing to the other organisation's introspection.
func TestOtherOrganisationClientGetsNothing(t *testing.T) {
	e := newEnv(t)
	acme := e.tenant(t, "acme")
	globex := e.tenant(t, "globex")
	acmeSvc := acme.client(t, oauthclient.KindSERVICE, acme.scope(t, "forums.threads.readonly"))
	globexSvc := globex.client(t, oauthclient.KindSERVICE, globex.scope(t, "forums.threads.readonly"))
	ctx := context.Background()

	// globex's client at acme's token endpoint: unknown here.
	cfg := ccConfig(acme, globexSvc, oauth2.AuthStyleInHeader)
	if _, err := cfg.Token(ctx); oauthErrorCode(err) != "invalid_client" {
		t.Fatalf("foreign client at acme: %v", err)
	}
	// A token acme issued is inactive at globex, even introspected by globex's own client.
	tok, err := ccConfig(acme, acmeSvc, oauth2.AuthStyleInHeader).Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, body := postForm(t, globex.Issuer+"/oauth/introspect", url.Values{"token": {tok.AccessToken}}, globexSvc.ClientID, globexSvc.Secret)
	if body["active"] != false || len(body) != 1 {
		t.Fatalf("globex introspecting acme's token: %v", body)
	}
	// acme's client cannot introspect at globex either.
	resp, _ := postForm(t, globex.Issuer+"/oauth/introspect", url.Values{"token": {tok.AccessToken}}, acmeSvc.ClientID, acmeSvc.Secret)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("acme client at globex introspection: %s", resp.Status)
	}
	// Nor revoke acme's token through globex.
	resp, _ = postForm(t, globex.Issuer+"/oauth/revoke", url.Values{"token": {tok.AccessToken}}, globexSvc.ClientID, globexSvc.Secret)
	if resp.StatusCode != 200 {
		t.Fatalf("revoke at globex: %s", resp.Status)
	}
	_, body = postForm(t, acme.Issuer+"/oauth/introspect", url.Values{"token": {tok.AccessToken}}, acmeSvc.ClientID, acmeSvc.Secret)
	if body["active"] != true {
		t.Fatalf("acme's token was affected by globex: %v", body)
	}
	// An issuer that does not exist.
	resp, _ = postForm(t, e.URL+"/o/nobody/oauth/token", url.Values{"grant_type": {"client_credentials"}}, acmeSvc.ClientID, acmeSvc.Secret)
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown issuer: %s", resp.Status)
	}
}
