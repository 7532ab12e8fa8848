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

// API is a service an organisation protects with scopes.
type API struct{ ent.Schema }

func (API) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{Ref: "apis"}, TimeMixin{}} }

func (API) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(100).Match(apiNamePattern).
			Annotations(entgql.OrderField("NAME")),
		field.String("display_name").Default("").MaxLen(200).
			Annotations(entgql.OrderField("DISPLAY_NAME")),
		field.String("description").Default("").MaxLen(2000),
		field.String("base_path").Default("/").MaxLen(512).Match(basePathPattern),
		field.Bool("built_in").Default(false).
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		// Resource servers (contract §7). identifier is the API's RFC 8707 resource and the aud of
		// its tokens; nil means the default, {public-url}{basePath} (internal/resource.Identifier).
		// Explicit identifiers are unique in the organisation (index below).
		field.String("identifier").Optional().Nillable().MaxLen(512),
		// access_token_format is what its tokens look like: opaque, or RFC 9068 JWTs when every
		// API of a token is JWT (internal/oauth/jwt.go).
		field.Enum("access_token_format").Values("OPAQUE", "JWT").Default("OPAQUE"),
		// jwt_lifetime is how long its JWT access tokens last, in seconds.
		field.Int("jwt_lifetime").Default(300),
		// scope_count is how many scopes the API has, kept by database triggers in the transaction
		// that adds or removes one (internal/scopecount): the Scopes tab's totalCount without
		// counting a million rows.
		field.Int("scope_count").Default(0).Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (API) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("scopes", Scope.Type).
			Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.To("endpoints", Endpoint.Type).
			Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

func (API) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organisation_id", "name").Unique(),
		index.Fields("organisation_id", "created_at", "id"),
		index.Fields("organisation_id", "identifier").Unique(),
	}
}

func (API) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField("apis"),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}

// TimeMixin records when a row was created and last changed.
type TimeMixin struct{ mixinSchema }

func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(time.Now).Immutable().
			Annotations(entgql.OrderField("CREATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput)),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now).
			Annotations(entgql.OrderField("UPDATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}
