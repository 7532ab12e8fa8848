package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// ScopeUsage (access review, contract section 8) is when one client or one API key was last issued
// a scope in a token and last allowed a request by it at the check or forward auth. The server
// records these in memory and writes them in batches (internal/usage); a row goes with its scope,
// client or key.
type ScopeUsage struct{ ent.Schema }

func (ScopeUsage) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{Ref: "scope_usages"}} }

func (ScopeUsage) Fields() []ent.Field {
	return []ent.Field{
		field.Int("scope_id").Immutable(),
		// Exactly one of client_id and api_key_id is set.
		field.Int("client_id").Optional().Nillable().Immutable(),
		field.Int("api_key_id").Optional().Nillable().Immutable(),
		field.Time("last_granted_at").Optional().Nillable(),
		field.Time("last_used_at").Optional().Nillable(),
	}
}

func (ScopeUsage) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("scope", Scope.Type).Field("scope_id").Unique().Required().Immutable().Annotations(cascade),
		edge.To("client", OAuthClient.Type).Field("client_id").Unique().Immutable().Annotations(cascade),
		edge.To("api_key", APIKey.Type).Field("api_key_id").Unique().Immutable().Annotations(cascade),
	}
}

// One row per (scope, client) and per (scope, API key): the targets of the flush's upserts.
func (ScopeUsage) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("scope_id", "client_id").Unique().Annotations(entsql.IndexWhere("client_id IS NOT NULL")),
		index.Fields("scope_id", "api_key_id").Unique().Annotations(entsql.IndexWhere("api_key_id IS NOT NULL")),
		index.Fields("client_id"),
		index.Fields("api_key_id"),
		index.Fields("organisation_id"),
		index.Fields("scope_id", "last_used_at"), // Scope.lastUsedAt
	}
}

func (ScopeUsage) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
