package oauth

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"scopekeeper/ent"
	"scopekeeper/internal/keys"
	"scopekeeper/internal/oidcscope"
)

// Algorithm signs ID tokens.
const Algorithm = keys.Algorithm

// signingKey is an organisation's current ID-token key.
type signingKey struct {
	kid    string
	signer jose.Signer
}

// sign is the compact JWS of claims, encoded as JSON, signed with k.
func (k *signingKey) sign(claims any) (string, error) {
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

// signingKey returns the organisation's current key, creating one on first use. A rotation is a
// configuration change, so the cached signer is dropped when it commits (here) or within cacheTTL
// (in another server process).
func (p *Provider) signingKey(ctx context.Context, orgID int) (*signingKey, error) {
	if k, ok := get[*signingKey](p.cache, &p.keys, orgID); ok {
		return k, nil
	}
	mu, _ := p.keyInit.LoadOrStore(orgID, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	if k, ok := get[*signingKey](p.cache, &p.keys, orgID); ok {
		return k, nil
	}
	ctx = sys(ctx, orgID)
	gen := p.cache.generation()
	row, err := keys.Current(ctx, p.client)
	if ent.IsNotFound(err) {
		// Another server process may create one at the same time: the newer then signs, and
		// both are published.
		row, err = p.keeper.New(ctx, p.client)
	}
	if err != nil {
		return nil, err
	}
	priv, err := p.keeper.Private(row)
	if err != nil {
		return nil, err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: Algorithm, Key: jose.JSONWebKey{Key: priv, KeyID: row.Kid, Algorithm: string(Algorithm)}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, err
	}
	k := &signingKey{kid: row.Kid, signer: signer}
	put(p.cache, &p.keys, orgID, k, gen)
	return k, nil
}

// accessKey returns the organisation's current key for JWT access tokens (keys.AccessAlgorithm,
// typ at+jwt), creating one on first use and whenever the ID-token key was rotated after it, so
// rotating the organisation's key (rotateSigningKey) rotates both.
func (p *Provider) accessKey(ctx context.Context, orgID int) (*signingKey, error) {
	if k, ok := get[*signingKey](p.cache, &p.accessKeys, orgID); ok {
		return k, nil
	}
	mu, _ := p.keyInit.LoadOrStore(orgID, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	if k, ok := get[*signingKey](p.cache, &p.accessKeys, orgID); ok {
		return k, nil
	}
	ctx = sys(ctx, orgID)
	gen := p.cache.generation()
	row, err := keys.CurrentAccess(ctx, p.client)
	if err != nil && !ent.IsNotFound(err) {
		return nil, err
	}
	idKey, ierr := keys.Current(ctx, p.client)
	if ierr != nil && !ent.IsNotFound(ierr) {
		return nil, ierr
	}
	if row == nil || idKey != nil && row.CreatedAt.Before(idKey.CreatedAt) {
		if row, err = p.keeper.NewAccess(ctx, p.client); err != nil {
			return nil, err
		}
		gen = p.cache.generation() // making the key was a configuration change
	}
	priv, err := p.keeper.Private(row)
	if err != nil {
		return nil, err
	}
	alg := jose.SignatureAlgorithm(row.Algorithm)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: priv, KeyID: row.Kid, Algorithm: row.Algorithm}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		return nil, err
	}
	k := &signingKey{kid: row.Kid, signer: signer}
	put(p.cache, &p.accessKeys, orgID, k, gen)
	return k, nil
}

// idToken signs an OpenID Connect ID token for user, issued to ci alongside accessToken, with the
// claims of the identity scopes granted (OpenID Connect Core §5.4).
func (p *Provider) idToken(ctx context.Context, org *orgInfo, ci *clientInfo, userID int, identity []int, nonce string, authTime time.Time, accessToken string) (string, error) {
	k, err := p.signingKey(ctx, org.ID)
	if err != nil {
		return "", err
	}
	claims := oidc.NewIDTokenClaims(org.Issuer, strconv.Itoa(userID), nil, p.now().Add(IDTokenTTL), authTime, nonce, "", []string{"pwd"}, ci.c.ClientID, 0)
	if claims.AccessTokenHash, err = oidc.ClaimHash(accessToken, Algorithm); err != nil {
		return "", err
	}
	if oidcscope.Has(identity, oidcscope.Profile) || oidcscope.Has(identity, oidcscope.Email) {
		u, err := p.client.User.Get(sys(ctx, org.ID), userID)
		if err != nil {
			return "", err
		}
		claims.Claims = userClaims(u, identity)
	}
	return k.sign(claims)
}

// userClaims are the standard claims of OpenID Connect Core §5.4 that identity grants about u.
func userClaims(u *ent.User, identity []int) map[string]any {
	out := map[string]any{}
	if oidcscope.Has(identity, oidcscope.Profile) {
		name := u.DisplayName
		if name == "" {
			name = u.Email
		}
		username := u.PreferredUsername
		if username == "" {
			username = u.Email
		}
		out["name"], out["preferred_username"], out["updated_at"] = name, username, u.UpdatedAt.Unix()
	}
	if oidcscope.Has(identity, oidcscope.Email) {
		out["email"], out["email_verified"] = u.Email, u.EmailVerified
	}
	return out
}

// handleJWKS is GET ISSUER/oauth/jwks: the public halves of the organisation's signing keys.
func (p *Provider) handleJWKS(w http.ResponseWriter, r *http.Request, org *orgInfo) {
	ctx := sys(r.Context(), org.ID)
	if _, err := p.signingKey(ctx, org.ID); err != nil {
		writeError(w, org.Issuer, serverError(ctx, "signing key", err))
		return
	}
	rows, err := keys.Published(ctx, p.client)
	if err != nil {
		writeError(w, org.Issuer, serverError(ctx, "list signing keys", err))
		return
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, row := range rows {
		jwk, err := p.keeper.Public(row)
		if err != nil {
			writeError(w, org.Issuer, serverError(ctx, "signing key "+row.Kid, err))
			return
		}
		set.Keys = append(set.Keys, jwk)
	}
	publicCORS(w)
	serveCacheable(w, r, set, fiveMinutes)
}
