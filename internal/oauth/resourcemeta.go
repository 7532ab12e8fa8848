package oauth

import (
	"net/http"

	"scopekeeper/ent"
	"scopekeeper/ent/api"
	"scopekeeper/ent/scope"
	"scopekeeper/internal/resource"
)

// resourceMetadata is RFC 9728 §2's protected-resource metadata of one API.
type resourceMetadata struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers"`
	ScopesSupported        []string `json:"scopes_supported"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceName           string   `json:"resource_name,omitempty"`
}

// handleResourceMetadata is GET ISSUER/resources/{name}: the metadata of the API named name, which
// pkg/checkmw serves at the resource's /.well-known/oauth-protected-resource. scopes_supported
// are the API's scopes shown in discovery and not deprecated, sorted, as in discovery.
func (p *Provider) handleResourceMetadata(w http.ResponseWriter, r *http.Request, org *orgInfo) {
	ctx := sys(r.Context(), org.ID)
	a, err := p.client.API.Query().Where(api.Name(r.PathValue("name"))).
		WithScopes(func(q *ent.ScopeQuery) {
			q.Where(scope.ShowInDiscoveryDocument(true), scope.Deprecated(false)).Order(scope.ByName())
		}).Only(ctx)
	if ent.IsNotFound(err) {
		writeJSON(w, http.StatusNotFound, wireError{Error: "not_found", Description: "There is no API with that name in this organisation; use the API's name, e.g. " + org.Issuer + "/resources/forums."})
		return
	}
	if err != nil {
		writeError(w, org.Issuer, serverError(ctx, "load API", err))
		return
	}
	doc := resourceMetadata{Resource: resource.Identifier(p.publicURL, a), AuthorizationServers: []string{org.Issuer},
		ScopesSupported: scopeNames(a.Edges.Scopes), BearerMethodsSupported: []string{"header"}, ResourceName: a.DisplayName}
	publicCORS(w)
	serveCacheable(w, r, doc, noCache)
}
