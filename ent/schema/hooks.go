package schema

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"entgo.io/ent"

	gen "scopekeeper/ent"
	"scopekeeper/ent/apikey"
	"scopekeeper/ent/endpoint"
	"scopekeeper/ent/hook"
	"scopekeeper/ent/oauthclient"
	"scopekeeper/ent/organisation"
	"scopekeeper/ent/scope"
	"scopekeeper/ent/user"
	"scopekeeper/internal/apperr"
	"scopekeeper/internal/keys"
	"scopekeeper/internal/memo"
	"scopekeeper/internal/oidcscope"
	"scopekeeper/internal/pathtemplate"
	"scopekeeper/internal/resource"
	"scopekeeper/internal/scopename"
	"scopekeeper/internal/scopeuse"
	"scopekeeper/internal/viewer"
)

// The validation rules of the contract, one hook per rule. Each runs inside the mutation's
// transaction, so what it reads is what the write will see.

// Hooks of TenantMixin set the organisation from the caller, check that every entity a mutation
// links to belongs to that organisation too, and keep text fields free of control characters.
func (TenantMixin) Hooks() []ent.Hook {
	return []ent.Hook{hook.On(setOrganisation, ent.OpCreate), sameOrganisationEdges, plainText,
		hook.On(forgetReads, ent.OpDelete|ent.OpDeleteOne)}
}

func setOrganisation(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		c := viewer.FromContext(ctx)
		if c == nil {
			return nil, &apperr.Error{Code: apperr.Unauthenticated, Message: "Sign in first."}
		}
		if v, ok := m.Field("organisation_id"); ok {
			if v.(int) != c.OrgID {
				return nil, apperr.Missing("That organisation does not exist.")
			}
		} else if err := m.SetField("organisation_id", c.OrgID); err != nil {
			return nil, err
		}
		return next.Mutate(ctx, m)
	})
}

// sameOrganisationEdges resolves every linked ID, one by one, as the caller: another organisation's
// object is then not found, and answered exactly like one that does not exist.
func sameOrganisationEdges(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if c := viewer.FromContext(ctx); c == nil || c.System {
			return next.Mutate(ctx, m) // the server's own work, or a privacy bypass
		}
		seen := map[int]bool{}
		for _, e := range m.AddedEdges() {
			if e == "organisation" {
				continue
			}
			for _, v := range m.AddedIDs(e) {
				id := v.(int)
				if seen[id] {
					continue
				}
				seen[id] = true
				// Noder, not Noders: Noders reports a missing ID beside its result, not as an error.
				_, err := memo.Load(ctx, linkRead{id}, func() (gen.Noder, error) { return clientOf(m).Noder(ctx, id) })
				if gen.IsNotFound(err) {
					return nil, apperr.Missing("Something this change refers to does not exist: check the IDs.")
				} else if err != nil {
					return nil, err
				}
			}
		}
		return next.Mutate(ctx, m)
	})
}

const changeOrDelete = ent.OpUpdate | ent.OpUpdateOne | ent.OpDelete | ent.OpDeleteOne

// What hooks remember within one bulk change (internal/memo), by the object read.
type (
	orgRead  struct{ id int }
	apiRead  struct{ id int }
	linkRead struct{ id int } // the caller's organisation has the object id

)

// forgetReads drops what the change remembered when it changes an object hooks remember, or
// deletes anything.
func forgetReads(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		memo.Forget(ctx)
		v, err := next.Mutate(ctx, m)
		memo.Forget(ctx) // also what its own hooks read before it
		return v, err
	})
}

// readAPI reads the API id as the caller, once per bulk change.
func readAPI(ctx context.Context, m ent.Mutation, id int) (*gen.API, error) {
	return memo.Load(ctx, apiRead{id}, func() (*gen.API, error) { return clientOf(m).API.Get(ctx, id) })
}

func clientOf(m ent.Mutation) *gen.Client {
	return m.(interface{ Client() *gen.Client }).Client()
}

func (Scope) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(checkScopeName, ent.OpCreate),
		hook.On(guardBuiltInParent, ent.OpCreate),
		hook.On(guardBuiltInScope, ent.OpUpdate|ent.OpUpdateOne|ent.OpDelete|ent.OpDeleteOne),
		hook.On(guardScopeInUse, ent.OpDelete|ent.OpDeleteOne),
		hook.On(checkScopeEndpoints, ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne),
		hook.On(checkDeprecation, ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne),
	}
}

