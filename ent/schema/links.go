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

// The many-to-many link tables, declared as edge schemas only to index them from their second
// side: a link table's primary key serves lookups by its first column, and these indexes serve
// the other direction (a scope's clients, API keys and endpoints, an endpoint's scopes) and the
// cascades that run when a scope or endpoint is deleted. Links are made and removed through the
// edges of the entities as before.

// ClientScope links an OAuth client to a scope it holds.
type ClientScope struct{ ent.Schema }

func (ClientScope) Fields() []ent.Field {
	return []ent.Field{field.Int("oauth_client_id"), field.Int("scope_id")}
}

func (ClientScope) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("client", OAuthClient.Type).Field("oauth_client_id").Unique().Required().Annotations(cascade),
		edge.To("scope", Scope.Type).Field("scope_id").Unique().Required().Annotations(cascade),
	}
}

func (ClientScope) Indexes() []ent.Index {
	return []ent.Index{index.Fields("scope_id", "oauth_client_id")}
}

func (ClientScope) Annotations() []schema.Annotation {
	return linkAnnotations("oauth_client_scopes", "oauth_client_id", "scope_id")
}

// APIKeyScope links an API key to a scope it holds.
type APIKeyScope struct{ ent.Schema }

func (APIKeyScope) Fields() []ent.Field {
	return []ent.Field{field.Int("api_key_id"), field.Int("scope_id")}
}

func (APIKeyScope) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("api_key", APIKey.Type).Field("api_key_id").Unique().Required().Annotations(cascade),
		edge.To("scope", Scope.Type).Field("scope_id").Unique().Required().Annotations(cascade),
	}
}

func (APIKeyScope) Indexes() []ent.Index {
	return []ent.Index{index.Fields("scope_id", "api_key_id")}
}

func (APIKeyScope) Annotations() []schema.Annotation {
	return linkAnnotations("api_key_scopes", "api_key_id", "scope_id")
}

// ScopeEndpoint links a scope to an endpoint it guards.
type ScopeEndpoint struct{ ent.Schema }

func (ScopeEndpoint) Fields() []ent.Field {
	return []ent.Field{field.Int("scope_id"), field.Int("endpoint_id")}
}

func (ScopeEndpoint) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("scope", Scope.Type).Field("scope_id").Unique().Required().Annotations(cascade),
		edge.To("endpoint", Endpoint.Type).Field("endpoint_id").Unique().Required().Annotations(cascade),
	}
}

func (ScopeEndpoint) Indexes() []ent.Index {
	return []ent.Index{index.Fields("endpoint_id", "scope_id")}
}

func (ScopeEndpoint) Annotations() []schema.Annotation {
	return linkAnnotations("scope_endpoints", "scope_id", "endpoint_id")
}

// KeyAllowedScope links an organisation to a scope its API keys may hold (contract rule 10).
type KeyAllowedScope struct{ ent.Schema }

func (KeyAllowedScope) Fields() []ent.Field {
	return []ent.Field{field.Int("organisation_id"), field.Int("scope_id")}
}

func (KeyAllowedScope) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("organisation", Organisation.Type).Field("organisation_id").Unique().Required().Annotations(cascade),
		edge.To("scope", Scope.Type).Field("scope_id").Unique().Required().Annotations(cascade),
	}
}

func (KeyAllowedScope) Indexes() []ent.Index {
	return []ent.Index{index.Fields("scope_id", "organisation_id")}
}

func (KeyAllowedScope) Annotations() []schema.Annotation {
	return linkAnnotations("organisation_api_key_allowed_scopes", "organisation_id", "scope_id")
}

// cascade deletes a link with either end.
var cascade = entsql.OnDelete(entsql.Cascade)

// linkAnnotations keeps a link table as ent made it before it had a schema: its name, and the pair
// of IDs as primary key. Links are not part of the GraphQL API.
func linkAnnotations(table, from, to string) []schema.Annotation {
	return []schema.Annotation{
		field.ID(from, to),
		entsql.Annotation{Table: table},
		entgql.Skip(entgql.SkipAll),
	}
}
