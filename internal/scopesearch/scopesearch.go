// Package scopesearch serves the console's substring search of scope names (nameContainsFold)
// from a trigram index, so that a search reads the scopes whose names hold the term instead of
// every name of the API: SQLite's FTS5 trigram tokenizer, PostgreSQL's pg_trgm.
//
// The results are exactly ent's ContainsFold: the index only narrows the rows ContainsFold is then
// evaluated on, or serves that very predicate (PostgreSQL, whose GIN index rechecks).
package scopesearch

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"scopekeeper/ent"
	"scopekeeper/ent/predicate"
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

// Index serves the console's scope search from the trigram index. Its zero value and nil serve
// ent's predicate alone.
type Index struct {
	db      *sql.DB
	dialect string
	// How many names hold a trigram, so that a search asks the index for its term's rare part
	// only (narrow): on SQLite counted in the index (at most countCap) and kept, on PostgreSQL
	// estimated from a sample of names.
	counts   *lru.Cache[string, counted]
	counting singleflight.Group // one count of a trigram at a time, however many searches ask
	sample   pgSample
}

type counted struct {
	n     int
	taken time.Time
}

// New is the index of db, a database Install prepared.
func New(db *sql.DB, dia string) *Index {
	counts, err := lru.New[string, counted](countsKept)
	if err != nil {
		panic(err) // only for a size under one
	}
	return &Index{db: db, dialect: dia, counts: counts}
}

const (
	// countCap bounds the entries a trigram's count reads: 65,536 of them take ~2.3 ms at a
	// million scopes; the rule (narrow) only needs to know that a trigram is that common.
	countCap = 1 << 16
	// countsKept and countsFor bound the memory and the staleness of the counts: a count only
	// chooses what the index is asked for, never what a search finds.
	countsKept = 4096
	countsFor  = 5 * time.Minute
)

// Filter is where.Filter with its nameContainsFold served by the trigram index. It reads the IDs
// of the caller's organisation's scopes the index offers for the term's rare part (narrow), or
// for the whole term when the part offers more than maxCandidates, at most maxCandidates+1 of
// them: when there are no more than maxCandidates, the page and its count read those rows alone
// (ContainsFold still decides which of them match); otherwise the search runs as before, in name
// order on SQLite, through ent's own predicate on PostgreSQL (which the GIN index serves: there
// the candidates are read only when the part is shorter than the term).
func (x *Index) Filter(ctx context.Context, where *ent.ScopeWhereInput) (func(*ent.ScopeQuery) (*ent.ScopeQuery, error), error) {
	if x == nil || x.dialect != dialect.SQLite && x.dialect != dialect.Postgres || where == nil || where.NameContainsFold == nil {
		return where.Filter, nil
	}
	caller := viewer.FromContext(ctx)
	term, ok := Searchable(*where.NameContainsFold)
	if !ok || caller == nil {
		return where.Filter, nil
	}
	part, err := narrow(term, func(trigram string) (int, error) { return x.count(ctx, trigram) })
	if err != nil {
		return nil, err
	}
	scopes := ent.FromContext(ctx).Scope.Query
	read := func(q *ent.ScopeQuery) (found []candidate, err error) {
		return found, q.Select(scope.FieldID, scope.FieldName).Scan(ctx, &found)
	}
	byID := []predicate.Scope{nil, byRowid}
	var found []candidate
	if x.dialect == dialect.Postgres {
		if part == term {
			return where.Filter, nil
		}
		found, err = read(scopes().Where(scope.NameContainsFold(part)).Limit(maxCandidates + 1))
		byID = byID[:1]
	} else {
		found, err = read(scopes().Where(indexed(Match(part, caller.OrgID))))
		if err == nil && len(found) > maxCandidates && part != term {
			found, err = read(scopes().Where(indexed(Match(term, caller.OrgID)))) // the part is not rare enough: all of the term
		}
	}
	if err != nil {
		return nil, err
	}
	if len(found) > maxCandidates {
		return where.Filter, nil
	}
	// The page and its count read only the candidates that may hold the whole term.
	ids := make([]int, 0, len(found))
	for _, c := range found {
		if mayHold(c.Name, term) {
			ids = append(ids, c.ID)
		}
	}
	byID[0] = scope.IDIn(ids...)
	return func(q *ent.ScopeQuery) (*ent.ScopeQuery, error) {
		q, err := where.Filter(q)
		if err != nil {
			return nil, err
		}
		return q.Where(byID...), nil
	}, nil
}

