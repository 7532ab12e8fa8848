package schema

import (
	"entgo.io/ent"

	"scopekeeper/ent/privacy"
	"scopekeeper/internal/rule"
	"scopekeeper/internal/viewer"
)

// Policy confines every tenant-owned entity to the caller's organisation and applies rule 11 to
// API-key callers; each schema adds its role rules after it.
func (TenantMixin) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule.DenyIfNoViewer(), rule.KeyScopes(), rule.FilterOrganisation()},
		Mutation: privacy.MutationPolicy{rule.DenyIfNoViewer(), rule.KeyScopes(), rule.FilterOrganisation()},
	}
}

func (OrganisationMixin) Policy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{rule.DenyIfNoViewer(), rule.KeyScopes(), rule.FilterOwnOrganisation()},
		Mutation: privacy.MutationPolicy{
			rule.DenyIfNoViewer(), rule.KeyScopes(), rule.FilterOwnOrganisation(),
			privacy.OnMutationOperation(rule.DenyUnlessSystem(), ent.OpCreate|ent.OpDelete|ent.OpDeleteOne),
			rule.AllowMutationIfRole(viewer.Owner),
		},
	}
}

var administrators = []viewer.Role{viewer.Owner, viewer.AccessControl}

func (User) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule.FilterSelfIfMember()},
		Mutation: privacy.MutationPolicy{rule.AllowOwnProfile(), rule.AllowMutationIfRole(viewer.Owner)},
	}
}

func (API) Policy() ent.Policy {
	return privacy.Policy{Mutation: privacy.MutationPolicy{rule.AllowMutationIfRole(administrators...)}}
}

func (Scope) Policy() ent.Policy {
	return privacy.Policy{Mutation: privacy.MutationPolicy{rule.AllowMutationIfRole(administrators...)}}
}

func (Endpoint) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule.DenyQueryIfMember("endpoints")},
		Mutation: privacy.MutationPolicy{rule.AllowMutationIfRole(administrators...)},
	}
}

func (OAuthClient) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule.DenyQueryIfMember("clients")},
		Mutation: privacy.MutationPolicy{rule.AllowMutationIfRole(administrators...)},
	}
}

// Every role but VIEWER manages its own API keys; OWNER and ACCESS_CONTROL list, rename and revoke
// all of them, but only a key's owner changes what it grants.
func (APIKey) Policy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{rule.FilterOwnKeys(viewer.Role.CanReadAdmin)},
		Mutation: privacy.MutationPolicy{
			rule.FilterOwnKeys(viewer.Role.CanAdminister),
			rule.DenyKeyGrantsUnlessOwner(),
			rule.AllowMutationIfRole(viewer.Owner, viewer.AccessControl, viewer.Member),
		},
	}
}

func (AuditEvent) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule.DenyQueryIfMember("the audit log")},
		Mutation: privacy.MutationPolicy{rule.DenyUnlessSystem()},
	}
}

func (Token) Policy() ent.Policy        { return systemOnly() }
func (AuthRequest) Policy() ent.Policy  { return systemOnly() }
func (Consent) Policy() ent.Policy      { return systemOnly() }
func (RefreshToken) Policy() ent.Policy { return systemOnly() }

// Administrators see the signing keys' public details; only an OWNER rotates or retires them.
func (SigningKey) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule.DenyQueryIfMember("the signing keys")},
		Mutation: privacy.MutationPolicy{rule.AllowMutationIfRole(viewer.Owner)},
	}
}

func (Session) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule.DenyIfNoViewer(), rule.DenyUnlessSystem()},
		Mutation: privacy.MutationPolicy{rule.DenyIfNoViewer(), rule.DenyUnlessSystem()},
	}
}

// The access review's records are the server's; everyone who may read the configuration reads them.
func (ScopeUsage) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule.DenyQueryIfMember("the access review")},
		Mutation: privacy.MutationPolicy{rule.DenyUnlessSystem()},
	}
}

func systemOnly() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule.DenyUnlessSystem()},
		Mutation: privacy.MutationPolicy{rule.DenyUnlessSystem()},
	}
}
