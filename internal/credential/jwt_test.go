package credential

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"scopekeeper/internal/secret"
)

func jwtWith(payload string) string {
	return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".c2ln"
}

func TestTokenKey(t *testing.T) {
	key, jti := secret.NewKey(time.Now())
	if got := TokenKey(jwtWith(`{"jti":"` + jti + `","scope":"a"}`)); !bytes.Equal(got, key) {
		t.Fatalf("TokenKey of a JWT = %x, want %x", got, key)
	}
	opaque, okey, _ := secret.NewSplit(secret.AccessTokenPrefix, time.Now())
	if got := TokenKey(opaque); !bytes.Equal(got, okey) {
		t.Fatalf("TokenKey of an opaque token = %x, want %x", got, okey)
	}
	for _, bad := range []string{"", "eyJ", "eyJ.x", "eyJ.x.", jwtWith(`{"jti":"short"}`), jwtWith(`{}`), jwtWith(`not json`),
		jwtWith(`{"jti":"`+jti+`"}`) + ".extra", "eyJ" + strings.Repeat("A", 9000) + ".e30.c2ln", "skk_whatever"} {
		if TokenKey(bad) != nil {
			t.Errorf("TokenKey(%.60q) is not nil", bad)
		}
	}
}

// TokenKey reads presented credentials: whatever it is given, it returns nil or a key of the
// length lookup keys have, without spending more than the bounded input on it.
func FuzzTokenKey(f *testing.F) {
	_, jti := secret.NewKey(time.UnixMilli(1_790_000_000_000))
	f.Add(jwtWith(`{"jti":"` + jti + `"}`))
	f.Add(jwtWith(`{"jti":12}`))
	f.Add("eyJ..")
	f.Add("ska_" + strings.Repeat("A", 64))
	f.Fuzz(func(t *testing.T, value string) {
		if k := TokenKey(value); k != nil && len(k) != 16 {
			t.Fatalf("TokenKey(%q) = %x: not a 16-byte key", value, k)
		}
	})
}
