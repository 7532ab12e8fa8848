package main

import (
	"strings"
	"testing"
)

func TestBareStem(t *testing.T) {
	for name, want := range map[string]string{
		"HTTPBare-2":            "HTTP",
		"HTTPForwardAuthBare-2": "HTTPForwardAuth",
		"Loopback/Bare-2":       "Loopback",
		"HTTPBare":              "HTTP",
		"HTTPCheck-2":           "",
	} {
		got, ok := bareStem(name)
		if got != want || ok != (want != "") {
			t.Errorf("%s: got %q %v, want %q", name, got, ok, want)
		}
	}
}

func TestCompare(t *testing.T) {
	pkg := "scopekeeper/internal/oauth"
	results := []result{
		{pkg: pkg, name: "Loopback/ClientCredentials-2", rate: 4000, cpu: 150},
		{pkg: pkg, name: "Loopback/Refresh-2", rate: 3000, cpu: 200},
		{pkg: "other", name: "Loopback/ClientCredentials-2", rate: 1000},
	}
	got := compare(results)
	want := "oauth refresh grants vs client-credentials issuance: 0.75× per second (goal ≥ 0.80×: goal NOT met); CPU time per request 200 µs vs 150 µs (1.33×)"
	if len(got) != 1 || got[0] != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	results[1].rate = 3600
	if got := compare(results); len(got) != 1 || !strings.Contains(got[0], "0.90× per second (goal ≥ 0.80×: goal met)") {
		t.Fatalf("got %q", got)
	}
}
