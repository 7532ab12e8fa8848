// Package rule holds the privacy rules the ent schemas compose: tenant confinement, roles and the
// API-key scopes of contract rule 11. It is also the only place that grants a privileged bypass.
package rule

import (
	"context"
	"fmt"
	"slices"

	"entgo.io/ent/entql"

	"scopekeeper/ent"
	"scopekeeper/ent/apikey"
	"scopekeeper/ent/privacy"
	"scopekeeper/ent/user"
	"scopekeeper/internal/apperr"
	"scopekeeper/internal/viewer"
)

// deny returns a privacy denial that the error presenter reports as FORBIDDEN with msg.
func deny(format string, args ...any) error {
	return fmt.Errorf("%w: %w", privacy.Deny, apperr.Denied(format, args...))
}

// DenyIfNoViewer denies every operation made without a caller.
func DenyIfNoViewer() privacy.QueryMutationRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		if viewer.FromContext(ctx) == nil {
			return fmt.Errorf("%w: %w", privacy.Deny, &apperr.Error{Code: apperr.Unauthenticated, Message: "Sign in, or send an API key as Authorization: Bearer <key>."})
		}
		return privacy.Skip
	})
}

// FilterOrganisation confines queries, updates and deletes of tenant-owned entities to the caller's
// organisation, so another organisation's rows look exactly like missing ones.
func FilterOrganisation() privacy.QueryMutationRule {
	type orgFilter interface{ WhereOrganisationID(entql.IntP) }
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		c := viewer.FromContext(ctx)
		of, ok := f.(orgFilter)
		if !ok {
			return privacy.Denyf("rule: %T has no organisation", f)
		}
		of.WhereOrganisationID(entql.IntEQ(c.OrgID))
		return privacy.Skip
	})
}

// FilterOwnOrganisation confines the Organisation entity itself to the caller's.
func FilterOwnOrganisation() privacy.QueryMutationRule {
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		f.(interface{ WhereID(entql.IntP) }).WhereID(entql.IntEQ(viewer.FromContext(ctx).OrgID))
		return privacy.Skip
	})
}

// AllowSystem lets the server's own work through once the organisation filter is applied.
func AllowSystem() privacy.QueryMutationRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		if viewer.FromContext(ctx).System {
			return privacy.Allow
		}
		return privacy.Skip
	})
}

// DenyUnlessSystem keeps internal tables (tokens, codes, keys) out of reach of people.
func DenyUnlessSystem() privacy.QueryMutationRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		if viewer.FromContext(ctx).System {
			return privacy.Allow
		}
		return deny("This is managed by the server.")
	})
}

// KeyScopes applies contract rule 11: an API key reaches queries with scopekeeper.admin.readonly and
// mutations with scopekeeper.admin.modify.
func KeyScopes() privacy.QueryMutationRule {
	return keyScopes{}
}

type keyScopes struct{}

func (keyScopes) EvalQuery(ctx context.Context, _ ent.Query) error {
	if c := viewer.FromContext(ctx); c.APIKeyID != 0 && !c.KeyRead {
		return deny("This API key needs the scope scopekeeper.admin.readonly (or scopekeeper.admin.modify) to read.")
	}
	return privacy.Skip
}

func (keyScopes) EvalMutation(ctx context.Context, _ ent.Mutation) error {
	if c := viewer.FromContext(ctx); c.APIKeyID != 0 && !c.KeyModify {
		return deny("This API key needs the scope scopekeeper.admin.modify to make changes.")
	}
	return privacy.Skip
}

// DenyQueryIfMember keeps the organisation's configuration away from MEMBERs.
func DenyQueryIfMember(what string) privacy.QueryRule {
	return privacy.QueryRuleFunc(func(ctx context.Context, _ ent.Query) error {
		if !viewer.FromContext(ctx).Role.CanReadAdmin() {
			return deny("Your role (MEMBER) may not read %s.", what)
		}
		return privacy.Skip
	})
}

