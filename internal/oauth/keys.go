package oauth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"scopekeeper/ent"
	"scopekeeper/ent/signingkey"
	"scopekeeper/internal/secret"
)

// Algorithm signs ID tokens.
const Algorithm = jose.RS256

// signingKey is an organisation's current ID-token key.
type signingKey struct {
	kid    string
	signer jose.Signer
}

// signingKey returns the organisation's oldest key, creating one on first use.
func (p *Provider) signingKey(ctx context.Context, orgID int) (*signingKey, error) {
	if k, ok := p.keys.Load(orgID); ok {
		return k.(*signingKey), nil
	}
	mu, _ := p.keyInit.LoadOrStore(orgID, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	if k, ok := p.keys.Load(orgID); ok {
		return k.(*signingKey), nil
	}
	ctx = sys(ctx, orgID)
	row, err := p.oldestKey(ctx)
	if ent.IsNotFound(err) {
		if err := p.createKey(ctx); err != nil {
			return nil, err
		}
		// Another server process may have created one at the same time: all use the oldest.
		row, err = p.oldestKey(ctx)
	}
	if err != nil {
		return nil, err
	}
	priv, err := x509.ParsePKCS8PrivateKey(row.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", row.Kid, err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: Algorithm, Key: jose.JSONWebKey{Key: priv, KeyID: row.Kid, Algorithm: string(Algorithm)}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, err
	}
	k := &signingKey{kid: row.Kid, signer: signer}
	p.keys.Store(orgID, k)
	return k, nil
}

func (p *Provider) oldestKey(ctx context.Context) (*ent.SigningKey, error) {
	return p.client.SigningKey.Query().Where(signingkey.Algorithm(string(Algorithm))).
		Order(signingkey.ByCreatedAt(), signingkey.ByID()).First(ctx)
}

func (p *Provider) createKey(ctx context.Context) error {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	return p.client.SigningKey.Create().SetKid(secret.RandomID(12)).SetAlgorithm(string(Algorithm)).
		SetPrivateKey(der).Exec(ctx)
}

// idToken signs an OpenID Connect ID token for user, issued to ci alongside accessToken.
func (p *Provider) idToken(ctx context.Context, org *orgInfo, ci *clientInfo, userID int, nonce string, authTime time.Time, accessToken string) (string, error) {
	k, err := p.signingKey(ctx, org.ID)
	if err != nil {
		return "", err
	}
	claims := oidc.NewIDTokenClaims(org.Issuer, strconv.Itoa(userID), nil, p.now().Add(IDTokenTTL), authTime, nonce, "", nil, ci.c.ClientID, 0)
	if claims.AccessTokenHash, err = oidc.ClaimHash(accessToken, Algorithm); err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	sig, err := k.signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return sig.CompactSerialize()
}

// handleJWKS is GET ISSUER/oauth/jwks: the public halves of the organisation's signing keys.
func (p *Provider) handleJWKS(w http.ResponseWriter, r *http.Request, org *orgInfo) {
	ctx := sys(r.Context(), org.ID)
	if _, err := p.signingKey(ctx, org.ID); err != nil {
		writeError(w, org.Issuer, serverError(ctx, "signing key", err))
		return
	}
	rows, err := p.client.SigningKey.Query().Order(signingkey.ByCreatedAt(), signingkey.ByID()).All(ctx)
	if err != nil {
		writeError(w, org.Issuer, serverError(ctx, "list signing keys", err))
		return
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, row := range rows {
		priv, err := x509.ParsePKCS8PrivateKey(row.PrivateKey)
		if err != nil {
			continue
		}
		pub := priv.(*rsa.PrivateKey).Public()
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: pub, KeyID: row.Kid, Algorithm: row.Algorithm, Use: "sig"})
	}
	publicCORS(w)
	serveCacheable(w, r, set, "public, max-age=300")
}
