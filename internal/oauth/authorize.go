package oauth

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"scopekeeper/ent"
	"scopekeeper/ent/consent"
	"scopekeeper/internal/oidcscope"
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
	for _, k := range []string{"client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method", "prompt", "max_age", loginAfterParam} {
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
	// PKCE: required of BROWSER clients and of WEB clients with requirePKCE; a challenge sent by
	// a client that need not send one is checked all the same (no downgrade, RFC 9700 §2.1.1).
	challenge := q.Get("code_challenge")
	if challenge == "" && (ci.public() || ci.c.RequirePKCE) {
		back("invalid_request", "PKCE is required: send code_challenge and code_challenge_method=S256.")
		return
	}
	if challenge != "" || q.Has("code_challenge_method") {
		if q.Get("code_challenge_method") != "S256" {
			back("invalid_request", "code_challenge_method must be S256.")
			return
		}
		if !validChallenge(challenge) {
			back("invalid_request", "code_challenge must be the base64url SHA-256 of the code_verifier (43 characters).")
			return
		}
	}
	if q.Has("request") || q.Has("request_uri") {
		back("request_not_supported", "Request objects are not supported.")
		return
	}
	pr, desc := parsePrompt(q.Get("prompt"), q.Get("max_age"), q.Get(loginAfterParam))
	if desc != "" {
		back("invalid_request", desc)
		return
	}
	sreq, oe := parseScopeParam(q.Get("scope"))
	if oe != nil {
		back(string(oe.ErrorType), oe.Description)
		return
	}
	targets, oe := p.targets(ci, q["resource"])
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
	// RFC 8707: the code is bound to the resources' scopes; at the token endpoint, resource may
	// narrow it further, never widen it.
	if granted, oe = p.onlyTargets(granted, targets, ci, sreq.names); oe != nil {
		back(string(oe.ErrorType), oe.Description)
		return
	}
	caller, err := p.sessions.SessionCaller(r)
	if err != nil {
		serverErrorPage(w, r, err)
		return
	}
	var sess *ent.Session
	if caller != nil {
		if sess, err = p.client.Session.Get(sys(ctx, org.ID), caller.SessionID); ent.IsNotFound(err) {
			caller, err = nil, nil
		}
		if err != nil {
			serverErrorPage(w, r, err)
			return
		}
	}
	now := p.now()
	// OpenID Connect Core §3.1.2.1: prompt=login and max_age ask for a sign-in newer than the
	// session's; the sign-in page comes back to this request without them, bound to sign-ins
	// from now on.
	if caller == nil || pr.login || pr.maxAge >= 0 && now.Sub(sess.CreatedAt) > time.Duration(pr.maxAge)*time.Second ||
		sess.CreatedAt.UnixMilli() < pr.loginAfter {
		if pr.none {
			back("login_required", "The user must sign in.")
			return
		}
		next, target := r.URL.Query(), r.URL.RequestURI()
		if caller != nil {
			// Only a sign-in after now satisfies the request; the session stays until then.
			next.Del("max_age")
			next.Set("prompt", strings.Join(slices.DeleteFunc(strings.Fields(next.Get("prompt")), func(v string) bool { return v == "login" }), " "))
			if next.Get("prompt") == "" {
				next.Del("prompt")
			}
			next.Set(loginAfterParam, strconv.FormatInt(now.UnixMilli(), 10))
			target = r.URL.Path + "?" + next.Encode()
		}
		http.Redirect(w, r, p.publicURL+"/login?next="+url.QueryEscape(target), http.StatusFound)
		return
	}
	if caller.OrgID != org.ID {
		if pr.none {
			back("interaction_required", "The signed-in user belongs to another organisation.")
			return
		}
		back("access_denied", "The signed-in user belongs to another organisation.")
		return
	}
	ids := append(scopeIDs(granted), sreq.identity...)
	sctx := sys(ctx, org.ID)
	ar, err := p.client.AuthRequest.Create().SetClientID(ci.c.ID).SetUserID(caller.UserID).SetScopeIds(ids).
		SetRedirectURI(redirectURI).SetState(state).SetNonce(q.Get("nonce")).SetCodeChallenge(challenge).
		SetSessionID(sess.ID).SetAuthTime(sess.CreatedAt).
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
	// Signing in (openid alone) needs no consent; every other scope does, once.
	ask := slices.DeleteFunc(slices.Clone(ids), func(id int) bool { return id == oidcscope.OpenID })
	if !pr.consent && allIn(ask, consented) {
		to, err := p.issueCode(sctx, p.client, org, ar, ids)
		if err != nil {
			serverErrorPage(w, r, err)
			return
		}
		http.Redirect(w, r, to, http.StatusFound)
		return
	}
	if pr.none {
		back("consent_required", "The user has not yet consented to these scopes.")
		return
	}
	http.Redirect(w, r, p.publicURL+"/consent?request="+strconv.Itoa(ar.ID), http.StatusFound)
}

