package orgs

import (
	"context"

	"scopekeeper/ent"
	"scopekeeper/ent/endpoint"
	"scopekeeper/ent/oauthclient"
	"scopekeeper/internal/scopename"
	"scopekeeper/internal/secret"
	"scopekeeper/internal/viewer"
)

// Login is a demo sign-in.
type Login struct{ Email, Password string }

// The demo organisation's owner.
var demoOwner = Owner{OrgName: "Acme Forums", OrgSlug: "acme", Email: "admin@acme.example", Password: "purple otter demo"}

// SeedDemo creates the demo organisation with a forums API, its scopes, endpoints and clients, unless
// it exists already. It returns the owner's login.
func SeedDemo(ctx context.Context, client *ent.Client) (Login, error) {
	login := Login{Email: demoOwner.Email, Password: demoOwner.Password}
	if _, err := BySlug(ctx, client, demoOwner.OrgSlug); err == nil {
		return login, nil
	} else if !ent.IsNotFound(err) {
		return login, err
	}
	orgID, _, err := Bootstrap(ctx, client, demoOwner)
	if err != nil {
		return login, err
	}
	tx, err := client.Tx(ctx)
	if err != nil {
		return login, err
	}
	defer tx.Rollback()
	if err := seed(viewer.SystemContext(ctx, orgID), tx.Client()); err != nil {
		return login, err
	}
	return login, tx.Commit()
}

func seed(ctx context.Context, c *ent.Client) error {
	if err := c.Organisation.UpdateOneID(viewer.FromContext(ctx).OrgID).SetNamingPolicy(scopename.Dotted).Exec(ctx); err != nil {
		return err
	}
	forums, err := c.API.Create().SetName("forums").SetDisplayName("Community Forums").
		SetDescription("Threads, posts and members of the community forums.").SetBasePath("/forums").Save(ctx)
	if err != nil {
		return err
	}
	type ep struct {
		method endpoint.Method
		path   string
	}
	eps := map[string]*ent.Endpoint{}
	for _, e := range []ep{
		{"GET", "/forums/threads"}, {"GET", "/forums/threads/{id}"}, {"POST", "/forums/threads"},
		{"PUT", "/forums/threads/{id}"}, {"DELETE", "/forums/threads/{id}"},
		{"GET", "/forums/members/{id}"}, {"PATCH", "/forums/members/{id}"}, {"GET", "/forums/stats"},
	} {
		created, err := c.Endpoint.Create().SetAPI(forums).SetMethod(e.method).SetPath(e.path).Save(ctx)
		if err != nil {
			return err
		}
		eps[string(e.method)+" "+e.path] = created
	}
	type sc struct {
		name, display, desc string
		required, emphasize bool
		endpoints           []string
	}
	scopes := map[string]*ent.Scope{}
	for _, s := range []sc{
		{"forums.threads.readonly", "Read threads", "See forum threads and their posts.", false, false,
			[]string{"GET /forums/threads", "GET /forums/threads/{id}"}},
		{"forums.threads.modify", "Manage threads", "Start, edit and delete forum threads.", false, true,
			[]string{"POST /forums/threads", "PUT /forums/threads/{id}", "DELETE /forums/threads/{id}"}},
		{"forums.members.readonly", "Read member profiles", "See members' public profiles.", true, false,
			[]string{"GET /forums/members/{id}"}},
		{"forums.members.modify", "Edit member profiles", "Change members' profiles, including email addresses.", false, true,
			[]string{"PATCH /forums/members/{id}"}},
	} {
		create := c.Scope.Create().SetAPI(forums).SetName(s.name).SetDisplayName(s.display).SetDescription(s.desc).
			SetRequired(s.required).SetEmphasize(s.emphasize)
		for _, e := range s.endpoints {
			create.AddEndpoints(eps[e])
		}
		if scopes[s.name], err = create.Save(ctx); err != nil {
			return err
		}
	}
	_, digest := secret.New(secret.ClientSecretPrefix)
	if _, err := c.OAuthClient.Create().SetName("Forum moderation bot").SetKind(oauthclient.KindSERVICE).
		SetDescription("Closes stale threads every night.").SetClientID(secret.RandomID(16)).SetSecretHash(digest).
		AddScopes(scopes["forums.threads.readonly"], scopes["forums.threads.modify"]).Save(ctx); err != nil {
		return err
	}
	_, err = c.OAuthClient.Create().SetName("Forums web app").SetKind(oauthclient.KindBROWSER).
		SetDescription("The community's single-page web app.").SetClientID(secret.RandomID(16)).
		SetRedirectURIs([]string{"http://localhost:5173/callback"}).
		AddScopes(scopes["forums.threads.readonly"], scopes["forums.members.readonly"]).Save(ctx)
	return err
}
