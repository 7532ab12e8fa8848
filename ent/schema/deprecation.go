package schema

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent"

	gen "scopekeeper/ent"
	"scopekeeper/ent/hook"
	"scopekeeper/internal/apperr"
)

// Deprecation lifecycle (issue 13).

// sunsetExample is a valid sunsetAt for error messages: the first of a month some months ahead.
func sunsetExample() string {
	t := time.Now().UTC().AddDate(0, 6, 0)
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
}

// checkDeprecation keeps replacedBy and sunsetAt meaningful: only on a deprecated scope (making a
// scope current again clears both), the replacement another scope of the organisation (a foreign
// one is not found, through the privacy rules) and no chain of replacements leading back.
func checkDeprecation(next ent.Mutator) ent.Mutator {
	return hook.ScopeFunc(func(ctx context.Context, m *gen.ScopeMutation) (ent.Value, error) {
		rid, setsReplacement := m.ReplacedByID()
		_, setsSunset := m.SunsetAt()
		deprecated, setsDeprecated := m.Deprecated()
		if !setsReplacement && !setsSunset && !setsDeprecated {
			return next.Mutate(ctx, m)
		}
		var cur *gen.Scope
		if m.Op().Is(ent.OpUpdate) {
			return nil, apperr.Invalid("id", "Deprecate, replace or sunset one scope at a time.")
		}
		if m.Op().Is(ent.OpUpdateOne) {
			id, _ := m.ID()
			var err error
			if cur, err = m.Client().Scope.Get(ctx, id); err != nil {
				return nil, err
			}
			if !setsDeprecated {
				deprecated = cur.Deprecated
			}
		}
		if !deprecated {
			if setsReplacement || setsSunset {
				field := "sunsetAt"
				if setsReplacement {
					field = "replacedByID"
				}
				return nil, apperr.Invalid(field, "Only a deprecated scope has a replacement or a sunset; send deprecated: true with it, e.g. {deprecated: true, sunsetAt: %q}.", sunsetExample())
			}
			if cur != nil && (cur.ReplacedByID != nil || cur.SunsetAt != nil) {
				m.ClearReplacedBy()
				m.ClearSunsetAt()
			}
			return next.Mutate(ctx, m)
		}
		if setsReplacement {
			if err := checkReplacement(ctx, m, cur, rid); err != nil {
				return nil, err
			}
		}
		return next.Mutate(ctx, m)
	})
}

// maxReplacementChain bounds the walk along replacedBy (each step is one read).
const maxReplacementChain = 100

func checkReplacement(ctx context.Context, m *gen.ScopeMutation, cur *gen.Scope, rid int) error {
	r, err := m.Client().Scope.Get(ctx, rid)
	if gen.IsNotFound(err) {
		return apperr.Missing("The replacement scope (replacedByID) does not exist: choose a scope of this organisation.")
	}
	if err != nil {
		return err
	}
	if cur == nil {
		return nil // a new scope: nothing can lead back to it yet
	}
	if r.ID == cur.ID {
		return apperr.Invalid("replacedByID", "A scope cannot replace itself: choose another scope, e.g. a newer version of %q.", cur.Name)
	}
	for steps, next := 0, r; next.ReplacedByID != nil; steps++ {
		if *next.ReplacedByID == cur.ID {
			return apperr.Invalid("replacedByID", "%q is itself (through %q) replaced by %q, so this would be a cycle; choose a scope that is not replaced, e.g. the last of that chain.", r.Name, next.Name, cur.Name)
		}
		if steps == maxReplacementChain {
			return apperr.Invalid("replacedByID", "The replacements of %q form a chain of more than %d scopes; choose its last scope directly.", r.Name, maxReplacementChain)
		}
		if next, err = m.Client().Scope.Get(ctx, *next.ReplacedByID); err != nil {
			return err
		}
	}
	return nil
}

// replacementOf names s's replacement for an error message (", use its replacement x"), if it has one.
func replacementOf(ctx context.Context, client *gen.Client, s *gen.Scope) string {
	if s.ReplacedByID == nil {
		return ""
	}
	r, err := client.Scope.Get(ctx, *s.ReplacedByID)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("; use its replacement %q", r.Name)
}
