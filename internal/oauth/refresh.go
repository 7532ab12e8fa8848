package oauth

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"scopekeeper/ent"
	"scopekeeper/ent/oauthclient"
	"scopekeeper/ent/refreshtoken"
	"scopekeeper/ent/scope"
	"scopekeeper/internal/credential"
	"scopekeeper/internal/deprecation"
	"scopekeeper/internal/oidcscope"
	"scopekeeper/internal/secret"
)

// refreshRequest is a parsed grant_type=refresh_token request (RFC 6749 §6).
type refreshRequest struct {
	value string
	key   []byte // the lookup key of the split credential
	scope scopeRequest
}

// parseRefreshRequest reads refresh_token and scope; a value that is no refresh token of ours is
// invalid_grant, a malformed scope invalid_scope.
func parseRefreshRequest(f *formRequest) (refreshRequest, *oidc.Error) {
	value := f.get("refresh_token")
	if value == "" {
		return refreshRequest{}, oidc.ErrInvalidRequest().WithDescription("refresh_token is required.")
	}
	key := secret.LookupKey(secret.RefreshTokenPrefix, value)
	if key == nil {
		return refreshRequest{}, errBadRefresh()
	}
	sreq, oe := parseScopeParam(f.get("scope"))
	if oe != nil {
		return refreshRequest{}, oe
	}
	return refreshRequest{value: value, key: key, scope: sreq}, nil
}

func errBadRefresh() *oidc.Error {
	return oidc.ErrInvalidGrant().WithDescription("The refresh token is invalid, expired, revoked, already used, or was issued to another client.")
}

