package scopesearch

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5"
)

// PlannedPerPattern wraps a PostgreSQL driver so that every statement holding an ILIKE pattern
// (ent's ContainsFold) is planned for its pattern. pgx prepares and caches statements, and after
// five executions PostgreSQL may keep a generic plan, made without the pattern: for a search it
// then walks the API's names in order instead of the trigram index (1.3 s against 40 ms at a
// million scopes). An unnamed statement, described on each execution, is planned each time.
func PlannedPerPattern(drv dialect.Driver) dialect.Driver {
	if drv.Dialect() != dialect.Postgres {
		return drv
	}
	return perPattern{drv}
}

type perPattern struct{ dialect.Driver }

func (d perPattern) Query(ctx context.Context, query string, args, v any) error {
	return d.Driver.Query(ctx, query, planned(query, args), v)
}

func (d perPattern) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	return perPatternTx{tx}, err
}

// BeginTx keeps transaction options (ent's Tx with options) working through the wrapper.
func (d perPattern) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	b, ok := d.Driver.(interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	})
	if !ok {
		return d.Tx(ctx)
	}
	tx, err := b.BeginTx(ctx, opts)
	return perPatternTx{tx}, err
}

type perPatternTx struct{ dialect.Tx }

func (t perPatternTx) Query(ctx context.Context, query string, args, v any) error {
	return t.Tx.Query(ctx, query, planned(query, args), v)
}

// planned puts pgx's per-statement execution mode before the arguments of a pattern search.
func planned(query string, args any) any {
	a, ok := args.([]any)
	if !ok || !strings.Contains(query, " ILIKE ") {
		return args
	}
	return append([]any{pgx.QueryExecModeDescribeExec}, a...)
}

// The wrappers keep ent's ExecContext and QueryContext (the sql/execquery feature) working.
type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (d perPattern) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.Driver.(execQuerier).ExecContext(ctx, query, args...)
}

func (d perPattern) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.Driver.(execQuerier).QueryContext(ctx, query, args...)
}

func (t perPatternTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.Tx.(execQuerier).ExecContext(ctx, query, args...)
}

func (t perPatternTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.Tx.(execQuerier).QueryContext(ctx, query, args...)
}

// pgSample estimates how many names hold each trigram on PostgreSQL, from a sample of names
// taken once in countsFor: counting a trigram through pg_trgm reads its whole posting list and
// up to countCap rows (20–120 ms at a million scopes, for each of a term's trigrams), a sample
// of a few thousand names costs a few milliseconds and tells the common trigrams from the rare.
type pgSample struct {
	mu     sync.Mutex
	counts map[string]int // trigram → estimated names holding it; nil without the GIN index
	taken  time.Time
}

// sampleRows is the sample's size: a trigram held by 1% of names shows about 40 times in it.
const sampleRows = 4000

// sampled is the estimated number of names holding trigram, at most countCap. A trigram with
// other than ASCII letters and digits counts as common: pg_trgm indexes words of letters and
// digits, and a part holding other characters may leave it nothing to search by.
func (x *Index) sampled(ctx context.Context, trigram string) (int, error) {
	for _, r := range trigram {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9') {
			return countCap, nil
		}
	}
	x.sample.mu.Lock()
	defer x.sample.mu.Unlock()
	if x.sample.taken.IsZero() || time.Since(x.sample.taken) > countsFor {
		counts, err := takeSample(ctx, x.db)
		if err != nil {
			return 0, err
		}
		x.sample.counts, x.sample.taken = counts, time.Now()
	}
	if x.sample.counts == nil {
		return countCap, nil // no index to read the part through: the whole term, as ent asks
	}
	return min(x.sample.counts[trigram], countCap), nil
}

// takeSample reads about sampleRows names in sampled pages (TABLESAMPLE SYSTEM, which reads only
// those pages) and estimates from them how many of all names hold each trigram; nil when the GIN
// index is missing (Install warned: the role may not create pg_trgm).
func takeSample(ctx context.Context, db *sql.DB) (map[string]int, error) {
	var total float64 // the planner's estimate of the rows, which ANALYZE keeps current
	var indexed bool
	if err := db.QueryRowContext(ctx, `SELECT reltuples, to_regclass('`+pgIndexName+`') IS NOT NULL FROM pg_class WHERE oid = 'scopes'::regclass`).Scan(&total, &indexed); err != nil {
		return nil, err
	}
	if !indexed {
		return nil, nil
	}
	percent := 100.0
	if total > sampleRows {
		percent = 100 * sampleRows / total
	}
	rows, err := db.QueryContext(ctx, `SELECT lower(name) FROM scopes TABLESAMPLE SYSTEM ($1) LIMIT `+strconv.Itoa(4*sampleRows), percent)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	held := map[string]int{}
	n := 0
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		n++
		runes := []rune(name)
		seen := map[string]bool{}
		for i := 0; i+3 <= len(runes); i++ {
			if t := string(runes[i : i+3]); !seen[t] {
				seen[t] = true
				held[t]++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	scale := max(total, float64(n)) / float64(max(n, 1))
	for t, c := range held {
		held[t] = int(float64(c) * scale)
	}
	return held, nil
}
