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
