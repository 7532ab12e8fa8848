package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// Revision counts an organisation's committed changes, so that every server process sharing the
// database learns of changes made through another (internal/access.Engine.Sync): config counts
// changes to what the endpoint matcher is compiled from, grants changes to what a credential
// grants, keys changes to the ID-token signing keys. Organisation 0 stands for changes outside
// any organisation. All only grow.
type Revision struct{ ent.Schema }

func (Revision) Fields() []ent.Field {
	return []ent.Field{
		field.Int("organisation_id").Unique().Immutable(),
		field.Int64("config").Default(0),
		field.Int64("grants").Default(0),
		field.Int64("keys").Default(0),
	}
}

func (Revision) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

func (Revision) Policy() ent.Policy { return systemOnly() }