// checkScopeName applies rules 1 and 2: a valid name under the naming policy, unique ignoring case.
func checkScopeName(next ent.Mutator) ent.Mutator {
	return hook.ScopeFunc(func(ctx context.Context, m *gen.ScopeMutation) (ent.Value, error) {
		name, _ := m.Name()
		policy := scopename.Free
		if builtIn, _ := m.BuiltIn(); !builtIn {
			id := viewer.FromContext(ctx).OrgID
			org, err := memo.Load(ctx, orgRead{id}, func() (*gen.Organisation, error) { return m.Client().Organisation.Get(ctx, id) })
			if err != nil {
				return nil, err
			}
			policy = org.NamingPolicy
		}
		if err := scopename.Validate(name, policy); err != nil {
			return nil, apperr.Invalid("name", "%s.", capitalise(err.Error()))
		}
		if _, ok := oidcscope.ByName(name); ok {
			return nil, apperr.Conflicting("name", "%q is an OpenID Connect identity scope, which every organisation already has; choose another name.", name)
		}
		m.SetNameKey(scopename.Key(name))
		v, err := next.Mutate(ctx, m)
		if gen.IsConstraintError(err) {
			return nil, apperr.Conflicting("name", "A scope named %q already exists in this organisation; names are unique ignoring case.", name)
		}
		return v, err
	})
}

func guardBuiltInScope(next ent.Mutator) ent.Mutator {
	return hook.ScopeFunc(func(ctx context.Context, m *gen.ScopeMutation) (ent.Value, error) {
		if viewer.FromContext(ctx).System {
			return next.Mutate(ctx, m)
		}
		ids, err := m.IDs(ctx)
		if err != nil {
			return nil, err
		}
		n, err := m.Client().Scope.Query().Where(scope.IDIn(ids...), scope.BuiltIn(true)).Count(ctx)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, apperr.Denied("Built-in scopes cannot be changed or deleted.")
		}
		return next.Mutate(ctx, m)
	})
}

// guardScopeInUse applies rule 7.
func guardScopeInUse(next ent.Mutator) ent.Mutator {
	return hook.ScopeFunc(func(ctx context.Context, m *gen.ScopeMutation) (ent.Value, error) {
		ids, err := m.IDs(ctx)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			imp, err := scopeuse.Of(ctx, m.Client(), id)
			if err != nil {
				return nil, err
			}
			if imp.InUse() {
				s, err := m.Client().Scope.Get(ctx, id)
				if err != nil {
					return nil, err
				}
				used := imp.UsedBy()
				return nil, &apperr.Error{Code: apperr.ScopeInUse, UsedBy: used, Message: fmt.Sprintf(
					"The scope %q is still used by %s; remove it from them first, or deprecate it instead.", s.Name, strings.Join(used, ", "))}
			}
		}
		return next.Mutate(ctx, m)
	})
}

// checkScopeEndpoints applies rule 9's linking rules: a scope guards only its own API's endpoints,
// and a readonly scope only GET and HEAD ones.
func checkScopeEndpoints(next ent.Mutator) ent.Mutator {
	return hook.ScopeFunc(func(ctx context.Context, m *gen.ScopeMutation) (ent.Value, error) {
		added := m.EndpointsIDs()
		if len(added) == 0 {
			return next.Mutate(ctx, m)
		}
		name, apiID := "", 0
		if m.Op().Is(ent.OpCreate) {
			name, _ = m.Name()
			apiID, _ = m.APIID()
		} else {
			ids, err := m.IDs(ctx)
			if err != nil {
				return nil, err
			}
			if len(ids) != 1 {
				return nil, apperr.Invalid("endpointIDs", "Link endpoints to one scope at a time.")
			}
			s, err := m.Client().Scope.Get(ctx, ids[0])
			if err != nil {
				return nil, err
			}
			name, apiID = s.Name, s.APIID
		}
		eps, err := m.Client().Endpoint.Query().Where(endpoint.IDIn(added...)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, e := range eps {
			if e.APIID != apiID {
				return nil, apperr.Invalid("endpointIDs", "The endpoint %s %s belongs to another API; a scope guards only its own API's endpoints.", e.Method, e.Path)
			}
			if scopename.IsReadOnly(name) && !isReadMethod(string(e.Method)) {
				return nil, apperr.Invalid("endpointIDs", "The readonly scope %q can guard only GET or HEAD endpoints, not %s %s; use its .modify sibling, e.g. %s.", name, e.Method, e.Path, modifySibling(name))
			}
		}
		return next.Mutate(ctx, m)
	})
}

func isReadMethod(m string) bool { return m == "GET" || m == "HEAD" }

func modifySibling(readonly string) string {
	return strings.TrimSuffix(readonly, scopename.ReadOnly) + scopename.Modify
}

func (Endpoint) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(guardBuiltInParent, ent.OpCreate),
		hook.On(checkEndpoint, ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne),
	}
}

