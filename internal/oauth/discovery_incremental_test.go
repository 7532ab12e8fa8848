package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"scopekeeper/ent"
	"scopekeeper/ent/scope"
	"scopekeeper/internal/configdoc"
	"scopekeeper/internal/scopename"
	"scopekeeper/internal/store"
)

// scopeRows counts the rows read from the scopes table while it is on.
type scopeRows struct {
	on atomic.Bool
	n  atomic.Int64
}

func (c *scopeRows) option() store.Option {
	return store.WithDriver(func(d dialect.Driver) dialect.Driver { return &rowCountingDriver{Driver: d, c: c} })
}

// during returns how many rows of scopes f read.
func (c *scopeRows) during(f func()) int64 {
	c.n.Store(0)
	c.on.Store(true)
	f()
	c.on.Store(false)
	return c.n.Load()
}

type rowCountingDriver struct {
	dialect.Driver
	c *scopeRows
}

func (d *rowCountingDriver) Query(ctx context.Context, query string, args, v any) error {
	if err := d.Driver.Query(ctx, query, args, v); err != nil {
		return err
	}
	if rows, ok := v.(*entsql.Rows); ok && d.c.on.Load() && (strings.Contains(query, "FROM `scopes`") || strings.Contains(query, `FROM "scopes"`)) {
		rows.ColumnScanner = &countingScanner{ColumnScanner: rows.ColumnScanner, n: &d.c.n}
	}
	return nil
}

type countingScanner struct {
	entsql.ColumnScanner
	n *atomic.Int64
}

func (s *countingScanner) Next() bool {
	ok := s.ColumnScanner.Next()
	if ok {
		s.n.Add(1)
	}
	return ok
}

