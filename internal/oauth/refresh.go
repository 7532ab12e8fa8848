package oauth

import (
	"context"
	"errors"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

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
	key   []byte // the lookup key of the family's row
	gen   uint32 // the generation the value says it is
	scope scopeRequest
}

// parseRefreshRequest reads refresh_token and scope; a value that is no refresh token of ours is
// invalid_grant, a malformed scope invalid_scope.
func parseRefreshRequest(f *formRequest) (refreshRequest, *oidc.Error) {
	value := f.get("refresh_token")
	if value == "" {
		return refreshRequest{}, oidc.ErrInvalidRequest().WithDescription("refresh_token is required.")
	}
	key, gen, ok := secret.ParseRefresh(value)
	if !ok || gen == math.MaxUint32 { // the last generation the value format counts: rotates no further
		return refreshRequest{}, errBadRefresh()
	}
	sreq, oe := parseScopeParam(f.get("scope"))
	if oe != nil {
		return refreshRequest{}, oe
	}
	return refreshRequest{value: value, key: key, gen: gen, scope: sreq}, nil
}

func errBadRefresh() *oidc.Error {
	return oidc.ErrInvalidGrant().WithDescription("The refresh token is invalid, expired, revoked, already used, or was issued to another client.")
}

// liveRefresh finds the family of refresh token value (generation gen) of organisation org
// (through the token writer, see tokenRow.find) and says whether the value may be used now.
func (p *Provider) liveRefresh(ctx context.Context, org int, key []byte, gen uint32, value string) (*ent.RefreshToken, bool, error) {
	row := &tokenRow{org: org, find: key}
	if err := p.writer.write(ctx, row); err != nil {
		return nil, false, err
	}
	rt, live, _ := p.usable(row, value, gen)
	return rt, live, nil
}

// usable is the family that row found for refresh token value of generation gen (nil when none,
// or when value is not one of its generations), whether value may be used now (the current
// generation, not revoked, expired, nor for an online token its sign-in session ended), and
// whether it was rotated out. Only the current generation's digest is kept, so an older
// generation is taken at its word: forging one takes the family's lookup key, which only its
// values carry, and someone who holds a value of the family can present it anyway.
func (p *Provider) usable(row *tokenRow, value string, gen uint32) (rt *ent.RefreshToken, live, rotated bool) {
	rt = row.found
	switch {
	case rt == nil || int64(gen) > int64(rt.Generation):
		return nil, false, false
	case int64(gen) < int64(rt.Generation):
		return rt, false, true
	case !secret.Matches(value, rt.TokenHash):
		return nil, false, false
	case rt.UsedAt != nil: // a row of generation 0 rotated out
		return rt, false, true
	}
	now := p.now()
	if rt.RevokedAt != nil || !rt.ExpiresAt.After(now) || rt.SessionID != nil && !row.sessionEnds.After(now) {
		return rt, false, false
	}
	return rt, true, false
}

// refusal is a refresh grant refused while the writer decided it: nothing was written.
type refusal struct {
	oe     *oidc.Error
	family int // when not 0, a rotated-out token was presented again: revoke this family
}

func (r *refusal) Error() string { return "oauth: refresh refused: " + r.oe.Description }

