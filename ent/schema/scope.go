package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"scopekeeper/internal/scopename"
)

// Scope guards a set of an API's endpoints.
type Scope struct{ ent.Schema }

func (Scope) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{Ref: "scopes"}, TimeMixin{}} }

func (Scope) Fields() []ent.Field {
	noInput := entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(scopename.MaxLen).Immutable().
			Annotations(entgql.OrderField("NAME")),
		// name_key is the lowercased name; its unique index makes names unique ignoring case
		// even when creates race (contract rule 1).
		field.String("name_key").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("display_name").Default("").MaxLen(200).
			Annotations(entgql.OrderField("DISPLAY_NAME")),
		field.String("description").Default("").MaxLen(2000),
		field.Bool("required").Default(false),
		field.Bool("emphasize").Default(false),
		field.Bool("show_in_discovery_document").Default(true),
		field.Bool("deprecated").Default(false).Annotations(entgql.Skip(entgql.SkipMutationCreateInput)),
		field.Bool("built_in").Default(false).Annotations(noInput),
		field.Int("api_id").Immutable().Annotations(noInput),
		// Deprecation lifecycle (issue 13): the scope that takes a deprecated one's place, and from
		// when the deprecated one is no longer granted. Both only while deprecated (checkDeprecation).
		field.Int("replaced_by_id").Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput)),
		field.Time("sunset_at").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipMutationCreateInput)),
	}
}

func (Scope) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("api", API.Type).Ref("scopes").Field("api_id").Unique().Required().Immutable(),
		// Assignment goes through setClientScopes only, where the limit and deprecation rules live.
		edge.From("clients", OAuthClient.Type).Ref("scopes").
			Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.From("api_keys", APIKey.Type).Ref("scopes").Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("endpoints", Endpoint.Type).Through("endpoint_links", ScopeEndpoint.Type),
		edge.From("allowed_for_keys_of", Organisation.Type).Ref("api_key_allowed_scopes").
			Annotations(entgql.Skip(entgql.SkipAll)),
		// Deprecation lifecycle (issue 13): replacedBy, set on updateScope as replacedByID. A deleted
		// replacement leaves the deprecated scope without one.
		edge.To("replaces", Scope.Type).Annotations(entsql.OnDelete(entsql.SetNull), entgql.Skip(entgql.SkipAll)).
			From("replaced_by").Field("replaced_by_id").Unique().
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput)),
	}
}

func (Scope) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organisation_id", "name_key").Unique(),
		// Every order the console offers, within an API (the Scopes tab) and across the
		// organisation (the scope pickers), ending in the ID that breaks ties and keys the cursor.
		// They start with the organisation, which every query is filtered by (privacy), so that
		// counting an API's scopes reads the index alone.
		index.Fields("organisation_id", "api_id", "name", "id"),
		index.Fields("organisation_id", "api_id", "display_name", "id"),
		index.Fields("organisation_id", "api_id", "created_at", "id"),
		index.Fields("organisation_id", "api_id", "updated_at", "id"),
		index.Fields("organisation_id", "name", "id"),
		// The discovery document's scopes, read from the index alone, already sorted.
		index.Fields("organisation_id", "show_in_discovery_document", "deprecated", "name"),
	}
}

func (Scope) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}