// guardBuiltInParent keeps the built-in API as the server made it: no scopes or endpoints added.
func guardBuiltInParent(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		v, ok := m.Field("api_id")
		if !ok || viewer.FromContext(ctx).System {
			return next.Mutate(ctx, m)
		}
		api, err := readAPI(ctx, m, v.(int))
		if err != nil {
			return nil, err
		}
		if api.BuiltIn {
			return nil, apperr.Denied("The built-in API %q cannot be changed: add scopes and endpoints to your own APIs.", api.Name)
		}
		return next.Mutate(ctx, m)
	})
}

// checkEndpoint keeps paths valid templates under the API's base path and applies rule 9's
// readonly rule from the endpoint's side.
func checkEndpoint(next ent.Mutator) ent.Mutator {
	return hook.EndpointFunc(func(ctx context.Context, m *gen.EndpointMutation) (ent.Value, error) {
		var cur *gen.Endpoint
		if !m.Op().Is(ent.OpCreate) {
			ids, err := m.IDs(ctx)
			if err != nil {
				return nil, err
			}
			if len(ids) != 1 {
				return nil, apperr.Invalid("id", "Change one endpoint at a time.")
			}
			if cur, err = m.Client().Endpoint.Get(ctx, ids[0]); err != nil {
				return nil, err
			}
		}
		apiID, method, path := 0, "", ""
		if cur != nil {
			apiID, method, path = cur.APIID, string(cur.Method), cur.Path
		} else {
			apiID, _ = m.APIID()
		}
		if v, ok := m.Method(); ok {
			method = string(v)
		}
		if v, ok := m.Path(); ok {
			path = v
			api, err := readAPI(ctx, m, apiID)
			if err != nil {
				return nil, err
			}
			if _, err := pathtemplate.Parse(path); err != nil {
				return nil, apperr.Invalid("path", "%s.", capitalise(err.Error()))
			}
			if !pathtemplate.HasPrefix(path, api.BasePath) {
				return nil, apperr.Invalid("path", "The path must start with the API's base path %s, e.g. %s.", api.BasePath, strings.TrimSuffix(api.BasePath, "/")+"/items/{id}")
			}
		}
		if !isReadMethod(method) {
			q := m.Client().Scope.Query()
			if ids := m.ScopesIDs(); cur != nil {
				q = q.Where(scope.Or(scope.IDIn(ids...), scope.HasEndpointsWith(endpoint.ID(cur.ID))))
			} else {
				q = q.Where(scope.IDIn(ids...))
			}
			linked, err := q.All(ctx)
			if err != nil {
				return nil, err
			}
			for _, s := range linked {
				if scopename.IsReadOnly(s.Name) && !contains(m.RemovedScopesIDs(), s.ID) {
					return nil, apperr.Invalid("scopeIDs", "The readonly scope %q can guard only GET or HEAD endpoints, not %s; use %s.", s.Name, method, modifySibling(s.Name))
				}
			}
		}
		for _, sid := range m.ScopesIDs() {
			s, err := m.Client().Scope.Get(ctx, sid)
			if err != nil {
				return nil, err
			}
			if s.APIID != apiID {
				return nil, apperr.Invalid("scopeIDs", "The scope %q belongs to another API; an endpoint can be guarded only by its own API's scopes.", s.Name)
			}
		}
		v, err := next.Mutate(ctx, m)
		if gen.IsConstraintError(err) {
			return nil, apperr.Conflicting("path", "The endpoint %s %s already exists in this API.", method, path)
		}
		return v, err
	})
}

