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

// The OAuth runtime's tables. None is part of the GraphQL schema.

// Token is an issued access token. An opaque one is a split credential (internal/secret.NewSplit),
// found by the time-ordered lookup key in its value and checked against the SHA-256 digest of the
// value; a JWT (RFC 9068) is found by its jti, which holds such a key, and checked against the
// digest of the whole JWT.
type Token struct{ ent.Schema }

func (Token) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{Ref: "tokens"}} }

func (Token) Fields() []ent.Field {
	return []ent.Field{
		field.Bytes("lookup_key").Unique().Immutable().NotEmpty(),
		field.Bytes("token_hash").Immutable().Sensitive(),
		field.Int("client_id").Immutable(),
		field.Int("user_id").Optional().Nillable().Immutable(),
		// auth_request_id is the authorization request whose code the token was issued for, so a
		// reused code can revoke it (RFC 6749 §4.1.2).
		field.Int("auth_request_id").Optional().Nillable().Immutable(),
		// scope_ids are the scopes granted at issuance; what the token still grants is their
		// intersection with the client's current scopes (contract rule 8).
		field.JSON("scope_ids", []int{}).Immutable(),
		field.Time("issued_at").Default(time.Now).Immutable(),
		field.Time("expires_at").Immutable(),
		field.Time("revoked_at").Optional().Nillable(),
		// Resource servers (contract §7): audience is the token's aud, the identifiers of the
		// APIs of the scopes granted at issuance.
		field.JSON("audience", []string{}).Optional().Immutable(),
	}
}

func (Token) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("client", OAuthClient.Type).Ref("tokens").Field("client_id").Unique().Required().Immutable(),
	}
}

func (Token) Indexes() []ent.Index {
	return []ent.Index{index.Fields("expires_at"), index.Fields("auth_request_id")}
}

func (Token) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// AuthRequest is an authorization request waiting for consent, and then the code it produced. Only
// the user who started it may read or decide it, so its ID may appear in the consent screen's URL.
type AuthRequest struct{ ent.Schema }

func (AuthRequest) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{Ref: "auth_requests"}} }

func (AuthRequest) Fields() []ent.Field {
	return []ent.Field{
		field.Int("client_id").Immutable(),
		field.Int("user_id").Optional().Nillable(),
		field.JSON("scope_ids", []int{}),
		field.String("redirect_uri").Immutable(),
		field.String("state").Default("").Immutable(),
		field.String("nonce").Default("").Immutable(),
		// code_challenge is empty when a client that need not use PKCE did not.
		field.String("code_challenge").Default("").Immutable(),
		// session_id is the sign-in the request was approved in; auth_time its sign-in time.
		field.Int("session_id").Optional().Nillable(),
		field.Time("auth_time").Optional().Nillable(),
		field.Bytes("code_hash").Optional().Nillable().Unique().Sensitive(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("expires_at"),
		field.Time("code_used_at").Optional().Nillable(),
	}
}

func (AuthRequest) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("client", OAuthClient.Type).Ref("auth_requests").Field("client_id").Unique().Required().Immutable(),
	}
}

func (AuthRequest) Indexes() []ent.Index { return []ent.Index{index.Fields("expires_at")} }

func (AuthRequest) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Consent remembers which scopes a user granted a client, so they are asked again only for new ones.
type Consent struct{ ent.Schema }

func (Consent) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{Ref: "consents"}} }

func (Consent) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.Int("client_id").Immutable(),
		field.JSON("scope_ids", []int{}),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

func (Consent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("consents").Field("user_id").Unique().Required().Immutable(),
		edge.From("client", OAuthClient.Type).Ref("consents").Field("client_id").Unique().Required().Immutable(),
	}
}

func (Consent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "client_id").Unique()}
}

func (Consent) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// SigningKey is an organisation's key for ID tokens. The newest key that is not retired signs;
// every key that is not retired is published at jwks_uri, so tokens signed before a rotation still
// verify until their key is retired.
type SigningKey struct{ ent.Schema }

func (SigningKey) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{Ref: "signing_keys"}} }

func (SigningKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("kid").Unique().Immutable(),
		field.String("algorithm").Immutable(),
		field.Bytes("private_key").Sensitive().Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("created_at").Default(time.Now).Immutable(),
		// retired_at is when the key left jwks_uri; ID tokens it signed no longer verify.
		field.Time("retired_at").Optional().Nillable(),
	}
}

func (SigningKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.QueryField("signingKeys")}
}

// Session is a console sign-in, stored by the SHA-256 digest of its cookie value.
type Session struct{ ent.Schema }

func (Session) Fields() []ent.Field {
	return []ent.Field{
		field.Bytes("token_hash").Unique().Immutable().Sensitive(),
		field.Int("user_id").Immutable(),
		// created_at is when the user signed in (OpenID Connect's auth_time), method how (amr).
		field.Time("created_at").Default(time.Now).Immutable(),
		field.String("method").Default("pwd").Immutable(),
		field.Time("expires_at"),
	}
}

func (Session) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("sessions").Field("user_id").Unique().Required().Immutable(),
	}
}

func (Session) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// RefreshToken is the refresh-token family of one authorization-code grant (auth_request_id), one
// row updated in place: its value carries the row's lookup key, the generation and 256 random bits
// (internal/secret.NewRefresh), and only the current generation's digest is kept. Using the current
// generation rotates the row to the next; presenting an older one revokes the family with its
// access tokens (RFC 9700 §4.14.2). A row written before generations were counted (generation 0)
// was one token of its family: used_at set means rotated out.
type RefreshToken struct{ ent.Schema }

func (RefreshToken) Mixin() []ent.Mixin {
	return []ent.Mixin{TenantMixin{Ref: "issued_refresh_tokens"}}
}

func (RefreshToken) Fields() []ent.Field {
	return []ent.Field{
		field.Bytes("lookup_key").Unique().Immutable().NotEmpty(),
		// token_hash, scope_ids, issued_at and expires_at are the current generation's.
		field.Bytes("token_hash").Sensitive(),
		field.Int("client_id").Immutable(),
		field.Int("user_id").Immutable(),
		field.Int("auth_request_id").Immutable(),
		// session_id ties an online token (no offline_access) to the sign-in session; nil when offline.
		field.Int("session_id").Optional().Nillable().Immutable(),
		field.JSON("scope_ids", []int{}),
		field.Time("auth_time").Immutable(),
		field.Time("issued_at"),
		field.Time("expires_at"),
		// used_at is when a row of generation 0 was rotated out (rows are no longer rotated out).
		field.Time("used_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
		// Refresh throughput (issue 10): generation counts the rotations of the family; the value
		// of a generation older than this one was rotated out.
		field.Int("generation").Default(0),
	}
}

func (RefreshToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("client", OAuthClient.Type).Ref("issued_refresh_tokens").Field("client_id").Unique().Required().Immutable(),
		edge.From("user", User.Type).Ref("issued_refresh_tokens").Field("user_id").Unique().Required().Immutable(),
	}
}

func (RefreshToken) Indexes() []ent.Index {
	return []ent.Index{index.Fields("expires_at"), index.Fields("auth_request_id")}
}

func (RefreshToken) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