// liveRefresh finds the refresh token value of organisation org and says whether it may be used
// now: not revoked, used, expired, and (for an online token) its sign-in session still on.
func (p *Provider) liveRefresh(ctx context.Context, key []byte, value string) (*ent.RefreshToken, bool, error) {
	rt, err := p.client.RefreshToken.Query().Where(refreshtoken.LookupKey(key)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if !secret.Matches(value, rt.TokenHash) {
		return nil, false, nil
	}
	now := p.now()
	if rt.RevokedAt != nil || rt.UsedAt != nil || !rt.ExpiresAt.After(now) {
		return rt, false, nil
	}
	if rt.SessionID != nil {
		sess, err := p.client.Session.Get(ctx, *rt.SessionID)
		if ent.IsNotFound(err) {
			return rt, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		if !sess.ExpiresAt.After(now) {
			return rt, false, nil
		}
	}
	return rt, true, nil
}

// refreshGrant is RFC 6749 §6 with rotation and reuse detection (RFC 9700 §4.14.2) and OpenID
// Connect Core §12: a new access token (and ID token with openid) for the scopes of the refresh
// token, or fewer, never a scope the client no longer holds (rule 8); a new refresh token in
// place of the one presented.
func (p *Provider) refreshGrant(r *http.Request, org *orgInfo, ci *clientInfo, f *formRequest) (*tokenResponse, *oidc.Error) {
	ctx := sys(r.Context(), org.ID)
	req, oe := parseRefreshRequest(f)
	if oe != nil {
		return nil, oe
	}
	if !ci.c.RefreshTokens {
		return nil, oidc.ErrInvalidGrant().WithDescription("Refresh tokens are turned off for this client.")
	}
	rt, live, err := p.liveRefresh(ctx, req.key, req.value)
	if err != nil {
		return nil, serverError(ctx, "look up refresh token", err)
	}
	if rt == nil || rt.ClientID != ci.c.ID {
		return nil, errBadRefresh()
	}
	if rt.UsedAt != nil && rt.RevokedAt == nil {
		// Rotated out and presented again: one of the two users of this token is an attacker.
		if err := p.revokeFamily(ctx, rt.AuthRequestID); err != nil {
			return nil, serverError(ctx, "revoke a reused refresh token's family", err)
		}
		return nil, errBadRefresh()
	}
	if !live {
		return nil, errBadRefresh()
	}
	// Rule 8: of the refresh token's scopes, only those the client still holds (the client's
	// cached scopes, so a refresh reads the database once); one taken from the client since this
	// refresh token was issued stays withdrawn from it and its successors, even if given back.
	rows, identity := oidcscope.Split(rt.ScopeIds)
	rows = credential.Held(ci.c, rows, rt.IssuedAt)
	kept := append(slices.Clone(rows), identity...) // what the next refresh token holds (RFC 6749 §6)
	held := ci.held(rows)
	// RFC 6749 §6: scope may narrow what the refresh token holds, never widen it.
	if req.scope.given {
		var asked []int
		for _, m := range req.scope.identity {
			if !oidcscope.Has(identity, m) {
				return nil, oidc.ErrInvalidScope().WithDescription("The refresh token was not granted %q; a refresh may only narrow the scope.", oidcscope.Names([]int{m})[0])
			}
			asked = append(asked, m)
		}
		identity = asked
		var base []*ent.Scope
		for _, n := range req.scope.names {
			i := slices.IndexFunc(held, func(s *ent.Scope) bool { return strings.EqualFold(s.Name, n) })
			if i < 0 {
				return nil, oidc.ErrInvalidScope().WithDescription("The scope %q is not one this refresh token holds for the client; a refresh may only narrow the scope.", n)
			}
			base = append(base, held[i])
		}
		// Required scopes stay with the other scopes of their API that remain.
		apis := map[int]bool{}
		for _, s := range base {
			apis[s.APIID] = apis[s.APIID] || !s.Required
		}
		for _, s := range held {
			if s.Required && apis[s.APIID] && !slices.Contains(base, s) {
				base = append(base, s)
			}
		}
		held = withRequired(base, nil)
	}
	granted, _ := credential.Narrow(held, scopeIDs(ci.assigned))
	if len(granted) == 0 && len(identity) == 0 {
		return nil, oidc.ErrInvalidScope().WithDescription("The client no longer holds any scope of this grant.")
	}
	// The new refresh token keeps the scope of the one it replaces (RFC 6749 §6).
	next := &refreshRow{family: rt.AuthRequestID, session: rt.SessionID, scopeIDs: kept, authTime: rt.AuthTime}
	user := rt.UserID
	tok, err := p.issue(ctx, org, ci, &user, &rt.AuthRequestID, append(scopeIDs(granted), identity...), next, rt.ID)
	if errors.Is(err, errRotated) {
		// Another request rotated it first: the same token was presented twice.
		if err := p.revokeFamily(ctx, rt.AuthRequestID); err != nil {
			return nil, serverError(ctx, "revoke a reused refresh token's family", err)
		}
		return nil, errBadRefresh()
	}
	if err != nil {
		return nil, serverError(ctx, "issue token", err)
	}
	resp := &tokenResponse{AccessToken: tok.value, TokenType: "Bearer", ExpiresIn: int64(AccessTokenTTL / time.Second),
		Scope: joinScopes(identity, granted), RefreshToken: tok.refresh}
	if oidcscope.Has(identity, oidcscope.OpenID) {
		idt, err := p.idToken(ctx, org, ci, user, identity, "", rt.AuthTime, tok.value)
		if err != nil {
			return nil, serverError(ctx, "sign ID token", err)
		}
		resp.IDToken = idt
	}
	return resp, nil
}

// introspectRefresh is RFC 7662's answer for a refresh token of the organisation.
func (p *Provider) introspectRefresh(ctx context.Context, org *orgInfo, value string) (map[string]any, error) {
	inactive := map[string]any{"active": false}
	key := secret.LookupKey(secret.RefreshTokenPrefix, value)
	if key == nil {
		return inactive, nil
	}
	ctx = sys(ctx, org.ID)
	rt, live, err := p.liveRefresh(ctx, key, value)
	if err != nil || !live {
		return inactive, err
	}
	c, err := p.client.OAuthClient.Query().Where(oauthclient.ID(rt.ClientID)).WithScopes().Only(ctx)
	if err != nil || !c.Enabled {
		return inactive, err
	}
	rows, identity := oidcscope.Split(rt.ScopeIds)
	var held []*ent.Scope
	if len(rows) > 0 {
		if held, err = p.client.Scope.Query().Where(scope.IDIn(rows...)).Order(scope.ByName()).All(ctx); err != nil {
			return nil, err
		}
	}
	granted, _ := credential.Narrow(deprecation.Live(held, p.now()), credential.Held(c, scopeIDs(c.Edges.Scopes), rt.IssuedAt))
	return map[string]any{"active": true, "scope": joinScopes(identity, granted), "client_id": c.ClientID, "token_type": "refresh_token",
		"exp": rt.ExpiresAt.Unix(), "iat": rt.IssuedAt.Unix(), "sub": strconv.Itoa(rt.UserID), "iss": org.Issuer}, nil
}

// revokeRefresh revokes the family of refresh token value when it was issued to client clientID.
// It reports whether the token exists but belongs to another client.
func (p *Provider) revokeRefresh(ctx context.Context, org *orgInfo, clientID int, value string) (other bool, err error) {
	key := secret.LookupKey(secret.RefreshTokenPrefix, value)
	if key == nil {
		return false, nil
	}
	ctx = sys(ctx, org.ID)
	rt, err := p.client.RefreshToken.Query().Where(refreshtoken.LookupKey(key)).Only(ctx)
	if ent.IsNotFound(err) {
		return false, nil
	}
	if err != nil || !secret.Matches(value, rt.TokenHash) {
		return false, err
	}
	if rt.ClientID != clientID {
		return true, nil
	}
	return false, p.revokeFamily(ctx, rt.AuthRequestID)
}
