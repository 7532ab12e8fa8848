// Package graph is the GraphQL admin API: gqlgen's executable schema over ent, thin resolvers, and
// the one error presenter.
package graph

import (
	"context"

	"scopekeeper/ent/session"
	"scopekeeper/internal/apperr"
	"scopekeeper/internal/keys"
	"scopekeeper/internal/password"
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
	Keys      *keys.Keeper // makes ID-token signing keys
}

// Issuer is the OAuth issuer URL of the organisation with the given slug.
func (r *Resolver) Issuer(slug string) string { return r.PublicURL + "/o/" + slug }

func checkPassword(field, pw string) error {
	if len(pw) < password.MinLength {
		return apperr.Invalid(field, "The password needs at least %d characters, e.g. a passphrase such as \"correct horse battery staple\".", password.MinLength)
	}
	return nil
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
