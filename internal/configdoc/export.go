package configdoc

import (
	"cmp"
	"context"
	"slices"
	"time"

	"scopekeeper/ent"
	"scopekeeper/ent/api"
	"scopekeeper/ent/endpoint"
	"scopekeeper/ent/oauthclient"
	"scopekeeper/ent/scope"
)

// Export reads the configuration of the caller's organisation (ctx carries the viewer; privacy
// rules decide what it may read). Everything is sorted by name, so equal configurations give
// equal documents.
func Export(ctx context.Context, client *ent.Client, orgID int) (*Document, error) {
	org, err := client.Organisation.Get(ctx, orgID)
	if err != nil {
		return nil, err
	}
	allowed, err := org.QueryAPIKeyAllowedScopes().Order(scope.ByName()).Select(scope.FieldName).Strings(ctx)
	if err != nil {
		return nil, err
	}
	d := &Document{Version: Version, Organisation: Organisation{
		Name: org.Name, MaxScopesPerClient: org.MaxScopesPerClient, RefreshTokenLifetime: org.RefreshTokenLifetime,
		NamingPolicy:        string(org.NamingPolicy),
		APIKeyAllowedScopes: nonNil(allowed),
	}, APIs: []API{}, Clients: []Client{}}

	apis, err := client.API.Query().Where(api.BuiltIn(false)).Order(api.ByName()).
		WithScopes(func(q *ent.ScopeQuery) {
			q.Order(scope.ByName()).WithReplacedBy(func(q *ent.ScopeQuery) { q.Select(scope.FieldName) })
		}).
		WithEndpoints(func(q *ent.EndpointQuery) {
			q.Order(endpoint.ByPath(), endpoint.ByMethod()).WithScopes(func(q *ent.ScopeQuery) { q.Select(scope.FieldName) })
		}).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range apis {
		out := API{Name: a.Name, DisplayName: a.DisplayName, Description: a.Description, BasePath: a.BasePath,
			Scopes: []Scope{}, Endpoints: []Endpoint{},
			Identifier: a.Identifier, AccessTokenFormat: string(a.AccessTokenFormat), JWTLifetime: a.JwtLifetime}
		for _, s := range a.Edges.Scopes {
			out.Scopes = append(out.Scopes, Scope{Name: s.Name, DisplayName: s.DisplayName, Description: s.Description,
				Required: s.Required, Emphasize: s.Emphasize, ShowInDiscoveryDocument: ptr(s.ShowInDiscoveryDocument),
				Deprecated: s.Deprecated, SunsetAt: formatSunset(s.SunsetAt)})
			if r := s.Edges.ReplacedBy; r != nil {
				out.Scopes[len(out.Scopes)-1].ReplacedBy = r.Name
			}
		}
		for _, e := range a.Edges.Endpoints {
			out.Endpoints = append(out.Endpoints, Endpoint{Endpoint: string(e.Method) + " " + e.Path, Scopes: names(e.Edges.Scopes)})
		}
		d.APIs = append(d.APIs, out)
	}

	clients, err := client.OAuthClient.Query().Order(oauthclient.ByName(), oauthclient.ByID()).
		WithScopes(func(q *ent.ScopeQuery) { q.Select(scope.FieldName) }).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range clients {
		d.Clients = append(d.Clients, Client{Name: c.Name, Description: c.Description, Kind: string(c.Kind),
			RedirectURIs: nonNil(c.RedirectURIs), AllowUncategorizedRead: c.AllowUncategorizedRead,
			AllowUncategorizedModify: c.AllowUncategorizedModify, Enabled: ptr(c.Enabled), RefreshTokens: ptr(c.RefreshTokens),
			RequirePKCE: ptr(c.RequirePKCE), PostLogoutRedirectURIs: nonNil(c.PostLogoutRedirectURIs), Scopes: names(c.Edges.Scopes)})
	}
	return d, nil
}

func names(scopes []*ent.Scope) []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = s.Name
	}
	slices.SortFunc(out, cmp.Compare)
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// formatSunset writes a sunset as RFC 3339 in UTC with what precision it has, so that importing
// it gives the same instant back.
func formatSunset(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
