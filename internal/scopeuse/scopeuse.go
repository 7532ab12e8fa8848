// Package scopeuse finds who uses a scope: the clients and API keys it is assigned to and the live
// access tokens issued with it (contract rule 7). The delete guard and scopeImpact share it.
package scopeuse

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"

	"scopekeeper/ent"
	"scopekeeper/ent/apikey"
	"scopekeeper/ent/oauthclient"
	"scopekeeper/ent/predicate"
	"scopekeeper/ent/scope"
	"scopekeeper/ent/token"
	"scopekeeper/internal/viewer"
)

// Impact is who uses one scope.
type Impact struct {
	Clients      []*ent.OAuthClient
	APIKeys      []*ent.APIKey
	ActiveTokens int
}

// InUse reports whether anything still uses the scope.
func (i Impact) InUse() bool {
	return len(i.Clients) > 0 || len(i.APIKeys) > 0 || i.ActiveTokens > 0
}

// UsedBy names the users for people, as SCOPE_IN_USE's extensions.usedBy does.
func (i Impact) UsedBy() []string {
	var out []string
	for _, c := range i.Clients {
		out = append(out, fmt.Sprintf("client %q", c.Name))
	}
	for _, k := range i.APIKeys {
		out = append(out, fmt.Sprintf("API key %q (%s…)", k.Name, k.Prefix))
	}
	if i.ActiveTokens > 0 {
		out = append(out, fmt.Sprintf("%d unexpired access token(s)", i.ActiveTokens))
	}
	return out
}

// Of looks up who uses scope id, reading through client (which may be a transaction's).
func Of(ctx context.Context, client *ent.Client, id int) (Impact, error) {
	var imp Impact
	var err error
	imp.Clients, err = client.OAuthClient.Query().
		Where(oauthclient.HasScopesWith(scope.ID(id))).Order(oauthclient.ByName()).All(ctx)
	if err != nil {
		return imp, err
	}
	imp.APIKeys, err = client.APIKey.Query().
		Where(apikey.HasScopesWith(scope.ID(id)), apikey.RevokedAtIsNil()).Order(apikey.ByName()).All(ctx)
	if err != nil {
		return imp, err
	}
	// Tokens are the server's own records; counting them is not something the caller's role decides.
	sys := viewer.SystemContext(ctx, viewer.FromContext(ctx).OrgID)
	imp.ActiveTokens, err = client.Token.Query().Where(
		token.ExpiresAtGT(time.Now()), token.RevokedAtIsNil(),
		predicate.Token(func(s *sql.Selector) {
			s.Where(sqljson.ValueContains(token.FieldScopeIds, id))
		}),
	).Count(sys)
	return imp, err
}
