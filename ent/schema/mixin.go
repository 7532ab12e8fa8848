package schema

import (
	"regexp"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
)

type mixinSchema = mixin.Schema

var (
	slugPattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	emailPattern    = regexp.MustCompile(`^[^@\s]+@[^@\s]+$`)
	apiNamePattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	basePathPattern = regexp.MustCompile(`^/[A-Za-z0-9._~!$&'()*+,;=:@/{}-]*$`)
)

// TenantMixin makes an entity belong to one organisation: an immutable edge, set from the viewer on
// create, and privacy rules that confine every query and mutation to the viewer's organisation.
type TenantMixin struct {
	mixin.Schema
	Ref string // the organisation's edge back to the entity
}

func (TenantMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Int("organisation_id").Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (m TenantMixin) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organisation", Organisation.Type).Ref(m.Ref).Field("organisation_id").
			Unique().Required().Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// OrganisationMixin gives the Organisation entity the same confinement: a viewer sees only their own.
type OrganisationMixin struct{ mixin.Schema }
