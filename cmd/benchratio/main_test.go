package main

import "testing"

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
