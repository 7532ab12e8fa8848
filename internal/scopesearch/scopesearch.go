// Package scopesearch serves the console's substring search of scope names (nameContainsFold)
// from a trigram index, so that a search reads the scopes whose names hold the term instead of
// every name of the API: SQLite's FTS5 trigram tokenizer, PostgreSQL's pg_trgm.
//
// The results are exactly ent's ContainsFold: the index only narrows the rows ContainsFold is then
// evaluated on (SQLite), or serves that very predicate (PostgreSQL, whose GIN index rechecks).
package scopesearch

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"unicode/utf8"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"scopekeeper/ent"
	"scopekeeper/ent/scope"
	"scopekeeper/internal/viewer"
)

// BuildTag is the Go build tag that compiles FTS5 into go-sqlite3.
const BuildTag = "sqlite_fts5"

// MinRunes is the shortest term a trigram index can find: shorter terms are searched as before.
const MinRunes = 3

// maxCandidates bounds the rows a search reads through the index. A term more of the
// organisation's names hold is searched as before, in name order, where a page soon finds its
// matches (the index would read every one of them); rarer terms, which the name order would read
// the whole API to find, go through the index.
//
// 500: at 1,000 matches in an API of 1,000 scopes, reading them by ID twice (page and count) cost
// 10 ms of server CPU against 7.7 ms in name order (docs/benchmarks.md).
const maxCandidates = 500

// The SQLite index: an FTS5 table without content of its own (the names are in scopes), kept
// current by triggers, so every writer (ent, bulk generation, imports, raw SQL) keeps it right.
// Beside the name it holds the organisation as one trigram of its own (orgToken), so a search
// and its choice read the caller's organisation's entries, never the whole table's.
const (
	ftsTable  = "scope_name_fts"
	createFTS = `CREATE VIRTUAL TABLE ` + ftsTable + ` USING fts5(name, org, content='', contentless_delete=1, tokenize='trigram case_sensitive 0')`
	// orgSQL is orgToken in SQL, of the organisation_id of the row it follows.
	orgSQL    = `char(19968 + (%[1]sorganisation_id / 400000000) %% 20000, 19968 + (%[1]sorganisation_id / 20000) %% 20000, 19968 + %[1]sorganisation_id %% 20000)`
	deleteFTS = `DELETE FROM ` + ftsTable + ` WHERE rowid = old.id;`
)

var (
	fillFTS   = `INSERT INTO ` + ftsTable + `(rowid, name, org) SELECT id, name, ` + fmt.Sprintf(orgSQL, "") + ` FROM scopes`
	insertFTS = `INSERT INTO ` + ftsTable + `(rowid, name, org) VALUES (new.id, new.name, ` + fmt.Sprintf(orgSQL, "new.") + `);`
	// triggers keep the index current, by name.
	triggers = map[string]string{
		"scope_name_fts_insert": `AFTER INSERT ON scopes BEGIN ` + insertFTS + ` END`,
		"scope_name_fts_delete": `AFTER DELETE ON scopes BEGIN ` + deleteFTS + ` END`,
		"scope_name_fts_update": `AFTER UPDATE OF name, organisation_id ON scopes BEGIN ` + deleteFTS + ` ` + insertFTS + ` END`,
	}
)

// orgToken is an organisation's ID as three CJK ideographs (base 20,000 from U+4E00; they have no
// case): one trigram, whose entries are that organisation's scopes alone. Written as digits, IDs
// share trigrams and every organisation's entries would be read. IDs beyond 8·10^12 wrap, which only
// widens the candidates: the query itself still keeps to the caller's organisation.
func orgToken(id int) string {
	return string([]rune{rune(0x4E00 + (id/400000000)%20000), rune(0x4E00 + (id/20000)%20000), rune(0x4E00 + id%20000)})
}

// The PostgreSQL index serves ent's predicate itself (name ILIKE '%term%').
const (
	pgExtension = `CREATE EXTENSION IF NOT EXISTS pg_trgm`
	pgIndexName = `scope_name_trgm`
	pgIndex     = `CREATE INDEX IF NOT EXISTS ` + pgIndexName + ` ON scopes USING gin (name gin_trgm_ops)`
)

