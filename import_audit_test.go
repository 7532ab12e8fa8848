package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

const importAudit = `query { auditEvents(first: 100, orderBy: {field: AT, direction: DESC}) { totalCount edges { node { actor action targetType after } } } }`

// TestImportIsOneAuditedChange: an applied import is one audit event (its counts by action and
// kind), not one per object; a dry run records nothing.
func TestImportIsOneAuditedChange(t *testing.T) {
	e := newEnv(t)
	acme, empty := e.org("acme"), e.org("empty")
	seedConfiguration(t, acme)
	doc := export(t, acme, "YAML")
	count := func() int { return int(get(empty.must(importAudit, nil), "auditEvents.totalCount").(float64)) }

	before := count()
	empty.must(importQuery, map[string]any{"d": doc, "dry": true, "prune": false})
	if n := count(); n != before {
		t.Fatalf("a dry run recorded %d audit events", n-before)
	}
	plan := empty.must(importQuery, map[string]any{"d": doc, "dry": false, "prune": false})
	changes := len(get(plan, "importConfiguration.changes").([]any))
	if changes < 10 {
		t.Fatalf("the import changed only %d things", changes)
	}
	if n := count(); n != before+1 {
		t.Fatalf("the import of %d changes recorded %d audit events, want 1", changes, n-before)
	}
	ev := get(empty.must(importAudit, nil), "auditEvents.edges").([]any)[0]
	if str(ev, "node.action") != "update" || str(ev, "node.targetType") != "Organisation" || str(ev, "node.actor") != "user:owner@empty.test" {
		t.Fatalf("the import's event: %v", ev)
	}
	imported, _ := get(ev, "node.after.import").(map[string]any)
	total := 0
	for _, byKind := range imported {
		for _, n := range byKind.(map[string]any) {
			total += int(n.(float64))
		}
	}
	if total != changes || get(imported, "CREATE.Scope") == nil {
		t.Fatalf("the event counts %d changes (%v), the plan has %d", total, imported, changes)
	}
}

// TestImportIsOneChangeToCount: through the server, an import of hundreds of scopes writes them
// in batches and counts the organisation's change once (it was an INSERT and an upsert of the
// revision per scope), and the servers' caches still see it: the discovery document lists them.
func TestImportIsOneChangeToCount(t *testing.T) {
	e := newEnv(t)
	acme := e.org("acme")
	doc := func(n int) string {
		var b strings.Builder
		b.WriteString("version: scopekeeper/v1\norganisation: {name: Acme}\napis:\n  - name: big\n    basePath: /big\n    scopes:\n")
		for i := range n {
			fmt.Fprintf(&b, "      - {name: big.s%04d.readonly}\n", i)
		}
		return b.String()
	}
	discovery := func() string {
		resp, err := http.Get(e.URL + "/o/acme/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	var stmts []statement
	run := func(n int) {
		stmts = e.capture(func() { acme.must(importQuery, map[string]any{"d": doc(n), "dry": false, "prune": false}) })
	}
	run(300)
	small := len(stmts)
	if !strings.Contains(discovery(), "big.s0299.readonly") { // and now cached
		t.Fatal("the discovery document does not list the imported scopes")
	}
	run(900) // 600 new scopes
	revisions := 0
	for _, s := range stmts {
		if strings.Contains(s.query, `"revisions"`) {
			revisions++
		}
	}
	if len(stmts)-small > 10 || revisions > 2 {
		t.Fatalf("importing 300 scopes ran %d statements; 600 more ran %d, %d of them on revisions", small, len(stmts), revisions)
	}
	if !strings.Contains(discovery(), "big.s0899.readonly") {
		t.Fatal("the discovery document does not list the scopes of the second import")
	}
}
