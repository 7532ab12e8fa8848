package configdoc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"scopekeeper/ent"
	"scopekeeper/ent/api"
	"scopekeeper/ent/endpoint"
	"scopekeeper/ent/oauthclient"
	"scopekeeper/ent/organisation"
	"scopekeeper/ent/scope"
	"scopekeeper/internal/apperr"
	"scopekeeper/internal/audit"
	"scopekeeper/internal/memo"
	"scopekeeper/internal/scopename"
	"scopekeeper/internal/scopeuse"
	"scopekeeper/internal/secret"
)

// Action is what a change does.
type Action string

const (
	Create Action = "CREATE"
	Update Action = "UPDATE"
	Delete Action = "DELETE"
)

// Change is one step of a plan.
type Change struct {
	Action Action
	// Kind is Organisation, API, Scope, Endpoint or Client.
	Kind string
	// Name names the object: an API's or client's name, a scope's name, "GET /path".
	Name string
	// Fields lists what an update changes.
	Fields []string
	// UsedBy is a deleted scope's impact as scopeImpact gives it.
	UsedBy []string
}

// Secret is the client secret of a client the import created, shown once.
type Secret struct {
	Client, ClientID, Secret string
}

// Plan is what an import does (or, in a dry run, would do).
type Plan struct {
	Changes []Change
	Secrets []Secret
}

// ObjectError is a rule the imported configuration breaks, with the object that breaks it.
type ObjectError struct {
	Object string // e.g. `scope "forums.threads.readonly"`
	Err    error
}

func (e *ObjectError) Error() string { return e.Object + ": " + e.Err.Error() }
func (e *ObjectError) Unwrap() error { return e.Err }

func objErr(kind, name string, err error) error {
	if err == nil {
		return nil
	}
	return &ObjectError{Object: fmt.Sprintf("%s %q", kind, name), Err: err}
}

// Import makes the caller's organisation match d through client, which should be a transaction's:
// the caller commits the plan, or rolls it back for a dry run. Every write goes through the same
// ent hooks and privacy rules as the admin API, so any rule the result would break (limits, names,
// readonly endpoints, scopes in use) fails the import and names the object. Without prune nothing
// is deleted.
//
// The import is audited as one change: one event on the organisation that counts the plan's
// changes by action and kind, instead of one per object.
func Import(ctx context.Context, client *ent.Client, orgID int, d *Document, prune bool) (*Plan, error) {
	d.defaults()
	im := &importer{ctx: memo.New(audit.Batch(ctx)), client: client, orgID: orgID, plan: &Plan{Changes: []Change{}, Secrets: []Secret{}}}
	if err := im.run(d, prune); err != nil {
		return nil, err
	}
	if len(im.plan.Changes) == 0 {
		return im.plan, nil
	}
	counts := map[string]any{}
	for _, c := range im.plan.Changes {
		byKind, _ := counts[string(c.Action)].(map[string]int)
		if byKind == nil {
			byKind = map[string]int{}
			counts[string(c.Action)] = byKind
		}
		byKind[c.Kind]++
	}
	err := audit.Record(ctx, client, audit.ActionUpdate, ent.TypeOrganisation, orgID, map[string]any{"import": counts})
	return im.plan, err
}

type importer struct {
	ctx    context.Context
	client *ent.Client
	orgID  int
	plan   *Plan
	scopes map[string]int // name ignoring case → ID, after creates
	// existing holds the organisation's scopes before the import by name ignoring case: names
	// are unique in the organisation, so a documented scope is either one of them or new.
	existing map[string]*ent.Scope
	// pending holds new scopes until createScopes writes them in bulk, with their names.
	pending      []*ent.ScopeCreate
	pendingNames []string
}

// scopeBatch is how many new scopes one INSERT writes: a thousandth of the statements, far under
// every database's limit on bound values.
const scopeBatch = 250

func (im *importer) add(c Change) { im.plan.Changes = append(im.plan.Changes, c) }

