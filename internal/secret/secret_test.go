package secret

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	v, d := New(APIKeyPrefix)
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(v, APIKeyPrefix))
	if !strings.HasPrefix(v, APIKeyPrefix) || err != nil || len(raw) != 32 {
		t.Fatalf("credential %q: prefix or 256 random bits missing (%v)", v, err)
	}
	if !Matches(v, d) || Matches(v+"x", d) {
		t.Fatal("Matches does not recognise exactly the credential")
	}
	if w, _ := New(APIKeyPrefix); w == v {
		t.Fatal("two credentials are equal")
	}
}
