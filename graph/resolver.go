// Package graph is the GraphQL admin API: gqlgen's executable schema over ent, thin resolvers, and
// the one error presenter.
package graph

import (
	"context"
	"errors"

	"scopekeeper/ent/endpoint"
	"scopekeeper/ent/session"
	"scopekeeper/internal/apperr"
	"scopekeeper/internal/auth"
	"scopekeeper/internal/configdoc"
	"scopekeeper/internal/keys"
	"scopekeeper/internal/metrics"
	"scopekeeper/internal/openapiimport"
	"scopekeeper/internal/password"
	"scopekeeper/internal/scopesearch"
	"scopekeeper/internal/viewer"

	"scopekeeper/ent"
	"scopekeeper/graph/model"
)

// OAuth is the issuer side the admin API shows: the discovery document and the consent screen.
type OAuth interface {
	DiscoveryDocument(ctx context.Context, org *ent.Organisation) (map[string]any, error)
	ConsentRequest(ctx context.Context, id int) (*model.ConsentRequest, error)
	DecideConsent(ctx context.Context, id int, approve bool, keep []string) (*model.ConsentDecision, error)
}

// Access is the decision engine behind POST {issuer}/v1/check.
type Access interface {
	Explain(ctx context.Context, orgID int, credential, method, path string) (*model.AccessDecision, error)
}

// Resolver holds what resolvers need besides the request's ent client, which they take from the
// context (ent.FromContext) so that mutations run in the operation's transaction.
type Resolver struct {
	PublicURL string
	OAuth     OAuth
	Access    Access
	Keys      *keys.Keeper       // makes ID-token signing keys
	Search    *scopesearch.Index // serves scope search (nil: ent's predicate alone)
}

// Issuer is the OAuth issuer URL of the organisation with the given slug.
func (r *Resolver) Issuer(slug string) string { return r.PublicURL + "/o/" + slug }

func optional(s string, ok bool) *string {
	if !ok {
		return nil
	}
	return &s
}

// checkPassword applies the password rule; email is the account's, which the password must not echo.
func checkPassword(field, pw, email string) error {
	if err := password.Check(pw, email); err != nil {
		return apperr.Invalid(field, "%s", err.Error())
	}
	return nil
}

// checkCurrentPassword verifies the password a user changes, throttled like sign-in.
func checkCurrentPassword(ctx context.Context, u *ent.User, pw string) error {
	var tooMany *auth.TooManyAttempts
	switch err := auth.CheckCurrentPassword(ctx, u, pw); {
	case errors.Is(err, auth.ErrWrongPassword):
		return apperr.Invalid("currentPassword", "The current password is not right.")
	case errors.As(err, &tooMany):
		metrics.ThrottledRequest("change_password")
		return apperr.Invalid("currentPassword", "%s", tooMany.Error())
	default:
		return err
	}
}

// hashPassword exists because resolvers' password arguments shadow the package's name.
func hashPassword(pw string) string { return password.Hash(pw) }

// endSessions signs user out everywhere but in session keep (0: everywhere), in the mutation's
// transaction. Sessions are the server's records, so it acts as the server.
func endSessions(ctx context.Context, client *ent.Client, user, keep int) error {
	_, err := client.Session.Delete().
		Where(session.UserID(user), session.IDNEQ(keep)).
		Exec(viewer.SystemContext(ctx, viewer.FromContext(ctx).OrgID))
	return err
}

// importPlan is an import's plan as GraphQL shows it; secrets only when it was applied.
func importPlan(p *configdoc.Plan, applied bool) *model.ImportPlan {
	out := &model.ImportPlan{Applied: applied, Changes: make([]*model.PlanChange, len(p.Changes)), ClientSecrets: []*model.CreatedClientSecret{}}
	for i, c := range p.Changes {
		out.Changes[i] = &model.PlanChange{Action: model.PlanAction(c.Action), Kind: c.Kind, Name: c.Name,
			Fields: nonNilStrings(c.Fields), UsedBy: nonNilStrings(c.UsedBy)}
	}
	if applied {
		for _, s := range p.Secrets {
			out.ClientSecrets = append(out.ClientSecrets, &model.CreatedClientSecret{Client: s.Client, ClientID: s.ClientID, ClientSecret: optional(s.Secret, s.Secret != "")})
		}
	}
	return out
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// openAPIPlan is an OpenAPI import's plan as GraphQL shows it.
func openAPIPlan(p *openapiimport.Plan, applied bool) *model.OpenAPIImportPlan {
	out := &model.OpenAPIImportPlan{Applied: applied, Notes: nonNilStrings(p.Notes),
		Endpoints: make([]*model.OpenAPIPlanEndpoint, len(p.Endpoints)), Scopes: make([]*model.OpenAPIPlanScope, len(p.Scopes))}
	for i, e := range p.Endpoints {
		out.Endpoints[i] = &model.OpenAPIPlanEndpoint{Action: model.OpenAPIPlanAction(e.Action), Method: endpoint.Method(e.Method),
			Path: e.Path, Scopes: nonNilStrings(e.Scopes), AddScopes: nonNilStrings(e.AddScopes)}
	}
	for i, s := range p.Scopes {
		out.Scopes[i] = &model.OpenAPIPlanScope{Action: model.OpenAPIPlanAction(s.Action), Name: s.Name, Proposed: s.Proposed}
	}
	return out
}