func (im *importer) run(d *Document, prune bool) error {
	if err := checkUnique(d); err != nil {
		return err
	}
	if err := im.organisation(d.Organisation); err != nil {
		return err
	}
	existingAPIs, err := im.client.API.Query().WithScopes().WithEndpoints(func(q *ent.EndpointQuery) { q.WithScopes() }).All(im.ctx)
	if err != nil {
		return err
	}
	byName := map[string]*ent.API{}
	im.existing = map[string]*ent.Scope{}
	for _, a := range existingAPIs {
		byName[strings.ToLower(a.Name)] = a
		for _, s := range a.Edges.Scopes {
			im.existing[strings.ToLower(s.Name)] = s
		}
	}
	// Impact of scope deletes is taken before anything changes, as scopeImpact would show it.
	var doomedScopes []*ent.Scope
	if prune {
		if doomedScopes, err = im.doomedScopes(d, existingAPIs); err != nil {
			return err
		}
	}
	apiIDs := make([]int, len(d.APIs))
	for i, a := range d.APIs {
		if apiIDs[i], err = im.api(a, byName[strings.ToLower(a.Name)]); err != nil {
			return err
		}
	}
	if err := im.createScopes(); err != nil {
		return err
	}
	if err := im.loadScopes(); err != nil {
		return err
	}
	if err := im.replacements(d); err != nil {
		return err
	}
	for i, a := range d.APIs {
		if err := im.endpoints(a, apiIDs[i], byName[strings.ToLower(a.Name)], prune); err != nil {
			return err
		}
	}
	if err := im.clients(d.Clients, prune); err != nil {
		return err
	}
	if err := im.allowedScopes(d.Organisation.APIKeyAllowedScopes); err != nil {
		return err
	}
	if !prune {
		return nil
	}
	for _, s := range doomedScopes {
		if err := im.client.Scope.DeleteOneID(s.ID).Exec(im.ctx); err != nil {
			return objErr("scope", s.Name, err)
		}
	}
	for _, a := range existingAPIs {
		if !a.BuiltIn && !slices.ContainsFunc(d.APIs, func(x API) bool { return strings.EqualFold(x.Name, a.Name) }) {
			im.add(Change{Action: Delete, Kind: "API", Name: a.Name})
			if _, err := im.client.Endpoint.Delete().Where(endpoint.APIID(a.ID)).Exec(im.ctx); err != nil {
				return objErr("API", a.Name, err)
			}
			if err := im.client.API.DeleteOneID(a.ID).Exec(im.ctx); err != nil {
				return objErr("API", a.Name, err)
			}
		}
	}
	return nil
}

