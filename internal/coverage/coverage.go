// Package coverage answers how well an API's scopes cover its endpoints: which endpoints no scope
// guards (uncategorized), which scopes guard nothing, and which endpoints no client or live API key
// can reach. It reads what the access check decides with, so its answers follow contract rule 9:
// a group.entity.modify scope also opens its group.entity.readonly sibling's endpoints, and an
// uncategorized endpoint is reachable only by credentials that allow uncategorized reads (GET and
// HEAD) or modifications (other methods).
package coverage

import (
	"context"

	"scopekeeper/ent"
	"scopekeeper/ent/apikey"
	"scopekeeper/ent/endpoint"
	"scopekeeper/ent/oauthclient"
	"scopekeeper/ent/scope"
	"scopekeeper/internal/scopename"
)

// Report is one API's coverage.
type Report struct {
	Uncategorized []*ent.Endpoint
	UnusedScopes  []*ent.Scope
	Unreachable   []*ent.Endpoint
}

// Of reports on the API apiID, reading through client as the caller (privacy rules apply).
func Of(ctx context.Context, client *ent.Client, apiID int) (*Report, error) {
	if _, err := client.API.Get(ctx, apiID); err != nil {
		return nil, err
	}
	eps, err := client.Endpoint.Query().Where(endpoint.APIID(apiID)).
		Order(endpoint.ByPath(), endpoint.ByMethod()).
		WithScopes(func(q *ent.ScopeQuery) { q.Select(scope.FieldID, scope.FieldName) }).All(ctx)
	if err != nil {
		return nil, err
	}
	scopes, err := client.Scope.Query().Where(scope.APIID(apiID)).Order(scope.ByName()).
		WithEndpoints(func(q *ent.EndpointQuery) { q.Select(endpoint.FieldID) }).All(ctx)
	if err != nil {
		return nil, err
	}
	heldIDs, err := client.Scope.Query().Where(scope.APIID(apiID), scope.Or(
		scope.HasClientsWith(oauthclient.Enabled(true)),
		scope.HasAPIKeysWith(apikey.RevokedAtIsNil()),
	)).IDs(ctx)
	if err != nil {
		return nil, err
	}
	held := map[int]bool{}
	for _, id := range heldIDs {
		held[id] = true
	}
	uncatRead, err := anyAllows(ctx, client, true)
	if err != nil {
		return nil, err
	}
	uncatModify, err := anyAllows(ctx, client, false)
	if err != nil {
		return nil, err
	}

	// modifyOf: a readonly scope's name key → the modify scopes whose sibling it is.
	modifyOf := map[string][]*ent.Scope{}
	for _, s := range scopes {
		if ro, ok := scopename.ReadOnlySibling(s.Name); ok {
			modifyOf[scopename.Key(ro)] = append(modifyOf[scopename.Key(ro)], s)
		}
	}
	// guards lists the scopes that open an endpoint: its own and their modify siblings.
	guards := func(e *ent.Endpoint) []*ent.Scope {
		out := append([]*ent.Scope(nil), e.Edges.Scopes...)
		for _, s := range e.Edges.Scopes {
			out = append(out, modifyOf[scopename.Key(s.Name)]...)
		}
		return out
	}
	guarded := map[int]bool{} // scopes that open at least one endpoint
	r := &Report{Uncategorized: []*ent.Endpoint{}, UnusedScopes: []*ent.Scope{}, Unreachable: []*ent.Endpoint{}}
	for _, e := range eps {
		if len(e.Edges.Scopes) == 0 {
			r.Uncategorized = append(r.Uncategorized, e)
			read := e.Method == endpoint.MethodGET || e.Method == endpoint.MethodHEAD
			if (read && !uncatRead) || (!read && !uncatModify) {
				r.Unreachable = append(r.Unreachable, e)
			}
			continue
		}
		reachable := false
		for _, s := range guards(e) {
			guarded[s.ID] = true
			reachable = reachable || held[s.ID]
		}
		if !reachable {
			r.Unreachable = append(r.Unreachable, e)
		}
	}
	for _, s := range scopes {
		if !guarded[s.ID] && !s.BuiltIn {
			r.UnusedScopes = append(r.UnusedScopes, s)
		}
	}
	return r, nil
}

// anyAllows reports whether an enabled client or a live API key allows uncategorized reads (read)
// or modifications.
func anyAllows(ctx context.Context, client *ent.Client, read bool) (bool, error) {
	cp, kp := oauthclient.AllowUncategorizedModify(true), apikey.AllowUncategorizedModify(true)
	if read {
		cp, kp = oauthclient.AllowUncategorizedRead(true), apikey.AllowUncategorizedRead(true)
	}
	ok, err := client.OAuthClient.Query().Where(cp, oauthclient.Enabled(true)).Exist(ctx)
	if err != nil || ok {
		return ok, err
	}
	return client.APIKey.Query().Where(kp, apikey.RevokedAtIsNil()).Exist(ctx)
}
