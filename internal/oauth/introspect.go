package oauth

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"scopekeeper/ent/token"
	"scopekeeper/internal/credential"
	"scopekeeper/internal/deprecation"
	"scopekeeper/internal/metrics"
	"scopekeeper/internal/secret"
)

// handleIntrospect is POST ISSUER/oauth/introspect (RFC 7662). The caller authenticates as a
// confidential client of the organisation; a token of another organisation, or anything that is not
// a live access token, is {"active":false}. What an active token grants is decided by
// credential.Resolve (contract rules 8 and 10).
func (p *Provider) handleIntrospect(w http.ResponseWriter, r *http.Request, org *orgInfo) {
	f, oe := readForm(w, r)
	if oe != nil {
		writeError(w, org.Issuer, oe)
		return
	}
	ci, oe := p.authenticate(r.Context(), org, f.creds)
	if oe != nil {
		writeError(w, org.Issuer, oe)
		return
	}
	if ci.public() {
		writeError(w, org.Issuer, oidc.ErrInvalidClient().WithDescription("Only confidential clients may introspect tokens."))
		return
	}
	value := f.get("token")
	if value == "" {
		writeError(w, org.Issuer, oidc.ErrInvalidRequest().WithDescription("token is required."))
		return
	}
	if strings.HasPrefix(value, secret.RefreshTokenPrefix) {
		out, err := p.introspectRefresh(r.Context(), org, value)
		if err != nil {
			writeError(w, org.Issuer, serverError(r.Context(), "introspect refresh token", err))
			return
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	res, err := p.resolve(r.Context(), org, value)
	if err != nil {
		writeError(w, org.Issuer, serverError(r.Context(), "resolve token", err))
		return
	}
	if res.body == nil || !res.cred.ExpiresAt.After(p.now()) {
		writeJSON(w, http.StatusOK, map[string]bool{"active": false})
		return
	}
	writeRawJSON(w, http.StatusOK, res.body)
}

// introspection renders the RFC 7662 §2.2 answer for an active access token: active, scope,
// client_id, token_type, exp, iat, sub (the user, or the client for client_credentials), iss, and
// aud (the identifiers of its APIs, RFC 8707). A JWT access token is introspected like an opaque
// one: found by its jti and compared with its recorded digest (credential.TokenKey).
func introspection(org *orgInfo, cred *credential.Credential) ([]byte, error) {
	resp := &oidc.IntrospectionResponse{
		Active:     true,
		Scope:      strings.Fields(cred.GrantedScope()),
		ClientID:   cred.Client.ClientID,
		TokenType:  "Bearer",
		Expiration: oidc.FromTime(cred.ExpiresAt),
		IssuedAt:   oidc.FromTime(cred.IssuedAt),
		Issuer:     org.Issuer,
		Subject:    cred.Client.ClientID,
		Audience:   cred.Audience,
	}
	if cred.UserID != 0 {
		resp.Subject = strconv.Itoa(cred.UserID)
	}
	b, err := json.Marshal(resp)
	return append(b, '\n'), err
}

// resolve is credential.Resolve for access tokens, through the cache; concurrent misses for one
// token share one lookup. Only tokens that exist are cached, so unknown values cannot fill it.
func (p *Provider) resolve(ctx context.Context, org *orgInfo, value string) (*resolved, error) {
	if credential.TokenKey(value) == nil {
		return &resolved{cred: &credential.Credential{Reason: credential.ReasonUnknown}}, nil
	}
	digest := secret.Digest(value)
	// A cached answer is stale from the next sunset of a scope it grants, with no write to tell.
	if c, ok := p.cache.credential(digest); ok && c.cred.Client.OrganisationID == org.ID && deprecation.Valid(c.cred.Until, p.now()) {
		metrics.CacheHit("introspection")
		return c, nil
	}
	metrics.CacheMiss("introspection")
	v, err, _ := p.lookups.Do(strconv.Itoa(org.ID)+":"+string(digest), func() (any, error) {
		gen, revoked := p.cache.generation(), p.cache.revoked.Load()
		c, err := credential.Resolve(context.WithoutCancel(ctx), p.client, org.ID, value, p.now())
		if err != nil {
			return nil, err
		}
		res := &resolved{cred: c}
		if c.Active && c.Kind == credential.AccessToken {
			if res.body, err = introspection(org, c); err != nil {
				return nil, err
			}
		}
		if c.Client != nil {
			p.cache.putCredential(digest, res, gen, revoked)
		}
		return res, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*resolved), nil
}

// handleRevoke is POST ISSUER/oauth/revoke (RFC 7009). A client revokes its own tokens; a token
// that is unknown, already revoked or another client's is answered 200 as well, without effect.
func (p *Provider) handleRevoke(w http.ResponseWriter, r *http.Request, org *orgInfo) {
	p.browserCORS(w, r, org)
	f, oe := readForm(w, r)
	if oe != nil {
		writeError(w, org.Issuer, oe)
		return
	}
	ci, oe := p.authenticate(r.Context(), org, f.creds)
	if oe != nil {
		writeError(w, org.Issuer, oe)
		return
	}
	value := f.get("token")
	if value == "" {
		writeError(w, org.Issuer, oidc.ErrInvalidRequest().WithDescription("token is required."))
		return
	}
	// A refresh token takes its whole grant with it: every refresh and access token of the family.
	other, err := p.revokeRefresh(r.Context(), org, ci.c.ID, value)
	if err != nil {
		writeError(w, org.Issuer, serverError(r.Context(), "revoke refresh token", err))
		return
	}
	if other {
		writeError(w, org.Issuer, oidc.ErrUnauthorizedClient().WithDescription("The token was issued to another client; only that client may revoke it."))
		return
	}
	if key := credential.TokenKey(value); key != nil {
		digest := secret.Digest(value)
		ctx := sys(r.Context(), org.ID)
		n, err := p.client.Token.Update().
			Where(token.LookupKey(key), token.TokenHash(digest), token.ClientID(ci.c.ID), token.RevokedAtIsNil()).
			SetRevokedAt(p.now()).Save(ctx)
		if err != nil {
			writeError(w, org.Issuer, serverError(ctx, "revoke token", err))
			return
		}
		if n == 0 {
			// RFC 7009 §2.1: a token issued to another client is refused, not revoked. (The
			// caller holds the token, so saying so reveals nothing.)
			other, err := p.client.Token.Query().Where(token.LookupKey(key), token.TokenHash(digest), token.ClientIDNEQ(ci.c.ID)).Exist(ctx)
			if err != nil {
				writeError(w, org.Issuer, serverError(ctx, "revoke token", err))
				return
			}
			if other {
				writeError(w, org.Issuer, oidc.ErrUnauthorizedClient().WithDescription("The token was issued to another client; only that client may revoke it."))
				return
			}
		}
		p.cache.forgetCredential(digest)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusOK)
}
