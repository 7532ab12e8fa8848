package main

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/rs/cors"

	"scopekeeper/frontend"
	"scopekeeper/graph"
	"scopekeeper/internal/access"
	"scopekeeper/internal/auth"
	"scopekeeper/internal/bodylimit"
	"scopekeeper/internal/configdoc"
	"scopekeeper/internal/console"
	"scopekeeper/internal/httplog"
	"scopekeeper/internal/metrics"
	"scopekeeper/internal/oauth"
	"scopekeeper/internal/reqid"
	"scopekeeper/internal/scopesearch"
	"scopekeeper/internal/secheaders"
	"scopekeeper/internal/store"
	"scopekeeper/internal/usage"
)

// app is the running server's parts.
type app struct {
	cfg    Config
	db     *store.DB
	auth   *auth.Service
	graph  http.Handler
	access *access.Engine
	oauth  *oauth.Provider
	usage  *usage.Recorder // the access review's record of grants and uses, written by flushUsage

	readiness readiness
}

func newApp(db *store.DB, cfg Config) *app {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = bodylimit.Default
	}
	a := &app{cfg: cfg, db: db, auth: auth.New(db.Client, cfg.PublicURL), usage: usage.New(usageBatch)}
	// Another server process's change reaches this one's caches through the access engine's Sync.
	a.access = access.New(db.Client, access.Options{Touch: a.auth.Touch, Usage: a.usage, Changed: func(orgIDs []int) { a.oauth.ForgetCached(orgIDs) }, Now: cfg.Now})
	db.Client.Use(a.access.Hook()) // bumps the engine's versions on every committed change
	a.oauth = oauth.New(db.Client, cfg.PublicURL, a.auth, cfg.Keys)
	if cfg.Now != nil {
		a.oauth.SetClock(cfg.Now)
	}
	a.oauth.RecordGrants(a.usage)
	resolver := &graph.Resolver{PublicURL: cfg.PublicURL, Access: a.access, OAuth: a.oauth, Keys: cfg.Keys, Search: scopesearch.New(db.SQL, db.Dialect)}
	a.graph = graph.NewHandler(db.Client, resolver, graph.Options{Playground: cfg.Demo, MaxBody: cfg.MaxBody})
	return a
}

// logLevel is the level of request log lines: debug in demo mode, so that the terminal keeps the
// demo login in view.
func (a *app) logLevel() slog.Level {
	if a.cfg.Demo {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// handler serves every request: each response carries an X-Request-Id and the security headers,
// the client's address is taken from trusted proxies, each request is counted and timed by route,
// and its body is limited. (metrics.Middleware must stay next to the mux: it reads the pattern the
// mux records on the request it is given.)
func (a *app) handler() http.Handler {
	return reqid.Middleware(secheaders.Handler(a.cfg.PublicURL, a.cfg.TrustedProxies.Handler(
		metrics.Middleware(bodylimit.Middleware(a.cfg.MaxBody, a.routes())))))
}

// routes routes every request. Admin routes (console, GraphQL, sign-in) accept cross-origin
// requests only from the public URL; the OAuth routes are registered by their own package.
func (a *app) routes() *http.ServeMux {
	mux := http.NewServeMux()
	admin := cors.New(cors.Options{
		AllowedOrigins:   []string{a.cfg.PublicURL},
		AllowedMethods:   []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:   []string{"Authorization", "Content-Type"},
		AllowCredentials: true,
	})
	// Admin traffic is logged per request; the issuer's machine traffic is not, to keep its hot
	// paths cheap.
	logged := func(h http.Handler) http.Handler { return httplog.Middleware(a.logLevel(), h) }
	mux.Handle("/graphql", logged(admin.Handler(a.auth.Middleware(a.graphOrPlayground()))))
	mux.Handle("POST /auth/login", logged(admin.Handler(http.HandlerFunc(a.auth.Login))))
	mux.Handle("POST /auth/logout", logged(admin.Handler(http.HandlerFunc(a.auth.Logout))))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.HandleFunc("GET /readyz", a.ready)
	mux.HandleFunc("GET "+configdoc.SchemaPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/schema+json")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, _ = w.Write(configdoc.Schema)
	})
	if a.cfg.MetricsAddr == "" {
		mux.Handle("GET /metrics", metrics.LoopbackOnly(metrics.Handler()))
	}
	a.access.Register(mux) // POST /o/{slug}/v1/check
	a.oauth.Register(mux)  // the rest of every organisation's issuer
	mux.Handle("/", console.Handler(dist()))
	return mux
}

// dist is the console's embedded build output.
func dist() fs.FS {
	d, err := fs.Sub(frontend.Dist, "dist")
	if err != nil {
		panic(err) // the embed directive guarantees the folder
	}
	return d
}

// graphOrPlayground serves GraphiQL to browsers asking GET /graphql in demo mode.
func (a *app) graphOrPlayground() http.Handler {
	if !a.cfg.Demo {
		return a.graph
	}
	play := console.Page(dist(), "graphiql.html") // bundled by the console's build (frontend/graphiql.html)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.RawQuery == "" {
			play.ServeHTTP(w, r)
			return
		}
		a.graph.ServeHTTP(w, r)
	})
}