func contains(ids []int, id int) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

func (API) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(forgetReads, changeOrDelete),
		hook.On(guardBuiltInAPI, ent.OpUpdate|ent.OpUpdateOne|ent.OpDelete|ent.OpDeleteOne),
		hook.On(checkAPI, ent.OpCreate|ent.OpUpdateOne),
		hook.On(deleteAPIContents, ent.OpDeleteOne),
	}
}

func guardBuiltInAPI(next ent.Mutator) ent.Mutator {
	return hook.APIFunc(func(ctx context.Context, m *gen.APIMutation) (ent.Value, error) {
		if viewer.FromContext(ctx).System {
			return next.Mutate(ctx, m)
		}
		ids, err := m.IDs(ctx)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			a, err := m.Client().API.Get(ctx, id)
			if err != nil {
				return nil, err
			}
			if a.BuiltIn {
				return nil, apperr.Denied("The built-in API %q cannot be changed or deleted.", a.Name)
			}
		}
		return next.Mutate(ctx, m)
	})
}

// checkAPI keeps names and identifiers unique, identifiers absolute URIs, JWT lifetimes short and
// every endpoint under the base path.
func checkAPI(next ent.Mutator) ent.Mutator {
	return hook.APIFunc(func(ctx context.Context, m *gen.APIMutation) (ent.Value, error) {
		if id, ok := m.Identifier(); ok {
			if msg := resource.Check(id); msg != "" {
				return nil, apperr.Invalid("identifier", "The identifier %s, e.g. %s.", msg, resource.Example)
			}
		}
		if n, ok := m.JwtLifetime(); ok && (n < MinJWTLifetime || n > MaxJWTLifetime) {
			return nil, apperr.Invalid("jwtLifetime", "The JWT lifetime must be %d to %d seconds, e.g. 300 (five minutes).", MinJWTLifetime, MaxJWTLifetime)
		}
		if base, ok := m.BasePath(); ok && m.Op().Is(ent.OpUpdateOne) {
			id, _ := m.ID()
			eps, err := m.Client().Endpoint.Query().Where(endpoint.APIID(id)).All(ctx)
			if err != nil {
				return nil, err
			}
			for _, e := range eps {
				if !pathtemplate.HasPrefix(e.Path, base) {
					return nil, apperr.Invalid("basePath", "The endpoint %s %s would no longer be under %s; move or delete it first.", e.Method, e.Path, base)
				}
			}
		}
		v, err := next.Mutate(ctx, m)
		if gen.IsConstraintError(err) {
			if id, ok := m.Identifier(); ok && strings.Contains(err.Error(), "identifier") {
				return nil, apperr.Conflicting("identifier", "Another API of this organisation has the identifier %q; each API needs its own.", id)
			}
			name, _ := m.Name()
			return nil, apperr.Conflicting("name", "An API named %q already exists in this organisation.", name)
		}
		return v, err
	})
}

// Bounds of API.jwtLifetime in seconds: JWT access tokens are checked offline, so they stay short.
const (
	MinJWTLifetime = 30
	MaxJWTLifetime = 3600
)

// deleteAPIContents deletes an API's endpoints and scopes first, so the scopes' in-use guard applies.
func deleteAPIContents(next ent.Mutator) ent.Mutator {
	return hook.APIFunc(func(ctx context.Context, m *gen.APIMutation) (ent.Value, error) {
		id, _ := m.ID()
		ids, err := m.Client().Scope.Query().Where(scope.APIID(id)).IDs(ctx)
		if err != nil {
			return nil, err
		}
		for _, sid := range ids {
			if err := m.Client().Scope.DeleteOneID(sid).Exec(ctx); err != nil {
				return nil, err
			}
		}
		if _, err := m.Client().Endpoint.Delete().Where(endpoint.APIID(id)).Exec(ctx); err != nil {
			return nil, err
		}
		return next.Mutate(ctx, m)
	})
}

