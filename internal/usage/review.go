package usage

import (
	"context"
	"time"

	"scopekeeper/ent"
	"scopekeeper/ent/apikey"
	"scopekeeper/ent/oauthclient"
	"scopekeeper/ent/scope"
	"scopekeeper/ent/scopeusage"
)

// Assigned is one scope a client or key holds, with its recorded times (nil: never recorded).
type Assigned struct {
	Scope         *ent.Scope
	Granted, Used *time.Time
	// Unused: no request was allowed by the scope since the review's window began.
	Unused bool
}

// Review is the access review of an organisation: every client and every key that is not revoked,
// by name, each with its scopes by name.
type Review struct {
	Since   time.Time
	Clients []*ent.OAuthClient
	Keys    []*ent.APIKey
	// ClientScopes and KeyScopes are in the order of Clients and Keys.
	ClientScopes, KeyScopes [][]Assigned
}

// Of reads the review of the caller's organisation (client's privacy rules apply) for the window
// that began at since: five queries whatever the organisation's size.
func Of(ctx context.Context, client *ent.Client, since time.Time) (*Review, error) {
	byName := func(q *ent.ScopeQuery) { q.Order(scope.ByName(), scope.ByID()) }
	clients, err := client.OAuthClient.Query().Order(oauthclient.ByName(), oauthclient.ByID()).WithScopes(byName).All(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := client.APIKey.Query().Where(apikey.RevokedAtIsNil()).Order(apikey.ByName(), apikey.ByID()).
		WithScopes(byName).All(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := client.ScopeUsage.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	byKey := make(map[Key]*ent.ScopeUsage, len(rows))
	for _, r := range rows {
		k := Key{Scope: r.ScopeID}
		switch {
		case r.ClientID != nil:
			k.Kind, k.Cred = Client, *r.ClientID
		case r.APIKeyID != nil:
			k.Kind, k.Cred = APIKey, *r.APIKeyID
		}
		byKey[k] = r
	}
	assigned := func(kind Kind, cred int, scopes []*ent.Scope) []Assigned {
		out := make([]Assigned, len(scopes))
		for i, s := range scopes {
			a := Assigned{Scope: s, Unused: true}
			if r := byKey[Key{Kind: kind, Cred: cred, Scope: s.ID}]; r != nil {
				a.Granted, a.Used = r.LastGrantedAt, r.LastUsedAt
				a.Unused = r.LastUsedAt == nil || r.LastUsedAt.Before(since)
			}
			out[i] = a
		}
		return out
	}
	rv := &Review{Since: since, Clients: clients, Keys: keys}
	for _, c := range clients {
		rv.ClientScopes = append(rv.ClientScopes, assigned(Client, c.ID, c.Edges.Scopes))
	}
	for _, k := range keys {
		rv.KeyScopes = append(rv.KeyScopes, assigned(APIKey, k.ID, k.Edges.Scopes))
	}
	return rv, nil
}

// LastUsed is when any client or key last used the scope (nil: never recorded).
func LastUsed(ctx context.Context, client *ent.Client, scopeID int) (*time.Time, error) {
	r, err := client.ScopeUsage.Query().Where(scopeusage.ScopeID(scopeID), scopeusage.LastUsedAtNotNil()).
		Order(ent.Desc(scopeusage.FieldLastUsedAt)).First(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return r.LastUsedAt, nil
}
