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

func TestRefreshValue(t *testing.T) {
	key, _ := NewKey(time.UnixMilli(1_790_000_000_123))
	v, d := RefreshValue(key, 7)
	gotKey, gen, ok := ParseRefresh(v)
	if !ok || !bytes.Equal(gotKey, key) || gen != 7 || !Matches(v, d) || !strings.HasPrefix(v, RefreshTokenPrefix) {
		t.Fatalf("refresh value %q: key %x generation %d ok %v, want key %x generation 7", v, gotKey, gen, ok, key)
	}
	if w, _ := RefreshValue(key, 7); w == v {
		t.Fatal("two values of the same generation are equal")
	}
	// A value issued before generations were counted is generation 0 of its row.
	old, oldKey, _ := NewSplit(RefreshTokenPrefix, time.Now())
	if k, g, ok := ParseRefresh(old); !ok || g != 0 || !bytes.Equal(k, oldKey) {
		t.Fatalf("ParseRefresh(split credential) = %x %d %v, want %x 0 true", k, g, ok, oldKey)
	}
	for _, bad := range []string{"", "skr_", "ska_" + strings.TrimPrefix(v, RefreshTokenPrefix), v + "A", v[:len(v)-1], "skr_" + strings.Repeat("!", 70)} {
		if _, _, ok := ParseRefresh(bad); ok {
			t.Errorf("ParseRefresh(%q) is ok", bad)
		}
	}
}

// ParseRefresh reads refresh tokens from requests: whatever it is given, it returns a 16-byte key
// and the generation the value carries, or not ok; and every value RefreshValue makes round-trips.
func FuzzParseRefresh(f *testing.F) {
	key, _ := NewKey(time.UnixMilli(1_790_000_000_000))
	real, _ := RefreshValue(key, 3)
	old, _, _ := NewSplit(RefreshTokenPrefix, time.UnixMilli(1_790_000_000_000))
	f.Add(real)
	f.Add(old)
	f.Add("skr_" + strings.Repeat("A", 70))
	f.Add("skr_" + strings.Repeat("=", 70))
	f.Add(AccessTokenPrefix + "x")
	f.Add("skr_" + strings.Repeat("0", 56) + "\n\n\n0000\n\n\n0000") // 70 characters, 48 bytes decoded
	f.Fuzz(func(t *testing.T, value string) {
		k, gen, ok := ParseRefresh(value)
		if !ok {
			if value == real || value == old {
				t.Fatal("a real refresh token does not parse")
			}
			return
		}
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(value, RefreshTokenPrefix))
		if err != nil || len(k) != 16 || !bytes.Equal(raw[:16], k) || !strings.HasPrefix(value, RefreshTokenPrefix) {
			t.Fatalf("ParseRefresh(%q) = %x %d (%v)", value, k, gen, err)
		}
		if len(raw) == 52 && gen != uint32(raw[16])<<24|uint32(raw[17])<<16|uint32(raw[18])<<8|uint32(raw[19]) || len(raw) == 48 && gen != 0 {
			t.Fatalf("ParseRefresh(%q): generation %d is not the value's", value, gen)
		}
		if value == real && (gen != 3 || !bytes.Equal(k, key)) {
			t.Fatalf("the real value's key %x and generation %d", k, gen)
		}
	})
}
