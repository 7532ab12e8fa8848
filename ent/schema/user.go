package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"scopekeeper/internal/viewer"
)

// User is a person who signs in; the email is unique across organisations because sign-in asks
// only for email and password.
type User struct{ ent.Schema }

func (User) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{Ref: "users"}} }

func (User) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").Unique().NotEmpty().MaxLen(254).Match(emailPattern).
			Annotations(entgql.OrderField("EMAIL")),
		field.String("display_name").Default("").MaxLen(200),
		// preferred_username and email_verified are the OpenID Connect claims of the same names
		// (scopes profile and email); an empty preferred_username falls back to the email.
		field.String("preferred_username").Default("").MaxLen(100),
		field.Bool("email_verified").Default(false),
		field.Enum("role").GoType(viewer.Role("")).Default(string(viewer.Member)).
			Annotations(entgql.Type("Role")),
		field.String("password_hash").Sensitive().NotEmpty().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("created_at").Default(time.Now).Immutable().
			Annotations(entgql.OrderField("CREATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput)),
		// updated_at is the profile's updated_at claim.
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now).
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

func (User) Edges() []ent.Edge {
	hidden := entgql.Skip(entgql.SkipAll)
	return []ent.Edge{
		// A deleted user's keys, sessions and consents go with them.
		edge.To("api_keys", APIKey.Type).Annotations(hidden, entsql.OnDelete(entsql.Cascade)),
		edge.To("sessions", Session.Type).Annotations(hidden, entsql.OnDelete(entsql.Cascade)),
		edge.To("consents", Consent.Type).Annotations(hidden, entsql.OnDelete(entsql.Cascade)),
		edge.To("issued_refresh_tokens", RefreshToken.Type).Annotations(hidden, entsql.OnDelete(entsql.Cascade)),
	}
}

func (User) Indexes() []ent.Index {
	return []ent.Index{index.Fields("organisation_id", "email")}
}

func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationUpdate()),
	}
}
