package main

import (
	"context"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/cors"

	"scopekeeper/frontend"
	"scopekeeper/graph"
	"scopekeeper/internal/access"
	"scopekeeper/internal/auth"
	"scopekeeper/internal/console"
	"scopekeeper/internal/httplog"
	"scopekeeper/internal/oauth"
	"scopekeeper/internal/store"
)

// app is the running server's parts.
type app struct {
	cfg    Config
	db     *store.DB
	auth   *auth.Service
	graph  http.Handler
	access *access.Engine
	oauth  *oauth.Provider
}

func newApp(db *store.DB, cfg Config) *app {
	a := &app{cfg: cfg, db: db, auth: auth.New(db.Client, strings.HasPrefix(cfg.PublicURL, "https://"))}
	// Another server process's change reaches this one's caches through the access engine's Sync.
	a.access = access.New(db.Client, access.Options{Touch: a.auth.Touch, Changed: func() { a.oauth.ForgetCached() }})
	db.Client.Use(a.access.Hook()) // bumps the engine's versions on every committed change
	a.oauth = oauth.New(db.Client, cfg.PublicURL, a.auth, cfg.Keys)
	resolver := &graph.Resolver{PublicURL: cfg.PublicURL, Access: a.access, OAuth: a.oauth, Keys: cfg.Keys}
	a.graph = graph.NewHandler(db.Client, resolver, graph.Options{Playground: cfg.Demo})
	return a
}

// handler routes every request. Admin routes (console, GraphQL, sign-in) accept cross-origin
// requests only from the public URL; the OAuth routes are registered by their own package.
func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	admin := cors.New(cors.Options{
		AllowedOrigins:   []string{a.cfg.PublicURL},
		AllowedMethods:   []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:   []string{"Authorization", "Content-Type"},
		AllowCredentials: true,
	})
	// Admin traffic is logged per request; the issuer's machine traffic is not, to keep its hot
	// paths cheap.
	mux.Handle("/graphql", httplog.Middleware(admin.Handler(a.auth.Middleware(a.graphOrPlayground()))))
	mux.Handle("POST /auth/login", httplog.Middleware(admin.Handler(http.HandlerFunc(a.auth.Login))))
	mux.Handle("POST /auth/logout", httplog.Middleware(admin.Handler(http.HandlerFunc(a.auth.Logout))))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.HandleFunc("GET /readyz", a.ready)
	a.access.Register(mux) // POST /o/{slug}/v1/check
	a.oauth.Register(mux)  // the rest of every organisation's issuer
	dist, err := fs.Sub(frontend.Dist, "dist")
	if err != nil {
		panic(err) // the embed directive guarantees the folder
	}
	mux.Handle("/", console.Handler(dist))
	return mux
}

// graphOrPlayground serves GraphiQL to browsers asking GET /graphql in demo mode.
func (a *app) graphOrPlayground() http.Handler {
	if !a.cfg.Demo {
		return a.graph
	}
	play := graph.Playground("/graphql")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.RawQuery == "" {
			play.ServeHTTP(w, r)
			return
		}
		a.graph.ServeHTTP(w, r)
	})
}

func (a *app) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	if err := a.db.SQL.PingContext(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"unavailable"}` + "\n"))
		return
	}
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
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
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return done
}