func (OAuthClient) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(checkRedirectURIs, ent.OpCreate|ent.OpUpdateOne),
		hook.On(checkOIDCSettings, ent.OpCreate|ent.OpUpdateOne),
		hook.On(checkClientScopes, ent.OpUpdateOne),
		hook.On(recordScopeRemovals, ent.OpUpdate|ent.OpUpdateOne),
	}
}

// recordScopeRemovals applies rule 8 to scopes given back: it notes when each scope was taken from
// the client, and credential.Held withholds it from tokens issued before then. A scope kept across
// a replacement (setClientScopes) is not taken. Entries of deleted scopes are dropped, so the record
// stays within the organisation's scopes.
func recordScopeRemovals(next ent.Mutator) ent.Mutator {
	return hook.OAuthClientFunc(func(ctx context.Context, m *gen.OAuthClientMutation) (ent.Value, error) {
		if !m.ScopesCleared() && len(m.RemovedScopesIDs()) == 0 {
			return next.Mutate(ctx, m)
		}
		id, ok := m.ID()
		if !ok || !m.Op().Is(ent.OpUpdateOne) {
			return nil, apperr.Invalid("id", "Change the scopes of one client at a time.")
		}
		held, err := m.Client().Scope.Query().Where(scope.HasClientsWith(oauthclient.ID(id))).IDs(ctx)
		if err != nil {
			return nil, err
		}
		var taken []int
		for _, sid := range held {
			if (m.ScopesCleared() || slices.Contains(m.RemovedScopesIDs(), sid)) && !slices.Contains(m.ScopesIDs(), sid) {
				taken = append(taken, sid)
			}
		}
		if len(taken) == 0 {
			return next.Mutate(ctx, m)
		}
		old, err := m.OldScopeRemovals(ctx)
		if err != nil {
			return nil, err
		}
		removals := map[int]time.Time{}
		if len(old) > 0 {
			ids := slices.Collect(maps.Keys(old))
			exist, err := m.Client().Scope.Query().Where(scope.IDIn(ids...)).IDs(ctx)
			if err != nil {
				return nil, err
			}
			for _, sid := range exist {
				removals[sid] = old[sid]
			}
		}
		now := time.Now()
		for _, sid := range taken {
			removals[sid] = now
		}
		m.SetScopeRemovals(removals)
		return next.Mutate(ctx, m)
	})
}

// checkRedirectURIs: WEB and BROWSER clients need exact redirect URIs; SERVICE clients have none.
func checkRedirectURIs(next ent.Mutator) ent.Mutator {
	return hook.OAuthClientFunc(func(ctx context.Context, m *gen.OAuthClientMutation) (ent.Value, error) {
		kind, ok := m.Kind()
		if !ok {
			var err error
			if kind, err = m.OldKind(ctx); err != nil {
				return nil, err
			}
		}
		uris, set := m.RedirectURIs()
		if !set && !m.Op().Is(ent.OpCreate) {
			if m.RedirectURIsCleared() {
				set = true
			} else {
				return next.Mutate(ctx, m)
			}
		}
		if kind == oauthclient.KindSERVICE && len(uris) > 0 {
			return nil, apperr.Invalid("redirectURIs", "A SERVICE client uses client_credentials and has no redirect URIs; leave the list empty.")
		}
		if kind != oauthclient.KindSERVICE && len(uris) == 0 {
			return nil, apperr.Invalid("redirectURIs", "A %s client needs at least one redirect URI, e.g. https://app.example.com/callback.", kind)
		}
		for _, u := range uris {
			if err := validRedirectURI(u); err != nil {
				return nil, apperr.Invalid("redirectURIs", "%q: %s, e.g. https://app.example.com/callback or http://127.0.0.1:8000/callback.", u, err)
			}
		}
		return next.Mutate(ctx, m)
	})
}

