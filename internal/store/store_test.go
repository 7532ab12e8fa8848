package store

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"scopekeeper/internal/testdb"
)

// A database written before access tokens carried a lookup key opens, and its old tokens, which
// could never be found again, are gone.
func TestOpenUpgradesTokensWithoutLookupKey(t *testing.T) {
	path := t.TempDir() + "/old.db"
	old, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE `tokens` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `token_hash` blob NOT NULL, `user_id` integer NULL, `auth_request_id` integer NULL, `scope_ids` json NOT NULL, `issued_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `revoked_at` datetime NULL, `client_id` integer NOT NULL, `organisation_id` integer NOT NULL)",
		"CREATE UNIQUE INDEX `tokens_token_hash_key` ON `tokens` (`token_hash`)",
		"INSERT INTO tokens (token_hash, scope_ids, issued_at, expires_at, client_id, organisation_id) VALUES (x'01', '[]', '2026-11-22 10:00:00', '2026-11-22 11:00:00', 1, 1)",
	} {
		if _, err := old.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	old.Close()

	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("open the old database: %v", err)
	}
	defer db.Close()
	var n int
	if err := db.SQL.QueryRow("SELECT count(*) FROM tokens WHERE lookup_key IS NULL OR lookup_key IS NOT NULL").Scan(&n); err != nil || n != 0 {
		t.Fatalf("tokens after the upgrade: %d (%v), want 0 and a lookup_key column", n, err)
	}
}

// Every connection of the pool runs with the settings durability and integrity rely on.
func TestSQLiteSettings(t *testing.T) {
	db, err := Open(t.Context(), t.TempDir()+"/s.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for pragma, want := range map[string]string{"synchronous": "2", "journal_mode": "wal", "foreign_keys": "1"} {
		var got string
		if err := db.SQL.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil || got != want {
			t.Errorf("PRAGMA %s = %q (%v), want %q", pragma, got, err, want)
		}
	}
}

// The pool keeps the connections a burst of concurrent requests opened: with database/sql's
// default of two idle connections, every burst closed all but two and opened them again (on
// PostgreSQL a new server process each), which held a cached admin answer to 461 req/s there.
func TestPoolKeepsItsConnections(t *testing.T) {
	dsns := []string{t.TempDir() + "/pool.db"}
	if testdb.HasPostgres() {
		dsns = append(dsns, testdb.Postgres(t))
	} else {
		t.Log("SCOPEKEEPER_TEST_POSTGRES is unset: PostgreSQL skipped")
	}
	for _, dsn := range dsns {
		db, err := Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			var wg sync.WaitGroup
			for range 32 {
				wg.Go(func() {
					rows, err := db.SQL.Query("SELECT 1")
					if err != nil {
						t.Error(err)
						return
					}
					time.Sleep(5 * time.Millisecond) // hold the connection, as a request does
					rows.Close()
				})
			}
			wg.Wait()
		}
		if closed := db.SQL.Stats().MaxIdleClosed; closed > 0 {
			t.Errorf("%s: %d connections closed for want of idle room between bursts", db.Dialect, closed)
		}
		db.Close()
	}
}
