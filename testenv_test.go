package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"scopekeeper/internal/keys"
	"scopekeeper/internal/orgs"
	"scopekeeper/internal/store"
	"scopekeeper/internal/testdb"
)

// testEnv is a running server on a fresh database.
type testEnv struct {
	t   testing.TB
	URL string
	DB  *store.DB
	app *app
	// Statements counts the SQL statements run on behalf of HTTP requests (background work, such
	// as the 250 ms sync, is not counted).
	Statements atomic.Int64

	mu        sync.Mutex
	capturing bool
	captured  []statement // while capturing, the statements run for HTTP requests
}

// statement is one SQL statement as ent sent it to the database.
type statement struct {
	query string
	args  []any
}

func (e *testEnv) record(ctx context.Context, query string, args any) {
	if ctx.Value(inRequest{}) == nil {
		return
	}
	e.Statements.Add(1)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.capturing {
		a, _ := args.([]any)
		e.captured = append(e.captured, statement{query, a})
	}
}

// capture returns the statements that requests ran while f ran.
func (e *testEnv) capture(f func()) []statement {
	e.mu.Lock()
	e.capturing, e.captured = true, nil
	e.mu.Unlock()
	f()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.capturing = false
	return e.captured
}

// backends returns the databases the suite runs against: SQLite always, PostgreSQL when
// SCOPEKEEPER_TEST_POSTGRES holds a connection URL.
func backends(t *testing.T) map[string]func(t *testing.T) string {
	b := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return t.TempDir() + "/test.db" },
	}
	if testdb.HasPostgres() {
		b["postgres"] = func(t *testing.T) string { return testdb.Postgres(t) }
	}
	return b
}

// forEachBackend runs f once per database backend.
func forEachBackend(t *testing.T, f func(t *testing.T, dsn func(t *testing.T) string)) {
	if !testdb.HasPostgres() {
		t.Log("SCOPEKEEPER_TEST_POSTGRES is unset: running on SQLite only, PostgreSQL skipped")
	}
	for name, dsn := range backends(t) {
		t.Run(name, func(t *testing.T) { f(t, dsn) })
	}
}

// startServer opens dsn and serves the whole application on a loopback port; configure may
// adjust its configuration (a clock, say).
func startServer(t testing.TB, dsn string, configure ...func(*Config)) *testEnv {
	t.Helper()
	e := &testEnv{t: t}
	ctx, cancel := context.WithCancel(context.Background())
	db, err := store.Open(ctx, dsn, store.WithDriver(func(d dialect.Driver) dialect.Driver {
		return &recordingDriver{Driver: d, record: e.record}
	}))
	if err != nil {
		t.Fatal(err)
	}
	e.DB = db
	srv := httptest.NewUnstartedServer(nil)
	e.URL = "http://" + srv.Listener.Addr().String()
	unsealed, _ := keys.NewKeeper("")
	cfg := Config{Addr: srv.Listener.Addr().String(), DB: dsn, PublicURL: e.URL, Keys: unsealed}
	for _, f := range configure {
		f(&cfg)
	}
	a := newApp(db, cfg)
	e.app = a
	h := a.handler()
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), inRequest{}, true)))
	})
	srv.Start()
	done := a.runBackground(ctx)
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		db.Close()
	})
	return e
}

// inRequest marks the context of a request, for counting statements.
type inRequest struct{}

// newEnv starts a server on a fresh SQLite database.
func newEnv(t testing.TB) *testEnv { return startServer(t, t.TempDir()+"/test.db") }

// org creates an organisation with its owner and returns the owner's GraphQL client.
func (e *testEnv) org(slug string) *gqlClient {
	e.t.Helper()
	email := "owner@" + slug + ".test"
	if _, _, err := orgs.Bootstrap(context.Background(), e.DB.Client, orgs.Owner{
		OrgName: strings.ToUpper(slug[:1]) + slug[1:], OrgSlug: slug, Email: email, Password: "correct horse battery",
	}); err != nil {
		e.t.Fatal(err)
	}
	return e.login(email, "correct horse battery")
}

// login signs in and returns a client carrying the session cookie.
func (e *testEnv) login(email, password string) *gqlClient {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &gqlClient{t: e.t, url: e.URL, http: &http.Client{Jar: jar}}
	resp, err := c.http.Post(e.URL+"/auth/login", "application/json",
		strings.NewReader(fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)))
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("login %s: status %d", email, resp.StatusCode)
	}
	return c
}

// anonymous returns a client without credentials.
func (e *testEnv) anonymous() *gqlClient {
	return &gqlClient{t: e.t, url: e.URL, http: &http.Client{}}
}

// withKey returns a client that sends an API key.
func (e *testEnv) withKey(key string) *gqlClient {
	return &gqlClient{t: e.t, url: e.URL, http: &http.Client{}, bearer: key}
}

type gqlClient struct {
	t      testing.TB
	url    string
	http   *http.Client
	bearer string
}

type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

type gqlResponse struct {
	Data   map[string]any `json:"data"`
	Errors []gqlError     `json:"errors"`
	Status int
}

// Code is the first error's extensions.code, or "".
func (r gqlResponse) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// Field is the first error's extensions.field, or "".
func (r gqlResponse) Field() string {
	if len(r.Errors) == 0 {
		return ""
	}
	f, _ := r.Errors[0].Extensions["field"].(string)
	return f
}

// raw sends one GraphQL operation.
func (c *gqlClient) raw(query string, vars map[string]any) gqlResponse {
	c.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, c.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out gqlResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		c.t.Fatalf("decode response (status %d): %v", resp.StatusCode, err)
	}
	out.Status = resp.StatusCode
	return out
}

// must sends an operation that has to succeed and returns its data.
func (c *gqlClient) must(query string, vars map[string]any) map[string]any {
	c.t.Helper()
	r := c.raw(query, vars)
	if len(r.Errors) > 0 {
		c.t.Fatalf("unexpected errors: %+v\nquery: %s", r.Errors, query)
	}
	return r.Data
}

// fails sends an operation that has to fail with code, and returns the response.
func (c *gqlClient) fails(code, query string, vars map[string]any) gqlResponse {
	c.t.Helper()
	r := c.raw(query, vars)
	if r.Code() != code {
		c.t.Fatalf("code = %q, want %q; errors %+v data %v", r.Code(), code, r.Errors, r.Data)
	}
	return r
}

// get walks a decoded JSON value along a dotted path.
func get(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func str(v any, path string) string { s, _ := get(v, path).(string); return s }

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitHealthy(t *testing.T, url string) {
	t.Helper()
	for i := 0; i < 300; i++ {
		if resp, err := http.Get(url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never became healthy", url)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }
