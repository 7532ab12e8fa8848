package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Issue 13: the deprecation lifecycle over GraphQL and the OAuth surface.

const (
	scopeDeprecationFields = `id name deprecated sunsetAt replacedBy { id name }`
	updateScopeMutation    = `mutation($id: ID!, $in: UpdateScopeInput!) { updateScope(id: $id, input: $in) { ` + scopeDeprecationFields + ` } }`
	migrateMutation        = `mutation($from: ID!, $to: ID!, $dry: Boolean!) { migrateScopeHolders(fromScopeID: $from, toScopeID: $to, dryRun: $dry) {
		applied from { name } to { name } steps { kind id name action scopesBefore scopesAfter } } }`
)

func TestScopeReplacementAndSunset(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(*testing.T) string) {
		e := startServer(t, dsn(t))
		f := newAccessFixture(t, e, "acme")
		c := f.owner
		update := func(id string, in map[string]any) gqlResponse {
			return c.raw(updateScopeMutation, map[string]any{"id": id, "in": in})
		}
		sunset := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
		heldKey, _ := f.key(t, f.read)

		// Only a deprecated scope has a replacement or a sunset.
		r := update(f.read, map[string]any{"sunsetAt": sunset})
		if r.Code() != "VALIDATION_FAILED" || r.Field() != "sunsetAt" || !strings.Contains(r.Errors[0].Message, "deprecated: true") {
			t.Fatalf("sunset of a current scope: %+v", r.Errors)
		}
		if r := update(f.read, map[string]any{"replacedByID": f.modify}); r.Code() != "VALIDATION_FAILED" || r.Field() != "replacedByID" {
			t.Fatalf("replacement of a current scope: %+v", r.Errors)
		}
		// Not itself.
		if r := update(f.read, map[string]any{"deprecated": true, "replacedByID": f.read}); r.Code() != "VALIDATION_FAILED" || r.Field() != "replacedByID" {
			t.Fatalf("self replacement: %+v", r.Errors)
		}
		// Not another organisation's: it is not found, like a missing one.
		other := e.org("globex")
		api := str(other.must(`mutation { createAPI(input: {name: "billing", basePath: "/billing"}) { id } }`, nil), "createAPI.id")
		foreign := str(other.must(`mutation($a: ID!) { createScope(input: {apiID: $a, name: "billing.invoices.readonly"}) { id } }`,
			map[string]any{"a": api}), "createScope.id")
		if r := update(f.read, map[string]any{"deprecated": true, "replacedByID": foreign}); r.Code() != "NOT_FOUND" {
			t.Fatalf("foreign replacement: %+v", r.Errors)
		}
		// A valid one, shown on the scope; and no change was made by the refusals above.
		d := c.must(updateScopeMutation, map[string]any{"id": f.read, "in": map[string]any{"deprecated": true, "replacedByID": f.modify, "sunsetAt": sunset}})
		if str(d, "updateScope.replacedBy.name") != "forums.threads.modify" || str(d, "updateScope.sunsetAt") != sunset {
			t.Fatalf("updateScope = %v", d)
		}
		// No cycles: modify cannot be replaced by read, which modify replaces.
		r = update(f.modify, map[string]any{"deprecated": true, "replacedByID": f.read})
		if r.Code() != "VALIDATION_FAILED" || r.Field() != "replacedByID" || !strings.Contains(r.Errors[0].Message, "cycle") {
			t.Fatalf("cycle: %+v", r.Errors)
		}
		if d := c.must(`query($id: ID!) { node(id: $id) { ... on Scope { deprecated } } }`, map[string]any{"id": f.modify}); get(d, "node.deprecated") != false {
			t.Fatalf("refused update changed the scope: %v", d)
		}
		// Rule 7 for API keys too: a deprecated scope is not newly assigned; a key that holds it
		// keeps it across a replacement of its scopes.
		const createKey = `mutation($s: [ID!]) { createAPIKey(input: {name: "late key", scopeIDs: $s}) { apiKey { id } } }`
		r = c.fails("VALIDATION_FAILED", createKey, map[string]any{"s": []string{f.read}})
		if r.Field() != "scopeIDs" || !strings.Contains(r.Errors[0].Message, `use its replacement "forums.threads.modify"`) {
			t.Fatalf("deprecated scope on a new key: %+v", r.Errors)
		}
		c.must(`mutation($id: ID!, $s: [ID!]) { updateAPIKey(id: $id, input: {clearScopes: true, addScopeIDs: $s}) { id } }`,
			map[string]any{"id": heldKey, "s": []string{f.read, f.modify}})
		// Making the scope current again clears both.
		d = c.must(updateScopeMutation, map[string]any{"id": f.read, "in": map[string]any{"deprecated": false}})
		if get(d, "updateScope.replacedBy") != nil || get(d, "updateScope.sunsetAt") != nil {
			t.Fatalf("undeprecated scope keeps its lifecycle: %v", d)
		}
		// The other organisation sees nothing of it.
		if d := other.must(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": f.read}); get(d, "node") != nil {
			t.Fatalf("foreign node visible: %v", d)
		}
	})
}

