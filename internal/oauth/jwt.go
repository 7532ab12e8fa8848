package oauth

import (
	"slices"
	"strconv"
	"time"

	"scopekeeper/ent"
	"scopekeeper/ent/api"
)

// JWT access tokens (RFC 9068). A token is a JWT when every API of the scopes it grants has
// accessTokenFormat JWT; a token touching an OPAQUE API stays opaque (a client that wants a JWT
// for the JWT APIs asks for them alone with resource=…), and so does a token of identity scopes
// only. It lives as long as the shortest jwtLifetime of its APIs. It is recorded like an opaque
// token, with its jti as the row's lookup key, so revocation, introspection, the check and rules
// 7 and 8 apply to it alike.

// shape is how an access token is issued beyond its row.
type shape struct {
	aud      []string
	jwt      bool
	ttl      time.Duration // a JWT's lifetime
	scope    string        // the JWT's scope claim
	authTime time.Time     // when the user signed in; zero for client tokens
}

// shapeFor decides the shape of a token granting scopes to ci, with the response's scope string.
func (p *Provider) shapeFor(ci *clientInfo, scopes []*ent.Scope, scope string, authTime time.Time) shape {
	sh := shape{aud: p.audience(ci, scopes), scope: scope, authTime: authTime}
	var ttl time.Duration
	for _, s := range scopes {
		a, ok := ci.apis[s.APIID]
		if !ok || a.AccessTokenFormat != api.AccessTokenFormatJWT {
			return sh
		}
		if d := time.Duration(a.JwtLifetime) * time.Second; ttl == 0 || d < ttl {
			ttl = d
		}
	}
	sh.jwt, sh.ttl = len(scopes) > 0, ttl
	return sh
}

// accessClaims are RFC 9068 §2.2's claims.
type accessClaims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Audience any    `json:"aud"` // a string for one audience, else an array
	Expiry   int64  `json:"exp"`
	IssuedAt int64  `json:"iat"`
	ID       string `json:"jti"`
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"`
	AuthTime int64  `json:"auth_time,omitempty"`
}

// signAccess signs a JWT access token with k, the organisation's current access-token key.
func (p *Provider) signAccess(k *signingKey, org *orgInfo, ci *clientInfo, userID *int, jti string, sh shape, iat, exp time.Time) (string, error) {
	c := accessClaims{Issuer: org.Issuer, Subject: ci.c.ClientID, Expiry: exp.Unix(), IssuedAt: iat.Unix(), ID: jti,
		ClientID: ci.c.ClientID, Scope: sh.scope}
	if len(sh.aud) == 1 {
		c.Audience = sh.aud[0]
	} else {
		c.Audience = slices.Clone(sh.aud)
	}
	if userID != nil {
		c.Subject = strconv.Itoa(*userID)
		c.AuthTime = sh.authTime.Unix()
	}
	return k.sign(c)
}

// anyJWT says whether a token of ci may be a JWT: some API of its scopes issues them.
func (ci *clientInfo) anyJWT() bool {
	for _, a := range ci.apis {
		if a.AccessTokenFormat == api.AccessTokenFormatJWT {
			return true
		}
	}
	return false
}
