package oauth

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"scopekeeper/ent"
	"scopekeeper/ent/api"
	"scopekeeper/ent/oauthclient"
	"scopekeeper/ent/scope"
	"scopekeeper/internal/deprecation"
	"scopekeeper/internal/secret"
)

// clientInfo is a client with what granting scopes needs, cached per organisation.
type clientInfo struct {
	c *ent.OAuthClient
	// assigned are the client's scopes, deprecated ones included (they keep working where assigned).
	assigned []*ent.Scope
	// required maps an API to its required scopes (rule 5): those not deprecated, and deprecated
	// ones the client holds.
	required map[int][]*ent.Scope
	// grantable maps lowercased names to what the client may request: assigned ∪ required.
	grantable map[string]*ent.Scope
	// byID maps the IDs of the scopes in grantable to them.
	byID map[int]*ent.Scope
	// apis are the APIs of the scopes in grantable, by ID (resource indicators, token formats).
	apis map[int]*ent.API
	// until is the next sunset of a deprecated scope the client holds: from then on this is stale.
	// Scopes whose sunset has come are left out of all of the above (contract section 8).
	until time.Time
	// retired maps lowercased names of the client's scopes whose sunset has come to them.
	retired map[string]*ent.Scope
}

// held returns the scopes of ids that the client may still be granted, sorted by name.
func (ci *clientInfo) held(ids []int) []*ent.Scope {
	var out []*ent.Scope
	for _, id := range ids {
		if s, ok := ci.byID[id]; ok {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b *ent.Scope) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (ci *clientInfo) public() bool { return ci.c.Kind == oauthclient.KindBROWSER }

func (ci *clientInfo) allows(grant string) bool {
	switch grant {
	case "client_credentials":
		return ci.c.Kind == oauthclient.KindSERVICE
	case "authorization_code", "refresh_token":
		return ci.c.Kind == oauthclient.KindWEB || ci.c.Kind == oauthclient.KindBROWSER
	}
	return false
}

func (ci *clientInfo) hasRedirectURI(uri string) bool { return slices.Contains(ci.c.RedirectURIs, uri) }

// client returns the client with the public identifier clientID in organisation orgID, or nil.
func (p *Provider) oauthClient(ctx context.Context, orgID int, clientID string) (*clientInfo, error) {
	if clientID == "" || len(clientID) > 200 {
		return nil, nil
	}
	now := p.now()
	if ci, ok := p.cache.client(orgID, clientID); ok && deprecation.Valid(ci.until, now) {
		return ci, nil
	}
	gen := p.cache.generation()
	ctx = sys(ctx, orgID)
	c, err := p.client.OAuthClient.Query().Where(oauthclient.ClientID(clientID)).
		WithScopes(func(q *ent.ScopeQuery) { q.Order(scope.ByName()) }).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ci := &clientInfo{c: c, assigned: deprecation.Live(c.Edges.Scopes, now), required: map[int][]*ent.Scope{}, grantable: map[string]*ent.Scope{},
		until: deprecation.NextSunset(c.Edges.Scopes, now), retired: map[string]*ent.Scope{}}
	for _, s := range c.Edges.Scopes {
		if deprecation.Retired(s, now) {
			ci.retired[strings.ToLower(s.Name)] = s
		}
	}
	var apis []int
	for _, s := range ci.assigned {
		ci.grantable[strings.ToLower(s.Name)] = s
		if !slices.Contains(apis, s.APIID) {
			apis = append(apis, s.APIID)
		}
	}
	ci.apis = map[int]*ent.API{}
	if len(apis) > 0 {
		rows, err := p.client.API.Query().Where(api.IDIn(apis...)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range rows {
			ci.apis[a.ID] = a
		}
		req, err := p.client.Scope.Query().Where(scope.APIIDIn(apis...), scope.Required(true)).
			Order(scope.ByName()).All(ctx)
		if err != nil {
			return nil, err
		}
		ci.until = deprecation.Earlier(ci.until, deprecation.NextSunset(req, now))
		for _, s := range deprecation.Live(req, now) {
			if _, held := ci.grantable[strings.ToLower(s.Name)]; s.Deprecated && !held {
				continue
			}
			ci.required[s.APIID] = append(ci.required[s.APIID], s)
			ci.grantable[strings.ToLower(s.Name)] = s
		}
	}
	ci.byID = make(map[int]*ent.Scope, len(ci.grantable))
	for _, s := range ci.grantable {
		ci.byID[s.ID] = s
	}
	p.cache.putClient(orgID, clientID, ci, gen)
	return ci, nil
}

// dummyDigest is compared against when the client is unknown, so both failures take alike time.
var dummyDigest = secret.Digest("scopekeeper-no-such-client")

// authenticate checks the client credentials of a token, introspection or revocation request
// (RFC 6749 §2.3). A BROWSER client is public: it presents its client_id only.
func (p *Provider) authenticate(ctx context.Context, org *orgInfo, cr clientCreds) (*clientInfo, *oidc.Error) {
	if cr.id == "" {
		return nil, oidc.ErrInvalidClient().WithDescription("Client authentication is required: send client_id and client_secret (HTTP Basic or in the body).")
	}
	ci, err := p.oauthClient(ctx, org.ID, cr.id)
	if err != nil {
		return nil, serverError(ctx, "look up client", err)
	}
	if ci == nil {
		secret.Matches(cr.secret, dummyDigest)
		return nil, oidc.ErrInvalidClient().WithDescription("Client authentication failed.")
	}
	if !ci.c.Enabled {
		return nil, oidc.ErrInvalidClient().WithDescription("The client is disabled.")
	}
	if ci.public() {
		if cr.secret != "" {
			return nil, oidc.ErrInvalidClient().WithDescription("A BROWSER client is public and has no secret; send only client_id.")
		}
		return ci, nil
	}
	if cr.secret == "" || !secret.Matches(cr.secret, ci.c.SecretHash) {
		return nil, oidc.ErrInvalidClient().WithDescription("Client authentication failed.")
	}
	return ci, nil
}
