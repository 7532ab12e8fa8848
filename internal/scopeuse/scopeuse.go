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
	"scopekeeper/ent/apikeyscope"
	"scopekeeper/ent/clientscope"
	"scopekeeper/ent/oauthclient"
	"scopekeeper/ent/predicate"
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

// Clients is the query of the clients holding scope id. It starts from the scope's side of the
// link table: the same question asked as "clients whose scopes include it" let SQLite test every
// client of the organisation against the list, and an organisation can have 100,000 clients.
func Clients(client *ent.Client, id int) *ent.OAuthClientQuery {
	return client.ClientScope.Query().Where(clientscope.ScopeID(id)).QueryClient()
}

// APIKeys is the query of the unrevoked API keys holding scope id, found as Clients finds clients.
func APIKeys(client *ent.Client, id int) *ent.APIKeyQuery {
	return client.APIKeyScope.Query().Where(apikeyscope.ScopeID(id)).QueryAPIKey().Where(apikey.RevokedAtIsNil())
}

// Of looks up who uses scope id, reading through client (which may be a transaction's).
func Of(ctx context.Context, client *ent.Client, id int) (Impact, error) {
	var imp Impact
	var err error
	imp.Clients, err = Clients(client, id).Order(oauthclient.ByName()).All(ctx)
	if err != nil {
		return imp, err
	}
	imp.APIKeys, err = APIKeys(client, id).Order(apikey.ByName()).All(ctx)
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