// fetchDoc is the document served at tn's issuer, as sent.
func fetchDoc(t *testing.T, tn *tenant) []byte {
	t.Helper()
	resp, err := http.Get(tn.Issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("ETag") != etagOf(body) {
		t.Fatalf("discovery: %d, ETag %s: %s", resp.StatusCode, resp.Header.Get("ETag"), body)
	}
	return body
}

// fullRender is tn's document rendered from all of its listed scopes, as the first rendering
// reads them, leaving the provider's state alone.
func fullRender(t *testing.T, tn *tenant) []byte {
	t.Helper()
	l, err := tn.e.P.readListing(context.Background(), tn.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	head, tail, err := discoveryFrame(tn.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	return l.appendDocument(nil, head, tail)
}

// expectDoc checks that the served document is the full rendering and lists want (beside the
// identity scopes).
func expectDoc(t *testing.T, tn *tenant, step string, want ...string) {
	t.Helper()
	got := fetchDoc(t, tn)
	if full := fullRender(t, tn); !bytes.Equal(got, full) {
		t.Fatalf("%s: served\n%s\nbut a full rendering is\n%s", step, got, full)
	}
	var doc map[string]any
	if err := json.Unmarshal(got, &doc); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	slices.Sort(want)
	if own := ownScopes(doc); !slices.Equal(own, want) && !(len(own) == 0 && len(want) == 0) {
		t.Fatalf("%s: scopes_supported lists %v, want %v", step, own, want)
	}
}

// After a change to one scope, discovery reads that scope's row again, not the organisation's
// hundreds of listed scopes.
func TestDiscoveryReadsOnlyTheChangedScope(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		var rows scopeRows
		e := newEnvDSN(t, dsn, rows.option())
		acme, globex := e.tenant(t, "acme"), e.tenant(t, "globex")
		var creates []*ent.ScopeCreate
		var want []string
		for i := range 300 {
			name := fmt.Sprintf("forums.thread%03d.readonly", i)
			creates = append(creates, e.DB.Client.Scope.Create().SetAPI(acme.API).SetName(name).SetDisplayName(name).SetDescription(name))
			want = append(want, name)
		}
		made, err := e.DB.Client.Scope.CreateBulk(creates...).Save(e.sys(acme.ID))
		if err != nil {
			t.Fatal(err)
		}
		if n := rows.during(func() { expectDoc(t, acme, "first rendering", want...) }); n < 300 {
			t.Fatalf("the first rendering read %d rows, want all 300 and the full rendering's", n)
		}
		owner := acme.owner(t)
		update := func(s *ent.Scope, input map[string]any) {
			owner.must(`mutation($id: ID!, $in: UpdateScopeInput!) { updateScope(id: $id, input: $in) { id } }`, map[string]any{"id": id(s.ID), "in": input})
		}
		served := func() int64 { return rows.during(func() { fetchDoc(t, acme) }) }

		update(made[7], map[string]any{"showInDiscoveryDocument": false})
		if n := served(); n != 1 {
			t.Fatalf("after hiding one scope, discovery read %d rows, want 1", n)
		}
		expectDoc(t, acme, "hidden", slices.Delete(slices.Clone(want), 7, 8)...)
		update(made[7], map[string]any{"showInDiscoveryDocument": true})
		if n := served(); n != 1 {
			t.Fatalf("after showing it again, discovery read %d rows, want 1", n)
		}
		update(made[9], map[string]any{"deprecated": true})
		if n := served(); n != 1 {
			t.Fatalf("after deprecating one scope, discovery read %d rows, want 1", n)
		}
		owner.must(`mutation($id: ID!) { deleteScope(id: $id) }`, map[string]any{"id": id(made[11].ID)})
		if n := served(); n != 0 {
			t.Fatalf("after deleting one scope, discovery read %d rows, want none (it is gone)", n)
		}
		expectDoc(t, acme, "deprecated and deleted", slices.Delete(slices.Delete(slices.Clone(want), 11, 12), 9, 10)...)
		owner.must(`mutation($in: CreateScopeInput!) { createScope(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"apiID": id(acme.API.ID), "name": "forums.members.readonly", "displayName": "x", "description": "x"}})
		if n := served(); n != 1 {
			t.Fatalf("after creating one scope, discovery read %d rows, want 1", n)
		}
		// Nothing changed: nothing is read.
		if n := served(); n != 0 {
			t.Fatalf("unchanged, discovery read %d rows", n)
		}
		// Another organisation is made.
		e.tenant(t, "initech")
		if n := served(); n != 0 {
			t.Fatalf("after another organisation was made, discovery read %d rows", n)
		}
		// Another server process changed another organisation, then this one.
		e.P.ForgetCached([]int{globex.ID})
		if n := served(); n != 0 {
			t.Fatalf("after another process changed another organisation, discovery read %d rows", n)
		}
		e.P.ForgetCached([]int{acme.ID})
		if n := served(); n != 299 {
			t.Fatalf("after another process changed this organisation, discovery read %d rows, want all 299", n)
		}
	})
}

// Every kind of change to an organisation's scopes is visible on the next request, and the
// document kept up to date is the one a full rendering makes.
func TestDiscoveryFollowsEveryKindOfChange(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		e := newEnvDSN(t, dsn)
		acme := e.tenant(t, "acme")
		ctx := e.sys(acme.ID)
		owner := acme.owner(t)
		list := []string{}
		expect := func(step string) { t.Helper(); expectDoc(t, acme, step, list...) }
		expect("empty")
		create := func(name string, show bool) string {
			d := owner.must(`mutation($in: CreateScopeInput!) { createScope(input: $in) { id } }`, map[string]any{"in": map[string]any{
				"apiID": id(acme.API.ID), "name": name, "displayName": name, "description": name, "showInDiscoveryDocument": show}})
			if show {
				list = append(list, name)
			}
			return d["createScope"].(map[string]any)["id"].(string)
		}
		update := func(sid string, input map[string]any) {
			owner.must(`mutation($id: ID!, $in: UpdateScopeInput!) { updateScope(id: $id, input: $in) { id } }`, map[string]any{"id": sid, "in": input})
		}
		drop := func(name string) { list = slices.DeleteFunc(list, func(n string) bool { return n == name }) }

		threads := create("forums.threads.readonly", true)
		expect("created")
		members := create("forums.members.readonly", false)
		expect("created hidden")
		update(members, map[string]any{"showInDiscoveryDocument": true})
		list = append(list, "forums.members.readonly")
		expect("shown")
		update(threads, map[string]any{"deprecated": true})
		drop("forums.threads.readonly")
		expect("deprecated")
		update(threads, map[string]any{"deprecated": false})
		list = append(list, "forums.threads.readonly")
		expect("no longer deprecated")
		owner.must(`mutation($id: ID!) { deleteScope(id: $id) }`, map[string]any{"id": members})
		drop("forums.members.readonly")
		expect("deleted")
		create("forums.members.readonly", true) // a deleted scope's name, taken again
		expect("name taken again")

		// An API deleted with its scopes.
		billing := owner.must(`mutation { createAPI(input: {name: "billing", displayName: "Billing", description: "Billing.", basePath: "/billing"}) { id } }`, nil)
		billingID := billing["createAPI"].(map[string]any)["id"].(string)
		for _, n := range []string{"billing.invoices.readonly", "billing.invoices.modify"} {
			owner.must(`mutation($in: CreateScopeInput!) { createScope(input: $in) { id } }`, map[string]any{"in": map[string]any{
				"apiID": billingID, "name": n, "displayName": n, "description": n}})
			list = append(list, n)
		}
		expect("another API's scopes")
		owner.must(`mutation($id: ID!) { deleteAPI(id: $id) }`, map[string]any{"id": billingID})
		drop("billing.invoices.readonly")
		drop("billing.invoices.modify")
		expect("API deleted")

		// An import: 600 new scopes (two batches of the bulk insert), one of them hidden, and an
		// existing one deprecated.
		doc, err := configdoc.Export(ctx, e.DB.Client, acme.ID)
		if err != nil {
			t.Fatal(err)
		}
		api := &doc.APIs[slices.IndexFunc(doc.APIs, func(a configdoc.API) bool { return a.Name == acme.API.Name })]
		for i := range 600 {
			n := fmt.Sprintf("forums.item%03d.readonly", i)
			s := configdoc.Scope{Name: n, DisplayName: n, Description: n}
			if i == 5 {
				s.ShowInDiscoveryDocument = new(bool)
			} else {
				list = append(list, n)
			}
			api.Scopes = append(api.Scopes, s)
		}
		for i := range api.Scopes {
			if api.Scopes[i].Name == "forums.threads.readonly" {
				api.Scopes[i].Deprecated = true
			}
		}
		drop("forums.threads.readonly")
		src, err := configdoc.Encode(doc, configdoc.JSON)
		if err != nil {
			t.Fatal(err)
		}
		owner.must(`mutation($d: String!) { importConfiguration(document: $d, dryRun: false, prune: false) { changes { action } } }`, map[string]any{"d": string(src)})
		expect("imported")

		// A transaction rolled back: a rendering during it and after it shows what is committed.
		item := func(i int) *ent.Scope {
			return e.DB.Client.Scope.Query().Where(scope.Name(fmt.Sprintf("forums.item%03d.readonly", i))).OnlyX(ctx)
		}
		tx, err := e.DB.Client.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tx.Scope.UpdateOne(item(1)).SetShowInDiscoveryDocument(false).ExecX(ctx)
		expect("during a transaction")
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		expect("rolled back")

		// A transaction committed after a rendering that read its scope before the commit.
		tx, err = e.DB.Client.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tx.Scope.UpdateOne(item(2)).SetShowInDiscoveryDocument(false).ExecX(ctx)
		tx.Scope.Create().SetAPI(acme.API).SetName("forums.late.readonly").SetDisplayName("x").SetDescription("x").ExecX(ctx)
		expect("before the commit")
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		drop("forums.item002.readonly")
		list = append(list, "forums.late.readonly")
		expect("committed")

		// A bulk change, beyond one scope at a time.
		n := e.DB.Client.Scope.Update().Where(scope.NameHasPrefix("forums.item01")).SetShowInDiscoveryDocument(false).SaveX(ctx)
		list = slices.DeleteFunc(list, func(name string) bool { return strings.HasPrefix(name, "forums.item01") })
		if n != 10 {
			t.Fatalf("hid %d scopes, want 10", n)
		}
		expect("bulk update")

		// Another server process changes the database: seen once ForgetCached says so.
		other, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		other.Client.Scope.UpdateOne(item(3)).SetShowInDiscoveryDocument(false).ExecX(ctx)
		drop("forums.item003.readonly")
		e.P.ForgetCached([]int{acme.ID})
		expect("changed by another process")

		// An organisation whose naming policy allows names that JSON escapes.
		e.DB.Client.Organisation.UpdateOneID(acme.ID).SetNamingPolicy(scopename.Free).ExecX(ctx)
		create("a&b<c>", true)
		expect("a name JSON escapes")
		if !bytes.Contains(fetchDoc(t, acme), []byte(`"a\u0026b\u003cc\u003e"`)) {
			t.Fatal("a&b<c> is not escaped as encoding/json escapes it")
		}
	})
}

// After any sequence of changes (one scope at a time, in bulk, in transactions committed or
// rolled back, with renderings in between), the document served is the full rendering.
func TestDiscoveryRandomChanges(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) { randomChanges(t, dsn, rand.Uint64()) })
}

func randomChanges(t *testing.T, dsn string, seed uint64) {
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 0))
	e := newEnvDSN(t, dsn)
	acme := e.tenant(t, "acme")
	ctx := e.sys(acme.ID)
	names := []string{"a&b"} // one name JSON escapes
	for i := range 30 {
		names = append(names, fmt.Sprintf("forums.r%02d.readonly", i))
	}
	// change makes one random change through client.
	change := func(client *ent.Client) {
		name := names[r.IntN(len(names))]
		s, err := client.Scope.Query().Where(scope.Name(name)).Only(ctx)
		switch {
		case ent.IsNotFound(err):
			client.Scope.Create().SetAPI(acme.API).SetName(name).SetDisplayName(name).SetDescription(name).
				SetShowInDiscoveryDocument(r.IntN(3) > 0).SetDeprecated(r.IntN(4) == 0).ExecX(ctx)
		case err != nil:
			t.Fatal(err)
		default:
			switch r.IntN(4) {
			case 0:
				client.Scope.UpdateOne(s).SetShowInDiscoveryDocument(!s.ShowInDiscoveryDocument).ExecX(ctx)
			case 1:
				client.Scope.UpdateOne(s).SetDeprecated(!s.Deprecated).ExecX(ctx)
			case 2:
				client.Scope.DeleteOne(s).ExecX(ctx)
			case 3:
				client.Scope.Update().Where(scope.NameHasPrefix(name[:min(len(name), len("forums.r0"))])).SetShowInDiscoveryDocument(r.IntN(2) == 0).ExecX(ctx)
			}
		}
	}
	check := func(step int) {
		t.Helper()
		if got, full := fetchDoc(t, acme), fullRender(t, acme); !bytes.Equal(got, full) {
			t.Fatalf("step %d (seed %d): served\n%s\nbut a full rendering is\n%s", step, seed, got, full)
		}
	}
	for step := range 300 {
		switch r.IntN(10) {
		case 0: // several changes in a transaction, a rendering in the middle
			tx, err := e.DB.Client.Tx(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for range 1 + r.IntN(4) {
				change(tx.Client())
			}
			check(step)
			change(tx.Client())
			if r.IntN(2) == 0 {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
		case 1:
			e.P.ForgetCached([]int{[]int{0, acme.ID}[r.IntN(2)]})
		default:
			change(e.DB.Client)
		}
		check(step)
	}
}

// appendName writes any string as encoding/json does, and plain ones as they are.
func FuzzAppendName(f *testing.F) {
	for _, s := range []string{"forums.threads.readonly", "a&b", "<x>", `"\`, "é", "\x00\x7f", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendName(nil, s, false, true); !bytes.Equal(got, want) {
			t.Fatalf("appendName(%q) = %s, want %s", s, got, want)
		}
		if plain(s) {
			if got := appendName([]byte("x"), s, true, false); !bytes.Equal(got, append([]byte("x,"), want...)) {
				t.Fatalf("appendName(%q) unchecked = %s", s, got)
			}
		}
	})
}

// A scope row named like an identity scope (made before identity scopes existed) is listed in its
// place, and the identity scope comes back when the row leaves.
func TestListingIdentityScopeRows(t *testing.T) {
	names := func(l *listing) []string {
		var doc struct {
			Scopes []string `json:"scopes_supported"`
		}
		head, tail, err := discoveryFrame("https://example.test/o/acme")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(l.appendDocument(nil, head, tail), &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Scopes
	}
	l := newListing(0, []listed{{ID: 3, Name: "forums.threads.readonly"}, {ID: 2, Name: "Email"}, {ID: 1, Name: "a"}})
	if got, want := names(l), []string{"Email", "a", "forums.threads.readonly", "offline_access", "openid", "profile"}; !slices.Equal(got, want) {
		t.Fatalf("scopes_supported = %v, want %v", got, want)
	}
	l.apply([]int{2, 4}, []*ent.Scope{{ID: 2, Name: "Email", ShowInDiscoveryDocument: false}, {ID: 4, Name: "b", ShowInDiscoveryDocument: true}})
	if got, want := names(l), []string{"a", "b", "email", "forums.threads.readonly", "offline_access", "openid", "profile"}; !slices.Equal(got, want) {
		t.Fatalf("after Email left: %v, want %v", got, want)
	}
	l.apply([]int{1}, nil) // deleted
	if got, want := names(l), []string{"b", "email", "forums.threads.readonly", "offline_access", "openid", "profile"}; !slices.Equal(got, want) {
		t.Fatalf("after a was deleted: %v, want %v", got, want)
	}
}
