// Package audit records an AuditEvent for every change to the organisation's configuration, in the
// same transaction as the change.
package audit

import (
	"context"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent"
	"github.com/99designs/gqlgen/graphql"

	gen "scopekeeper/ent"
	"scopekeeper/internal/viewer"
)

// audited lists the entity types whose changes are recorded; the OAuth runtime's own records
// (tokens, codes, consents, sessions) are not configuration. Signing keys are: their rotation
// and retirement decide which ID tokens verify (the private key is never recorded: sensitive
// fields are left out of events).
var audited = map[string]bool{
	gen.TypeOrganisation: true, gen.TypeUser: true, gen.TypeAPI: true, gen.TypeScope: true,
	gen.TypeEndpoint: true, gen.TypeOAuthClient: true, gen.TypeAPIKey: true, gen.TypeSigningKey: true,
}

// Hook returns the ent hook that writes the events.
func Hook() ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			c := viewer.FromContext(ctx)
			if !audited[m.Type()] || c == nil || ctx.Value(batchKey{}) != nil {
				return next.Mutate(ctx, m)
			}
			client := m.(interface{ Client() *gen.Client }).Client()
			var before map[string]any
			var id int
			if !m.Op().Is(ent.OpCreate) {
				ids, err := m.(interface {
					IDs(context.Context) ([]int, error)
				}).IDs(ctx)
				if err != nil {
					return nil, err
				}
				if len(ids) == 1 {
					id = ids[0]
					if n, err := client.Noder(wholeObject{ctx}, id); err == nil {
						before = toMap(n)
					}
				}
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return nil, err
			}
			after := map[string]any(nil)
			if !m.Op().Is(ent.OpDelete | ent.OpDeleteOne) {
				after = toMap(v)
				if n, ok := v.(interface{ GetID() int }); ok {
					id = n.GetID()
				} else if a, ok := after["id"].(float64); ok {
					id = int(a)
				}
				for _, e := range m.AddedEdges() {
					after["added_"+e] = m.AddedIDs(e)
				}
				for _, e := range m.RemovedEdges() {
					after["removed_"+e] = m.RemovedIDs(e)
				}
			}
			orgID := c.OrgID
			if m.Type() == gen.TypeOrganisation {
				orgID = id // a new organisation's caller is not inside it yet
			}
			_, err = client.AuditEvent.Create().
				SetOrganisationID(orgID).
				SetActor(c.Actor()).
				SetAction(action(m)).
				SetTargetType(m.Type()).
				SetTargetID(strconv.Itoa(id)).
				SetBefore(before).
				SetAfter(after).
				Save(viewer.SystemContext(ctx, orgID))
			if err != nil {
				return nil, err
			}
			return v, nil
		})
	}
}

type batchKey struct{}

// Batch marks ctx so that the changes made with it are not recorded one by one: the caller records
// them as one event with Record, in the same transaction (an import of the configuration).
func Batch(ctx context.Context) context.Context { return context.WithValue(ctx, batchKey{}, true) }

// Record writes one event by the caller of ctx about the organisation's object of targetType.
func Record(ctx context.Context, client *gen.Client, action, targetType string, targetID int, after map[string]any) error {
	c := viewer.FromContext(ctx)
	return client.AuditEvent.Create().SetOrganisationID(c.OrgID).SetActor(c.Actor()).SetAction(action).
		SetTargetType(targetType).SetTargetID(strconv.Itoa(targetID)).SetAfter(after).
		Exec(viewer.SystemContext(ctx, c.OrgID))
}

// The actions events record.
const (
	ActionCreate = "create"
	ActionUpdate = "update"
	ActionDelete = "delete"
)

// Actions lists what an event's action may be.
func Actions() []string { return []string{ActionCreate, ActionUpdate, ActionDelete} }

// TargetTypes lists what an event's target type may be, sorted.
func TargetTypes() []string { return slices.Sorted(maps.Keys(audited)) }

func action(m ent.Mutation) string {
	switch {
	case m.Op().Is(ent.OpCreate):
		return ActionCreate
	case m.Op().Is(ent.OpDelete | ent.OpDeleteOne):
		return ActionDelete
	default:
		return ActionUpdate
	}
}

// wholeObject hides the GraphQL field being resolved from Noder, which would otherwise load only
// the columns the caller's mutation selected.
type wholeObject struct{ context.Context }

func (c wholeObject) Value(key any) any {
	v := c.Context.Value(key)
	if _, ok := v.(*graphql.FieldContext); ok {
		return nil
	}
	return v
}

// Snapshot is what an event records of entity v (its after or before), for writers that insert
// rows in bulk beside the hooks (internal/scalegen).
func Snapshot(v any) map[string]any { return toMap(v) }

// toMap turns an entity into the JSON object stored in the event: every field under its JSON name,
// zero values included (ent's tags say omitempty); sensitive fields carry json:"-" and stay out.
func toMap(v any) map[string]any {
	rv := reflect.Indirect(reflect.ValueOf(v))
	if rv.Kind() != reflect.Struct {
		return nil
	}
	out := map[string]any{}
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "" || name == "-" || name == "edges" {
			continue
		}
		value, ok := jsonValue(rv.Field(i))
		if !ok {
			return nil
		}
		out[name] = value
	}
	return out
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
)

// jsonValue is v as encoding/json would decode it from v's encoding: numbers, strings, RFC 3339
// times, so events hold what they held before. The common kinds are converted directly (bulk
// writers snapshot millions of rows); the rest go through JSON.
func jsonValue(v reflect.Value) (any, bool) {
	switch {
	case v.Type() == timeType:
		return v.Interface().(time.Time).Format(time.RFC3339Nano), true
	case v.Type().Implements(marshalerType):
	case v.Kind() == reflect.String:
		return v.String(), true
	case v.Kind() == reflect.Bool:
		return v.Bool(), true
	case v.CanInt():
		return float64(v.Int()), true
	}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return nil, false
	}
	var value any
	if json.Unmarshal(b, &value) != nil {
		return nil, false
	}
	return value, true
}
