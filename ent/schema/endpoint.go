package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Endpoint is one service URL of an API: a method and a path template under the API's base path.
type Endpoint struct{ ent.Schema }

func (Endpoint) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{Ref: "endpoints"}, TimeMixin{}} }

func (Endpoint) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("method").Values("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS").
			Annotations(entgql.Type("HTTPMethod"), entgql.OrderField("METHOD")),
		field.String("path").NotEmpty().MaxLen(1024).Annotations(entgql.OrderField("PATH")),
		field.Int("api_id").Immutable().
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

func (Endpoint) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("api", API.Type).Ref("endpoints").Field("api_id").Unique().Required().Immutable(),
		edge.From("scopes", Scope.Type).Ref("endpoints"),
	}
}

func (Endpoint) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("api_id", "method", "path").Unique(),
		index.Fields("organisation_id", "api_id", "path", "id"), // the Endpoints tab's order
	}
}

func (Endpoint) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}
