// Package oauth is each organisation's OAuth 2.0 / OpenID Connect issuer ({public-url}/o/{slug}):
// discovery, the token endpoint (client_credentials and authorization_code with PKCE), the
// authorization endpoint and the consent decision behind the console's consent screen,
// introspection, revocation and the JWKS of the ID-token signing keys.
//
// Hot paths (token issuance, introspection) read organisations, clients and resolved tokens from
// in-memory caches that every configuration change invalidates (see cache.go), and write tokens in
// group-committed batches (see issue.go).
package oauth

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"scopekeeper/ent"
	"scopekeeper/internal/keys"
	"scopekeeper/internal/orgs"
	"scopekeeper/internal/throttle"
	"scopekeeper/internal/usage"
	"scopekeeper/internal/viewer"
)

// Lifetimes.
const (
	AccessTokenTTL = time.Hour
	IDTokenTTL     = time.Hour
	// RequestTTL is how long an authorization request waits for consent.
	RequestTTL = 15 * time.Minute
	// CodeTTL is how long an authorization code may be redeemed once issued.
	CodeTTL = 2 * time.Minute
)

// Sessions finds the signed-in user of a request and ends sign-ins (auth.Service implements it).
type Sessions interface {
	SessionCaller(*http.Request) (*viewer.Caller, error)
	// EndSession ends the sign-in of the request's session cookie and clears the cookie.
	EndSession(http.ResponseWriter, *http.Request) error
}

// Provider serves every organisation's issuer.
type Provider struct {
	client    *ent.Client
	publicURL string
	sessions  Sessions

	cache  *cache
	writer *tokenWriter
	keys   sync.Map // organisation ID → *entry[*signingKey], through cache
	// accessKeys are the keys of JWT access tokens, like keys.
	accessKeys sync.Map
	keeper     *keys.Keeper
	keyInit    sync.Map // organisation ID → *sync.Mutex, so one key is created per organisation
	lookups    singleflight.Group
	// docFlights renders each organisation's discovery document once however many ask for it.
	docFlights singleflight.Group
	now        func() time.Time
	guard      *throttle.Guard // failed client authentications at the token endpoint
}

// New returns the issuer side of Scopekeeper over client. It installs an ent hook on client that
// invalidates the caches whenever the configuration changes.
func New(client *ent.Client, publicURL string, sessions Sessions, keeper *keys.Keeper) *Provider {
	p := &Provider{
		client:    client,
		keeper:    keeper,
		publicURL: strings.TrimSuffix(publicURL, "/"),
		sessions:  sessions,
		cache:     newCache(),
		now:       time.Now,
		guard:     throttle.New(TokenLimits),
	}
	client.Use(p.cache.invalidationHook())
	p.writer = newTokenWriter(client)
	return p
}

// SetClock replaces the clock of expiry and sunset decisions (time.Now by default); call it
// before serving.
func (p *Provider) SetClock(now func() time.Time) { p.now = now }

// RecordGrants makes the issuer note, for the access review, the scopes of every token it stores.
// Call it before serving.
func (p *Provider) RecordGrants(r *usage.Recorder) { p.writer.usage = r }

// Issuer is the issuer URL of the organisation with the given slug.
func (p *Provider) Issuer(slug string) string { return p.publicURL + "/o/" + slug }

