package checkmw

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// keyIssuer serves discovery, a key set and metadata, counting key-set fetches. (The end-to-end
// test against the real server is TestProtectedResourceMetadataAndCheckmw in the repository root.)
type keyIssuer struct {
	url       string
	published atomic.Value // []jose.JSONWebKey
	fetches   atomic.Int64
}

func (k *keyIssuer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/o/acme/.well-known/oauth-authorization-server":
		_ = json.NewEncoder(w).Encode(map[string]string{"jwks_uri": k.url + "/o/acme/oauth/jwks"})
	case "/o/acme/oauth/jwks":
		k.fetches.Add(1)
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: k.published.Load().([]jose.JSONWebKey)})
	case "/o/acme/resources/billing":
		_ = json.NewEncoder(w).Encode(ResourceMetadata{Resource: "https://billing.example/api", AuthorizationServers: []string{k.url + "/o/acme"}})
	default:
		http.NotFound(w, r)
	}
}

func newKey(t *testing.T, kid string) (jose.JSONWebKey, jose.Signer) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return jose.JSONWebKey{Key: priv.Public(), KeyID: kid, Algorithm: "ES256", Use: "sig"}, signer(t, priv, kid, "at+jwt")
}

func signer(t *testing.T, priv *ecdsa.PrivateKey, kid, typ string) jose.Signer {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: priv, KeyID: kid}}, (&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sign(t *testing.T, s jose.Signer, claims map[string]any) string {
	b, _ := json.Marshal(claims)
	jws, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

// Offline validation: a known key verifies; an unknown kid fetches the key set again at once, but
// not more often than keysMinInterval, so tokens with made-up kids cannot make it hammer the issuer.
func TestOfflineJWTKeyRefresh(t *testing.T) {
	iss := &keyIssuer{}
	srv := httptest.NewServer(iss)
	defer srv.Close()
	iss.url = srv.URL
	pub1, s1 := newKey(t, "k1")
	pub2, s2 := newKey(t, "k2")
	iss.published.Store([]jose.JSONWebKey{pub1})
	now := time.Unix(1_900_000_000, 0)
	c := New(Config{Issuer: srv.URL + "/o/acme", API: "billing", OfflineJWT: true, Now: func() time.Time { return now }})
	claims := func(aud string) map[string]any {
		return map[string]any{"iss": srv.URL + "/o/acme", "aud": aud, "exp": now.Add(time.Minute).Unix(), "scope": "billing.read", "sub": "7", "client_id": "c"}
	}
	res, err := c.verifyJWT(t.Context(), sign(t, s1, claims("https://billing.example/api")))
	if err != nil || !res.Allowed || res.Scope != "billing.read" || res.Subject != "7" {
		t.Fatalf("known key: %+v %v", res, err)
	}
	if _, err := c.verifyJWT(t.Context(), sign(t, s1, claims("https://other.example/"))); err != errInvalidToken {
		t.Fatalf("another audience: %v", err)
	}
	if iss.fetches.Load() != 1 {
		t.Fatalf("fetches = %d, want 1", iss.fetches.Load())
	}
	// A rotation: k2 is published, but the middleware fetched a moment ago.
	iss.published.Store([]jose.JSONWebKey{pub1, pub2})
	tok2 := sign(t, s2, claims("https://billing.example/api"))
	if _, err := c.verifyJWT(t.Context(), tok2); err != errInvalidToken || iss.fetches.Load() != 1 {
		t.Fatalf("unknown kid within the interval: %v, %d fetches", err, iss.fetches.Load())
	}
	now = now.Add(keysMinInterval + time.Second)
	if res, err := c.verifyJWT(t.Context(), tok2); err != nil || !res.Allowed || iss.fetches.Load() != 2 {
		t.Fatalf("unknown kid after the interval: %+v %v, %d fetches", res, err, iss.fetches.Load())
	}
	for range 20 {
		if _, err := c.verifyJWT(t.Context(), tok2); err != nil {
			t.Fatal(err)
		}
	}
	if iss.fetches.Load() != 2 {
		t.Fatalf("known keys were fetched again: %d", iss.fetches.Load())
	}
	// typ must be at+jwt: a JWT of another type signed by a published key is refused.
	priv3, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	iss.published.Store([]jose.JSONWebKey{pub1, pub2, {Key: priv3.Public(), KeyID: "k3", Algorithm: "ES256", Use: "sig"}})
	now = now.Add(keysMinInterval + time.Second)
	if _, err := c.verifyJWT(t.Context(), sign(t, signer(t, priv3, "k3", "JWT"), claims("https://billing.example/api"))); err != errInvalidToken {
		t.Fatalf("typ JWT: %v", err)
	}
	if res, err := c.verifyJWT(t.Context(), sign(t, signer(t, priv3, "k3", "at+jwt"), claims("https://billing.example/api"))); err != nil || !res.Allowed {
		t.Fatalf("the same key with typ at+jwt: %+v %v", res, err)
	}
	expired := claims("https://billing.example/api")
	expired["exp"] = now.Add(-time.Second).Unix()
	if _, err := c.verifyJWT(t.Context(), sign(t, s1, expired)); err != errInvalidToken {
		t.Fatalf("expired: %v", err)
	}
}
