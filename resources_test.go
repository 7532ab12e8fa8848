package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"scopekeeper/pkg/checkmw"
)

// resourceFixture is the access fixture plus a second API, "billing", whose tokens are JWTs.
type resourceFixture struct {
	*accessFixture
	forumsID, billingID string // identifiers
}

const billingID = "https://billing.example/api"

func newResourceFixture(t *testing.T, e *testEnv) *resourceFixture {
	t.Helper()
	f := &resourceFixture{accessFixture: newAccessFixture(t, e, "acme"), forumsID: e.URL + "/forums", billingID: billingID}
	c := f.owner
	api := str(c.must(`mutation { createAPI(input: {name: "billing", basePath: "/billing", identifier: "`+billingID+`",
		accessTokenFormat: JWT, jwtLifetime: 120}) { id resourceIdentifier } }`, nil), "createAPI.id")
	ep := str(c.must(`mutation($in: CreateEndpointInput!) { createEndpoint(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"apiID": api, "method": "GET", "path": "/billing/invoices"}}), "createEndpoint.id")
	inv := str(c.must(`mutation($in: CreateScopeInput!) { createScope(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"apiID": api, "name": "billing.invoices.readonly", "endpointIDs": []string{ep}}}), "createScope.id")
	c.must(`mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id } }`,
		map[string]any{"c": f.worker, "s": []string{f.read, f.modify, inv}})
	return f
}

