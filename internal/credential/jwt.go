package credential

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"scopekeeper/internal/secret"
)

// Bounds on a JWT access token presented: ours are well under a kilobyte unless they carry many
// audiences.
const (
	maxJWT     = 8 << 10
	maxPayload = 6 << 10
)

// TokenKey returns the lookup key of an access token: of an opaque one (secret.LookupKey), or the
// jti of a JWT one (RFC 9068), which holds such a key in base64url; nil when value is neither.
//
// A JWT's signature is not verified here: its row stores the SHA-256 digest of the whole JWT as
// issued, and Resolve compares it in constant time, so only the exact token this server signed
// and recorded is ever found (even a leaked signing key cannot make one that is).
func TokenKey(value string) []byte {
	if strings.HasPrefix(value, secret.AccessTokenPrefix) {
		return secret.LookupKey(secret.AccessTokenPrefix, value)
	}
	if len(value) > maxJWT || !strings.HasPrefix(value, "eyJ") {
		return nil
	}
	_, rest, ok := strings.Cut(value, ".")
	if !ok {
		return nil
	}
	payload, sig, ok := strings.Cut(rest, ".")
	if !ok || sig == "" || strings.Contains(sig, ".") || len(payload) > base64.RawURLEncoding.EncodedLen(maxPayload) {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil
	}
	var claims struct {
		JTI string `json:"jti"`
	}
	if json.Unmarshal(raw, &claims) != nil {
		return nil
	}
	return secret.ParseKey(claims.JTI)
}
