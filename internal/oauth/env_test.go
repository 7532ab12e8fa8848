package oauth

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"scopekeeper/ent"
	"scopekeeper/ent/oauthclient"
	"scopekeeper/graph"
	"scopekeeper/internal/auth"
	"scopekeeper/internal/keys"
	"scopekeeper/internal/orgs"
	"scopekeeper/internal/secret"
	"scopekeeper/internal/store"
	"scopekeeper/internal/usage"
	"scopekeeper/internal/viewer"
)

// env is a running issuer (with sign-in and GraphQL) on a fresh database.
type env struct {
	t      *testing.T
	URL    string
	DB     *store.DB
	P      *Provider
	Server *httptest.Server
}

// newEnv serves the issuer, /auth/login and /graphql on a loopback port over a fresh SQLite file.
func newEnv(t testing.TB) *env { return newEnvDSN(t, t.TempDir()+"/oauth.db") }

func newEnvDSN(t testing.TB, dsn string, opts ...store.Option) *env {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	sessions := auth.New(db.Client, "")
	// Every OAuth test seals its signing keys, as a deployment with a key-encryption key does.
	kek := make([]byte, 32)
	_, _ = rand.Read(kek)
	keeper, err := keys.NewKeeper(base64.StdEncoding.EncodeToString(kek))
	if err != nil {
		t.Fatal(err)
	}
	p := New(db.Client, srv.URL, sessions, keeper)
	p.RecordGrants(usage.New(10_000)) // as the server does (its cost is in the benchmarks)
	mux := http.NewServeMux()
	resolver := &graph.Resolver{PublicURL: srv.URL, OAuth: p, Keys: keeper}
	mux.Handle("/graphql", sessions.Middleware(graph.NewHandler(db.Client, resolver, graph.Options{})))
	mux.HandleFunc("POST /auth/login", sessions.Login)
	mux.HandleFunc("POST /auth/logout", sessions.Logout)
	p.Register(mux)
	srv.Config.Handler = mux
	t.Cleanup(func() {
		srv.Close()
		p.Close()
		db.Close()
	})
	tt, _ := t.(*testing.T)
	return &env{t: tt, URL: srv.URL, DB: db, P: p, Server: srv}
}

// tenant is one organisation of a test with its owner's login.
type tenant struct {
	e        *env
	ID       int
	Slug     string
	Issuer   string
	UserID   int
	Email    string
	Password string
	API      *ent.API
}

const testPassword = "correct horse battery"

// tenant creates an organisation (slug) with an owner and an API "forums".
func (e *env) tenant(t testing.TB, slug string) *tenant {
	t.Helper()
	ctx := context.Background()
	email := "owner@" + slug + ".example"
	orgID, userID, err := orgs.Bootstrap(ctx, e.DB.Client, orgs.Owner{OrgName: slug, OrgSlug: slug, Email: email, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	api, err := e.DB.Client.API.Create().SetName("forums").SetBasePath("/forums").Save(e.sys(orgID))
	if err != nil {
		t.Fatal(err)
	}
	return &tenant{e: e, ID: orgID, Slug: slug, Issuer: e.URL + "/o/" + slug, UserID: userID, Email: email, Password: testPassword, API: api}
}

func (e *env) sys(orgID int) context.Context {
	return viewer.SystemContext(context.Background(), orgID)
}

// scopeOpt changes a scope being created.
type scopeOpt func(*ent.ScopeCreate)

func required(c *ent.ScopeCreate)   { c.SetRequired(true) }
func emphasized(c *ent.ScopeCreate) { c.SetEmphasize(true) }
func hidden(c *ent.ScopeCreate)     { c.SetShowInDiscoveryDocument(false) }
func onAPI(api *ent.API) scopeOpt   { return func(c *ent.ScopeCreate) { c.SetAPI(api) } }

// scope creates a scope of the tenant's API.
func (tn *tenant) scope(t testing.TB, name string, opts ...scopeOpt) *ent.Scope {
	t.Helper()
	c := tn.e.DB.Client.Scope.Create().SetAPI(tn.API).SetName(name).SetDisplayName("Display " + name).SetDescription("About " + name)
	for _, o := range opts {
		o(c)
	}
	s, err := c.Save(tn.e.sys(tn.ID))
	if err != nil {
		t.Fatalf("create scope %s: %v", name, err)
	}
	return s
}

// api creates another API.
func (tn *tenant) api(t testing.TB, name string) *ent.API {
	t.Helper()
	a, err := tn.e.DB.Client.API.Create().SetName(name).SetBasePath("/" + name).Save(tn.e.sys(tn.ID))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// testClient is a registered client with its secret.
type testClient struct {
	*ent.OAuthClient
	Secret string
}

// client registers a client of kind with scopes (and, for WEB/BROWSER, a redirect URI).
func (tn *tenant) client(t testing.TB, kind oauthclient.Kind, scopes ...*ent.Scope) *testClient {
	t.Helper()
	c := tn.e.DB.Client.OAuthClient.Create().SetName(strings.ToLower(string(kind)) + " client " + secret.RandomID(3)).
		SetKind(kind).SetClientID(secret.RandomID(16)).AddScopes(scopes...)
	var sec string
	if kind != oauthclient.KindBROWSER {
		var digest []byte
		sec, digest = secret.New(secret.ClientSecretPrefix)
		c.SetSecretHash(digest)
	}
	if kind != oauthclient.KindSERVICE {
		c.SetRedirectURIs([]string{"https://app.example/callback", "http://127.0.0.1:5173/cb?x=1"})
	}
	oc, err := c.Save(tn.e.sys(tn.ID))
	if err != nil {
		t.Fatal(err)
	}
	return &testClient{OAuthClient: oc, Secret: sec}
}

func (tn *tenant) tokenURL() string { return tn.Issuer + "/oauth/token" }

// gql is a GraphQL caller with a session cookie.
type gql struct {
	t    testing.TB
	url  string
	HTTP *http.Client
}

// login signs in as email and returns a client holding the session cookie; it does not follow
// redirects, so tests can look at each one.
func (e *env) login(t testing.TB, email, password string) *gql {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	resp, err := hc.Post(e.URL+"/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login %s: %s", email, resp.Status)
	}
	return &gql{t: t, url: e.URL + "/graphql", HTTP: hc}
}

func (tn *tenant) owner(t testing.TB) *gql { return tn.e.login(t, tn.Email, tn.Password) }

type gqlResult struct {
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (r gqlResult) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

func (g *gql) do(query string, vars map[string]any) gqlResult {
	g.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	resp, err := g.HTTP.Post(g.url, "application/json", bytes.NewReader(body))
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r gqlResult
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		g.t.Fatalf("decode GraphQL response: %v", err)
	}
	return r
}

func (g *gql) must(query string, vars map[string]any) map[string]any {
	g.t.Helper()
	r := g.do(query, vars)
	if len(r.Errors) > 0 {
		g.t.Fatalf("GraphQL errors: %+v", r.Errors)
	}
	return r.Data
}

func id(n int) string { return strconv.Itoa(n) }

// postForm posts form values to u with optional Basic credentials and decodes a JSON answer.
func postForm(t testing.TB, u string, form url.Values, basicID, basicSecret string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp, out
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