// Install creates the index after ent's migration, once: on SQLite the FTS5 table and its
// triggers, filled from scopes whenever a trigger was missing or different (a new index, a scopes
// table a migration rebuilt, a changed trigger, a bulk load after Pause); on PostgreSQL the
// pg_trgm extension and a GIN index. A SQLite without FTS5 is refused, naming the build tag. A
// PostgreSQL role that may not create the extension gets a warning and searches as before: the
// results are the same, only slower.
func Install(ctx context.Context, db *sql.DB, dia string) error {
	if dia == dialect.Postgres {
		for _, stmt := range []string{pgExtension, pgIndex} {
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				slog.WarnContext(ctx, "scopesearch: no trigram index for scope search; searches read every name of an API",
					"statement", stmt, "err", err)
				return nil
			}
		}
		return nil
	}
	var v string
	if err := db.QueryRowContext(ctx, "SELECT fts5_source_id()").Scan(&v); err != nil {
		return fmt.Errorf("this binary's SQLite lacks FTS5, which scope search needs: build with the tag %s (go build -tags %[1]s, go test -tags %[1]s; make sets it) (%[2]w)", BuildTag, err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	present := map[string]string{} // name → SQL
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE name = ? OR (type = 'trigger' AND name LIKE 'scope_name_fts_%')`, ftsTable)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name, stmt string
		if err := rows.Scan(&name, &stmt); err != nil {
			rows.Close()
			return err
		}
		present[name] = stmt
	}
	if err := rows.Close(); err != nil {
		return err
	}
	_, fill := present[ftsTable]
	fill = !fill
	if fill {
		if _, err := tx.ExecContext(ctx, createFTS); err != nil {
			return fmt.Errorf("create %s: %w", ftsTable, err)
		}
	}
	for name, body := range triggers {
		stmt := "CREATE TRIGGER " + name + " " + body
		if present[name] == stmt {
			continue
		}
		if _, err := tx.ExecContext(ctx, "DROP TRIGGER IF EXISTS "+name); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create trigger %s: %w", name, err)
		}
		fill = true
	}
	if fill {
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+ftsTable+`(`+ftsTable+`) VALUES ('delete-all')`); err != nil {
			return fmt.Errorf("empty %s: %w", ftsTable, err)
		}
		if _, err := tx.ExecContext(ctx, fillFTS); err != nil {
			return fmt.Errorf("fill %s: %w", ftsTable, err)
		}
	}
	return tx.Commit()
}

// Pause drops the index before a bulk load (on SQLite its triggers, on PostgreSQL the GIN index):
// filling or building it once afterwards (Install, which also runs at every start) is several
// times faster than a million row-by-row updates. Until then searches miss the scopes loaded
// since (SQLite) or read every name of an API (PostgreSQL).
func Pause(ctx context.Context, db *sql.DB, dia string) error {
	if dia == dialect.Postgres {
		_, err := db.ExecContext(ctx, "DROP INDEX IF EXISTS "+pgIndexName)
		return err
	}
	for name := range triggers {
		if _, err := db.ExecContext(ctx, "DROP TRIGGER IF EXISTS "+name); err != nil {
			return err
		}
	}
	return nil
}

// Filter is where.Filter with its nameContainsFold served by the index on SQLite (PostgreSQL's
// index serves ent's own predicate). It reads the IDs of the caller's organisation's scopes the
// index offers, at most maxCandidates+1 of them: when there are no more than maxCandidates, the
// page and its count read those rows alone (ContainsFold still decides which of them match);
// otherwise the search runs as before, in name order.
func Filter(ctx context.Context, dia string, where *ent.ScopeWhereInput) (func(*ent.ScopeQuery) (*ent.ScopeQuery, error), error) {
	if dia != dialect.SQLite || where == nil || where.NameContainsFold == nil {
		return where.Filter, nil
	}
	match, ok := Match(*where.NameContainsFold, viewer.FromContext(ctx))
	if !ok {
		return where.Filter, nil
	}
	ids, err := ent.FromContext(ctx).Scope.Query().Where(indexed(match)).IDs(ctx)
	if err != nil {
		return nil, err
	}
	if len(ids) > maxCandidates {
		return where.Filter, nil
	}
	return func(q *ent.ScopeQuery) (*ent.ScopeQuery, error) {
		q, err := where.Filter(q)
		if err != nil {
			return nil, err
		}
		return q.Where(scope.IDIn(ids...), byRowid), nil
	}, nil
}

// indexed is "id IN (the index's rows for match)", at most maxCandidates+1 of them.
func indexed(match string) func(*entsql.Selector) {
	return func(s *entsql.Selector) {
		s.Where(entsql.P(func(b *entsql.Builder) {
			b.Ident(s.C(scope.FieldID)).WriteString(" IN (SELECT rowid FROM " + ftsTable + " WHERE " + ftsTable + " MATCH ").
				Arg(match).WriteString(" LIMIT " + strconv.Itoa(maxCandidates+1) + ")")
		}))
	}
}

// byRowid reads scopes by their IDs only (NOT INDEXED): given a few IDs and a page in name order,
// SQLite otherwise walks the API's whole name index, testing each entry against the list, to
// spare itself sorting those few rows.
func byRowid(s *entsql.Selector) {
	s.From(entsql.Table("`" + scope.Table + "` NOT INDEXED").Unquote().As(scope.Table))
}

// Match is the FTS5 query finding the caller's organisation's names that hold term as ent's
// ContainsFold compares it (lowered by Go, which also turns bytes that are not UTF-8 into U+FFFD,
// then matched ignoring ASCII case): the term as one quoted phrase, which the trigram tokenizer
// matches as a substring ignoring case (a superset of ContainsFold's matches: it also folds
// letters beyond ASCII), and the organisation. It reports false when the index cannot serve the
// term: under MinRunes characters, holding NUL (which ends an FTS5 query), or no caller.
func Match(term string, caller *viewer.Caller) (string, bool) {
	term = strings.ToLower(term)
	if caller == nil || utf8.RuneCountInString(term) < MinRunes || strings.ContainsRune(term, 0) {
		return "", false
	}
	return fmt.Sprintf(`name : "%s" AND org : "%s"`, strings.ReplaceAll(term, `"`, `""`), orgToken(caller.OrgID)), true
}