// refreshGrant is RFC 6749 §6 with rotation and reuse detection (RFC 9700 §4.14.2) and OpenID
// Connect Core §12: a new access token (and ID token with openid) for the scopes of the refresh
// token, or fewer, never a scope the client no longer holds (rule 8); a new refresh token in
// place of the one presented. The lookup, the decision and the rotation are one trip through the
// token writer: it reads the refresh token in its transaction, runs decide, consumes the token
// (only if still unused and not revoked) and stores the new tokens, all before the answer.
func (p *Provider) refreshGrant(r *http.Request, org *orgInfo, ci *clientInfo, f *formRequest) (*tokenResponse, *oidc.Error) {
	ctx := sys(r.Context(), org.ID)
	req, oe := parseRefreshRequest(f)
	if oe != nil {
		return nil, oe
	}
	if !ci.c.RefreshTokens {
		return nil, oidc.ErrInvalidGrant().WithDescription("Refresh tokens are turned off for this client.")
	}
	// RFC 8707 §2.2: resource narrows the access token to some APIs of the grant; the refresh
	// token keeps the whole grant.
	targets, oe := p.targets(ci, f.resource)
	if oe != nil {
		return nil, oe
	}
	// decide runs in the writer's transaction and reads nothing more: the access-token key is
	// loaded first when the token may be a JWT.
	var k *signingKey
	if ci.anyJWT() {
		var err error
		if k, err = p.accessKey(ctx, org.ID); err != nil {
			return nil, serverError(ctx, "load the access-token key", err)
		}
	}
	var (
		rt       *ent.RefreshToken
		granted  []*ent.Scope
		identity []int
		scope    string
	)
	// The next generation of the family, minted here in parallel; stored only if the writer finds
	// the presented one current.
	row, tok, err := p.newRow(ctx, org, ci, nil, nil, nil, shape{}, &refreshRow{key: req.key, generation: req.gen + 1})
	if err != nil {
		return nil, serverError(ctx, "issue token", err)
	}
	row.find = req.key
	row.decide = func(row *tokenRow) error {
		var live, rotated bool
		rt, live, rotated = p.usable(row, req.value, req.gen)
		if rt == nil || rt.ClientID != ci.c.ID {
			return &refusal{oe: errBadRefresh()}
		}
		if rotated && rt.RevokedAt == nil {
			// Rotated out and presented again: one of the two users of this token is an attacker.
			return &refusal{oe: errBadRefresh(), family: rt.AuthRequestID}
		}
		if !live {
			return &refusal{oe: errBadRefresh()}
		}
		var kept []int
		var oe *oidc.Error
		if granted, identity, kept, oe = refreshScopes(ci, rt, req.scope); oe != nil {
			return &refusal{oe: oe}
		}
		if granted, oe = p.onlyTargets(granted, targets, ci, req.scope.names); oe != nil {
			return &refusal{oe: oe}
		}
		scope = joinScopes(identity, granted)
		if err := p.reshape(row, tok, k, org, ci, p.shapeFor(ci, granted, scope, rt.AuthTime)); err != nil {
			return err
		}
		// The next generation keeps the scope of the one it replaces (RFC 6749 §6), less what rule 8
		// withdrew.
		user, family := rt.UserID, rt.AuthRequestID
		row.userID, row.request, row.consume = &user, &family, rt.ID
		row.scopeIDs = append(scopeIDs(granted), identity...)
		row.refresh.scopeIDs = kept
		return nil
	}
	err = p.store(ctx, row)
	var refused *refusal
	switch {
	case errors.As(err, &refused) && refused.family == 0:
		return nil, refused.oe
	case errors.As(err, &refused) || errors.Is(err, errRotated):
		// Reuse: presented after its rotation, or rotated by another request meanwhile.
		family := rt.AuthRequestID
		if refused != nil {
			family = refused.family
		}
		if err := p.revokeFamily(ctx, family); err != nil {
			return nil, serverError(ctx, "revoke a reused refresh token's family", err)
		}
		return nil, errBadRefresh()
	case err != nil:
		return nil, serverError(ctx, "issue token", err)
	}
	resp := &tokenResponse{AccessToken: tok.value, TokenType: "Bearer", ExpiresIn: tok.expiresIn(), Scope: scope, RefreshToken: tok.refresh}
	if oidcscope.Has(identity, oidcscope.OpenID) {
		idt, err := p.idToken(ctx, org, ci, rt.UserID, identity, "", rt.AuthTime, tok.value)
		if err != nil {
			return nil, serverError(ctx, "sign ID token", err)
		}
		resp.IDToken = idt
	}
	return resp, nil
}

// refreshScopes is what a refresh with refresh token rt gives client ci: of the token's scopes,
// only those the client still holds (rule 8: one taken from the client since rt was issued stays
// withdrawn from it and its successors, even if given back), narrowed to the request's scope when
// it has one, never widened (RFC 6749 §6); kept is what the next refresh token holds.
func refreshScopes(ci *clientInfo, rt *ent.RefreshToken, sreq scopeRequest) (granted []*ent.Scope, identity, kept []int, oe *oidc.Error) {
	rows, identity := oidcscope.Split(rt.ScopeIds)
	rows = credential.Held(ci.c, rows, rt.IssuedAt)
	kept = append(slices.Clone(rows), identity...)
	held := ci.held(rows)
	if sreq.given {
		var asked []int
		for _, m := range sreq.identity {
			if !oidcscope.Has(identity, m) {
				return nil, nil, nil, oidc.ErrInvalidScope().WithDescription("The refresh token was not granted %q; a refresh may only narrow the scope.", oidcscope.Names([]int{m})[0])
			}
			asked = append(asked, m)
		}
		identity = asked
		var base []*ent.Scope
		for _, n := range sreq.names {
			i := slices.IndexFunc(held, func(s *ent.Scope) bool { return strings.EqualFold(s.Name, n) })
			if i < 0 {
				return nil, nil, nil, oidc.ErrInvalidScope().WithDescription("The scope %q is not one this refresh token holds for the client; a refresh may only narrow the scope.", n)
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
	granted, _ = credential.Narrow(held, scopeIDs(ci.assigned))
	if len(granted) == 0 && len(identity) == 0 {
		return nil, nil, nil, oidc.ErrInvalidScope().WithDescription("The client no longer holds any scope of this grant.")
	}
	return granted, identity, kept, nil
}

// introspectRefresh is RFC 7662's answer for a refresh token of the organisation.
func (p *Provider) introspectRefresh(ctx context.Context, org *orgInfo, value string) (map[string]any, error) {
	inactive := map[string]any{"active": false}
	key, gen, ok := secret.ParseRefresh(value)
	if !ok {
		return inactive, nil
	}
	ctx = sys(ctx, org.ID)
	rt, live, err := p.liveRefresh(ctx, org.ID, key, gen, value)
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
// It reports whether the token exists but belongs to another client. Only the current generation
// is checked against its digest, so only it revokes; an older one is inactive already.
func (p *Provider) revokeRefresh(ctx context.Context, org *orgInfo, clientID int, value string) (other bool, err error) {
	key, gen, ok := secret.ParseRefresh(value)
	if !ok {
		return false, nil
	}
	ctx = sys(ctx, org.ID)
	rt, err := p.client.RefreshToken.Query().Where(refreshtoken.LookupKey(key)).Only(ctx)
	if ent.IsNotFound(err) {
		return false, nil
	}
	if err != nil || int64(gen) != int64(rt.Generation) || !secret.Matches(value, rt.TokenHash) {
		return false, err
	}
	if rt.ClientID != clientID {
		return true, nil
	}
	return false, p.revokeFamily(ctx, rt.AuthRequestID)
}