// Register adds every issuer route to mux (the access check, POST /o/{slug}/v1/check, lives elsewhere).
func (p *Provider) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /o/{slug}/.well-known/openid-configuration", p.issuerJSON(p.handleDiscovery))
	mux.HandleFunc("GET /o/{slug}/.well-known/oauth-authorization-server", p.issuerJSON(p.handleDiscovery))
	mux.HandleFunc("OPTIONS /o/{slug}/.well-known/", p.handlePublicPreflight)
	// RFC 8414 §3.1: the well-known suffix goes between the host and the issuer's path.
	mux.HandleFunc("GET /.well-known/oauth-authorization-server/o/{slug}", p.issuerJSON(p.handleDiscovery))
	mux.HandleFunc("OPTIONS /.well-known/oauth-authorization-server/o/{slug}", p.handlePublicPreflight)
	mux.HandleFunc("GET /o/{slug}/resources/{name}", p.issuerJSON(p.handleResourceMetadata))
	mux.HandleFunc("OPTIONS /o/{slug}/resources/{name}", p.handlePublicPreflight)
	mux.HandleFunc("GET /o/{slug}/oauth/jwks", p.issuerJSON(p.handleJWKS))
	mux.HandleFunc("OPTIONS /o/{slug}/oauth/jwks", p.handlePublicPreflight)
	mux.HandleFunc("GET /o/{slug}/oauth/authorize", p.handleAuthorize)
	mux.HandleFunc("POST /o/{slug}/oauth/token", p.issuerJSON(p.handleToken))
	mux.HandleFunc("OPTIONS /o/{slug}/oauth/token", p.handleBrowserPreflight)
	mux.HandleFunc("POST /o/{slug}/oauth/introspect", p.issuerJSON(p.handleIntrospect))
	mux.HandleFunc("POST /o/{slug}/oauth/revoke", p.issuerJSON(p.handleRevoke))
	mux.HandleFunc("OPTIONS /o/{slug}/oauth/revoke", p.handleBrowserPreflight)
	mux.HandleFunc("GET /o/{slug}/oauth/userinfo", p.issuerJSON(p.handleUserInfo))
	mux.HandleFunc("POST /o/{slug}/oauth/userinfo", p.issuerJSON(p.handleUserInfo))
	mux.HandleFunc("OPTIONS /o/{slug}/oauth/userinfo", p.handleBrowserPreflight)
	mux.HandleFunc("GET /o/{slug}/oauth/client-info", p.issuerJSON(p.handleClientInfo))
	mux.HandleFunc("GET /o/{slug}/oauth/logout", p.handleLogout)
	mux.HandleFunc("POST /o/{slug}/oauth/logout", p.handleLogout)
	// Anything else under an issuer is no endpoint: a JSON 404, never the console's index.html.
	mux.HandleFunc("/o/{slug}/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, wireError{Error: "not_found", Description: "There is no such endpoint under this issuer."})
	})
}

// Run purges expired tokens and authorization requests until ctx is done, then stops the token
// writer once the queued tokens are written.
func (p *Provider) Run(ctx context.Context) {
	p.runPurge(ctx, time.Minute)
}

// Close stops the token writer after writing what is queued. Run calls it when it ends; tests that
// never call Run may call it themselves.
func (p *Provider) Close() { p.writer.close() }

// issuerJSON resolves the request's organisation for a JSON endpoint of its issuer: an unknown
// slug is a 404, a failed lookup a 500, both in the RFC 6749 error format.
func (p *Provider) issuerJSON(h func(http.ResponseWriter, *http.Request, *orgInfo)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		org, err := p.org(r)
		if err != nil {
			writeError(w, "", serverError(r.Context(), "look up organisation", err))
			return
		}
		if org == nil {
			notFoundIssuer(w)
			return
		}
		h(w, r, org)
	}
}

// org returns the organisation of the request's {slug}, or nil when there is none.
func (p *Provider) org(r *http.Request) (*orgInfo, error) {
	return p.orgBySlug(r.Context(), r.PathValue("slug"))
}

// orgInfo is what the hot paths need of an organisation.
type orgInfo struct {
	ID         int
	Slug       string
	Name       string
	Issuer     string
	RefreshTTL time.Duration
}

func (p *Provider) orgInfo(org *ent.Organisation) *orgInfo {
	return &orgInfo{ID: org.ID, Slug: org.Slug, Name: org.Name, Issuer: p.Issuer(org.Slug), RefreshTTL: time.Duration(org.RefreshTokenLifetime) * time.Second}
}

func (p *Provider) orgBySlug(ctx context.Context, slug string) (*orgInfo, error) {
	if o, ok := p.cache.org(slug); ok {
		return o, nil
	}
	gen := p.cache.generation()
	org, err := orgs.BySlug(ctx, p.client, slug)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	o := p.orgInfo(org)
	p.cache.putOrg(slug, o, gen)
	return o, nil
}

// sys is ctx acting as the server inside organisation orgID.
func sys(ctx context.Context, orgID int) context.Context { return viewer.SystemContext(ctx, orgID) }
