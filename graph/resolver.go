// Package graph is the GraphQL admin API: gqlgen's executable schema over ent, thin resolvers, and
// the one error presenter.
package graph

import (
	"context"

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
}

// Issuer is the OAuth issuer URL of the organisation with the given slug.
func (r *Resolver) Issuer(slug string) string { return r.PublicURL + "/o/" + slug }

func optional(s string, ok bool) *string {
	if !ok {
		return nil
	}
	return &s
}
