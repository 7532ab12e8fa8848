package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"scopekeeper/internal/scopename"
)

// Organisation is a tenant: everything else belongs to exactly one.
type Organisation struct{ ent.Schema }

func (Organisation) Mixin() []ent.Mixin { return []ent.Mixin{OrganisationMixin{}} }

func (Organisation) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200),
		field.String("slug").Unique().Immutable().Match(slugPattern),
		field.Int("max_scopes_per_client").Default(10).Range(1, 1000),
		// refresh_token_lifetime is how long a refresh token lasts, in seconds (30 days by default).
		field.Int("refresh_token_lifetime").Default(30*24*3600).Range(300, 366*24*3600),
		field.Enum("naming_policy").GoType(scopename.Policy("")).Default(string(scopename.Free)).
			Annotations(entgql.Type("NamingPolicy")),
		field.Time("created_at").Default(time.Now).Immutable().
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

func (Organisation) Edges() []ent.Edge {
	hidden := entgql.Skip(entgql.SkipAll)
	return []ent.Edge{
		edge.To("users", User.Type).Annotations(hidden),
		edge.To("apis", API.Type).Annotations(hidden),
		edge.To("scopes", Scope.Type).Annotations(hidden),
		edge.To("endpoints", Endpoint.Type).Annotations(hidden),
		edge.To("clients", OAuthClient.Type).Annotations(hidden),
		edge.To("api_keys", APIKey.Type).Annotations(hidden),
		edge.To("audit_events", AuditEvent.Type).Annotations(hidden),
		edge.To("tokens", Token.Type).Annotations(hidden),
		edge.To("issued_refresh_tokens", RefreshToken.Type).Annotations(hidden),
		edge.To("auth_requests", AuthRequest.Type).Annotations(hidden),
		edge.To("consents", Consent.Type).Annotations(hidden),
		edge.To("signing_keys", SigningKey.Type).Annotations(hidden),
		// The scopes API keys may hold at all (contract rule 10).
		edge.To("api_key_allowed_scopes", Scope.Type).Through("api_key_allowed_scope_links", KeyAllowedScope.Type).
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		// access review: when each client and key was last issued and last used each scope
		edge.To("scope_usages", ScopeUsage.Type).Annotations(hidden),
	}
}

func (Organisation) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}
