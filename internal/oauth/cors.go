package oauth

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"scopekeeper/ent/oauthclient"
)

// Cross-origin access. Discovery and the JWKS are public documents: any origin may read them. The
// token and revocation endpoints answer browsers only from the origins of the organisation's
// BROWSER clients' redirect URIs, and never with credentials (cookies mean nothing there).

func publicCORS(w http.ResponseWriter) {
	w.Header()["Access-Control-Allow-Origin"] = anyOrigin
}

var anyOrigin = []string{"*"}

func (p *Provider) handlePublicPreflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET")
	h.Set("Access-Control-Allow-Headers", "If-None-Match")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// browserCORS allows the response to be read by a BROWSER client's origin.
func (p *Provider) browserCORS(w http.ResponseWriter, r *http.Request, org *orgInfo) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	w.Header().Add("Vary", "Origin")
	allowed, err := p.browserOrigins(r.Context(), org.ID)
	if err != nil || !allowed[origin] {
		return false
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	return true
}

func (p *Provider) handleBrowserPreflight(w http.ResponseWriter, r *http.Request) {
	org, err := p.org(r)
	if err != nil || org == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if m := r.Header.Get("Access-Control-Request-Method"); p.browserCORS(w, r, org) && (m == http.MethodPost || m == http.MethodGet) {
		h := w.Header()
		h.Set("Access-Control-Allow-Methods", "GET, POST")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		h.Set("Access-Control-Max-Age", "600")
	}
	w.WriteHeader(http.StatusNoContent)
}

// browserOrigins are the origins (scheme://host[:port]) of the redirect URIs of the organisation's
// enabled BROWSER clients.
func (p *Provider) browserOrigins(ctx context.Context, orgID int) (map[string]bool, error) {
	if o, ok := get[map[string]bool](p.cache, &p.cache.origins, orgID); ok {
		return o, nil
	}
	gen := p.cache.generation()
	clients, err := p.client.OAuthClient.Query().
		Where(oauthclient.KindEQ(oauthclient.KindBROWSER), oauthclient.Enabled(true)).
		Select(oauthclient.FieldRedirectURIs).All(sys(ctx, orgID))
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, c := range clients {
		for _, u := range c.RedirectURIs {
			if o := originOf(u); o != "" {
				out[o] = true
			}
		}
	}
	put(p.cache, &p.cache.origins, orgID, out, gen)
	return out, nil
}

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
}