// tokenForm posts a client-credentials request as the worker.
func (f *resourceFixture) tokenForm(t *testing.T, form url.Values) (int, map[string]any) {
	t.Helper()
	form.Set("grant_type", "client_credentials")
	req, _ := http.NewRequest(http.MethodPost, f.e.URL+"/o/acme/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(f.workerID, f.workerSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (f *resourceFixture) introspect(t *testing.T, tok string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.e.URL+"/o/acme/oauth/introspect", strings.NewReader(url.Values{"token": {tok}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(f.checkerID, f.checkerSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out
}

func audOf(v any) []string {
	switch a := v.(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, x := range a {
			s, _ := x.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

// RFC 8707: resource narrows a client-credentials token to the named APIs and sets its aud; an
// unknown resource, or a scope outside the named ones, is invalid_target.
func TestResourceIndicatorsClientCredentials(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(*testing.T) string) {
		e := startServer(t, dsn(t))
		f := newResourceFixture(t, e)

		// Without resource: every scope, both APIs in aud; mixed formats stay opaque.
		code, all := f.tokenForm(t, url.Values{})
		if code != 200 || all["scope"] != "billing.invoices.readonly forums.threads.modify forums.threads.readonly" ||
			!strings.HasPrefix(all["access_token"].(string), "ska_") {
			t.Fatalf("no resource: %d %v", code, all)
		}
		if aud := audOf(f.introspect(t, all["access_token"].(string))["aud"]); !slices.Equal(aud, []string{f.forumsID, billingID}) {
			t.Fatalf("introspection aud without resource = %v", aud)
		}

		code, forums := f.tokenForm(t, url.Values{"resource": {f.forumsID}})
		if code != 200 || forums["scope"] != "forums.threads.modify forums.threads.readonly" {
			t.Fatalf("resource=forums: %d %v", code, forums)
		}
		tok := forums["access_token"].(string)
		if aud := audOf(f.introspect(t, tok)["aud"]); !slices.Equal(aud, []string{f.forumsID}) {
			t.Fatalf("introspection aud = %v, want [%s]", aud, f.forumsID)
		}
		var check struct {
			Allowed bool     `json:"allowed"`
			Aud     []string `json:"aud"`
		}
		r := f.decide(t, tok, "GET", "/forums/threads")
		b, _ := json.Marshal(map[string]any{"credential": tok, "method": "GET", "path": "/forums/threads"})
		req, _ := http.NewRequest(http.MethodPost, e.URL+"/o/acme/v1/check", strings.NewReader(string(b)))
		req.SetBasicAuth(f.checkerID, f.checkerSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = json.NewDecoder(resp.Body).Decode(&check)
		resp.Body.Close()
		if !r.Allowed || !check.Allowed || !slices.Equal(check.Aud, []string{f.forumsID}) {
			t.Fatalf("check of the narrowed token: %+v aud %v", r, check.Aud)
		}
		if r := f.decide(t, tok, "GET", "/billing/invoices"); r.Allowed {
			t.Fatal("a token narrowed to forums opens billing")
		}

		for name, form := range map[string]url.Values{
			"unknown resource":       {"resource": {"https://nowhere.example/api"}},
			"scope outside resource": {"resource": {f.forumsID}, "scope": {"billing.invoices.readonly"}},
			"not an absolute URI":    {"resource": {"/forums"}},
			"fragment":               {"resource": {f.forumsID + "#x"}},
			"one good, one unknown":  {"resource": {f.forumsID, "https://nowhere.example/"}},
		} {
			if code, out := f.tokenForm(t, form); code != 400 || out["error"] != "invalid_target" || out["error_description"] == "" {
				t.Errorf("%s: %d %v, want 400 invalid_target", name, code, out)
			}
		}
		// Both resources: both APIs, aud both.
		if code, out := f.tokenForm(t, url.Values{"resource": {f.forumsID, billingID}, "scope": {"forums.threads.readonly billing.invoices.readonly"}}); code != 200 ||
			out["scope"] != "billing.invoices.readonly forums.threads.readonly" {
			t.Fatalf("two resources: %d %v", code, out)
		}
	})
}

// RFC 9068: a token for JWT APIs only is a JWT signed with a key at jwks_uri, recorded like an
// opaque token: the check and introspection accept it, and refuse it once revoked.
func TestJWTAccessTokens(t *testing.T) {
	e := newEnv(t)
	f := newResourceFixture(t, e)
	code, out := f.tokenForm(t, url.Values{"resource": {billingID}})
	if code != 200 || out["scope"] != "billing.invoices.readonly" || out["expires_in"] != float64(120) {
		t.Fatalf("JWT token response: %d %v", code, out)
	}
	raw := out["access_token"].(string)

	// Verify with go-jose against the keys at jwks_uri from discovery.
	var disc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	getJSON(t, e.URL+"/o/acme/.well-known/oauth-authorization-server", &disc)
	var set jose.JSONWebKeySet
	getJSON(t, disc.JWKSURI, &set)
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	h := jws.Signatures[0].Protected
	if h.ExtraHeaders[jose.HeaderType] != "at+jwt" {
		t.Fatalf("typ = %v, want at+jwt", h.ExtraHeaders[jose.HeaderType])
	}
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q not at jwks_uri", h.KeyID)
	}
	payload, err := jws.Verify(keys[0])
	if err != nil {
		t.Fatalf("signature: %v", err)
	}
	var cl map[string]any
	_ = json.Unmarshal(payload, &cl)
	now := float64(time.Now().Unix())
	if cl["iss"] != e.URL+"/o/acme" || cl["aud"] != billingID || cl["sub"] != f.workerID || cl["client_id"] != f.workerID ||
		cl["scope"] != "billing.invoices.readonly" || cl["jti"] == "" || cl["exp"].(float64)-cl["iat"].(float64) != 120 ||
		cl["iat"].(float64) > now+1 || cl["iat"].(float64) < now-60 {
		t.Fatalf("claims: %v", cl)
	}

	if r := f.decide(t, raw, "GET", "/billing/invoices"); !r.Allowed || deref(r.Scope) != "billing.invoices.readonly" {
		t.Fatalf("check of the JWT: %+v", r)
	}
	fa := func(tok string) int {
		req, _ := http.NewRequest(http.MethodGet, e.URL+"/o/acme/v1/forward-auth", nil)
		req.Header.Set("X-Forwarded-Method", "GET")
		req.Header.Set("X-Forwarded-Uri", "/billing/invoices")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := fa(raw); code != 200 {
		t.Fatalf("forward auth with the JWT: %d", code)
	}
	// Rotating the organisation's key rotates the access-token key too; the old one stays published.
	f.owner.must(`mutation { rotateSigningKey { kid } }`, nil)
	_, out = f.tokenForm(t, url.Values{"resource": {billingID}})
	next, err := jose.ParseSigned(out["access_token"].(string), []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	var after jose.JSONWebKeySet
	getJSON(t, disc.JWKSURI, &after)
	if kid := next.Signatures[0].Protected.KeyID; kid == h.KeyID || len(after.Key(kid)) != 1 || len(after.Key(h.KeyID)) != 1 {
		t.Fatalf("after rotation: kid %q (was %q), published %d keys", kid, h.KeyID, len(after.Keys))
	}
	if in := f.introspect(t, raw); in["active"] != true || in["scope"] != "billing.invoices.readonly" || !slices.Equal(audOf(in["aud"]), []string{billingID}) {
		t.Fatalf("introspection of the JWT: %v", in)
	}
	// A JWT with the same jti but another payload is not the recorded token.
	parts := strings.Split(raw, ".")
	forged := parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-4] + "AAAA"
	if r := f.decide(t, forged, "GET", "/billing/invoices"); r.Allowed || r.Reason != "unknown_credential" {
		t.Fatalf("forged signature: %+v", r)
	}

	// Revocation (RFC 7009) reaches the JWT at the check and at introspection.
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/o/acme/oauth/revoke", strings.NewReader(url.Values{"token": {raw}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(f.workerID, f.workerSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("revoke: %v %v", err, resp)
	}
	resp.Body.Close()
	if r := f.decide(t, raw, "GET", "/billing/invoices"); r.Allowed || r.Reason != "revoked" {
		t.Fatalf("check of a revoked JWT: %+v", r)
	}
	if code := fa(raw); code != 401 {
		t.Fatalf("forward auth with a revoked JWT: %d, want 401", code)
	}
	if in := f.introspect(t, raw); in["active"] != false {
		t.Fatalf("introspection of a revoked JWT: %v", in)
	}
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// RFC 9728 metadata at ISSUER/resources/{name}, and pkg/checkmw serving it, naming it in 401s
// and validating JWT access tokens offline while asking the check for opaque ones.
func TestProtectedResourceMetadataAndCheckmw(t *testing.T) {
	e := newEnv(t)
	f := newResourceFixture(t, e)
	var doc checkmw.ResourceMetadata
	getJSON(t, e.URL+"/o/acme/resources/billing", &doc)
	if doc.Resource != billingID || !slices.Equal(doc.AuthorizationServers, []string{e.URL + "/o/acme"}) ||
		!slices.Equal(doc.ScopesSupported, []string{"billing.invoices.readonly"}) || !slices.Equal(doc.BearerMethodsSupported, []string{"header"}) {
		t.Fatalf("metadata: %+v", doc)
	}
	if resp, _ := http.Get(e.URL + "/o/acme/resources/nope"); resp.StatusCode != 404 {
		t.Fatalf("unknown API: %d", resp.StatusCode)
	}
	d := f.owner.must(`{ apis(where: {name: "forums"}) { edges { node { resourceIdentifier resourceMetadataURL } } } }`, nil)
	if n := get(d, "apis.edges").([]any)[0]; str(n, "node.resourceIdentifier") != f.forumsID || str(n, "node.resourceMetadataURL") != e.URL+"/o/acme/resources/forums" {
		t.Fatalf("GraphQL: %v", n)
	}

	checker := checkmw.New(checkmw.Config{Issuer: e.URL + "/o/acme", ClientID: f.checkerID, ClientSecret: f.checkerSecret, TTL: -1,
		API: "billing", OfflineJWT: true})
	calls := 0
	mux := http.NewServeMux()
	mux.HandleFunc("/billing/", func(w http.ResponseWriter, r *http.Request) {
		res, _ := checkmw.FromContext(r.Context())
		_, _ = w.Write([]byte(res.Reason + " " + res.Scope))
	})
	api := httptest.NewServer(checker.Handler(mux))
	defer api.Close()
	do := func(path, cred string) (*http.Response, string) {
		t.Helper()
		calls++
		req, _ := http.NewRequest("GET", api.URL+path, nil)
		if cred != "" {
			req.Header.Set("Authorization", "Bearer "+cred)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	for _, p := range []string{checkmw.WellKnown, checkmw.WellKnown + "/api"} {
		resp, body := do(p, "")
		var got checkmw.ResourceMetadata
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &got) != nil || got.Resource != billingID {
			t.Fatalf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
	resp, _ := do("/billing/invoices", "")
	want := `resource_metadata="https://billing.example/.well-known/oauth-protected-resource/api"`
	if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), want) {
		t.Fatalf("401 without credential: %d %q, want %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), want)
	}

	_, out := f.tokenForm(t, url.Values{"resource": {billingID}})
	jwt := out["access_token"].(string)
	if resp, body := do("/billing/invoices", jwt); resp.StatusCode != 200 || body != "valid_jwt billing.invoices.readonly" {
		t.Fatalf("offline JWT: %d %s", resp.StatusCode, body)
	}
	// Opaque tokens go to the check.
	_, out = f.tokenForm(t, url.Values{})
	if resp, body := do("/billing/invoices", out["access_token"].(string)); resp.StatusCode != 200 || body != "granted billing.invoices.readonly" {
		t.Fatalf("opaque token through the check: %d %s", resp.StatusCode, body)
	}
	// A JWT for another audience, or tampered with, is refused offline with resource_metadata.
	parts := strings.Split(jwt, ".")
	tampered := parts[0] + "." + parts[1] + "A." + parts[2]
	if resp, body := do("/billing/invoices", tampered); resp.StatusCode != 401 || !strings.Contains(body, "invalid_jwt") ||
		!strings.Contains(resp.Header.Get("WWW-Authenticate"), want) {
		t.Fatalf("tampered JWT: %d %s %q", resp.StatusCode, body, resp.Header.Get("WWW-Authenticate"))
	}
	other := checkmw.New(checkmw.Config{Issuer: e.URL + "/o/acme", ClientID: f.checkerID, ClientSecret: f.checkerSecret, API: "forums", OfflineJWT: true})
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/billing/invoices", nil)
	r.Header.Set("Authorization", "Bearer "+jwt)
	other.Handler(mux).ServeHTTP(w, r.WithContext(context.Background()))
	if w.Code != 401 {
		t.Fatalf("JWT for billing at forums: %d, want 401", w.Code)
	}
}

// API.identifier and jwtLifetime: bad values are refused naming the field with an example, a
// duplicate identifier is a conflict, and a refused change changes nothing.
func TestResourceSettingsValidation(t *testing.T) {
	e := newEnv(t)
	c := e.org("acme")
	id := str(c.must(`mutation { createAPI(input: {name: "a", basePath: "/a", identifier: "https://a.example/api"}) { id } }`, nil), "createAPI.id")
	for _, tc := range []struct{ input, code, field, example string }{
		{`{name: "b", identifier: "/b"}`, "VALIDATION_FAILED", "identifier", "https://api.example.com/billing"},
		{`{name: "b", identifier: "https://b.example/api#x"}`, "VALIDATION_FAILED", "identifier", "https://api.example.com/billing"},
		{`{name: "b", jwtLifetime: 5}`, "VALIDATION_FAILED", "jwtLifetime", "300"},
		{`{name: "b", jwtLifetime: 86400}`, "VALIDATION_FAILED", "jwtLifetime", "300"},
		{`{name: "b", identifier: "https://a.example/api"}`, "CONFLICT", "identifier", "https://a.example/api"},
	} {
		r := c.fails(tc.code, `mutation { createAPI(input: `+tc.input+`) { id } }`, nil)
		if r.Field() != tc.field || !strings.Contains(r.Errors[0].Message, tc.example) {
			t.Errorf("%s: field %q, message %q", tc.input, r.Field(), r.Errors[0].Message)
		}
	}
	if n := get(c.must(`{ apis(where: {name: "b"}) { totalCount } }`, nil), "apis.totalCount"); n != float64(0) {
		t.Fatalf("a refused API was created: %v", n)
	}
	r := c.fails("VALIDATION_FAILED", `mutation($id: ID!) { updateAPI(id: $id, input: {identifier: "a.example"}) { id } }`, map[string]any{"id": id})
	if r.Field() != "identifier" {
		t.Fatalf("update: %+v", r.Errors)
	}
	d := c.must(`mutation($id: ID!) { updateAPI(id: $id, input: {clearIdentifier: true}) { identifier resourceIdentifier } }`, map[string]any{"id": id})
	if get(d, "updateAPI.identifier") != nil || str(d, "updateAPI.resourceIdentifier") != e.URL+"/a" {
		t.Fatalf("cleared identifier: %v", d)
	}
}
