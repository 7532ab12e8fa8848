// Package secret makes and checks the server-generated credentials: client secrets, API keys,
// access tokens, authorization codes and session cookies. Each has 256 random bits and is stored
// only as its SHA-256 digest; a fast digest suffices because the values are not guessable.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"time"
)

// Prefixes make a leaked credential recognisable (and let secret scanners find it).
const (
	ClientSecretPrefix = "sks_"
	APIKeyPrefix       = "skk_"
	AccessTokenPrefix  = "ska_"
	CodePrefix         = "skc_"
	SessionPrefix      = "skx_"
	RefreshTokenPrefix = "skr_"
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

// Access tokens are issued thousands of times a second, so they are split credentials: the value
// carries a lookup key as well as 256 random bits. The key starts with the issue time, so new rows
// land at the end of its index instead of on a random page of an index of digests (which costs a
// database page write per token); the row is then found by its key and its digest compared in
// constant time.
const (
	lookupKeyLen = 16 // 48 bits of milliseconds, then 80 random bits
	splitLen     = lookupKeyLen + 32
)

// NewSplit returns a fresh split credential with the given prefix, its lookup key and its digest.
func NewSplit(prefix string, now time.Time) (value string, key, digest []byte) {
	var b [splitLen]byte
	fillKey(b[:], now)
	value = prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return value, b[:lookupKeyLen:lookupKeyLen], Digest(value)
}

// fillKey writes the milliseconds of now, then random bytes, to b.
func fillKey(b []byte, now time.Time) {
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(now.UnixMilli()))
	copy(b[:6], ms[2:])
	if _, err := rand.Read(b[6:]); err != nil {
		panic(err)
	}
}

// NewKey returns a fresh lookup key, as a split credential carries, and its base64url form: the
// jti of a JWT access token.
func NewKey(now time.Time) (key []byte, text string) {
	key = make([]byte, lookupKeyLen)
	fillKey(key, now)
	return key, base64.RawURLEncoding.EncodeToString(key)
}

// ParseKey reads NewKey's text back; nil when s is not one.
func ParseKey(s string) []byte {
	if len(s) != base64.RawURLEncoding.EncodedLen(lookupKeyLen) {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil
	}
	return b
}

// LookupKey returns the lookup key of split credential value, or nil when value is not one.
func LookupKey(prefix, value string) []byte {
	rest, ok := strings.CutPrefix(value, prefix)
	if !ok || len(rest) != base64.RawURLEncoding.EncodedLen(splitLen) {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return nil
	}
	return b[:lookupKeyLen:lookupKeyLen]
}

// Refresh tokens are rotated thousands of times a second, each rotation updating the row of its
// family in place: the value carries the row's lookup key (as a split credential does), the
// generation (how many times the family was rotated when it was issued) and 256 random bits.
const refreshLen = lookupKeyLen + 4 + 32

// RefreshValue returns a fresh value of generation gen of the refresh-token family with lookup key
// key (from NewKey), and its digest.
func RefreshValue(key []byte, gen uint32) (value string, digest []byte) {
	var b [refreshLen]byte
	copy(b[:lookupKeyLen], key)
	binary.BigEndian.PutUint32(b[lookupKeyLen:], gen)
	if _, err := rand.Read(b[lookupKeyLen+4:]); err != nil {
		panic(err)
	}
	value = RefreshTokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return value, Digest(value)
}

// ParseRefresh returns the lookup key and generation of refresh token value; a value issued before
// generations were counted (a split credential, NewSplit) is generation 0. ok is false when value
// is neither.
func ParseRefresh(value string) (key []byte, gen uint32, ok bool) {
	rest, found := strings.CutPrefix(value, RefreshTokenPrefix)
	if !found {
		return nil, 0, false
	}
	if len(rest) != base64.RawURLEncoding.EncodedLen(splitLen) && len(rest) != base64.RawURLEncoding.EncodedLen(refreshLen) {
		return nil, 0, false
	}
	// The decoder skips line breaks: the length decoded, not the length sent, tells the form.
	b, err := base64.RawURLEncoding.DecodeString(rest)
	switch {
	case err != nil:
		return nil, 0, false
	case len(b) == splitLen:
		return b[:lookupKeyLen:lookupKeyLen], 0, true
	case len(b) == refreshLen:
		return b[:lookupKeyLen:lookupKeyLen], binary.BigEndian.Uint32(b[lookupKeyLen:]), true
	}
	return nil, 0, false
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
