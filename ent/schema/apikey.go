package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// APIKey is a long-lived credential of a user, holding a subset of the organisation's allowed scopes.
type APIKey struct{ ent.Schema }

func (APIKey) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{Ref: "api_keys"}} }

func (APIKey) Fields() []ent.Field {
	noInput := entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200).Annotations(entgql.OrderField("NAME")),
		// prefix is the key's public start, shown in lists so a leaked key can be recognised.
		field.String("prefix").Immutable().Annotations(noInput),
		field.Bytes("key_hash").Sensitive().Unique().Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Bool("allow_uncategorized_read").Default(false),
		field.Bool("allow_uncategorized_modify").Default(false),
		field.Time("created_at").Default(time.Now).Immutable().
			Annotations(entgql.OrderField("CREATED_AT"), noInput),
		field.Time("last_used_at").Optional().Nillable().Annotations(entgql.OrderField("LAST_USED_AT"), noInput),
		field.Time("expires_at").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipMutationUpdateInput)),
		field.Time("revoked_at").Optional().Nillable().Annotations(noInput),
		field.Int("owner_id").Immutable().Annotations(noInput),
	}
}

func (APIKey) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("owner", User.Type).Ref("api_keys").Field("owner_id").Unique().Required().Immutable().
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput)),
		edge.To("scopes", Scope.Type).Through("scope_links", APIKeyScope.Type),
	}
}

func (APIKey) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organisation_id", "created_at", "id"),
		index.Fields("owner_id", "created_at", "id"), // a MEMBER's own keys
	}
}

func (APIKey) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField("apiKeys"),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}
