package oauth

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"scopekeeper/ent"
	"scopekeeper/ent/authrequest"
	"scopekeeper/ent/refreshtoken"
	"scopekeeper/ent/scope"
	"scopekeeper/ent/token"
	"scopekeeper/internal/credential"
	"scopekeeper/internal/deprecation"
	"scopekeeper/internal/metrics"
	"scopekeeper/internal/oidcscope"
	"scopekeeper/internal/secret"
	"scopekeeper/internal/throttle"
)

// handleToken is POST ISSUER/oauth/token (RFC 6749 §3.2, §4.1.3, §4.4, §5).
func (p *Provider) handleToken(w http.ResponseWriter, r *http.Request, org *orgInfo) {
	p.browserCORS(w, r, org)
	f, oe := readForm(w, r)
	if oe != nil {
		writeError(w, org.Issuer, oe)
		return
	}
	addr, now := throttle.Addr(r), p.now()
	if wait := p.guard.Check(f.creds.id, addr, now); wait > 0 {
		metrics.ThrottledRequest("token")
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		writeJSON(w, http.StatusTooManyRequests, wireError{Error: "too_many_requests",
			Description: "Too many failed client authentications for this client from this address; retry after the Retry-After seconds."})
		return
	}
	resp, oe := p.token(r, org, f)
	if oe != nil {
		if oe.ErrorType == oidc.InvalidClient {
			p.guard.Fail(f.creds.id, addr, now)
		}
		writeError(w, org.Issuer, oe)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// TokenLimits throttle failed client authentications at the token endpoint per client_id and per
// address (see throttle.Guard), within 15-minute windows. Secrets are 256-bit, so this does not
// guard them against guessing; it stops a caller from making the server spend work on failures.
var TokenLimits = throttle.Limits{Pair: 10, Address: 100, Identity: 50, Window: 15 * time.Minute, Capacity: 50_000}

// tokenResponse is RFC 6749 §5.1's body (scope is always sent: it may differ from the request).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
}

func (p *Provider) token(r *http.Request, org *orgInfo, f *formRequest) (*tokenResponse, *oidc.Error) {
	ctx := r.Context()
	grant := f.get("grant_type")
	switch grant {
	case "":
		return nil, oidc.ErrInvalidRequest().WithDescription("grant_type is required.")
	case "client_credentials", "authorization_code", "refresh_token":
	default:
		return nil, oidc.ErrUnsupportedGrantType().WithDescription("Supported grant types are client_credentials, authorization_code and refresh_token.")
	}
	ci, oe := p.authenticate(ctx, org, f.creds)
	if oe != nil {
		return nil, oe
	}
	if !ci.allows(grant) {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("A %s client may not use the %s grant.", ci.c.Kind, grant)
	}
	switch grant {
	case "client_credentials":
		return p.clientCredentials(r, org, ci, f)
	case "refresh_token":
		return p.refreshGrant(r, org, ci, f)
	}
	return p.authorizationCode(r, org, ci, f)
}

// clientCredentials is RFC 6749 §4.4 with contract rules 4 and 5.
func (p *Provider) clientCredentials(r *http.Request, org *orgInfo, ci *clientInfo, f *formRequest) (*tokenResponse, *oidc.Error) {
	req, oe := parseScopeParam(f.get("scope"))
	if oe != nil {
		return nil, oe
	}
	if len(req.identity) > 0 {
		return nil, oidc.ErrInvalidScope().WithDescription("%s is an OpenID Connect scope about a signed-in person; a SERVICE client acts for itself and cannot request it.",
			oidcscope.Names(req.identity)[0])
	}
	targets, oe := p.targets(ci, f.resource)
	if oe != nil {
		return nil, oe
	}
	granted, oe := ci.grant(req)
	if oe != nil {
		return nil, oe
	}
	if granted, oe = p.onlyTargets(granted, targets, ci, req.names); oe != nil {
		return nil, oe
	}
	scope := joinScopes(nil, granted)
	tok, err := p.issue(r.Context(), org, ci, nil, nil, scopeIDs(granted), p.shapeFor(ci, granted, scope, time.Time{}), nil)
	if err != nil {
		return nil, serverError(r.Context(), "issue token", err)
	}
	metrics.Issued("client_credentials")
	return &tokenResponse{AccessToken: tok.value, TokenType: "Bearer", ExpiresIn: tok.expiresIn(), Scope: scope}, nil
}

// authorizationCode is RFC 6749 §4.1.3 with RFC 7636 (S256 only).
func (p *Provider) authorizationCode(r *http.Request, org *orgInfo, ci *clientInfo, f *formRequest) (*tokenResponse, *oidc.Error) {
	ctx := sys(r.Context(), org.ID)
	code, redirectURI, verifier := f.get("code"), f.get("redirect_uri"), f.get("code_verifier")
	switch {
	case code == "":
		return nil, oidc.ErrInvalidRequest().WithDescription("code is required.")
	case redirectURI == "":
		return nil, oidc.ErrInvalidRequest().WithDescription("redirect_uri is required and must equal the one of the authorization request.")
	case verifier != "" && !validVerifier(verifier):
		return nil, oidc.ErrInvalidRequest().WithDescription("code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1).")
	}
	targets, oe := p.targets(ci, f.resource)
	if oe != nil {
		return nil, oe
	}
	invalid := oidc.ErrInvalidGrant().WithDescription("The authorization code is invalid, expired, already used, or was issued to another client or redirect URI.")
	ar, err := p.client.AuthRequest.Query().Where(authrequest.CodeHash(secret.Digest(code))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, invalid
	}
	if err != nil {
		return nil, serverError(ctx, "look up code", err)
	}
	now := p.now()
	if ar.ClientID == ci.c.ID && ar.CodeUsedAt != nil {
		// RFC 6749 §4.1.2: a code used twice was probably stolen; what it bought is revoked.
		if err := p.revokeFamily(ctx, ar.ID); err != nil {
			return nil, serverError(ctx, "revoke tokens of a reused code", err)
		}
		return nil, invalid
	}
	if ar.ClientID != ci.c.ID || !ar.ExpiresAt.After(now) || ar.RedirectURI != redirectURI || ar.UserID == nil {
		return nil, invalid
	}
	// PKCE (RFC 7636 §4.6): a code bound to a challenge needs its verifier; a verifier for a code
	// without one is refused too (RFC 9700 §2.1.1: no PKCE downgrade).
	switch {
	case ar.CodeChallenge != "" && verifier == "":
		return nil, oidc.ErrInvalidRequest().WithDescription("code_verifier is required (PKCE, RFC 7636).")
	case ar.CodeChallenge == "" && verifier != "":
		return nil, oidc.ErrInvalidGrant().WithDescription("code_verifier was sent, but the authorization request had no code_challenge.")
	case ar.CodeChallenge != "" && !oidc.VerifyCodeChallenge(&oidc.CodeChallenge{Challenge: ar.CodeChallenge, Method: oidc.CodeChallengeMethodS256}, verifier):
		return nil, oidc.ErrInvalidGrant().WithDescription("code_verifier does not match the code_challenge (PKCE S256).")
	}
	rows, identity := oidcscope.Split(ar.ScopeIds)
	var scopes []*ent.Scope
	if len(rows) > 0 {
		if scopes, err = p.client.Scope.Query().Where(scope.IDIn(rows...)).Order(scope.ByName()).All(ctx); err != nil {
			return nil, serverError(ctx, "load scopes", err)
		}
	}
	// Rule 8 already at redemption: what the client lost since the code was issued is not granted,
	// nor a deprecated scope whose sunset has come since.
	granted, _ := credential.Narrow(deprecation.Live(scopes, now), credential.Held(ci.c, scopeIDs(ci.assigned), ar.CreatedAt))
	if len(granted) == 0 && len(identity) == 0 {
		return nil, oidc.ErrInvalidScope().WithDescription("The client no longer holds any scope of this authorization.")
	}
	// RFC 8707 §2.2: resource here may only narrow what the code was issued for.
	if granted, oe = p.onlyTargets(granted, targets, ci, nil); oe != nil {
		return nil, oe
	}
	// Single use: only the request that marks the code used may redeem it.
	n, err := p.client.AuthRequest.Update().Where(authrequest.ID(ar.ID), authrequest.CodeUsedAtIsNil()).SetCodeUsedAt(now).Save(ctx)
	if err != nil {
		return nil, serverError(ctx, "redeem code", err)
	}
	if n == 0 {
		return nil, invalid
	}
	authTime := ar.CreatedAt
	if ar.AuthTime != nil {
		authTime = *ar.AuthTime
	}
	// A refresh token: online (bound to the sign-in session) unless offline_access was granted.
	var refresh *refreshRow
	if ci.c.RefreshTokens {
		refresh = &refreshRow{family: ar.ID, scopeIDs: ar.ScopeIds, authTime: authTime}
		if !oidcscope.Has(identity, oidcscope.OfflineAccess) {
			refresh.session = ar.SessionID
			if ar.SessionID == nil {
				refresh = nil
			}
		}
	}
	scope := joinScopes(identity, granted)
	tok, err := p.issue(ctx, org, ci, ar.UserID, &ar.ID, append(scopeIDs(granted), identity...), p.shapeFor(ci, granted, scope, authTime), refresh)
	if err != nil {
		return nil, serverError(ctx, "issue token", err)
	}
	metrics.Issued("authorization_code")
	resp := &tokenResponse{AccessToken: tok.value, TokenType: "Bearer", ExpiresIn: tok.expiresIn(), Scope: scope, RefreshToken: tok.refresh}
	if oidcscope.Has(identity, oidcscope.OpenID) {
		idt, err := p.idToken(ctx, org, ci, *ar.UserID, identity, ar.Nonce, authTime, tok.value)
		if err != nil {
			return nil, serverError(ctx, "sign ID token", err)
		}
		resp.IDToken = idt
	}
	return resp, nil
}

// revokeFamily revokes every access and refresh token of the grant of authorization request id.
func (p *Provider) revokeFamily(ctx context.Context, id int) error {
	now := p.now()
	if _, err := p.client.Token.Update().Where(token.AuthRequestID(id), token.RevokedAtIsNil()).SetRevokedAt(now).Save(ctx); err != nil {
		return err
	}
	if _, err := p.client.RefreshToken.Update().Where(refreshtoken.AuthRequestID(id), refreshtoken.RevokedAtIsNil()).SetRevokedAt(now).Save(ctx); err != nil {
		return err
	}
	p.cache.forgetAll()
	return nil
}

// validVerifier checks RFC 7636 §4.1: 43–128 unreserved characters.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}
