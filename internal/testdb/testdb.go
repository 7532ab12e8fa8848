// Package testdb gives tests fresh databases: an empty PostgreSQL database per test when
// SCOPEKEEPER_TEST_POSTGRES names a server, dropped when the test ends. (SQLite needs no help: a
// file in t.TempDir().)
package testdb

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
)

// EnvPostgres names the variable holding a postgres:// URL of a server where tests may create
// databases.
const EnvPostgres = "SCOPEKEEPER_TEST_POSTGRES"

var seq atomic.Int64

// HasPostgres reports whether a PostgreSQL server is configured for tests.
func HasPostgres() bool { return os.Getenv(EnvPostgres) != "" }

// Postgres returns the URL of a new, empty database, or skips t with a visible message when no
// server is configured.
func Postgres(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvPostgres)
	if admin == "" {
		t.Skip(EnvPostgres + " is unset: PostgreSQL skipped")
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("sk_test_%d_%d", os.Getpid(), seq.Add(1))
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		db.Close()
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
