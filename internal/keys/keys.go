// Package keys makes and chooses an organisation's ID-token signing keys. The newest key that is
// not retired signs; every key that is not retired is published at jwks_uri.
package keys

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"

	jose "github.com/go-jose/go-jose/v4"

	"entgo.io/ent/dialect/sql"

	"scopekeeper/ent"
	"scopekeeper/ent/signingkey"
	"scopekeeper/internal/secret"
)

// Algorithm signs ID tokens.
const Algorithm = jose.RS256

// New generates a key and stores it for the organisation of ctx's viewer; it becomes the current
// key.
func New(ctx context.Context, client *ent.Client) (*ent.SigningKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	return client.SigningKey.Create().SetKid(secret.RandomID(12)).SetAlgorithm(string(Algorithm)).
		SetPrivateKey(der).Save(ctx)
}

// Current returns the key that signs: the newest one not retired (ent.NotFoundError if none).
func Current(ctx context.Context, client *ent.Client) (*ent.SigningKey, error) {
	return client.SigningKey.Query().
		Where(signingkey.Algorithm(string(Algorithm)), signingkey.RetiredAtIsNil()).
		Order(signingkey.ByCreatedAt(sql.OrderDesc()), signingkey.ByID(sql.OrderDesc())).
		First(ctx)
}

// Published returns the keys jwks_uri lists, oldest first.
func Published(ctx context.Context, client *ent.Client) ([]*ent.SigningKey, error) {
	return client.SigningKey.Query().Where(signingkey.RetiredAtIsNil()).
		Order(signingkey.ByCreatedAt(), signingkey.ByID()).All(ctx)
}

// Public is the public half of k as a JSON Web Key.
func Public(k *ent.SigningKey) (jose.JSONWebKey, error) {
	priv, err := x509.ParsePKCS8PrivateKey(k.PrivateKey)
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	return jose.JSONWebKey{Key: priv.(*rsa.PrivateKey).Public(), KeyID: k.Kid, Algorithm: k.Algorithm, Use: "sig"}, nil
}