// ready answers 200 while the database answers and accepts a write (a full disk or a read-only
// database is not ready). Every call pings; the write probe runs at most once a second, so polling
// cannot make the server write without bound.
func (a *app) ready(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	err := a.db.SQL.PingContext(ctx)
	if err == nil {
		err = a.readiness.check(ctx, a.db.Writable)
	}
	if err != nil {
		slog.ErrorContext(ctx, "readyz: the database is not ready", "error", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"unavailable"}` + "\n"))
		return
	}
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// readiness remembers the last write probe for probeTTL.
type readiness struct {
	mu   sync.Mutex
	at   time.Time
	last error
}

const probeTTL = time.Second

func (p *readiness) check(ctx context.Context, probe func(context.Context) error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.at) < probeTTL {
		return p.last
	}
	p.last, p.at = probe(ctx), time.Now()
	return p.last
}

// syncInterval bounds how long a change made through another server process sharing the database
// takes to reach this one's caches (one small query per interval).
const syncInterval = 250 * time.Millisecond

// runBackground starts periodic work; the returned channel closes once it has all stopped.
func (a *app) runBackground(ctx context.Context) <-chan struct{} {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); a.auth.Run(ctx, 5*time.Second, 10*time.Minute) }()
	wg.Add(1)
	go func() { defer wg.Done(); a.oauth.Run(ctx) }()
	wg.Add(1)
	go func() { defer wg.Done(); a.access.Watch(ctx, syncInterval) }()
	wg.Add(1)
	go func() { defer wg.Done(); a.db.KeepOptimized(ctx) }()
	stopped := make(chan struct{})
	go func() { a.writeUsage(ctx); close(stopped) }()
	done := make(chan struct{})
	go func() {
		wg.Wait() // the token writer has stored, and noted, its last tokens
		<-stopped
		a.flushUsage(context.WithoutCancel(ctx))
		close(done)
	}()
	return done
}

// The access review's records are written every usageInterval (--usage-interval), or once
// usageBatch pairs changed.
const (
	usageInterval = 30 * time.Second
	usageBatch    = 10_000
)

// writeUsage flushes the access review's records until ctx ends.
func (a *app) writeUsage(ctx context.Context) {
	every := a.cfg.UsageInterval
	if every <= 0 {
		every = usageInterval
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-a.usage.Full():
		}
		a.flushUsage(ctx)
	}
}

// flushUsage writes what the recorder took in one transaction; on failure the records wait for the
// next flush.
func (a *app) flushUsage(ctx context.Context) {
	recs := a.usage.Take()
	gone, err := usage.Write(ctx, a.db.Client, recs)
	if err != nil {
		slog.ErrorContext(ctx, "access review: write usage", "error", err)
		a.usage.Retry(recs)
		return
	}
	a.usage.Forget(gone)
}
