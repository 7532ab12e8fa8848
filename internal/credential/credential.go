// Package credential resolves a presented credential (an opaque access token or an API key) to what
// it grants right now. Introspection, the access check and explainAccess all ask it, so contract
// rules 8 and 10 (removal and narrowing take effect at once) hold in one place.
package credential

import (
	"context"
	"slices"
	"strings"
	"time"

	"scopekeeper/ent"
	"scopekeeper/ent/apikey"
	"scopekeeper/ent/oauthclient"
	"scopekeeper/ent/organisation"
	"scopekeeper/ent/scope"
	"scopekeeper/ent/token"
	"scopekeeper/internal/deprecation"
	"scopekeeper/internal/oidcscope"
	"scopekeeper/internal/secret"
	"scopekeeper/internal/viewer"
)

// Kind says what a credential is.
type Kind string

// The kinds of credential.
const (
	AccessToken Kind = "access_token"
	APIKey      Kind = "api_key"
)

// Why a credential grants nothing.
const (
	ReasonUnknown = "unknown_credential"
	ReasonExpired = "expired"
	ReasonRevoked = "revoked"
	ReasonClient  = "client_disabled"
)

// Credential is what a presented value grants now.
type Credential struct {
	Kind   Kind
	Active bool
	// Reason says why an inactive credential grants nothing.
	Reason string
	ID     int // the token's or key's row
	// Client is the token's client; nil for API keys.
	Client *ent.OAuthClient
	// Key is the API key; nil for tokens.
	Key    *ent.APIKey
	UserID int // the subject (token) or owner (key); 0 for client_credentials tokens
	// Scopes are the scopes granted now, sorted by name, with their stored spelling.
	Scopes []*ent.Scope
	// Identity are the OpenID Connect identity scopes of a token (oidcscope markers).
	Identity []int
	// Issued are the scopes granted at issuance that no longer are (token) or that the
	// organisation's API-key set no longer allows (key), for explanations.
	Withdrawn []*ent.Scope
	// Retired are the deprecated scopes it held whose sunset has come (contract section 8).
	Retired []*ent.Scope
	// Until is the next sunset of a deprecated scope it grants: from then on this resolution is
	// stale and must be made again. Zero when none is coming.
	Until                    time.Time
	AllowUncategorizedRead   bool
	AllowUncategorizedModify bool
	IssuedAt, ExpiresAt      time.Time
	// Audience is a token's aud: the identifiers of its APIs (RFC 8707).
	Audience []string
}

// GrantedScope is the RFC 6749 scope of what the credential grants now: identity scopes first.
func (c *Credential) GrantedScope() string {
	return strings.Join(append(oidcscope.Names(c.Identity), c.ScopeNames()...), " ")
}

// ScopeNames lists the granted scopes' names.
func (c *Credential) ScopeNames() []string {
	out := make([]string, len(c.Scopes))
	for i, s := range c.Scopes {
		out[i] = s.Name
	}
	return out
}

// Resolve looks value up in organisation orgID, as of now. A value of another organisation is
// unknown.
func Resolve(ctx context.Context, client *ent.Client, orgID int, value string, now time.Time) (*Credential, error) {
	ctx = viewer.SystemContext(ctx, orgID)
	if strings.HasPrefix(value, secret.APIKeyPrefix) {
		return resolveKey(ctx, client, orgID, value, now)
	}
	if key := TokenKey(value); key != nil {
		return resolveToken(ctx, client, key, value, now)
	}
	return &Credential{Reason: ReasonUnknown}, nil
}

