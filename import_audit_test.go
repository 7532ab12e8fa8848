package main

import (
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
