package password

import (
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	h := Hash("correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not PHC argon2id with the expected parameters", h)
	}
	if h == Hash("correct horse battery") {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	if ok, err := Verify("correct horse battery", h); !ok || err != nil {
		t.Fatalf("Verify(right) = %v, %v", ok, err)
	}
	if ok, _ := Verify("correct horse batterY", h); ok {
		t.Fatal("Verify accepted a wrong password")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=x$c2FsdA$a2V5"} {
		if ok, err := Verify("x", bad); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v; want a format error", bad, ok, err)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, weak := range []string{
		"xxxxxxxx", "short", "aaaaaaaaaaaa", "abcdefghijkl", "password1234", "Password123!", "qwertyuiopas",
		"1234567890ab", "iloveyou2024", "scopekeeper-demo", "ada@acme.example",
		strings.Repeat("correct horse ", 20),
	} {
		if Check(weak, "ada@acme.example", "acme") == nil {
			t.Errorf("Check(%q) accepted a weak password", weak)
		}
	}
	if err := Check("xxxxxxxx"); err == nil || !strings.Contains(err.Error(), "at least 12 characters") || !strings.Contains(err.Error(), "e.g.") {
		t.Errorf("Check(short) = %v; want the minimum length and an example", err)
	}
	if err := Check("acme forums 1", "admin@acme.example", "Acme Forums"); err == nil {
		t.Error("Check accepted a password made of the organisation's name")
	}
	for _, strong := range []string{"correct horse battery", "copper lantern orbit meadow", "viewer pass 1234", "Tr0ub4dor&3xx"} {
		if err := Check(strong, "ada@acme.example", "acme"); err != nil {
			t.Errorf("Check(%q) = %v; want accepted", strong, err)
		}
	}
}

// FuzzCheck: the rule never panics, and never accepts what is shorter than MinLength.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"", "xxxxxxxx", "correct horse battery", "ü€😀 pass phrase 42", "\x00\xff"} {
		f.Add(s, "ada@acme.example")
	}
	f.Fuzz(func(t *testing.T, pw, email string) {
		if len(pw) > 4*MaxLength {
			return
		}
		if err := Check(pw, email); err == nil && len([]rune(pw)) < MinLength {
			t.Fatalf("Check(%q) accepted a password shorter than %d characters", pw, MinLength)
		}
	})
}