// loginAfterParam carries, on the way back from the sign-in page, the time after which a sign-in
// satisfies prompt=login or max_age. It can only make a request stricter.
const loginAfterParam = "login_after"

// promptRequest is what prompt, max_age and login_after ask of the sign-in.
type promptRequest struct {
	none, login, consent bool
	maxAge               int64 // -1 when absent
	loginAfter           int64 // Unix milliseconds; 0 when absent
}

// parsePrompt reads OpenID Connect Core §3.1.2.1's prompt (space-separated none, login, consent,
// select_account; none only alone) and max_age (seconds); it returns a description of what is wrong.
func parsePrompt(prompt, maxAge, loginAfter string) (promptRequest, string) {
	pr := promptRequest{maxAge: -1}
	vals := strings.Fields(prompt)
	for _, v := range vals {
		switch v {
		case "none":
			pr.none = true
		case "login":
			pr.login = true
		case "consent":
			pr.consent = true
		case "select_account":
		default:
			return pr, "prompt may hold none, login, consent and select_account."
		}
	}
	if pr.none && len(vals) > 1 {
		return pr, "prompt=none cannot be combined with other prompt values."
	}
	if maxAge != "" {
		n, err := strconv.ParseInt(maxAge, 10, 64)
		if err != nil || n < 0 {
			return pr, "max_age must be a number of seconds, e.g. max_age=3600."
		}
		pr.maxAge = n
	}
	if loginAfter != "" {
		n, err := strconv.ParseInt(loginAfter, 10, 64)
		if err != nil || n < 0 {
			return pr, "login_after must be a Unix time in milliseconds."
		}
		pr.loginAfter = n
	}
	return pr, ""
}

// handleClientInfo is GET ISSUER/oauth/client-info?client_id=…&redirect_uri=…, which the console's
// sign-in page asks to say which application sends the user and for which organisation. It
// answers only for an enabled client with that exact redirect URI, so it tells no more than an
// authorization request would.
func (p *Provider) handleClientInfo(w http.ResponseWriter, r *http.Request, org *orgInfo) {
	q := r.URL.Query()
	ci, err := p.oauthClient(r.Context(), org.ID, q.Get("client_id"))
	if err != nil {
		writeError(w, org.Issuer, serverError(r.Context(), "look up client", err))
		return
	}
	if ci == nil || !ci.c.Enabled || !ci.allows("authorization_code") || !ci.hasRedirectURI(q.Get("redirect_uri")) {
		writeJSON(w, http.StatusNotFound, wireError{Error: "not_found", Description: "No such application (client_id and redirect_uri) at this issuer."})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"clientName": ci.c.Name, "organisationName": org.Name})
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

// errorPage shows an OAuth error to the person in the browser, as a page of its own.
func errorPage(w http.ResponseWriter, status int, msg string) {
	page(w, status, "Sign-in cannot continue", msg)
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Scopekeeper</title>
<style>
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:#f8f9fa;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#212529}
main{background:#fff;border:1px solid #dee2e6;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:2rem;max-width:30rem;margin:1rem}
h1{font-size:1.4rem;margin:0 0 .75rem}p{line-height:1.5;margin:.5rem 0}
button{font:inherit;background:#228be6;color:#fff;border:0;border-radius:4px;padding:.5rem 1rem;cursor:pointer}
</style></head>
<body><main><h1>{{.Title}}</h1><p>{{.Message}}</p>{{if .Form}}<form method="post" action="{{.Form.Action}}">
{{range $k, $v := .Form.Fields}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
<button type="submit">{{.Form.Button}}</button></form>{{end}}</main></body></html>
`))

// pageForm is a one-button form on a page.
type pageForm struct {
	Action, Button string
	Fields         map[string]string
}

// page writes a small HTML page (the text is escaped by html/template).
func page(w http.ResponseWriter, status int, title, msg string, form ...*pageForm) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.WriteHeader(status)
	data := struct {
		Title, Message string
		Form           *pageForm
	}{Title: title, Message: msg}
	if len(form) > 0 {
		data.Form = form[0]
	}
	_ = pageTemplate.Execute(w, data)
}

func serverErrorPage(w http.ResponseWriter, r *http.Request, err error) {
	serverError(r.Context(), "authorize", err)
	errorPage(w, http.StatusInternalServerError, "Something went wrong on our side; try again.")
}