// checkOIDCSettings: post-logout redirect URIs are exact URLs like redirect URIs, and only WEB and
// BROWSER clients sign people in; a BROWSER client always uses PKCE.
func checkOIDCSettings(next ent.Mutator) ent.Mutator {
	return hook.OAuthClientFunc(func(ctx context.Context, m *gen.OAuthClientMutation) (ent.Value, error) {
		kind, ok := m.Kind()
		if !ok {
			var err error
			if kind, err = m.OldKind(ctx); err != nil {
				return nil, err
			}
		}
		uris, _ := m.PostLogoutRedirectURIs()
		if kind == oauthclient.KindSERVICE && len(uris) > 0 {
			return nil, apperr.Invalid("postLogoutRedirectURIs", "A SERVICE client signs no one in, so it has no post-logout redirect URIs; leave the list empty.")
		}
		for _, u := range uris {
			if err := validRedirectURI(u); err != nil {
				return nil, apperr.Invalid("postLogoutRedirectURIs", "%q: %s, e.g. https://app.example.com/signed-out.", u, err)
			}
		}
		if pkce, set := m.RequirePKCE(); set && !pkce && kind == oauthclient.KindBROWSER {
			return nil, apperr.Invalid("requirePKCE", "A BROWSER client is public and always uses PKCE; leave requirePKCE on.")
		}
		return next.Mutate(ctx, m)
	})
}

func validRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return fmt.Errorf("must be an absolute URL")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return fmt.Errorf("must not contain a fragment")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && (u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1" || u.Hostname() == "::1"):
		return nil
	default:
		return fmt.Errorf("must use https (http only for localhost)")
	}
}

// checkClientScopes applies rules 3 and 7 to assignments: no newly assigned deprecated scope, and at
// most maxScopesPerClient non-required scopes. The count runs after the write in the same
// transaction, whose update of the client row also serialises concurrent assignments.
func checkClientScopes(next ent.Mutator) ent.Mutator {
	return hook.OAuthClientFunc(func(ctx context.Context, m *gen.OAuthClientMutation) (ent.Value, error) {
		added := m.ScopesIDs()
		if len(added) == 0 {
			return next.Mutate(ctx, m)
		}
		id, _ := m.ID()
		deprecated, err := m.Client().Scope.Query().Where(scope.IDIn(added...), scope.Deprecated(true),
			scope.Not(scope.HasClientsWith(oauthclient.ID(id)))).All(ctx)
		if err != nil {
			return nil, err
		}
		if len(deprecated) > 0 {
			return nil, apperr.Invalid("scopeIDs", "The scope %q is deprecated and can no longer be newly assigned.", deprecated[0].Name)
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return nil, err
		}
		org, err := m.Client().Organisation.Get(ctx, viewer.FromContext(ctx).OrgID)
		if err != nil {
			return nil, err
		}
		n, err := m.Client().Scope.Query().Where(scope.HasClientsWith(oauthclient.ID(id)), scope.Required(false)).Count(ctx)
		if err != nil {
			return nil, err
		}
		if n > org.MaxScopesPerClient {
			return nil, &apperr.Error{Code: apperr.ScopeLimitExceeded, Field: "scopeIDs", Message: fmt.Sprintf(
				"A client may hold at most %d scopes (required scopes not counted); this would give it %d. Remove some first.", org.MaxScopesPerClient, n)}
		}
		return v, nil
	})
}

func (APIKey) Hooks() []ent.Hook {
	return []ent.Hook{hook.On(checkKeyScopes, ent.OpCreate|ent.OpUpdateOne)}
}

// checkKeyScopes applies rule 10: a key holds a subset of the organisation's allowed set.
func checkKeyScopes(next ent.Mutator) ent.Mutator {
	return hook.APIKeyFunc(func(ctx context.Context, m *gen.APIKeyMutation) (ent.Value, error) {
		if added := m.ScopesIDs(); len(added) > 0 {
			orgID := viewer.FromContext(ctx).OrgID
			bad, err := m.Client().Scope.Query().Where(scope.IDIn(added...),
				scope.Not(scope.HasAllowedForKeysOfWith(organisation.ID(orgID)))).All(ctx)
			if err != nil {
				return nil, err
			}
			if len(bad) > 0 {
				return nil, apperr.Invalid("scopeIDs", "API keys may not hold the scope %q; an owner can allow it in the organisation settings.", bad[0].Name)
			}
			// Rule 7: a deprecated scope is not newly assigned, to keys either.
			q := m.Client().Scope.Query().Where(scope.IDIn(added...), scope.Deprecated(true))
			if id, ok := m.ID(); ok {
				q = q.Where(scope.Not(scope.HasAPIKeysWith(apikey.ID(id))))
			}
			if deprecated, err := q.All(ctx); err != nil {
				return nil, err
			} else if len(deprecated) > 0 {
				return nil, apperr.Invalid("scopeIDs", "The scope %q is deprecated and can no longer be newly assigned%s.", deprecated[0].Name, replacementOf(ctx, m.Client(), deprecated[0]))
			}
		}
		if exp, ok := m.ExpiresAt(); ok && m.Op().Is(ent.OpCreate) && !exp.After(time.Now()) {
			return nil, apperr.Invalid("expiresAt", "The expiry must lie in the future, e.g. %s.", time.Now().AddDate(0, 3, 0).Format("2006-01-02T15:04:05Z07:00"))
		}
		return next.Mutate(ctx, m)
	})
}

