package secret

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"
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

func TestNewSplit(t *testing.T) {
	now := time.UnixMilli(1_790_000_000_123)
	v, key, d := NewSplit(AccessTokenPrefix, now)
	if !Matches(v, d) || !bytes.Equal(LookupKey(AccessTokenPrefix, v), key) || len(key) != 16 {
		t.Fatalf("split credential %q: key %x does not round-trip or digest does not match", v, key)
	}
	later, laterKey, _ := NewSplit(AccessTokenPrefix, now.Add(time.Millisecond))
	if bytes.Compare(key, laterKey) >= 0 || later == v {
		t.Fatalf("a later credential's key %x does not sort after %x", laterKey, key)
	}
	w, sameMs, _ := NewSplit(AccessTokenPrefix, now)
	if bytes.Equal(sameMs, key) || w == v {
		t.Fatal("two credentials of the same millisecond share a key")
	}
	for _, bad := range []string{"", "ska_", "skk_" + strings.TrimPrefix(v, AccessTokenPrefix), v + "A", v[:len(v)-1], "ska_" + strings.Repeat("!", 64)} {
		if LookupKey(AccessTokenPrefix, bad) != nil {
			t.Errorf("LookupKey(%q) is not nil", bad)
		}
	}
}

// LookupKey reads credentials from requests: whatever it is given, it returns nil or a 16-byte key
// that a credential with that value would carry, and it finds the key of every real credential.
func FuzzLookupKey(f *testing.F) {
	real, key, _ := NewSplit(AccessTokenPrefix, time.UnixMilli(1_790_000_000_000))
	f.Add(real)
	f.Add("ska_")
	f.Add("ska_" + strings.Repeat("A", 64))
	f.Add("ska_" + strings.Repeat("=", 64))
	f.Add(APIKeyPrefix + "x")
	f.Fuzz(func(t *testing.T, value string) {
		got := LookupKey(AccessTokenPrefix, value)
		if got == nil {
			if value == real {
				t.Fatal("a real credential has no key")
			}
			return
		}
		if len(got) != 16 || !strings.HasPrefix(value, AccessTokenPrefix) {
			t.Fatalf("LookupKey(%q) = %x", value, got)
		}
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(value, AccessTokenPrefix))
		if err != nil || !bytes.Equal(raw[:16], got) {
			t.Fatalf("LookupKey(%q) = %x, not the value's first 16 bytes (%v)", value, got, err)
		}
		if value == real && !bytes.Equal(got, key) {
			t.Fatalf("the real credential's key %x, want %x", got, key)
		}
	})
}
