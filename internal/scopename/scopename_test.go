package scopename

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	long := strings.Repeat("a", MaxLen)
	tests := []struct {
		name   string
		policy Policy
		ok     bool
	}{
		{"invoices:read", Free, true},
		{"https://api.example.com/read", Free, true},
		{long, Free, true},
		{long + "a", Free, false},
		{"", Free, false},
		{"two words", Free, false},
		{`quote"d`, Free, false},
		{`back\slash`, Free, false},
		{"naïve", Free, false},
		{"read_user_data", SnakeCase, true},
		{"admin_access2", SnakeCase, true},
		{"Read_User", SnakeCase, false},
		{"read-user", SnakeCase, false},
		{"forums.threads.readonly", Dotted, true},
		{"forums.threads.modify", Dotted, true},
		{"forums.threads.write", Dotted, false},
		{"forums.readonly", Dotted, false},
		{"Forums.threads.readonly", Dotted, false},
		{"forums..readonly", Dotted, false},
		{"a.b.c.readonly", Dotted, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.policy)+"/"+tt.name, func(t *testing.T) {
			err := Validate(tt.name, tt.policy)
			if (err == nil) != tt.ok {
				t.Fatalf("Validate(%q, %s) = %v, want ok=%v", tt.name, tt.policy, err, tt.ok)
			}
			if err != nil && !strings.Contains(err.Error(), Example(tt.policy)) {
				t.Errorf("error %q does not show the valid example %q", err, Example(tt.policy))
			}
		})
	}
}

func TestExamplesAreValid(t *testing.T) {
	for _, p := range []Policy{Free, SnakeCase, Dotted} {
		if err := Validate(Example(p), p); err != nil {
			t.Errorf("Example(%s) = %q is refused: %v", p, Example(p), err)
		}
	}
}

func TestParts(t *testing.T) {
	g, e, m, ok := Parts("forums.threads.modify")
	if !ok || g != "forums" || e != "threads" || m != "modify" {
		t.Fatalf("Parts = %q %q %q %v", g, e, m, ok)
	}
	if _, _, _, ok := Parts("read_user_data"); ok {
		t.Fatal("Parts accepted a name without dots")
	}
	if s, ok := ReadOnlySibling("forums.threads.modify"); !ok || s != "forums.threads.readonly" {
		t.Fatalf("ReadOnlySibling = %q %v", s, ok)
	}
	if _, ok := ReadOnlySibling("forums.threads.readonly"); ok {
		t.Fatal("a readonly scope has no readonly sibling")
	}
}

// FuzzValidate checks the policies' invariants on arbitrary input: every accepted name is a valid
// RFC 6749 scope-token within the length limit, SNAKE_CASE and DOTTED names are also FREE names,
// and DOTTED names split into three parts with a known modifier.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{"invoices:read", "read_user_data", "forums.threads.readonly", "a b", "", "é", "x.y.modify", "..", strings.Repeat("z", 129)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		free := Validate(name, Free) == nil
		if free {
			if name == "" || len(name) > MaxLen {
				t.Fatalf("accepted %q of length %d", name, len(name))
			}
			for i := 0; i < len(name); i++ {
				if !isScopeChar(name[i]) {
					t.Fatalf("accepted %q with byte %#x", name, name[i])
				}
			}
		}
		if Validate(name, SnakeCase) == nil && !free {
			t.Fatalf("%q is SNAKE_CASE but not FREE", name)
		}
		if Validate(name, Dotted) == nil {
			if !free {
				t.Fatalf("%q is DOTTED but not FREE", name)
			}
			if _, _, m, ok := Parts(name); !ok || (m != ReadOnly && m != Modify) {
				t.Fatalf("%q is DOTTED but Parts gives modifier %q ok=%v", name, m, ok)
			}
		}
		if Key(name) != strings.ToLower(name) {
			t.Fatal("Key is not the lowercase name")
		}
	})
}
