// Command scopekeeper is the Scopekeeper server: the admin console, the GraphQL admin API and each
// organisation's OAuth issuer, in one binary.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"scopekeeper/internal/bodylimit"
	"scopekeeper/internal/clientaddr"
	"scopekeeper/internal/keys"
	"scopekeeper/internal/metrics"
	"scopekeeper/internal/orgs"
	"scopekeeper/internal/reqid"
	"scopekeeper/internal/scalegen"
	"scopekeeper/internal/store"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "scopekeeper:", err)
		os.Exit(1)
	}
}

// run dispatches the subcommand; serve is the default.
func run(ctx context.Context, args []string, out io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, out)
	case "bootstrap":
		return bootstrap(ctx, args, out)
	case "export":
		return exportCmd(ctx, args, out)
	case "import":
		return importCmd(ctx, args, out)
	case "generate":
		return generate(ctx, args, out)
	default:
		return fmt.Errorf("unknown command %q: use serve, bootstrap, export, import or generate", cmd)
	}
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// envInt is env for a number; a malformed value is left for the flag to refuse.
func envInt(name string, def int64) int64 {
	if v, err := strconv.ParseInt(env(name, ""), 10, 64); err == nil {
		return v
	}
	return def
}

// envDuration is env for a duration; a malformed value is left for the flag to refuse.
func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(env(name, "")); err == nil {
		return v
	}
	return def
}

// Config is what serve needs.
type Config struct {
	Addr      string
	DB        string
	PublicURL string
	Demo      bool
	Keys      *keys.Keeper // from --key-encryption-key
	// MaxBody bounds request bodies in bytes (413 beyond).
	MaxBody int64
	// MetricsAddr, when set, serves /metrics there instead of to loopback callers of Addr.
	MetricsAddr string
	// TrustedProxies may set X-Forwarded-For: throttling then counts the client they name.
	TrustedProxies clientaddr.Proxies
	// Now is the clock of token issuance, introspection and the access check (expiry, sunsets);
	// nil means time.Now. Tests move it to cross an instant without waiting.
	Now func() time.Time
	// UsageInterval is how often the access review's records are written (0: every 30 s).
	UsageInterval time.Duration
}

func parseServe(args []string) (Config, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var c Config
	fs.StringVar(&c.Addr, "addr", env("SCOPEKEEPER_ADDR", "127.0.0.1:8080"), "listen address (env SCOPEKEEPER_ADDR)")
	fs.StringVar(&c.DB, "db", env("SCOPEKEEPER_DB", "scopekeeper.db"), "SQLite file or file: URI, or a postgres:// URL (env SCOPEKEEPER_DB)")
	fs.StringVar(&c.PublicURL, "public-url", env("SCOPEKEEPER_PUBLIC_URL", ""), "externally visible base URL (env SCOPEKEEPER_PUBLIC_URL; default http://ADDR)")
	fs.BoolVar(&c.Demo, "demo", false, "seed a demo organisation and enable the GraphQL playground")
	fs.Int64Var(&c.MaxBody, "max-body", envInt("SCOPEKEEPER_MAX_BODY", bodylimit.Default), "largest request body in bytes; larger ones get 413 (env SCOPEKEEPER_MAX_BODY)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", env("SCOPEKEEPER_METRICS_ADDR", ""), "serve Prometheus metrics at /metrics on this address (env SCOPEKEEPER_METRICS_ADDR; default: on --addr, to loopback callers only)")
	fs.DurationVar(&c.UsageInterval, "usage-interval", envDuration("SCOPEKEEPER_USAGE_INTERVAL", usageInterval), "how often the access review's records of issued and used scopes are written (env SCOPEKEEPER_USAGE_INTERVAL)")
	kek := fs.String("key-encryption-key", env("SCOPEKEEPER_KEY_ENCRYPTION_KEY", ""), "32 random bytes in base64 that seal ID-token signing keys at rest (env SCOPEKEEPER_KEY_ENCRYPTION_KEY; e.g. from openssl rand -base64 32)")
	proxies := fs.String("trusted-proxies", env("SCOPEKEEPER_TRUSTED_PROXIES", ""), "comma-separated addresses or CIDR prefixes of reverse proxies whose X-Forwarded-For is believed (env SCOPEKEEPER_TRUSTED_PROXIES)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.UsageInterval < 100*time.Millisecond || c.UsageInterval > time.Hour {
		return c, fmt.Errorf("--usage-interval %s is out of range: give 100ms to 1h, e.g. --usage-interval 30s", c.UsageInterval)
	}
	if c.MaxBody < 1024 {
		return c, fmt.Errorf("--max-body %d is too small: give at least 1024 bytes, e.g. --max-body 1048576", c.MaxBody)
	}
	var err error
	if c.TrustedProxies, err = clientaddr.Parse(*proxies); err != nil {
		return c, fmt.Errorf("--trusted-proxies: %w", err)
	}
	if c.Keys, err = keys.NewKeeper(*kek); err != nil {
		return c, fmt.Errorf("--key-encryption-key: %w", err)
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	if !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		return c, fmt.Errorf("--public-url %q must start with http:// or https://, e.g. https://auth.example.com", c.PublicURL)
	}
	return c, nil
}

