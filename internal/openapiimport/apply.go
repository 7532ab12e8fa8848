package openapiimport

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"scopekeeper/ent"
	entapi "scopekeeper/ent/api"
	"scopekeeper/ent/endpoint"
	"scopekeeper/ent/scope"
	"scopekeeper/internal/apperr"
	"scopekeeper/internal/configdoc"
	"scopekeeper/internal/scopename"
	"scopekeeper/internal/viewer"
)

// maxDescription is the longest scope description stored (the Scope schema's limit).
const maxDescription = 2000

// Import plans the document's import into the API and applies the plan through client, which
// should be a transaction's: the caller commits it, or rolls it back for a dry run. Every write
// goes through the ent hooks and privacy rules of the admin API, so a rule the result would break
// (naming policy, readonly endpoints) fails the import, naming the rule and the object. Nothing is
// deleted or unlinked.
func Import(ctx context.Context, client *ent.Client, apiID int, d *Document) (*Plan, error) {
	if err := Authorize(ctx); err != nil {
		return nil, err
	}
	c := viewer.FromContext(ctx)
	a, err := client.API.Query().Where(entapi.ID(apiID)).WithScopes().
		WithEndpoints(func(q *ent.EndpointQuery) { q.WithScopes() }).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.Missing("Nothing with that ID exists in your organisation.")
	} else if err != nil {
		return nil, err
	}
	if a.BuiltIn {
		return nil, apperr.Denied("The built-in API %q cannot be changed: import into one of your own APIs.", a.Name)
	}
	org, err := client.Organisation.Get(ctx, c.OrgID)
	if err != nil {
		return nil, err
	}
	in := API{Name: a.Name, BasePath: a.BasePath, Policy: org.NamingPolicy, Endpoints: map[string][]string{}}
	ids := map[string]int{} // scope name ignoring case → ID
	for _, s := range a.Edges.Scopes {
		in.Scopes = append(in.Scopes, s.Name)
		ids[scopename.Key(s.Name)] = s.ID
	}
	existing := map[string]int{}
	for _, e := range a.Edges.Endpoints {
		key := string(e.Method) + " " + e.Path
		existing[key] = e.ID
		names := []string{}
		for _, s := range e.Edges.Scopes {
			names = append(names, s.Name)
		}
		in.Endpoints[key] = names
	}
	p, err := Build(d, in)
	if err != nil {
		msg := err.Error()
		return nil, apperr.Invalid("document", "%s%s.", strings.ToUpper(msg[:1]), msg[1:])
	}
	if err := createScopes(ctx, client, a, p, ids); err != nil {
		return nil, err
	}
	for _, e := range p.Endpoints {
		if e.Action == Remove || e.Action == Keep && len(e.AddScopes) == 0 {
			continue
		}
		link := make([]int, len(e.AddScopes))
		for i, s := range e.AddScopes {
			link[i] = ids[scopename.Key(s)]
		}
		if e.Action == Add {
			err = client.Endpoint.Create().SetAPIID(a.ID).SetMethod(endpoint.Method(e.Method)).SetPath(e.Path).
				AddScopeIDs(link...).Exec(ctx)
		} else {
			err = client.Endpoint.UpdateOneID(existing[e.Method+" "+e.Path]).AddScopeIDs(link...).Exec(ctx)
		}
		if err != nil {
			return nil, &configdoc.ObjectError{Object: fmt.Sprintf("endpoint %q", e.Method+" "+e.Path), Err: err}
		}
	}
	return p, nil
}

// Authorize lets OWNER and ACCESS_CONTROL import. A dry run previews a change, so only those who may
// make it may preview it (contract §2: a VIEWER changes nothing, a MEMBER has no admin access).
func Authorize(ctx context.Context) error {
	c := viewer.FromContext(ctx)
	if c == nil {
		return &apperr.Error{Code: apperr.Unauthenticated, Message: "Sign in first."}
	}
	if !c.Role.CanAdminister() {
		return apperr.Denied("Your role (%s) may not import endpoints; ask an OWNER or ACCESS_CONTROL user.", c.Role)
	}
	return nil
}

// createScopes creates the plan's new scopes in the API and records their IDs. A name another API
// of the organisation has is refused up front: names are unique in the organisation, and an
// endpoint is guarded only by its own API's scopes.
func createScopes(ctx context.Context, client *ent.Client, a *ent.API, p *Plan, ids map[string]int) error {
	var keys []string
	for _, s := range p.Scopes {
		if s.Action == Add {
			keys = append(keys, scopename.Key(s.Name))
		}
	}
	if len(keys) == 0 {
		return nil
	}
	taken, err := client.Scope.Query().Where(scope.NameKeyIn(keys...)).WithAPI().All(ctx)
	if err != nil {
		return err
	}
	if len(taken) > 0 {
		s := taken[0]
		return &configdoc.ObjectError{Object: fmt.Sprintf("scope %q", s.Name), Err: apperr.Conflicting("document",
			"The API %q already has this scope, and an endpoint can be guarded only by its own API's scopes; rename the scope in the document, or import into %q.",
			s.Edges.API.Name, s.Edges.API.Name)}
	}
	for _, s := range p.Scopes {
		if s.Action != Add {
			continue
		}
		create := client.Scope.Create().SetAPIID(a.ID).SetName(s.Name).SetDescription(truncate(strings.TrimSpace(s.Description), maxDescription))
		if s.Proposed {
			create.SetDisplayName(proposedDisplayName(s.Name))
		}
		created, err := create.Save(ctx)
		if err != nil {
			return &configdoc.ObjectError{Object: fmt.Sprintf("scope %q", s.Name), Err: err}
		}
		ids[scopename.Key(s.Name)] = created.ID
	}
	return nil
}

// proposedDisplayName reads a proposed name to people: forums.threads.readonly → "Read threads".
func proposedDisplayName(name string) string {
	_, entity, modifier, _ := scopename.Parts(name)
	if modifier == scopename.ReadOnly {
		return "Read " + entity
	}
	return "Change " + entity
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
