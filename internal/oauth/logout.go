package oauth

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"

	jose "github.com/go-jose/go-jose/v4"

	"scopekeeper/internal/keys"
)

// handleLogout is GET|POST ISSUER/oauth/logout, OpenID Connect RP-Initiated Logout 1.0: it ends
// the user's sign-in session (online refresh tokens end with it) and sends the browser to the
// client's registered post_logout_redirect_uri with state, or shows a signed-out page.
//
// The client is named by client_id or by the audience of id_token_hint, an ID token this issuer
// signed (an expired one will do, §2). Without a valid hint the user confirms first (§2: the OP
// should ask, so that a link cannot sign anyone out), through a POST form.
func (p *Provider) handleLogout(w http.ResponseWriter, r *http.Request) {
	org, err := p.org(r)
	if err != nil {
		serverErrorPage(w, r, err)
		return
	}
	if org == nil {
		errorPage(w, http.StatusNotFound, "There is no such issuer.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		page(w, http.StatusBadRequest, "Sign-out cannot continue", "The request could not be read.")
		return
	}
	for _, k := range []string{"id_token_hint", "client_id", "post_logout_redirect_uri", "state", "confirm"} {
		if len(r.Form[k]) > 1 {
			page(w, http.StatusBadRequest, "Sign-out cannot continue", "The parameter "+k+" is repeated; send each parameter once.")
			return
		}
	}
	clientID, redirect, hint := r.Form.Get("client_id"), r.Form.Get("post_logout_redirect_uri"), r.Form.Get("id_token_hint")
	var hintSub string
	if hint != "" {
		aud, sub, ok := p.verifyHint(r.Context(), org, hint)
		if !ok || clientID != "" && !slices.Contains(aud, clientID) {
			page(w, http.StatusBadRequest, "Sign-out cannot continue", "The application sent an id_token_hint that this issuer did not sign for it.")
			return
		}
		if clientID == "" && len(aud) == 1 {
			clientID = aud[0]
		}
		hintSub = sub
	}
	name := ""
	if redirect != "" || clientID != "" {
		ci, err := p.oauthClient(r.Context(), org.ID, clientID)
		if err != nil {
			serverErrorPage(w, r, err)
			return
		}
		if ci == nil {
			page(w, http.StatusBadRequest, "Sign-out cannot continue", "The application that sent you here is not registered with this issuer (unknown client_id).")
			return
		}
		if redirect != "" && !slices.Contains(ci.c.PostLogoutRedirectURIs, redirect) {
			page(w, http.StatusBadRequest, "Sign-out cannot continue", "The application asked to send you to a post_logout_redirect_uri that is not registered for it.")
			return
		}
		name = ci.c.Name
	}
	caller, err := p.sessions.SessionCaller(r)
	if err != nil {
		serverErrorPage(w, r, err)
		return
	}
	confirmed := r.Method == http.MethodPost && r.Form.Get("confirm") == "yes"
	if caller != nil && caller.OrgID == org.ID && !confirmed && (hintSub == "" || hintSub != strconv.Itoa(caller.UserID)) {
		fields := map[string]string{"confirm": "yes"}
		for _, k := range []string{"client_id", "post_logout_redirect_uri", "state"} {
			if v := r.Form.Get(k); v != "" {
				fields[k] = v
			}
		}
		if clientID != "" {
			fields["client_id"] = clientID
		}
		msg := "Do you want to sign out of " + org.Slug + "?"
		if name != "" {
			msg = name + " asks to sign you out of " + org.Slug + "."
		}
		page(w, http.StatusOK, "Sign out?", msg, &pageForm{Action: org.Issuer + "/oauth/logout", Button: "Sign out", Fields: fields})
		return
	}
	if caller != nil && caller.OrgID == org.ID {
		if err := p.sessions.EndSession(w, r); err != nil {
			serverErrorPage(w, r, err)
			return
		}
	}
	if redirect != "" {
		http.Redirect(w, r, withParams(redirect, "state", r.Form.Get("state")), http.StatusFound)
		return
	}
	page(w, http.StatusOK, "You are signed out", "You have signed out of "+org.Slug+". You may close this window.")
}

// verifyHint checks an ID token this organisation signed with a published key, expired or not,
// and returns its audience and subject.
func (p *Provider) verifyHint(ctx context.Context, org *orgInfo, raw string) (aud []string, sub string, ok bool) {
	if len(raw) > maxBody {
		return nil, "", false
	}
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{Algorithm})
	if err != nil || len(jws.Signatures) != 1 {
		return nil, "", false
	}
	rows, err := keys.Published(sys(ctx, org.ID), p.client)
	if err != nil {
		return nil, "", false
	}
	kid := jws.Signatures[0].Header.KeyID
	for _, row := range rows {
		if row.Kid != kid {
			continue
		}
		jwk, err := p.keeper.Public(row)
		if err != nil {
			return nil, "", false
		}
		payload, err := jws.Verify(jwk)
		if err != nil {
			return nil, "", false
		}
		var claims struct {
			Iss string          `json:"iss"`
			Sub string          `json:"sub"`
			Aud json.RawMessage `json:"aud"`
		}
		if json.Unmarshal(payload, &claims) != nil || claims.Iss != org.Issuer {
			return nil, "", false
		}
		var one string
		if json.Unmarshal(claims.Aud, &one) == nil {
			aud = []string{one}
		} else if json.Unmarshal(claims.Aud, &aud) != nil {
			return nil, "", false
		}
		return aud, claims.Sub, true
	}
	return nil, "", false
}