// scopesOf lists the scope names of a client or API key node.
func scopesOf(t *testing.T, c *gqlClient, id string) []string {
	t.Helper()
	d := c.must(`query($id: ID!) { node(id: $id) { ... on Client { scopes { name } } ... on APIKey { scopes { name } } } }`, map[string]any{"id": id})
	var out []string
	for _, s := range get(d, "node.scopes").([]any) {
		out = append(out, str(s, "name"))
	}
	slices.Sort(out)
	return out
}

func TestMigrateScopeHolders(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(*testing.T) string) {
		e := startServer(t, dsn(t))
		f := newAccessFixture(t, e, "acme")
		c := f.owner
		api := str(c.must(`{ node(id: "`+f.read+`") { ... on Scope { api { id } } } }`, nil), "node.api.id")
		scope := func(name string, required bool) string {
			return str(c.must(`mutation($in: CreateScopeInput!) { createScope(input: $in) { id } }`,
				map[string]any{"in": map[string]any{"apiID": api, "name": name, "required": required}}), "createScope.id")
		}
		// from is required (not counted towards the limit), to is not: a client at its limit that
		// trades one for the other would go over it.
		from, to := scope("forums.legacy.readonly", true), scope("forums.posts.readonly", false)
		client := func(name string, scopes ...string) string {
			id := str(c.must(`mutation($in: CreateClientInput!) { createClient(input: $in) { client { id } } }`,
				map[string]any{"in": map[string]any{"name": name, "kind": "SERVICE"}}), "createClient.client.id")
			c.must(`mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id } }`, map[string]any{"c": id, "s": scopes})
			return id
		}
		mover := client("mover", from, f.read)
		both := client("both", from, to)
		var fillers []string
		for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
			fillers = append(fillers, scope("forums.filler"+n+".readonly", false))
		}
		full := client("full", append([]string{from}, fillers...)...)
		c.must(`mutation($s: [ID!]) { updateOrganisation(input: {apiKeyAllowedScopeIDs: $s}) { id } }`,
			map[string]any{"s": []string{f.adminRead, f.read, f.modify, from, to}})
		keyID, _ := f.key(t, from)
		c.must(updateScopeMutation, map[string]any{"id": from, "in": map[string]any{"deprecated": true, "replacedByID": to}})

		snapshot := func() map[string][]string {
			return map[string][]string{"mover": scopesOf(t, c, mover), "both": scopesOf(t, c, both), "full": scopesOf(t, c, full), "key": scopesOf(t, c, keyID)}
		}
		events := func() float64 {
			return get(c.must(`{ auditEvents { totalCount } }`, nil), "auditEvents.totalCount").(float64)
		}
		vars := func(dry bool) map[string]any { return map[string]any{"from": from, "to": to, "dry": dry} }

		t.Run("limit exceeded moves nothing", func(t *testing.T) {
			before, n := snapshot(), events()
			for _, dry := range []bool{true, false} {
				r := c.fails("SCOPE_LIMIT_EXCEEDED", migrateMutation, vars(dry))
				if msg := r.Errors[0].Message; !strings.Contains(msg, `client "full"`) || !strings.Contains(msg, "at most 10 scopes") {
					t.Fatalf("message does not name the client and the rule: %s", msg)
				}
			}
			if after := snapshot(); !equalScopes(before, after) || events() != n {
				t.Fatalf("a refused migration changed something: %v → %v", before, after)
			}
		})
		// Make room: the full client gives up one filler.
		c.must(`mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id } }`,
			map[string]any{"c": full, "s": append([]string{from}, fillers[1:]...)})

		t.Run("viewer cannot migrate", func(t *testing.T) {
			c.must(`mutation { createUser(input: {email: "v@acme.test", password: "viewer-password", role: VIEWER}) { id } }`, nil)
			viewer := e.login("v@acme.test", "viewer-password")
			viewer.fails("FORBIDDEN", migrateMutation, vars(true))
			viewer.fails("FORBIDDEN", migrateMutation, vars(false))
		})

		t.Run("dry run plans and changes nothing", func(t *testing.T) {
			before, n := snapshot(), events()
			d := c.must(migrateMutation, vars(true))
			p := get(d, "migrateScopeHolders").(map[string]any)
			if p["applied"] != false || str(p, "from.name") != "forums.legacy.readonly" || str(p, "to.name") != "forums.posts.readonly" {
				t.Fatalf("plan = %v", p)
			}
			steps := map[string]map[string]any{}
			for _, s := range p["steps"].([]any) {
				steps[str(s, "kind")+":"+str(s, "name")] = s.(map[string]any)
			}
			if len(steps) != 4 || str(steps["Client:both"], "action") != "DROP" || str(steps["Client:mover"], "action") != "MOVE" ||
				str(steps["APIKey:gateway test"], "action") != "MOVE" || str(steps["Client:full"], "action") != "MOVE" {
				t.Fatalf("steps = %v", steps)
			}
			if got := strings.Join(toStrings(steps["Client:mover"]["scopesAfter"]), " "); got != "forums.posts.readonly forums.threads.readonly" {
				t.Fatalf("mover after = %s", got)
			}
			if after := snapshot(); !equalScopes(before, after) || events() != n {
				t.Fatalf("a dry run changed something: %v → %v", before, after)
			}
		})

		t.Run("apply", func(t *testing.T) {
			n := events()
			d := c.must(migrateMutation, vars(false))
			if get(d, "migrateScopeHolders.applied") != true {
				t.Fatalf("not applied: %v", d)
			}
			got := snapshot()
			for holder, scopes := range got {
				if slices.Contains(scopes, "forums.legacy.readonly") || !slices.Contains(scopes, "forums.posts.readonly") {
					t.Fatalf("%s holds %v", holder, scopes)
				}
			}
			if events() <= n {
				t.Fatal("the migration was not audited")
			}
			// Nothing holds the old scope now: deleting it is only held up by nothing.
			d = c.must(`query($id: ID!) { scopeImpact(id: $id) { usedBy } }`, map[string]any{"id": from})
			if u := get(d, "scopeImpact.usedBy").([]any); len(u) != 0 {
				t.Fatalf("still used by %v", u)
			}
		})

		t.Run("a client at its limit trades one scope for another", func(t *testing.T) {
			// full now holds 9 fillers and to: 10 counted scopes, the limit. Trading fillers[1] for
			// fillers[0], which it lacks, keeps it at 10.
			if got := scopesOf(t, c, full); len(got) != 10 {
				t.Fatalf("full holds %v", got)
			}
			d := c.must(migrateMutation, map[string]any{"from": fillers[1], "to": fillers[0], "dry": false})
			if steps := get(d, "migrateScopeHolders.steps").([]any); len(steps) != 1 || str(steps[0], "action") != "MOVE" {
				t.Fatalf("steps = %v", steps)
			}
			got := scopesOf(t, c, full)
			if len(got) != 10 || !slices.Contains(got, "forums.fillera.readonly") || slices.Contains(got, "forums.fillerb.readonly") {
				t.Fatalf("full holds %v", got)
			}
		})

		t.Run("another user's API key is changed only by its owner", func(t *testing.T) {
			x, y := scope("forums.drafts.readonly", false), scope("forums.tags.readonly", false)
			c.must(`mutation($s: [ID!]) { updateOrganisation(input: {apiKeyAllowedScopeIDs: $s}) { id } }`,
				map[string]any{"s": []string{f.adminRead, x, y}})
			c.must(`mutation { createUser(input: {email: "m@acme.test", password: "member-password", role: MEMBER}) { id } }`, nil)
			member := e.login("m@acme.test", "member-password")
			id := str(member.must(`mutation($s: [ID!]) { createAPIKey(input: {name: "member key", scopeIDs: $s}) { apiKey { id } } }`,
				map[string]any{"s": []string{x}}), "createAPIKey.apiKey.id")
			r := c.fails("FORBIDDEN", migrateMutation, map[string]any{"from": x, "to": y, "dry": true})
			if !strings.Contains(r.Errors[0].Message, `API key "member key"`) || !strings.Contains(r.Errors[0].Message, "owner") {
				t.Fatalf("message: %s", r.Errors[0].Message)
			}
			if got := scopesOf(t, c, id); !slices.Equal(got, []string{"forums.drafts.readonly"}) {
				t.Fatalf("the key holds %v", got)
			}
			// A MEMBER may not migrate even their own key's scope: it is an administrator's tool.
			member.fails("FORBIDDEN", migrateMutation, map[string]any{"from": x, "to": y, "dry": true})
		})

		t.Run("refusals", func(t *testing.T) {
			c.fails("NOT_FOUND", migrateMutation, map[string]any{"from": from, "to": "999999999", "dry": true})
			r := c.fails("VALIDATION_FAILED", migrateMutation, map[string]any{"from": to, "to": to, "dry": true})
			if r.Field() != "toScopeID" {
				t.Fatalf("field = %q", r.Field())
			}
			// A deprecated scope is not newly assigned, so it is no target.
			r = c.fails("VALIDATION_FAILED", migrateMutation, map[string]any{"from": to, "to": from, "dry": true})
			if !strings.Contains(r.Errors[0].Message, `replacement "forums.posts.readonly"`) {
				t.Fatalf("message: %s", r.Errors[0].Message)
			}
		})
	})
}

