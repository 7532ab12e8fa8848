package resource

import (
	"strings"
	"testing"

	"scopekeeper/ent"
)

func TestIdentifier(t *testing.T) {
	id := "https://api.example.com/billing"
	if got := Identifier("https://auth.example/", &ent.API{BasePath: "/forums"}); got != "https://auth.example/forums" {
		t.Errorf("default identifier = %q", got)
	}
	if got := Identifier("https://auth.example", &ent.API{BasePath: "/forums", Identifier: &id}); got != id {
		t.Errorf("explicit identifier = %q", got)
	}
}

func TestParse(t *testing.T) {
	got, err := Parse([]string{Example, "urn:x:y", Example})
	if err == nil || !strings.Contains(err.Error(), "urn:x:y") {
		t.Fatalf("a URN without a host: %v %v", got, err)
	}
	got, err = Parse([]string{Example, "https://b.example", Example})
	if err != nil || len(got) != 2 {
		t.Fatalf("repeats: %v %v", got, err)
	}
	for _, bad := range []string{"", "/billing", "billing", "https://a.example/#x", "https://a.example/ b", "https://a.example/\"", strings.Repeat("a", 600)} {
		if _, err := Parse([]string{bad}); err == nil || !strings.Contains(err.Error(), "resource=") {
			t.Errorf("Parse(%q) = %v, want an error with an example", bad, err)
		}
	}
	if _, err := Parse(make([]string, MaxResources+1)); err == nil {
		t.Error("too many resources accepted")
	}
}

// Parse reads request parameters: whatever it is given, it returns an error or absolute URIs that
// Check accepts, each once, no more than MaxResources.
func FuzzParse(f *testing.F) {
	f.Add(Example, "https://b.example/x")
	f.Add("", "urn:ietf:x")
	f.Add("https://a.example/#f", "https://a.example/%zz")
	f.Add("http://[::1]:80/a", "mailto:x@y")
	f.Fuzz(func(t *testing.T, a, b string) {
		got, err := Parse([]string{a, b})
		if err != nil {
			return
		}
		if len(got) == 0 || len(got) > 2 || len(got) == 2 && got[0] == got[1] {
			t.Fatalf("Parse(%q, %q) = %q", a, b, got)
		}
		for _, id := range got {
			if msg := Check(id); msg != "" || len(id) > MaxLen {
				t.Fatalf("Parse returned %q, which Check refuses: %s", id, msg)
			}
		}
	})
}