// AllowMutationIfRole allows a change to callers with one of roles and denies everyone else.
func AllowMutationIfRole(roles ...viewer.Role) privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, _ ent.Mutation) error {
		c := viewer.FromContext(ctx)
		if c.System {
			return privacy.Allow
		}
		for _, r := range roles {
			if c.Role == r {
				return privacy.Allow
			}
		}
		return deny("Your role (%s) may not make this change.", c.Role)
	})
}

// FilterSelfIfMember confines a MEMBER to their own user row.
func FilterSelfIfMember() privacy.QueryRule {
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		c := viewer.FromContext(ctx)
		if c.Role.CanReadAdmin() || c.System {
			return privacy.Skip
		}
		f.(interface{ WhereID(entql.IntP) }).WhereID(entql.IntEQ(c.UserID))
		return privacy.Skip
	})
}

// FilterOwnKeys confines callers to their own API keys unless allowed(role) holds: everyone but a
// MEMBER reads every key of the organisation; only OWNER and ACCESS_CONTROL change them all.
func FilterOwnKeys(allowed func(viewer.Role) bool) privacy.QueryMutationRule {
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		c := viewer.FromContext(ctx)
		if c.System || allowed(c.Role) {
			return privacy.Skip
		}
		f.(interface{ WhereOwnerID(entql.IntP) }).WhereOwnerID(entql.IntEQ(c.UserID))
		return privacy.Skip
	})
}

// DenyKeyGrantsUnlessOwner applies contract section 2: only a key's owner changes what it grants
// (its scopes and its uncategorized flags), so an administrator who may rename or revoke every key
// cannot widen another user's.
func DenyKeyGrantsUnlessOwner() privacy.MutationRule {
	return privacy.APIKeyMutationRuleFunc(func(ctx context.Context, m *ent.APIKeyMutation) error {
		c := viewer.FromContext(ctx)
		if c.System || m.Op().Is(ent.OpCreate) || !changesGrants(m) {
			return privacy.Skip
		}
		ids, err := m.IDs(ctx)
		if err != nil {
			return err
		}
		others, err := m.Client().APIKey.Query().Where(apikey.IDIn(ids...), apikey.OwnerIDNEQ(c.UserID)).Exist(ctx)
		if err != nil {
			return err
		}
		if others {
			return deny("Only the key's owner may change its scopes or what uncategorized endpoints it reaches; you may rename or revoke it.")
		}
		return privacy.Skip
	})
}

func changesGrants(m *ent.APIKeyMutation) bool {
	_, read := m.AllowUncategorizedRead()
	_, modify := m.AllowUncategorizedModify()
	return read || modify || m.ScopesCleared() || len(m.ScopesIDs()) > 0 || len(m.RemovedScopesIDs()) > 0
}

// ownProfile are the fields any signed-in user may change about themselves: the password, the
// names (OpenID Connect's name and preferred_username claims) and the timestamp that follows them.
var ownProfile = []string{user.FieldPasswordHash, user.FieldDisplayName, user.FieldPreferredUsername, user.FieldUpdatedAt}

// AllowOwnProfile lets any signed-in user (not an API key) change their own password and names and
// nothing else about themselves (not their email, whether it is verified, or their role).
func AllowOwnProfile() privacy.MutationRule {
	return privacy.UserMutationRuleFunc(func(ctx context.Context, m *ent.UserMutation) error {
		c := viewer.FromContext(ctx)
		id, ok := m.ID()
		if !ok || !m.Op().Is(ent.OpUpdateOne) || id != c.UserID || c.APIKeyID != 0 ||
			len(m.AddedEdges())+len(m.RemovedEdges())+len(m.ClearedEdges()) != 0 || len(m.ClearedFields()) != 0 {
			return privacy.Skip
		}
		for _, f := range m.Fields() {
			if !slices.Contains(ownProfile, f) {
				return privacy.Skip
			}
		}
		return privacy.Allow
	})
}

// Bypass returns ctx with every privacy rule skipped. Only for lookups that must happen before a
// caller is known (finding an organisation by slug, a session or an API key by digest).
func Bypass(ctx context.Context) context.Context {
	return privacy.DecisionContext(ctx, privacy.Allow)
}
