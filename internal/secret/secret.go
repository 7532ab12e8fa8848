// Package secret makes and checks the server-generated credentials: client secrets, API keys,
// access tokens, authorization codes and session cookies. Each has 256 random bits and is stored
// only as its SHA-256 digest; a fast digest suffices because the values are not guessable.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// Prefixes make a leaked credential recognisable (and let secret scanners find it).
const (
	ClientSecretPrefix = "sks_"
	APIKeyPrefix       = "skk_"
	AccessTokenPrefix  = "ska_"
	CodePrefix         = "skc_"
	SessionPrefix      = "skx_"
)

// New returns a fresh credential with the given prefix and its digest.
func New(prefix string) (value string, digest []byte) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	value = prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return value, Digest(value)
}

// Digest is what is stored for a credential.
func Digest(value string) []byte {
	d := sha256.Sum256([]byte(value))
	return d[:]
}

// Matches reports in constant time whether value hashes to digest.
func Matches(value string, digest []byte) bool {
	d := sha256.Sum256([]byte(value))
	return subtle.ConstantTimeCompare(d[:], digest) == 1
}

// RandomID returns an unguessable URL-safe identifier of n random bytes.
func RandomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