func toStrings(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

func equalScopes(a, b map[string][]string) bool {
	for k := range a {
		if !slices.Equal(a[k], b[k]) {
			return false
		}
	}
	return len(a) == len(b)
}

// TestSunset: from sunsetAt on a deprecated scope is granted nowhere, with no write in between:
// the server's clock crosses the instant and every cache notices by itself.
func TestSunset(t *testing.T) {
	var offset atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	e := startServer(t, t.TempDir()+"/test.db", func(c *Config) { c.Now = clock })
	f := newAccessFixture(t, e, "acme")
	_, key := f.key(t, f.read)
	sunset := time.Now().Add(10 * time.Minute).UTC().Truncate(time.Second)
	f.owner.must(updateScopeMutation, map[string]any{"id": f.read, "in": map[string]any{"deprecated": true, "sunsetAt": sunset.Format(time.RFC3339)}})

	// tok holds only the scope that sunsets (forums.threads.modify would cover the same endpoints
	// as its readonly sibling); both holds both.
	tok, both := f.token(t, "acme", "forums.threads.readonly"), f.token(t, "acme")
	forward := func(cred string) int {
		req, _ := http.NewRequest(http.MethodGet, e.URL+"/o/acme/v1/forward-auth", nil)
		req.Header.Set("X-Forwarded-Method", "GET")
		req.Header.Set("X-Forwarded-Uri", "/forums/threads")
		req.Header.Set("Authorization", "Bearer "+cred)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// Before the sunset: still granted where assigned (and the answers are cached).
	for range 2 {
		expectDecision(t, f.decide(t, tok, "GET", "/forums/threads"), true, "granted", "forums.threads.readonly")
		expectDecision(t, f.decide(t, key, "GET", "/forums/threads"), true, "granted", "forums.threads.readonly")
		if got := introspect(t, e, f, both); got["scope"] != "forums.threads.modify forums.threads.readonly" {
			t.Fatalf("introspection before the sunset: %v", got)
		}
		if s := forward(tok); s != http.StatusOK {
			t.Fatalf("forward auth before the sunset: %d", s)
		}
	}
	// The clock crosses the sunset; nothing is written.
	offset.Store(int64(time.Until(sunset) + time.Second))

	expectDecision(t, f.decide(t, tok, "GET", "/forums/threads"), false, "missing_scope", "")
	expectDecision(t, f.decide(t, key, "GET", "/forums/threads"), false, "missing_scope", "")
	expectDecision(t, f.decide(t, both, "POST", "/forums/threads"), true, "granted", "forums.threads.modify")
	if got := introspect(t, e, f, both); got["active"] != true || got["scope"] != "forums.threads.modify" {
		t.Fatalf("introspection after the sunset: %v", got)
	}
	// With nothing left, the token is still active (RFC 7662: issued, unrevoked, unexpired) and
	// grants no scope, as after a removal (rule 8).
	if got := introspect(t, e, f, tok); got["active"] != true || got["scope"] != nil {
		t.Fatalf("introspection of a token left with nothing: %v", got)
	}
	if s := forward(tok); s != http.StatusForbidden {
		t.Fatalf("forward auth after the sunset: %d", s)
	}
	// The token endpoint grants it no more: asked for, it is refused; unasked, left out.
	cfg := clientcredentials.Config{ClientID: f.workerID, ClientSecret: f.workerSecret, TokenURL: e.URL + "/o/acme/oauth/token"}
	all, err := cfg.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := all.Extra("scope").(string); s != "forums.threads.modify" {
		t.Fatalf("token scope after the sunset = %q", s)
	}
	cfg.Scopes = []string{"forums.threads.readonly"}
	_, err = cfg.Token(context.Background())
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_scope" || !strings.Contains(re.ErrorDescription, "no longer granted") {
		t.Fatalf("asking for a retired scope: %v", err)
	}
	// explainAccess says why.
	d := f.owner.must(`query($c: String!) { explainAccess(credential: $c, method: "GET", path: "/forums/threads") { allowed explanation } }`,
		map[string]any{"c": tok})
	if get(d, "explainAccess.allowed") != false || !strings.Contains(strings.Join(toStrings(get(d, "explainAccess.explanation")), " "), "sunset") {
		t.Fatalf("explainAccess = %v", d)
	}
	// Discovery never listed it: it is deprecated.
	resp, err := http.Get(e.URL + "/o/acme/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body := new(strings.Builder)
	_, _ = io.Copy(body, resp.Body)
	if strings.Contains(body.String(), "forums.threads.readonly") {
		t.Fatalf("discovery lists a deprecated scope: %s", body)
	}
}
