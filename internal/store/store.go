// Package store opens the database (embedded SQLite by default, PostgreSQL by URL), migrates the
// schema and installs the hooks every client needs.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "github.com/mattn/go-sqlite3"    // SQLite driver "sqlite3"
	"golang.org/x/sys/unix"

	"scopekeeper/ent"
	"scopekeeper/ent/migrate"
	_ "scopekeeper/ent/runtime" // schema hooks and privacy policies
	"scopekeeper/internal/audit"
	"scopekeeper/internal/scopecount"
	"scopekeeper/internal/scopesearch"
)

// DB is an open database: the ent client and the pool beneath it (for health checks).
type DB struct {
	*ent.Client
	SQL     *sql.DB
	Dialect string
}

// IsPostgres reports whether dsn names a PostgreSQL database rather than a SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// SQLiteDSN turns a file path or file: URI into a DSN with the settings Scopekeeper relies on:
// foreign keys, WAL, a busy timeout, immediate transactions (a read-then-write transaction in WAL
// mode otherwise fails at once with SQLITE_BUSY under concurrent writers), cached prepared
// statements, and synchronous=FULL: every commit is fsynced before it is acknowledged, so it
// survives a power loss too (NORMAL survives only a crash of the process). Group commit keeps
// that affordable for token issuance (docs/benchmarks.md). Each connection's page cache is 512 KiB
// rather than SQLite's 2 MiB: the pool's sixteen caches hold copies of the same hot pages, which
// the operating system's page cache keeps anyway; at a million scopes the default caches added
// ~20 MiB to the server's resident memory, and reads measured no slower.
func SQLiteDSN(dsn string) (string, error) {
	if !strings.HasPrefix(dsn, "file:") {
		dsn = "file:" + dsn
	}
	path, rawQuery, _ := strings.Cut(dsn, "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", fmt.Errorf("database DSN %q: %w", dsn, err)
	}
	for k, v := range map[string]string{
		"_fk": "1", "_journal_mode": "WAL", "_busy_timeout": "10000",
		"_txlock": "immediate", "_synchronous": "FULL", "cache": "private", "_stmt_cache_size": "64", "_cache_size": "-512",
	} {
		if !q.Has(k) {
			q.Set(k, v)
		}
	}
	return path + "?" + q.Encode(), nil
}

// Option adjusts Open.
type Option func(*options)

type options struct {
	wrap func(dialect.Driver) dialect.Driver
}

// WithDriver wraps the database driver, e.g. to count statements in a test.
func WithDriver(wrap func(dialect.Driver) dialect.Driver) Option {
	return func(o *options) { o.wrap = wrap }
}

// Open connects to dsn and migrates the schema.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	driver, dia := "sqlite3", dialect.SQLite
	if IsPostgres(dsn) {
		driver, dia = "pgx", dialect.Postgres
	} else {
		var err error
		if dsn, err = SQLiteDSN(dsn); err != nil {
			return nil, err
		}
		if err := checkDir(dsn); err != nil {
			return nil, err
		}
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	conns := 32
	if dia == dialect.SQLite {
		conns = 16 // one writer at a time is all SQLite allows; readers share the rest of the pool
	}
	db.SetMaxOpenConns(conns)
	// Idle connections are kept, not closed down to database/sql's default of two after every
	// burst of requests: on PostgreSQL each new one is a new server process.
	db.SetMaxIdleConns(conns)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to the database: %w", err)
	}
	drv := scopesearch.PlannedPerPattern(entsql.OpenDB(dia, db))
	if o.wrap != nil {
		drv = o.wrap(drv)
	}
	client := ent.NewClient(ent.Driver(drv))
	if err := upgrade(ctx, db); err != nil {
		client.Close()
		return nil, fmt.Errorf("upgrade the data: %w", err)
	}
	if err := client.Schema.Create(ctx, migrate.WithGlobalUniqueID(true)); err != nil {
		client.Close()
		return nil, fmt.Errorf("migrate the schema: %w", err)
	}
	if _, err := db.ExecContext(ctx, probeTable); err != nil {
		client.Close()
		return nil, fmt.Errorf("create the readiness probe: %w", err)
	}
	if err := scopesearch.Install(ctx, db, dia); err != nil {
		client.Close()
		return nil, fmt.Errorf("install the scope-name index: %w", err)
	}
	if err := scopecount.Install(ctx, db, dia); err != nil {
		client.Close()
		return nil, fmt.Errorf("install the scope counters: %w", err)
	}
	client.Scope.Intercept(scopecount.Interceptor())
	client.Use(audit.Hook())
	d := &DB{Client: client, SQL: db, Dialect: dia}
	// At open SQLite's advice is optimize=0x10002: also analyze tables never analyzed before.
	if err := d.statistics(ctx, "PRAGMA optimize=0x10002"); err != nil {
		client.Close()
		return nil, fmt.Errorf("gather the query planner's statistics: %w", err)
	}
	return d, nil
}

