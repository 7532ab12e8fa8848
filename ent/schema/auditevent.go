package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// AuditEvent records one change: who made it, to what, and the values before and after.
type AuditEvent struct{ ent.Schema }

func (AuditEvent) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{Ref: "audit_events"}} }

func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.String("actor").Immutable(),
		field.String("action").Immutable().Annotations(entgql.OrderField("ACTION")),
		field.String("target_type").Immutable(),
		field.String("target_id").Immutable(),
		field.JSON("before", map[string]any{}).Optional().Immutable().Annotations(entgql.Type("Map")),
		field.JSON("after", map[string]any{}).Optional().Immutable().Annotations(entgql.Type("Map")),
		field.Time("at").Default(time.Now).Immutable().Annotations(entgql.OrderField("AT")),
	}
}

func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organisation_id", "at", "id"),
		// The audit page filtered by object (issue 13): one object's history, newest first.
		index.Fields("organisation_id", "target_type", "target_id", "at", "id"),
	}
}

func (AuditEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField("auditEvents")}
}
