// Package keys makes, seals and chooses an organisation's ID-token signing keys. The newest key
// that is not retired signs; every key that is not retired is published at jwks_uri.
package keys

import (
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"entgo.io/ent/dialect/sql"
	jose "github.com/go-jose/go-jose/v4"

	"scopekeeper/ent"
	"scopekeeper/ent/signingkey"
	"scopekeeper/internal/secret"
)

// Algorithm signs ID tokens.
const Algorithm = jose.RS256

// AccessAlgorithm signs JWT access tokens (RFC 9068). ECDSA P-256: issuance signs one per token,
// and an RSA-2048 signature costs some fifty times as much CPU, which would make JWT issuance far
// slower than opaque issuance. Resource servers get both kinds of key from jwks_uri.
const AccessAlgorithm = jose.ES256

// sealedV1 starts a private key sealed with AES-256-GCM: the version byte, the nonce, then the
// ciphertext of the PKCS #8 DER. An unsealed key starts with DER's SEQUENCE tag (0x30).
const sealedV1 = 0x01

// Keeper makes keys and reads them back. With a key-encryption key, private keys are stored
// sealed, so a copy of the database alone cannot sign ID tokens; without one they are stored as
// PKCS #8 DER. Keys stored unsealed stay readable after a key-encryption key is configured.
type Keeper struct {
	aead cipher.AEAD // nil: store unsealed
}

// ExampleKEK is a valid key-encryption key, for error messages (never use it).
const ExampleKEK = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq8M="

// NewKeeper returns a Keeper that seals with kek, 32 bytes in base64 (standard or URL alphabet,
// padded or not); an empty kek seals nothing.
func NewKeeper(kek string) (*Keeper, error) {
	if kek == "" {
		return &Keeper{}, nil
	}
	raw, err := decodeBase64(strings.TrimSpace(kek))
	if err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("the key-encryption key must be 32 random bytes in base64, e.g. %s (make one with: openssl rand -base64 32)", ExampleKEK)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Keeper{aead: aead}, nil
}

func decodeBase64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// Seals reports whether new keys are stored sealed.
func (k *Keeper) Seals() bool { return k.aead != nil }

// New generates a key and stores it for the organisation of ctx's viewer; it becomes the current
// key.
func (k *Keeper) New(ctx context.Context, client *ent.Client) (*ent.SigningKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	return k.store(ctx, client, priv, Algorithm)
}

// NewAccess generates a key for JWT access tokens (AccessAlgorithm) and stores it for the
// organisation of ctx's viewer; it becomes the current access-token key.
func (k *Keeper) NewAccess(ctx context.Context, client *ent.Client) (*ent.SigningKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return k.store(ctx, client, priv, AccessAlgorithm)
}

func (k *Keeper) store(ctx context.Context, client *ent.Client, priv crypto.Signer, alg jose.SignatureAlgorithm) (*ent.SigningKey, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	kid := secret.RandomID(12)
	stored := der
	if k.aead != nil {
		nonce := make([]byte, k.aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		// The key ID is authenticated too, so a sealed key cannot be moved to another row.
		stored = k.aead.Seal(append([]byte{sealedV1}, nonce...), nonce, der, []byte(kid))
	}
	return client.SigningKey.Create().SetKid(kid).SetAlgorithm(string(alg)).SetPrivateKey(stored).Save(ctx)
}

// Private returns the private half of key: an *rsa.PrivateKey or an *ecdsa.PrivateKey.
func (k *Keeper) Private(key *ent.SigningKey) (crypto.Signer, error) {
	der := key.PrivateKey
	if len(der) > 0 && der[0] == sealedV1 {
		if k.aead == nil {
			return nil, fmt.Errorf("signing key %s is sealed: configure the key-encryption key it was sealed with (--key-encryption-key)", key.Kid)
		}
		n := k.aead.NonceSize()
		if len(der) < 1+n {
			return nil, fmt.Errorf("signing key %s: sealed value too short", key.Kid)
		}
		var err error
		if der, err = k.aead.Open(nil, der[1:1+n], der[1+n:], []byte(key.Kid)); err != nil {
			return nil, fmt.Errorf("signing key %s cannot be unsealed with the configured key-encryption key", key.Kid)
		}
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", key.Kid, err)
	}
	switch p := priv.(type) {
	case *rsa.PrivateKey:
		if key.Algorithm == string(Algorithm) {
			return p, nil
		}
	case *ecdsa.PrivateKey:
		if key.Algorithm == string(AccessAlgorithm) {
			return p, nil
		}
	}
	return nil, fmt.Errorf("signing key %s is not a %s key", key.Kid, key.Algorithm)
}

// Public is the public half of key as a JSON Web Key.
func (k *Keeper) Public(key *ent.SigningKey) (jose.JSONWebKey, error) {
	priv, err := k.Private(key)
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	return jose.JSONWebKey{Key: priv.Public(), KeyID: key.Kid, Algorithm: key.Algorithm, Use: "sig"}, nil
}

// Current returns the key that signs: the newest one not retired (ent.NotFoundError if none).
func Current(ctx context.Context, client *ent.Client) (*ent.SigningKey, error) {
	return client.SigningKey.Query().
		Where(signingkey.Algorithm(string(Algorithm)), signingkey.RetiredAtIsNil()).
		Order(signingkey.ByCreatedAt(sql.OrderDesc()), signingkey.ByID(sql.OrderDesc())).
		First(ctx)
}

// CurrentAccess returns the key that signs JWT access tokens: the newest AccessAlgorithm key not
// retired (ent.NotFoundError if none).
func CurrentAccess(ctx context.Context, client *ent.Client) (*ent.SigningKey, error) {
	return client.SigningKey.Query().
		Where(signingkey.Algorithm(string(AccessAlgorithm)), signingkey.RetiredAtIsNil()).
		Order(signingkey.ByCreatedAt(sql.OrderDesc()), signingkey.ByID(sql.OrderDesc())).
		First(ctx)
}

// Published returns the keys jwks_uri lists, oldest first.
func Published(ctx context.Context, client *ent.Client) ([]*ent.SigningKey, error) {
	return client.SigningKey.Query().Where(signingkey.RetiredAtIsNil()).
		Order(signingkey.ByCreatedAt(), signingkey.ByID()).All(ctx)
}