// checkUnique refuses a document that names one thing twice.
func checkUnique(d *Document) error {
	seen := map[string]bool{}
	dup := func(kind, name string) error {
		key := kind + "\x00" + strings.ToLower(name)
		if seen[key] {
			return objErr(kind, name, apperr.Invalid(kind, "The document names it twice; names are unique ignoring case."))
		}
		seen[key] = true
		return nil
	}
	for _, a := range d.APIs {
		if err := dup("API", a.Name); err != nil {
			return err
		}
		if strings.EqualFold(a.Name, "scopekeeper") {
			return objErr("API", a.Name, apperr.Invalid("apis", "The scopekeeper API is built in: leave it out of the document."))
		}
		for _, s := range a.Scopes {
			if err := dup("scope", s.Name); err != nil {
				return err
			}
		}
		for _, e := range a.Endpoints {
			if err := dup("endpoint of "+a.Name, e.Endpoint); err != nil {
				return err
			}
		}
	}
	for _, c := range d.Clients {
		if err := dup("client", c.Name); err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) organisation(o Organisation) error {
	org, err := im.client.Organisation.Get(im.ctx, im.orgID)
	if err != nil {
		return err
	}
	maxScopes, policy := o.MaxScopesPerClient, scopename.Policy(o.NamingPolicy)
	var fields []string
	u := im.client.Organisation.UpdateOneID(im.orgID)
	if org.Name != o.Name {
		fields = append(fields, "name")
		u.SetName(o.Name)
	}
	if org.MaxScopesPerClient != maxScopes {
		fields = append(fields, "maxScopesPerClient")
		u.SetMaxScopesPerClient(maxScopes)
	}
	if org.RefreshTokenLifetime != o.RefreshTokenLifetime {
		fields = append(fields, "refreshTokenLifetime")
		u.SetRefreshTokenLifetime(o.RefreshTokenLifetime)
	}
	if org.NamingPolicy != policy {
		fields = append(fields, "namingPolicy")
		u.SetNamingPolicy(policy)
	}
	if len(fields) == 0 {
		return nil
	}
	im.add(Change{Action: Update, Kind: "Organisation", Name: org.Slug, Fields: fields})
	return objErr("organisation", org.Slug, u.Exec(im.ctx))
}

func (im *importer) api(a API, old *ent.API) (int, error) {
	base := a.BasePath
	var id int
	if old == nil {
		im.add(Change{Action: Create, Kind: "API", Name: a.Name})
		created, err := im.client.API.Create().SetName(a.Name).SetDisplayName(a.DisplayName).
			SetDescription(a.Description).SetBasePath(base).SetNillableIdentifier(a.Identifier).
			SetAccessTokenFormat(api.AccessTokenFormat(a.AccessTokenFormat)).SetJwtLifetime(a.JWTLifetime).Save(im.ctx)
		if err != nil {
			return 0, objErr("API", a.Name, err)
		}
		id = created.ID
	} else {
		id = old.ID
		var fields []string
		u := im.client.API.UpdateOneID(old.ID)
		if old.DisplayName != a.DisplayName {
			fields = append(fields, "displayName")
			u.SetDisplayName(a.DisplayName)
		}
		if old.Description != a.Description {
			fields = append(fields, "description")
			u.SetDescription(a.Description)
		}
		if old.BasePath != base {
			fields = append(fields, "basePath")
			u.SetBasePath(base)
		}
		switch {
		case a.Identifier == nil && old.Identifier != nil:
			fields = append(fields, "identifier")
			u.ClearIdentifier()
		case a.Identifier != nil && (old.Identifier == nil || *old.Identifier != *a.Identifier):
			fields = append(fields, "identifier")
			u.SetIdentifier(*a.Identifier)
		}
		if string(old.AccessTokenFormat) != a.AccessTokenFormat {
			fields = append(fields, "accessTokenFormat")
			u.SetAccessTokenFormat(api.AccessTokenFormat(a.AccessTokenFormat))
		}
		if old.JwtLifetime != a.JWTLifetime {
			fields = append(fields, "jwtLifetime")
			u.SetJwtLifetime(a.JWTLifetime)
		}
		if len(fields) > 0 {
			im.add(Change{Action: Update, Kind: "API", Name: a.Name, Fields: fields})
			if err := u.Exec(im.ctx); err != nil {
				return 0, objErr("API", a.Name, err)
			}
		}
	}
	for _, s := range a.Scopes {
		if err := im.scope(id, s, im.existing[strings.ToLower(s.Name)]); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// createScopes writes the pending new scopes, scopeBatch at a time, through the same hooks and
// privacy rules as one by one. A rule a scope breaks is found again one by one, so that the error
// names that scope; no statement ran for the batch then, since hooks run before the INSERT.
func (im *importer) createScopes() error {
	for len(im.pending) > 0 {
		n := min(len(im.pending), scopeBatch)
		batch, names := im.pending[:n], im.pendingNames[:n]
		im.pending, im.pendingNames = im.pending[n:], im.pendingNames[n:]
		err := im.client.Scope.CreateBulk(batch...).Exec(im.ctx)
		if err == nil {
			continue
		}
		var ae *apperr.Error
		if ent.IsConstraintError(err) || errors.As(err, &ae) && ae.Code == apperr.Conflict {
			// Every name was checked against the organisation's scopes before: another change
			// created one of them meanwhile.
			return objErr("scope", names[0], apperr.Conflicting("name",
				"Another change created a scope with one of the names from %q to %q while the import ran; nothing was changed: run the import again.", names[0], names[n-1]))
		}
		for i, b := range batch {
			if err := b.Exec(im.ctx); err != nil {
				return objErr("scope", names[i], err)
			}
		}
		return err
	}
	return nil
}

func (im *importer) scope(apiID int, s Scope, old *ent.Scope) error {
	show := *s.ShowInDiscoveryDocument
	sunset, err := parseSunset(s.SunsetAt)
	if err != nil {
		return objErr("scope", s.Name, err)
	}
	if old == nil {
		im.add(Change{Action: Create, Kind: "Scope", Name: s.Name})
		im.pending = append(im.pending, im.client.Scope.Create().SetAPIID(apiID).SetName(s.Name).
			SetDisplayName(s.DisplayName).SetDescription(s.Description).SetRequired(s.Required).
			SetEmphasize(s.Emphasize).SetShowInDiscoveryDocument(show).SetDeprecated(s.Deprecated).
			SetNillableSunsetAt(sunset))
		im.pendingNames = append(im.pendingNames, s.Name)
		if len(im.pending) < scopeBatch {
			return nil
		}
		return im.createScopes()
	}
	if old.APIID != apiID {
		return objErr("scope", s.Name, apperr.Invalid("apis", "It belongs to another API; a scope cannot move between APIs."))
	}
	var fields []string
	u := im.client.Scope.UpdateOneID(old.ID)
	set := func(name string, differs bool, apply func()) {
		if differs {
			fields = append(fields, name)
			apply()
		}
	}
	set("displayName", old.DisplayName != s.DisplayName, func() { u.SetDisplayName(s.DisplayName) })
	set("description", old.Description != s.Description, func() { u.SetDescription(s.Description) })
	set("required", old.Required != s.Required, func() { u.SetRequired(s.Required) })
	set("emphasize", old.Emphasize != s.Emphasize, func() { u.SetEmphasize(s.Emphasize) })
	set("showInDiscoveryDocument", old.ShowInDiscoveryDocument != show, func() { u.SetShowInDiscoveryDocument(show) })
	set("deprecated", old.Deprecated != s.Deprecated, func() { u.SetDeprecated(s.Deprecated) })
	set("sunsetAt", !sameInstant(old.SunsetAt, sunset), func() {
		if sunset == nil {
			u.ClearSunsetAt()
		} else {
			u.SetSunsetAt(*sunset)
		}
	})
	if len(fields) == 0 {
		return nil
	}
	im.add(Change{Action: Update, Kind: "Scope", Name: s.Name, Fields: fields})
	return objErr("scope", s.Name, u.Exec(im.ctx))
}

// doomedScopes are the scopes of documented APIs that the document leaves out, with their impact
// recorded in the plan.
func (im *importer) doomedScopes(d *Document, apis []*ent.API) ([]*ent.Scope, error) {
	keep := map[string]bool{}
	documented := map[string]bool{}
	for _, a := range d.APIs {
		documented[strings.ToLower(a.Name)] = true
		for _, s := range a.Scopes {
			keep[strings.ToLower(s.Name)] = true
		}
	}
	var out []*ent.Scope
	for _, a := range apis {
		if a.BuiltIn {
			continue
		}
		for _, s := range a.Edges.Scopes {
			if keep[strings.ToLower(s.Name)] {
				continue
			}
			imp, err := scopeuse.Of(im.ctx, im.client, s.ID)
			if err != nil {
				return nil, err
			}
			im.add(Change{Action: Delete, Kind: "Scope", Name: s.Name, UsedBy: nonNil(imp.UsedBy())})
			out = append(out, s)
		}
	}
	return out, nil
}

func (im *importer) loadScopes() error {
	all, err := im.client.Scope.Query().Select(scope.FieldID, scope.FieldName).All(im.ctx)
	if err != nil {
		return err
	}
	im.scopes = make(map[string]int, len(all))
	for _, s := range all {
		im.scopes[strings.ToLower(s.Name)] = s.ID
	}
	return nil
}

// resolve turns scope names into IDs; kind and name say whose names they are.
func (im *importer) resolve(kind, name string, names []string) ([]int, error) {
	ids := make([]int, 0, len(names))
	for _, n := range names {
		id, ok := im.scopes[strings.ToLower(n)]
		if !ok {
			return nil, objErr(kind, name, apperr.Invalid("scopes",
				"It names the scope %q, which neither the document nor the organisation has.", n))
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

func scopeIDs(scopes []*ent.Scope) []int {
	ids := make([]int, len(scopes))
	for i, s := range scopes {
		ids[i] = s.ID
	}
	slices.Sort(ids)
	return ids
}

func (im *importer) endpoints(a API, apiID int, old *ent.API, prune bool) error {
	existing := map[string]*ent.Endpoint{}
	if old != nil {
		for _, e := range old.Edges.Endpoints {
			existing[string(e.Method)+" "+e.Path] = e
		}
	}
	seen := map[string]bool{}
	for _, e := range a.Endpoints {
		method, path, _ := strings.Cut(e.Endpoint, " ")
		key := method + " " + path
		seen[key] = true
		ids, err := im.resolve("endpoint", e.Endpoint, e.Scopes)
		if err != nil {
			return err
		}
		cur := existing[key]
		switch {
		case cur == nil:
			im.add(Change{Action: Create, Kind: "Endpoint", Name: key})
			err = im.client.Endpoint.Create().SetAPIID(apiID).SetMethod(endpoint.Method(method)).SetPath(path).
				AddScopeIDs(ids...).Exec(im.ctx)
		case !slices.Equal(scopeIDs(cur.Edges.Scopes), ids):
			im.add(Change{Action: Update, Kind: "Endpoint", Name: key, Fields: []string{"scopes"}})
			err = im.client.Endpoint.UpdateOneID(cur.ID).ClearScopes().AddScopeIDs(ids...).Exec(im.ctx)
		}
		if err != nil {
			return objErr("endpoint", key, err)
		}
	}
	if !prune || old == nil {
		return nil
	}
	for key, e := range existing {
		if !seen[key] {
			im.add(Change{Action: Delete, Kind: "Endpoint", Name: key})
			if err := im.client.Endpoint.DeleteOneID(e.ID).Exec(im.ctx); err != nil {
				return objErr("endpoint", key, err)
			}
		}
	}
	return nil
}

func (im *importer) clients(docs []Client, prune bool) error {
	existing, err := im.client.OAuthClient.Query().WithScopes().All(im.ctx)
	if err != nil {
		return err
	}
	byName := map[string]*ent.OAuthClient{}
	for _, c := range existing {
		key := strings.ToLower(c.Name)
		if byName[key] != nil {
			return objErr("client", c.Name, apperr.Invalid("name",
				"Two clients of the organisation have this name, so the document cannot say which it means: rename one first."))
		}
		byName[key] = c
	}
	if prune {
		for _, c := range existing {
			if !slices.ContainsFunc(docs, func(d Client) bool { return strings.EqualFold(d.Name, c.Name) }) {
				im.add(Change{Action: Delete, Kind: "Client", Name: c.Name})
				if err := im.client.OAuthClient.DeleteOneID(c.ID).Exec(im.ctx); err != nil {
					return objErr("client", c.Name, err)
				}
			}
		}
	}
	for _, c := range docs {
		if err := im.oauthClient(c, byName[strings.ToLower(c.Name)]); err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) oauthClient(c Client, old *ent.OAuthClient) error {
	ids, err := im.resolve("client", c.Name, c.Scopes)
	if err != nil {
		return err
	}
	enabled := *c.Enabled
	if old == nil {
		im.add(Change{Action: Create, Kind: "Client", Name: c.Name})
		create := im.client.OAuthClient.Create().SetName(c.Name).SetDescription(c.Description).
			SetKind(oauthclient.Kind(c.Kind)).SetRedirectURIs(c.RedirectURIs).
			SetAllowUncategorizedRead(c.AllowUncategorizedRead).SetAllowUncategorizedModify(c.AllowUncategorizedModify).
			SetEnabled(enabled).SetRefreshTokens(*c.RefreshTokens).SetRequirePKCE(*c.RequirePKCE).
			SetPostLogoutRedirectURIs(c.PostLogoutRedirectURIs).SetClientID(secret.RandomID(16)).AddScopeIDs(ids...)
		var value string
		if oauthclient.Kind(c.Kind) != oauthclient.KindBROWSER {
			var digest []byte
			value, digest = secret.New(secret.ClientSecretPrefix)
			create.SetSecretHash(digest)
		}
		created, err := create.Save(im.ctx)
		if err != nil {
			return objErr("client", c.Name, err)
		}
		im.plan.Secrets = append(im.plan.Secrets, Secret{Client: c.Name, ClientID: created.ClientID, Secret: value})
		return nil
	}
	if string(old.Kind) != c.Kind {
		return objErr("client", c.Name, apperr.Invalid("kind",
			"A client's kind cannot change (%s in the organisation, %s in the document): give the new one another name.", old.Kind, c.Kind))
	}
	var fields []string
	u := im.client.OAuthClient.UpdateOneID(old.ID)
	set := func(name string, differs bool, apply func()) {
		if differs {
			fields = append(fields, name)
			apply()
		}
	}
	set("description", old.Description != c.Description, func() { u.SetDescription(c.Description) })
	set("redirectURIs", !slices.Equal(nonNil(old.RedirectURIs), nonNil(c.RedirectURIs)), func() { u.SetRedirectURIs(c.RedirectURIs) })
	set("allowUncategorizedRead", old.AllowUncategorizedRead != c.AllowUncategorizedRead, func() { u.SetAllowUncategorizedRead(c.AllowUncategorizedRead) })
	set("allowUncategorizedModify", old.AllowUncategorizedModify != c.AllowUncategorizedModify, func() { u.SetAllowUncategorizedModify(c.AllowUncategorizedModify) })
	set("enabled", old.Enabled != enabled, func() { u.SetEnabled(enabled) })
	set("refreshTokens", old.RefreshTokens != *c.RefreshTokens, func() { u.SetRefreshTokens(*c.RefreshTokens) })
	set("requirePKCE", old.RequirePKCE != *c.RequirePKCE, func() { u.SetRequirePKCE(*c.RequirePKCE) })
	set("postLogoutRedirectURIs", !slices.Equal(nonNil(old.PostLogoutRedirectURIs), c.PostLogoutRedirectURIs),
		func() { u.SetPostLogoutRedirectURIs(c.PostLogoutRedirectURIs) })
	set("scopes", !slices.Equal(scopeIDs(old.Edges.Scopes), ids), func() { u.ClearScopes().AddScopeIDs(ids...) })
	if len(fields) == 0 {
		return nil
	}
	im.add(Change{Action: Update, Kind: "Client", Name: c.Name, Fields: fields})
	return objErr("client", c.Name, u.Exec(im.ctx))
}

func (im *importer) allowedScopes(names []string) error {
	ids, err := im.resolve("organisation", "apiKeyAllowedScopes", names)
	if err != nil {
		return err
	}
	cur, err := im.client.Organisation.Query().Where(organisation.ID(im.orgID)).QueryAPIKeyAllowedScopes().IDs(im.ctx)
	if err != nil {
		return err
	}
	slices.Sort(cur)
	if slices.Equal(cur, ids) {
		return nil
	}
	im.add(Change{Action: Update, Kind: "Organisation", Name: "apiKeyAllowedScopes", Fields: []string{"apiKeyAllowedScopes"}})
	return objErr("organisation", "apiKeyAllowedScopes",
		im.client.Organisation.UpdateOneID(im.orgID).ClearAPIKeyAllowedScopes().AddAPIKeyAllowedScopeIDs(ids...).Exec(im.ctx))
}

// Deprecation lifecycle (issue 13).

// parseSunset reads a scope's sunsetAt; "" is none.
func parseSunset(v string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return nil, apperr.Invalid("sunsetAt", "%q is not an RFC 3339 time; write it like 2027-06-30T00:00:00Z.", v)
	}
	return &t, nil
}

func sameInstant(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}

// replacements sets every documented scope's replacedBy, by name, once every scope exists: first
// the removals, then the additions, so that a document that reverses a replacement is not taken
// for a cycle halfway through.
func (im *importer) replacements(d *Document) error {
	current, err := im.client.Scope.Query().Where(scope.Or(scope.ReplacedByIDNotNil(), scope.Deprecated(true))).
		Select(scope.FieldID, scope.FieldName, scope.FieldReplacedByID).All(im.ctx)
	if err != nil {
		return err
	}
	had := map[int]int{}
	for _, s := range current {
		if s.ReplacedByID != nil {
			had[s.ID] = *s.ReplacedByID
		}
	}
	type change struct {
		name   string
		id, to int
	}
	var changes []change
	index := im.scopeChanges()
	for _, a := range d.APIs {
		for _, s := range a.Scopes {
			id := im.scopes[strings.ToLower(s.Name)]
			to := 0
			if s.ReplacedBy != "" {
				var ok bool
				if to, ok = im.scopes[strings.ToLower(s.ReplacedBy)]; !ok {
					return objErr("scope", s.Name, apperr.Invalid("replacedBy",
						"It names the replacement %q, which neither the document nor the organisation has.", s.ReplacedBy))
				}
			}
			if had[id] != to {
				changes = append(changes, change{s.Name, id, to})
				im.planField(index, s.Name, "replacedBy")
			}
		}
	}
	for _, c := range changes {
		if _, ok := had[c.id]; ok {
			if err := im.client.Scope.UpdateOneID(c.id).ClearReplacedBy().Exec(im.ctx); err != nil {
				return objErr("scope", c.name, err)
			}
		}
	}
	for _, c := range changes {
		if c.to != 0 {
			if err := im.client.Scope.UpdateOneID(c.id).SetReplacedByID(c.to).Exec(im.ctx); err != nil {
				return objErr("scope", c.name, err)
			}
		}
	}
	return nil
}

// planField adds field to the plan's change of the scope name (index: the plan's scope changes by
// name, as scopeChanges gives them): to its update, or a new update; a created scope's fields are
// not listed.
func (im *importer) planField(index map[string]int, name, field string) {
	if i, ok := index[name]; ok {
		if c := &im.plan.Changes[i]; c.Action == Update {
			c.Fields = append(c.Fields, field)
		}
		return
	}
	im.add(Change{Action: Update, Kind: "Scope", Name: name, Fields: []string{field}})
}

// scopeChanges indexes the plan's creates and updates of scopes by name.
func (im *importer) scopeChanges() map[string]int {
	index := map[string]int{}
	for i, c := range im.plan.Changes {
		if c.Kind == "Scope" && c.Action != Delete {
			index[c.Name] = i
		}
	}
	return index
}