type candidate struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// mayHold reports whether name may hold term (Searchable's) as ContainsFold decides in SQL,
// false only where that is certain: both in ASCII, whose case SQLite's LOWER and LIKE and
// PostgreSQL's ILIKE fold alike (a locale may fold "I" otherwise, which only keeps more).
func mayHold(name, term string) bool {
	if !ascii(name) || !ascii(term) {
		return true
	}
	return strings.Contains(strings.ToLower(name), term)
}

// ascii reports whether s is ASCII without NUL (which some SQL functions take as the end).
func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 || s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// count is how many names of every organisation hold trigram, at most countCap. Organisations
// share the counts: they only choose which trigrams a search reads, and no caller sees them.
func (x *Index) count(ctx context.Context, trigram string) (int, error) {
	if x.dialect == dialect.Postgres {
		return x.sampled(ctx, trigram)
	}
	if c, ok := x.counts.Get(trigram); ok && time.Since(c.taken) < countsFor {
		return c.n, nil
	}
	n, err, _ := x.counting.Do(trigram, func() (any, error) {
		var n int
		// Not cancelled with the request that happens to count for all (bounded by countCap).
		err := x.db.QueryRowContext(context.WithoutCancel(ctx), `SELECT count(*) FROM (SELECT 1 FROM `+ftsTable+` WHERE `+ftsTable+` MATCH ? LIMIT `+strconv.Itoa(countCap)+`)`,
			`name : `+quote(trigram)).Scan(&n)
		if err == nil {
			x.counts.Add(trigram, counted{n, time.Now()})
		}
		return n, err
	})
	if err != nil {
		return 0, err
	}
	return n.(int), nil
}

// narrow is the part of term the index is asked for: the partTrigrams consecutive trigrams of
// term held by the fewest names (among its first maxTrigrams), or all of term when even those
// hold a common one (held by countCap names). A trigram index reads every entry of each trigram
// of a phrase, so a term such as "item0123456" among a million names that all hold "item" would
// read a million entries for each of "ite", "tem" and "em0" to find one name; its part "12345"
// reads a few thousand. Any name holding term holds the part, so the candidates are a superset
// and ContainsFold still decides. count reports how many names hold a trigram.
func narrow(term string, count func(trigram string) (int, error)) (string, error) {
	runes := []rune(term)
	n := min(len(runes)-2, maxTrigrams) // trigrams counted; term has MinRunes runes or more
	if n <= partTrigrams {
		return term, nil
	}
	counts := make([]int, n)
	for i := range counts {
		c, err := count(string(runes[i : i+3]))
		if err != nil {
			return "", err
		}
		counts[i] = c
	}
	best, bestSum := 0, -1
	for i := 0; i+partTrigrams <= n; i++ {
		sum := 0
		for _, c := range counts[i : i+partTrigrams] {
			sum += c
		}
		if bestSum < 0 || sum < bestSum {
			best, bestSum = i, sum
		}
	}
	if bestSum >= countCap {
		return term, nil // no part without a common trigram: all of them together are the rarest
	}
	return string(runes[best : best+partTrigrams+2]), nil
}

const (
	// partTrigrams is the part's length: each trigram more reads its entries, and three rare ones
	// (five characters) leave few candidates (tens among a million generated names); when they
	// leave too many, Filter asks for the whole term.
	partTrigrams = 3
	// maxTrigrams bounds the counts a search may cost (each one new reads up to countCap entries).
	maxTrigrams = 32
)

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

// Searchable reports whether the index can serve a search for term, and the term as ent's
// ContainsFold compares it (lowered by Go, which also turns bytes that are not UTF-8 into U+FFFD,
// then matched ignoring ASCII case). It cannot under MinRunes characters, nor with a NUL (which
// ends an FTS5 query).
func Searchable(term string) (string, bool) {
	term = strings.ToLower(term)
	if utf8.RuneCountInString(term) < MinRunes || strings.ContainsRune(term, 0) {
		return "", false
	}
	return term, true
}

// Match is the FTS5 query finding organisation org's names that hold term (Searchable's): the
// term as one quoted phrase, which the trigram tokenizer matches as a substring ignoring case (a
// superset of ContainsFold's matches: it also folds letters beyond ASCII), and the organisation.
func Match(term string, org int) string {
	return `name : ` + quote(term) + ` AND org : "` + orgToken(org) + `"`
}

// quote is s as an FTS5 string.
func quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