func serve(ctx context.Context, args []string, out io.Writer) error {
	cfg, err := parseServe(args)
	if err != nil {
		return err
	}
	logger := slog.New(reqid.LogHandler(slog.NewJSONHandler(os.Stderr, nil)))
	slog.SetDefault(logger)
	if !cfg.Keys.Seals() && !cfg.Demo {
		slog.Warn("ID-token signing keys are stored unsealed: set --key-encryption-key (SCOPEKEEPER_KEY_ENCRYPTION_KEY) to seal new keys")
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	app := newApp(db, cfg)
	if cfg.Demo {
		login, err := orgs.SeedDemo(ctx, db.Client)
		if err != nil {
			return fmt.Errorf("seed demo data: %w", err)
		}
		defer fmt.Fprintf(out, "Demo data ready.\n")
		fmt.Fprintf(out, "Demo admin: %s / %s\n", login.Email, login.Password)
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           app.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	fmt.Fprintf(out, "Scopekeeper is listening on %s (console: %s/)\n", ln.Addr(), cfg.PublicURL)

	bg, cancelBG := context.WithCancel(context.WithoutCancel(ctx))
	done := app.runBackground(bg)

	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if cfg.MetricsAddr != "" {
		msrv, err := serveMetrics(cfg.MetricsAddr, errc)
		if err != nil {
			cancelBG()
			<-done
			return err
		}
		defer msrv.Close()
	}
	select {
	case err := <-errc:
		cancelBG()
		<-done
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	cancelBG()
	<-done // background work flushes before the database closes
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// serveMetrics serves /metrics alone on addr.
func serveMetrics(addr string, errc chan<- error) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go func() { errc <- srv.Serve(ln) }()
	return srv, nil
}

func bootstrap(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bootstrap", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o orgs.Owner
	dsn := fs.String("db", env("SCOPEKEEPER_DB", "scopekeeper.db"), "database")
	fs.StringVar(&o.OrgName, "org-name", "", "organisation name")
	fs.StringVar(&o.OrgSlug, "org-slug", "", "organisation slug (in its issuer URL)")
	fs.StringVar(&o.Email, "email", "", "owner's email")
	fs.StringVar(&o.Password, "password", "", "owner's password")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("bootstrap: %v (usage: bootstrap --db DSN --org-name NAME --org-slug SLUG --email EMAIL --password PASSWORD)", err)
	}
	if err := o.Validate(); err != nil {
		return err
	}
	db, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	orgID, userID, err := orgs.Bootstrap(ctx, db.Client, o)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(map[string]string{
		"organisationId": fmt.Sprint(orgID), "userId": fmt.Sprint(userID),
	})
}

// generate writes generated organisations for measurements at scale (internal/scalegen).
func generate(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var spec scalegen.Spec
	dsn := fs.String("db", "", "database (a new SQLite file, or an empty PostgreSQL database)")
	fs.StringVar(&spec.Slug, "slug", "large", "the large organisation's slug")
	fs.StringVar(&spec.Password, "password", "", "password of the generated owners")
	fs.IntVar(&spec.Scopes, "scopes", 1000, "scopes in the large organisation's API")
	fs.IntVar(&spec.Orgs, "orgs", 1000, "small organisations beside it")
	fs.IntVar(&spec.OrgScopes, "org-scopes", 1000, "scopes of each small organisation")
	fs.IntVar(&spec.ClientEvery, "client-every", 10, "one client per this many scopes")
	usage := "usage: generate --db DSN --password PASSWORD [--slug large] [--scopes 1000] [--orgs 1000] [--org-scopes 1000] [--client-every 10]"
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("generate: %v (%s)", err, usage)
	}
	if *dsn == "" || len(spec.Password) < 8 {
		return fmt.Errorf("generate: --db and a --password of at least 8 characters are required (%s)", usage)
	}
	db, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	spec.Progress = func(format string, args ...any) {
		slog.Info(fmt.Sprintf(format, args...), "elapsed", time.Since(start).Round(time.Millisecond))
	}
	res, err := scalegen.Generate(ctx, db, spec)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(res)
}
