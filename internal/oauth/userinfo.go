package oauth

import (
	"net/http"
	"strconv"
	"strings"

	"scopekeeper/ent"
	"scopekeeper/internal/credential"
	"scopekeeper/internal/oidcscope"
)

// handleUserInfo is GET|POST ISSUER/oauth/userinfo (OpenID Connect Core §5.3): the claims of the
// token's identity scopes about its user. The access token comes as Authorization: Bearer
// (RFC 6750 §2.1); it must be live and hold openid.
func (p *Provider) handleUserInfo(w http.ResponseWriter, r *http.Request, org *orgInfo) {
	p.browserCORS(w, r, org)
	bearer := func(status int, code, desc string) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+org.Issuer+`", error="`+code+`", error_description="`+desc+`"`)
		writeJSON(w, status, wireError{Error: code, Description: desc})
	}
	value, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(value) == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+org.Issuer+`", error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, wireError{Error: "invalid_token", Description: "Send the access token as Authorization: Bearer <token>."})
		return
	}
	res, err := p.resolve(r.Context(), org, strings.TrimSpace(value))
	if err != nil {
		writeError(w, org.Issuer, serverError(r.Context(), "resolve token", err))
		return
	}
	c := res.cred
	if !c.Active || c.Kind != credential.AccessToken || !c.ExpiresAt.After(p.now()) || c.UserID == 0 {
		bearer(http.StatusUnauthorized, "invalid_token", "The access token is invalid, expired or revoked.")
		return
	}
	if !oidcscope.Has(c.Identity, oidcscope.OpenID) {
		bearer(http.StatusForbidden, "insufficient_scope", "The access token was not granted openid.")
		return
	}
	u, err := p.client.User.Get(sys(r.Context(), org.ID), c.UserID)
	if ent.IsNotFound(err) {
		bearer(http.StatusUnauthorized, "invalid_token", "The user of this access token no longer exists.")
		return
	}
	if err != nil {
		writeError(w, org.Issuer, serverError(r.Context(), "load user", err))
		return
	}
	claims := userClaims(u, c.Identity)
	claims["sub"] = strconv.Itoa(u.ID)
	writeJSON(w, http.StatusOK, claims)
}