func (User) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(checkUser, ent.OpCreate|ent.OpUpdateOne),
		hook.On(guardUserDelete, ent.OpDeleteOne),
	}
}

// checkUser keeps emails unique (ignoring case) and the organisation with at least one OWNER.
func checkUser(next ent.Mutator) ent.Mutator {
	return hook.UserFunc(func(ctx context.Context, m *gen.UserMutation) (ent.Value, error) {
		email, ok := m.Email()
		if ok {
			email = strings.ToLower(strings.TrimSpace(email))
			m.SetEmail(email)
		}
		if role, ok := m.Role(); ok && role != viewer.Owner && m.Op().Is(ent.OpUpdateOne) {
			if err := keepAnOwner(ctx, m); err != nil {
				return nil, err
			}
		}
		v, err := next.Mutate(ctx, m)
		if gen.IsConstraintError(err) {
			return nil, apperr.Conflicting("email", "A user with the email %s already exists.", email)
		}
		return v, err
	})
}

func guardUserDelete(next ent.Mutator) ent.Mutator {
	return hook.UserFunc(func(ctx context.Context, m *gen.UserMutation) (ent.Value, error) {
		id, _ := m.ID()
		if id == viewer.FromContext(ctx).UserID {
			return nil, apperr.Invalid("id", "You cannot delete yourself; ask another owner.")
		}
		if err := keepAnOwner(ctx, m); err != nil {
			return nil, err
		}
		// The person's API keys, sessions and consents go with them (ON DELETE CASCADE).
		return next.Mutate(ctx, m)
	})
}

// keepAnOwner refuses to demote or delete the organisation's last OWNER.
func keepAnOwner(ctx context.Context, m *gen.UserMutation) error {
	id, _ := m.ID()
	u, err := m.Client().User.Get(ctx, id)
	if err != nil || u.Role != viewer.Owner {
		return err
	}
	n, err := m.Client().User.Query().Where(user.RoleEQ(viewer.Owner)).Count(ctx)
	if err != nil {
		return err
	}
	if n <= 1 {
		return apperr.Invalid("role", "%s is the organisation's only owner; make someone else an owner first.", u.Email)
	}
	return nil
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Hooks of OrganisationMixin check that the organisation links only its own scopes and keep its
// text free of control characters.
func (OrganisationMixin) Hooks() []ent.Hook {
	return []ent.Hook{sameOrganisationEdges, plainText, hook.On(forgetReads, changeOrDelete)}
}

func (SigningKey) Hooks() []ent.Hook {
	return []ent.Hook{hook.On(keepCurrentKey, ent.OpUpdate|ent.OpUpdateOne)}
}

// keepCurrentKey refuses to retire the key that signs: ID tokens would have no published key.
func keepCurrentKey(next ent.Mutator) ent.Mutator {
	return hook.SigningKeyFunc(func(ctx context.Context, m *gen.SigningKeyMutation) (ent.Value, error) {
		if _, retiring := m.RetiredAt(); retiring {
			ids, err := m.IDs(ctx)
			if err != nil {
				return nil, err
			}
			cur, err := keys.Current(ctx, m.Client())
			if err != nil && !gen.IsNotFound(err) {
				return nil, err
			}
			if cur != nil && slices.Contains(ids, cur.ID) {
				return nil, apperr.Invalid("id", "Key %s signs new ID tokens and cannot be retired; rotate first (rotateSigningKey), then retire it.", cur.Kid)
			}
		}
		return next.Mutate(ctx, m)
	})
}
