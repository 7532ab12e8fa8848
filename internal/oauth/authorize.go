package oauth

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"scopekeeper/ent"
	"scopekeeper/ent/consent"
	"scopekeeper/internal/secret"
)

// handleAuthorize is GET ISSUER/oauth/authorize (RFC 6749 §4.1.1 with RFC 7636, S256 only).
//
// Until client_id and redirect_uri are known good, errors are shown as a plain page: the browser
// is never sent to an unregistered URI. After that they go back to the redirect URI as
// error=…&state=…. Without a session the browser goes to the console's sign-in page and comes
// back; with one, the request is stored and the browser goes to the console's consent screen, or
// straight back with a code when the user already consented to every requested scope.
func (p *Provider) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	org, err := p.org(r)
	if err != nil {
		serverErrorPage(w, r, err)
		return
	}
	if org == nil {
		errorPage(w, http.StatusNotFound, "There is no such issuer.")
		return
	}
	q := r.URL.Query()
	for _, k := range []string{"client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method"} {
		if len(q[k]) > 1 {
			errorPage(w, http.StatusBadRequest, fmt.Sprintf("The parameter %s is repeated; send each parameter once.", k))
			return
		}
	}
	ci, err := p.oauthClient(ctx, org.ID, q.Get("client_id"))
	if err != nil {
		serverErrorPage(w, r, err)
		return
	}
	if ci == nil || !ci.c.Enabled {
		errorPage(w, http.StatusBadRequest, "The application that sent you here is not registered with this issuer (unknown or disabled client_id).")
		return
	}
	redirectURI := q.Get("redirect_uri")
	if redirectURI == "" || !ci.hasRedirectURI(redirectURI) {
		errorPage(w, http.StatusBadRequest, "The application sent a redirect_uri that is not registered for it, so you cannot be sent back.")
		return
	}
	state := q.Get("state")
	back := func(code, desc string) {
		http.Redirect(w, r, withParams(redirectURI, "error", code, "error_description", desc, "state", state, "iss", org.Issuer), http.StatusFound)
	}
	if !ci.allows("authorization_code") {
		back("unauthorized_client", "This client may not use the authorization code grant.")
		return
	}
	if q.Get("response_type") != "code" {
		back("unsupported_response_type", "Only response_type=code is supported.")
		return
	}
	if q.Get("code_challenge") == "" {
		back("invalid_request", "PKCE is required: send code_challenge and code_challenge_method=S256.")
		return
	}
	if q.Get("code_challenge_method") != "S256" {
		back("invalid_request", "code_challenge_method must be S256.")
		return
	}
	if !validChallenge(q.Get("code_challenge")) {
		back("invalid_request", "code_challenge must be the base64url SHA-256 of the code_verifier (43 characters).")
		return
	}
	if q.Has("request") || q.Has("request_uri") {
		back("request_not_supported", "Request objects are not supported.")
		return
	}
	sreq, oe := parseScopeParam(q.Get("scope"))
	if oe != nil {
		back(string(oe.ErrorType), oe.Description)
		return
	}
	var granted []*ent.Scope
	if !sreq.given || len(sreq.names) > 0 {
		if granted, oe = ci.grant(sreq); oe != nil {
			back(string(oe.ErrorType), oe.Description)
			return
		}
	}
	prompt := q.Get("prompt")
	caller, err := p.sessions.SessionCaller(r)
	if err != nil {
		serverErrorPage(w, r, err)
		return
	}
	if caller == nil {
		if prompt == "none" {
			back("login_required", "The user is not signed in.")
			return
		}
		http.Redirect(w, r, p.publicURL+"/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
		return
	}
	if caller.OrgID != org.ID {
		back("access_denied", "The signed-in user belongs to another organisation.")
		return
	}
	ids := scopeIDs(granted)
	if sreq.openid {
		ids = append(ids, openIDMarker)
	}
	sctx := sys(ctx, org.ID)
	now := p.now()
	ar, err := p.client.AuthRequest.Create().SetClientID(ci.c.ID).SetUserID(caller.UserID).SetScopeIds(ids).
		SetRedirectURI(redirectURI).SetState(state).SetNonce(q.Get("nonce")).SetCodeChallenge(q.Get("code_challenge")).
		SetExpiresAt(now.Add(RequestTTL)).Save(sctx)
	if err != nil {
		serverErrorPage(w, r, err)
		return
	}
	consented, err := p.consented(sctx, p.client, caller.UserID, ci.c.ID)
	if err != nil {
		serverErrorPage(w, r, err)
		return
	}
	if prompt != "consent" && allIn(scopeIDs(granted), consented) {
		to, err := p.issueCode(sctx, p.client, org, ar, ids)
		if err != nil {
			serverErrorPage(w, r, err)
			return
		}
		http.Redirect(w, r, to, http.StatusFound)
		return
	}
	if prompt == "none" {
		back("consent_required", "The user has not yet consented to these scopes.")
		return
	}
	http.Redirect(w, r, p.publicURL+"/consent?request="+strconv.Itoa(ar.ID), http.StatusFound)
}

// consented returns the scope IDs user already granted client.
func (p *Provider) consented(ctx context.Context, client *ent.Client, userID, clientID int) ([]int, error) {
	c, err := client.Consent.Query().Where(consent.UserID(userID), consent.ClientID(clientID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return c.ScopeIds, nil
}

// issueCode turns the authorization request into a code for the scopes ids and returns where the
// browser goes: the redirect URI with code, state and iss (RFC 9207).
func (p *Provider) issueCode(ctx context.Context, client *ent.Client, org *orgInfo, ar *ent.AuthRequest, ids []int) (string, error) {
	code, digest := secret.New(secret.CodePrefix)
	err := client.AuthRequest.UpdateOneID(ar.ID).SetCodeHash(digest).SetScopeIds(ids).
		SetExpiresAt(p.now().Add(CodeTTL)).Exec(ctx)
	if err != nil {
		return "", err
	}
	return withParams(ar.RedirectURI, "code", code, "state", ar.State, "iss", org.Issuer), nil
}

// withParams adds query parameters (pairs of name and value; empty values are left out) to uri.
func withParams(uri string, kv ...string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func allIn(ids, set []int) bool {
	for _, id := range ids {
		if !slices.Contains(set, id) {
			return false
		}
	}
	return true
}

// validChallenge checks an S256 code_challenge: base64url without padding of 32 bytes.
func validChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	for i := 0; i < len(c); i++ {
		ch := c[i]
		if !(ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_') {
			return false
		}
	}
	return true
}

func errorPage(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "Sign-in cannot continue.\n\n%s\n", msg)
}

func serverErrorPage(w http.ResponseWriter, r *http.Request, err error) {
	serverError(r.Context(), "authorize", err)
	errorPage(w, http.StatusInternalServerError, "Something went wrong on our side; try again.")
}
