package keys_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/base64"
	"strings"
	"testing"

	"scopekeeper/internal/keys"
	"scopekeeper/internal/orgs"
	"scopekeeper/internal/store"
	"scopekeeper/internal/viewer"
)

func TestNewKeeperRefusesBadKeys(t *testing.T) {
	for _, kek := range []string{"short", base64.StdEncoding.EncodeToString(make([]byte, 16)), "not base64 at all!!!!!!!!!!!!!!!!!!!!!!!!!!"} {
		if _, err := keys.NewKeeper(kek); err == nil || !strings.Contains(err.Error(), keys.ExampleKEK) {
			t.Errorf("NewKeeper(%q) = %v, want an error with a valid example", kek, err)
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
		if _, err := keys.NewKeeper(enc.EncodeToString(bytes.Repeat([]byte{7}, 32))); err != nil {
			t.Errorf("a 32-byte key in %v: %v", enc, err)
		}
	}
	if _, err := keys.NewKeeper(keys.ExampleKEK); err != nil {
		t.Errorf("the example key is refused: %v", err)
	}
}

// Keys are stored sealed with a key-encryption key and read back only with the same one; keys
// stored before one was configured stay readable.
func TestSealing(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir()+"/k.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	orgID, _, err := orgs.Bootstrap(ctx, db.Client, orgs.Owner{OrgName: "Acme", OrgSlug: "acme", Email: "o@acme.test", Password: "a long password"})
	if err != nil {
		t.Fatal(err)
	}
	sys := viewer.SystemContext(ctx, orgID)
	kek := func(b byte) *keys.Keeper {
		k, err := keys.NewKeeper(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	unsealed, _ := keys.NewKeeper("")
	a, b := kek(1), kek(2)

	plain, err := unsealed.New(sys, db.Client)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := a.New(sys, db.Client)
	if err != nil {
		t.Fatal(err)
	}
	if plain.PrivateKey[0] != 0x30 || sealed.PrivateKey[0] == 0x30 {
		t.Fatalf("stored forms: unsealed starts %#x, sealed %#x", plain.PrivateKey[0], sealed.PrivateKey[0])
	}
	priv, err := a.Private(sealed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Private(plain); err != nil {
		t.Errorf("a key stored before sealing is no longer readable: %v", err)
	}
	pub, err := a.Public(sealed)
	if err != nil || !priv.(*rsa.PrivateKey).PublicKey.Equal(pub.Key) || pub.KeyID != sealed.Kid {
		t.Fatalf("public half of the sealed key: %+v, %v", pub, err)
	}
	if _, err := b.Private(sealed); err == nil || !strings.Contains(err.Error(), "cannot be unsealed") {
		t.Errorf("another key-encryption key opened the key: %v", err)
	}
	if _, err := unsealed.Private(sealed); err == nil || !strings.Contains(err.Error(), "--key-encryption-key") {
		t.Errorf("without a key-encryption key: %v", err)
	}
	moved := *sealed
	moved.Kid = plain.Kid // the sealed value under another key ID
	if _, err := a.Private(&moved); err == nil {
		t.Error("a sealed key opened under another key ID")
	}
	tampered := *sealed
	tampered.PrivateKey = bytes.Clone(sealed.PrivateKey)
	tampered.PrivateKey[len(tampered.PrivateKey)-1] ^= 1
	if _, err := a.Private(&tampered); err == nil {
		t.Error("a tampered sealed key opened")
	}
}
