package scopesearch

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/mattn/go-sqlite3"
)

// FuzzMatch checks the FTS5 query Match writes for any term: SQLite parses it, and it finds every
// name ent's ContainsFold finds (the index may offer more; ContainsFold decides), never a name of
// another organisation; and that mayHold keeps every name ContainsFold finds.
func FuzzMatch(f *testing.F) {
	for _, seed := range [][2]string{
		{"thread", "forums.Threads.read"}, {`a"b`, `xa"by`}, {`""`, `a""b`}, {"a%b", "a%b"}, {"a_b", "axb"},
		{`a\b`, `a\b`}, {"\u212Aey", "apiKey"}, {"İnv", "invoice"}, {"ÜBER", "über"}, {"AND", "and.or"},
		{"name:", "x name: y"}, {"NEAR(a b)", "near(a b)"}, {"*", "a*b"}, {"a b", "a b"}, {"x\x00y", "x\x00yz"},
	} {
		f.Add(seed[0], seed[1])
	}
	db, err := sql.Open("sqlite3", "file:fuzz?mode=memory&cache=shared")
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE scopes (id INTEGER PRIMARY KEY, organisation_id INTEGER NOT NULL, name TEXT NOT NULL)`); err != nil {
		f.Fatal(err)
	}
	if err := Install(ctx, db, dialect.SQLite); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, term, name string) {
		if !utf8.ValidString(name) || strings.ContainsRune(name, 0) {
			t.Skip("names are printable ASCII (scopename)")
		}
		if _, err := db.ExecContext(ctx, `DELETE FROM scopes`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO scopes (id, organisation_id, name) VALUES (1, 7, ?), (2, 8, ?)`, name, name); err != nil {
			t.Fatal(err)
		}
		lowered, ok := Searchable(term)
		if !ok {
			return
		}
		// The part narrow may ask for: any run of the term's trigrams, here the one the name's
		// length picks.
		part, err := narrow(lowered, func(trigram string) (int, error) { return len(name) % 7 * len(trigram), nil })
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(lowered, part) || utf8.RuneCountInString(part) < MinRunes {
			t.Fatalf("narrow(%q) = %q: not a part of the term of %d runes or more", lowered, part, MinRunes)
		}
		match := Match(part, 7)
		found := map[int]bool{}
		rows, err := db.QueryContext(ctx, `SELECT rowid FROM `+ftsTable+` WHERE `+ftsTable+` MATCH ?`, match)
		if err != nil {
			t.Fatalf("term %q: FTS5 refuses %q: %v", term, match, err)
		}
		for rows.Next() {
			var id int
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			found[id] = true
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		if found[2] {
			t.Fatalf("term %q found the other organisation's scope", term)
		}
		q, args := entsql.Dialect(dialect.SQLite).Select("id").From(entsql.Table("scopes")).
			Where(entsql.And(entsql.EQ("organisation_id", 7), entsql.ContainsFold("name", term))).Query()
		var id int
		switch err := db.QueryRowContext(ctx, q, args...).Scan(&id); {
		case err == sql.ErrNoRows:
		case err != nil:
			t.Fatal(err)
		case !found[id]:
			t.Fatalf("ContainsFold(%q) finds %q, the index (%s) does not", term, name, match)
		case !mayHold(name, lowered):
			t.Fatalf("ContainsFold(%q) finds %q, mayHold says it cannot", term, name)
		}
	})
}

func TestSearchableShortTerms(t *testing.T) {
	for term, ok := range map[string]bool{"ab": false, "abc": true, "日本": false, "日本語": true, "a\x00b": false, "\xffab": true /* as ent lowers it: U+FFFD a b */} {
		if _, got := Searchable(term); got != ok {
			t.Errorf("Searchable(%q): %v, want %v", term, got, ok)
		}
	}
}

// TestNarrow checks the rule choosing what a search asks the index for: the three consecutive
// trigrams held by the fewest names.
func TestNarrow(t *testing.T) {
	held := map[string]int{ // among a million generated names: "generated.itemNNNNNNN.readonly"
		"ite": countCap, "tem": countCap, "em0": countCap, "m01": countCap, "m00": countCap, "000": countCap,
		"012": 14_000, "123": 5_000, "234": 5_000, "345": 5_000, "456": 5_000, "45x": 3_000,
		"yzi": 900, "zit": 30_000, // and none hold the others
	}
	var asked []string
	count := func(trigram string) (int, error) { asked = append(asked, trigram); return held[trigram], nil }
	for term, want := range map[string]string{
		"item0123456": "12345",
		"item01234":   "01234",
		"item012345x": "2345x",
		"itemxyzit":   "emxyz",
		"item":        "item",        // three trigrams or fewer: the whole term
		"item0000000": "item0000000", // every trigram held by countCap names or more
		"123456":      "12345",
		"12345":       "12345",
		"ite":         "ite",
	} {
		if got, err := narrow(term, count); err != nil || got != want {
			t.Errorf("narrow(%q) = %q, %v; want %q", term, got, err, want)
		}
	}
	asked = nil
	long := strings.Repeat("x", 5_000) + "abcde"
	if got, _ := narrow(long, count); len(asked) != maxTrigrams || got != "xxxxx" {
		t.Errorf("a term of 5,005 characters: %d counts, part %q; want %d, the first rare part", len(asked), got, maxTrigrams)
	}
	if _, err := narrow("item01", func(string) (int, error) { return 0, sql.ErrConnDone }); err != sql.ErrConnDone {
		t.Errorf("a failed count: %v, want it reported", err)
	}
}

// TestOrgToken checks that the triggers' SQL writes the organisation's trigram as Go does.
func TestOrgToken(t *testing.T) {
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, id := range []int{0, 1, 19_999, 20_000, 30_064_771_073, 1<<32 + 5, 7_999_999_999_999} {
		var got string
		if err := db.QueryRow(`SELECT `+fmt.Sprintf(orgSQL, "")+` FROM (SELECT ? AS organisation_id)`, id).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := orgToken(id); got != want || utf8.RuneCountInString(got) != 3 {
			t.Errorf("organisation %d: SQL %q, Go %q", id, got, want)
		}
	}
}

// TestSampledWordsOnly checks that on PostgreSQL a trigram pg_trgm does not index as it is (other
// than ASCII letters and digits) counts as common, without a sample: a part holding it could
// leave the GIN index nothing to search by.
func TestSampledWordsOnly(t *testing.T) {
	x := New(nil, dialect.Postgres)
	for _, trigram := range []string{".re", "a_b", "ü12", "A12"} {
		if n, err := x.sampled(context.Background(), trigram); err != nil || n != countCap {
			t.Errorf("%q: %d, %v; want %d", trigram, n, err, countCap)
		}
	}
}