func resolveToken(ctx context.Context, client *ent.Client, key []byte, value string, now time.Time) (*Credential, error) {
	unknown := &Credential{Kind: AccessToken, Reason: ReasonUnknown}
	t, err := client.Token.Query().Where(token.LookupKey(key)).WithClient().Only(ctx)
	if ent.IsNotFound(err) {
		return unknown, nil
	}
	if err != nil {
		return nil, err
	}
	if !secret.Matches(value, t.TokenHash) {
		return unknown, nil
	}
	c := &Credential{Kind: AccessToken, ID: t.ID, Client: t.Edges.Client, IssuedAt: t.IssuedAt, ExpiresAt: t.ExpiresAt, Audience: t.Audience,
		AllowUncategorizedRead: t.Edges.Client.AllowUncategorizedRead, AllowUncategorizedModify: t.Edges.Client.AllowUncategorizedModify}
	if t.UserID != nil {
		c.UserID = *t.UserID
	}
	switch {
	case t.RevokedAt != nil:
		c.Reason = ReasonRevoked
		return c, nil
	case !t.ExpiresAt.After(now):
		c.Reason = ReasonExpired
		return c, nil
	case !t.Edges.Client.Enabled:
		c.Reason = ReasonClient
		return c, nil
	}
	rows, identity := oidcscope.Split(t.ScopeIds)
	c.Identity = identity
	issued, err := client.Scope.Query().Where(scope.IDIn(rows...)).Order(scope.ByName()).All(ctx)
	if err != nil {
		return nil, err
	}
	assigned, err := client.OAuthClient.Query().Where(oauthclient.ID(t.ClientID)).QueryScopes().IDs(ctx)
	if err != nil {
		return nil, err
	}
	// A retired scope is withdrawn before rule 5 is applied: a required scope stays only beside
	// another scope of its API that is still granted.
	live, retired := deprecation.Split(issued, now)
	c.Scopes, c.Withdrawn = Narrow(live, Held(t.Edges.Client, assigned, t.IssuedAt))
	c.Retired, c.Until = retired, deprecation.NextSunset(c.Scopes, now)
	c.Active = true
	return c, nil
}

// Held keeps of assigned (the client's scopes now) those it has held without a break since at: a
// scope taken from the client after at and given back is not granted again to what was issued
// before it was taken (rule 8: a token does not regain what was taken from it).
func Held(client *ent.OAuthClient, assigned []int, at time.Time) []int {
	held := make([]int, 0, len(assigned))
	for _, id := range assigned {
		if removed, ok := client.ScopeRemovals[id]; !ok || removed.Before(at) {
			held = append(held, id)
		}
	}
	return held
}

// Narrow applies rule 8 to a token: of the scopes issued, those the client still holds (Held) are
// granted, and a required scope stays granted while another granted scope of its API is.
func Narrow(issued []*ent.Scope, assigned []int) (granted, withdrawn []*ent.Scope) {
	apis := map[int]bool{}
	for _, s := range issued {
		if !s.Required && slices.Contains(assigned, s.ID) {
			apis[s.APIID] = true
		}
	}
	for _, s := range issued {
		if slices.Contains(assigned, s.ID) && !s.Required || s.Required && apis[s.APIID] {
			granted = append(granted, s)
		} else {
			withdrawn = append(withdrawn, s)
		}
	}
	return granted, withdrawn
}

func resolveKey(ctx context.Context, client *ent.Client, orgID int, value string, now time.Time) (*Credential, error) {
	k, err := client.APIKey.Query().Where(apikey.KeyHash(secret.Digest(value))).
		WithScopes(func(q *ent.ScopeQuery) { q.Order(scope.ByName()) }).Only(ctx)
	if ent.IsNotFound(err) {
		return &Credential{Kind: APIKey, Reason: ReasonUnknown}, nil
	}
	if err != nil {
		return nil, err
	}
	c := &Credential{Kind: APIKey, ID: k.ID, Key: k, UserID: k.OwnerID, IssuedAt: k.CreatedAt,
		AllowUncategorizedRead: k.AllowUncategorizedRead, AllowUncategorizedModify: k.AllowUncategorizedModify}
	if k.ExpiresAt != nil {
		c.ExpiresAt = *k.ExpiresAt
	}
	switch {
	case k.RevokedAt != nil:
		c.Reason = ReasonRevoked
		return c, nil
	case k.ExpiresAt != nil && !k.ExpiresAt.After(now):
		c.Reason = ReasonExpired
		return c, nil
	}
	allowed, err := client.Organisation.Query().Where(organisation.ID(orgID)).QueryAPIKeyAllowedScopes().IDs(ctx)
	if err != nil {
		return nil, err
	}
	held, retired := deprecation.Split(k.Edges.Scopes, now)
	for _, s := range held {
		if slices.Contains(allowed, s.ID) {
			c.Scopes = append(c.Scopes, s)
		} else {
			c.Withdrawn = append(c.Withdrawn, s)
		}
	}
	c.Retired, c.Until = retired, deprecation.NextSunset(c.Scopes, now)
	c.Active = true
	return c, nil
}