// analysisLimit bounds the rows SQLite's ANALYZE reads per index (PRAGMA analysis_limit), so that
// keeping statistics current costs milliseconds even with millions of rows; the estimates it
// samples are what the planner needs to tell a selective index from a broad one.
const analysisLimit = 1000

// statistics keeps the query planner's statistics current. Without them SQLite takes every index
// as equally selective and can read a whole organisation's rows through the wrong one. On SQLite
// it runs pragma, PRAGMA optimize (only tables that changed enough since their last analysis) or
// ANALYZE; on PostgreSQL, whose autovacuum analyzes as tables change, ANALYZE, and only at open
// and after bulk changes.
func (d *DB) statistics(ctx context.Context, pragma string) error {
	if d.Dialect == dialect.Postgres {
		if pragma == "PRAGMA optimize" {
			return nil
		}
		_, err := d.SQL.ExecContext(ctx, "ANALYZE")
		return err
	}
	conn, err := d.SQL.Conn(ctx) // analysis_limit holds per connection
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA analysis_limit=%d", analysisLimit)); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, pragma)
	return err
}

// Analyze gathers statistics for every table now, after a bulk load.
func (d *DB) Analyze(ctx context.Context) error { return d.statistics(ctx, "ANALYZE") }

// optimizeEvery is how often a running server refreshes its statistics (SQLite's advice: hourly
// or daily for long-lived connections).
const optimizeEvery = time.Hour

// KeepOptimized refreshes the statistics every optimizeEvery until ctx ends.
func (d *DB) KeepOptimized(ctx context.Context) {
	t := time.NewTicker(optimizeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := d.statistics(ctx, "PRAGMA optimize"); err != nil && ctx.Err() == nil {
				slog.WarnContext(ctx, "store: refresh the query planner's statistics", "err", err)
			}
		}
	}
}

// The readiness probe writes one row of its own table: a database that answers reads but cannot
// commit (a full disk, a read-only file system, a standby) is not ready.
const (
	probeTable = `CREATE TABLE IF NOT EXISTS readiness_probe (id INTEGER PRIMARY KEY, checked_at BIGINT NOT NULL)`
	probeWrite = `INSERT INTO readiness_probe (id, checked_at) VALUES (1, $1)
		ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`
)

// Writable reports whether the database accepts and commits a write.
func (db *DB) Writable(ctx context.Context) error {
	_, err := db.SQL.ExecContext(ctx, probeWrite, time.Now().UnixNano())
	return err
}

// checkDir says plainly what is wrong with the directory of a SQLite file, where SQLite itself
// only says "unable to open database file".
func checkDir(dsn string) error {
	path := strings.TrimPrefix(dsn, "file:")
	path, _, _ = strings.Cut(path, "?")
	if path == "" || path == ":memory:" {
		return nil
	}
	dir := filepath.Dir(path)
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the database directory %s does not exist: create it, or pass --db with a path in an existing directory", dir)
	case err != nil:
		return fmt.Errorf("the database directory %s cannot be read: %w", dir, err)
	case !info.IsDir():
		return fmt.Errorf("%s is not a directory: pass --db with a file path such as /var/lib/scopekeeper/scopekeeper.db", dir)
	}
	if err := unix.Access(dir, unix.W_OK); err != nil {
		return fmt.Errorf("the database directory %s is not writable (%v): SQLite needs to create its -wal and -shm files beside the database", dir, err)
	}
	return nil
}

// upgrade makes the data changes the automatic schema migration cannot. Each step is a no-op once
// applied (or on a new database).
func upgrade(ctx context.Context, db *sql.DB) error {
	// Access tokens became split credentials with a NOT NULL lookup_key. A token issued before
	// has no lookup key in its value and could never be found again, so such rows are deleted
	// (the migration cannot fill the column) and their holders ask for new tokens.
	if exists(ctx, db, "SELECT 1 FROM tokens WHERE 1=0") && !exists(ctx, db, "SELECT lookup_key FROM tokens WHERE 1=0") {
		if _, err := db.ExecContext(ctx, "DELETE FROM tokens"); err != nil {
			return fmt.Errorf("drop tokens without a lookup key: %w", err)
		}
	}
	return nil
}

// exists reports whether query, which names a table or column, runs.
func exists(ctx context.Context, db *sql.DB, query string) bool {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return false
	}
	return rows.Close() == nil
}
