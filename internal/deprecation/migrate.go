package deprecation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"scopekeeper/ent"
	"scopekeeper/ent/apikey"
	"scopekeeper/ent/oauthclient"
	"scopekeeper/ent/scope"
	"scopekeeper/internal/apperr"
	"scopekeeper/internal/scopeuse"
	"scopekeeper/internal/viewer"
)

// Step is what a migration does to one holder.
type Step struct {
	Kind          string // "Client" or "APIKey"
	ID            int
	Name          string
	AlreadyHolds  bool // the holder has the new scope already: it only drops the old one
	Before, After []string
}

// Plan is a migration's outcome: every client, then every live API key, holding From.
type Plan struct {
	From, To *ent.Scope
	Steps    []Step
}

// Migrate moves every client and live API key holding the scope fromID to toID through client,
// which should be a transaction's: each change goes through the same hooks and privacy rules as
// setClientScopes and updateAPIKey (the client limit of rule 3, no newly assigned deprecated
// scope, rule 8's record of what was taken, the API-key allowed set of rule 10, only a key's owner
// changes its scopes), so the first refusal, named with its holder, is returned and the caller
// rolls everything back.
func Migrate(ctx context.Context, client *ent.Client, fromID, toID int) (*Plan, error) {
	c := viewer.FromContext(ctx)
	if c == nil {
		return nil, &apperr.Error{Code: apperr.Unauthenticated, Message: "Sign in first."}
	}
	if !c.System && !c.Role.CanAdminister() {
		return nil, apperr.Denied("Your role (%s) may not move the holders of a scope.", c.Role)
	}
	from, err := client.Scope.Get(ctx, fromID)
	if ent.IsNotFound(err) {
		return nil, apperr.Missing("The scope fromScopeID does not exist.")
	}
	if err != nil {
		return nil, err
	}
	to, err := client.Scope.Get(ctx, toID)
	if ent.IsNotFound(err) {
		return nil, apperr.Missing("The scope toScopeID does not exist.")
	}
	if err != nil {
		return nil, err
	}
	if from.ID == to.ID {
		return nil, apperr.Invalid("toScopeID", "Choose another scope to move the holders of %q to, e.g. its replacement.", from.Name)
	}
	if to.Deprecated {
		return nil, apperr.Invalid("toScopeID", "The scope %q is deprecated and can no longer be newly assigned; choose a current scope%s.", to.Name, replacementHint(ctx, client, to))
	}
	plan := &Plan{From: from, To: to, Steps: []Step{}}
	clients, err := scopeuse.Clients(client, from.ID).Order(oauthclient.ByName(), oauthclient.ByID()).
		WithScopes(func(q *ent.ScopeQuery) { q.Order(scope.ByName()).Select(scope.FieldID, scope.FieldName) }).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, h := range clients {
		st := step("Client", h.ID, h.Name, h.Edges.Scopes, from, to)
		u := h.Update().RemoveScopeIDs(from.ID)
		if !st.AlreadyHolds {
			u.AddScopeIDs(to.ID)
		}
		if err := u.Exec(ctx); err != nil {
			return nil, refused(err, from, to, fmt.Sprintf("client %q", h.Name))
		}
		plan.Steps = append(plan.Steps, st)
	}
	keys, err := scopeuse.APIKeys(client, from.ID).Order(apikey.ByName(), apikey.ByID()).
		WithScopes(func(q *ent.ScopeQuery) { q.Order(scope.ByName()).Select(scope.FieldID, scope.FieldName) }).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		st := step("APIKey", k.ID, k.Name, k.Edges.Scopes, from, to)
		u := k.Update().RemoveScopeIDs(from.ID)
		if !st.AlreadyHolds {
			u.AddScopeIDs(to.ID)
		}
		if err := u.Exec(ctx); err != nil {
			return nil, refused(err, from, to, fmt.Sprintf("API key %q (%s…)", k.Name, k.Prefix))
		}
		plan.Steps = append(plan.Steps, st)
	}
	return plan, nil
}

func step(kind string, id int, name string, held []*ent.Scope, from, to *ent.Scope) Step {
	st := Step{Kind: kind, ID: id, Name: name, Before: []string{}, After: []string{}}
	for _, s := range held {
		st.Before = append(st.Before, s.Name)
		if s.ID == to.ID {
			st.AlreadyHolds = true
		}
		if s.ID != from.ID {
			st.After = append(st.After, s.Name)
		}
	}
	if !st.AlreadyHolds {
		st.After = append(st.After, to.Name)
		slices.Sort(st.After)
	}
	return st
}

// refused names the holder that a rule refused, keeping the rule's code and message.
func refused(err error, from, to *ent.Scope, holder string) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return err
	}
	field := ae.Field
	if field == "scopeIDs" || field == "" {
		field = "toScopeID"
	}
	return &apperr.Error{Code: ae.Code, Field: field, UsedBy: ae.UsedBy, Message: fmt.Sprintf(
		"Nothing was moved: %s cannot trade %q for %q. %s", holder, from.Name, to.Name, strings.TrimSpace(ae.Message))}
}

func replacementHint(ctx context.Context, client *ent.Client, s *ent.Scope) string {
	if s.ReplacedByID == nil {
		return ""
	}
	r, err := client.Scope.Get(ctx, *s.ReplacedByID)
	if err != nil {
		return ""
	}
	return fmt.Sprintf(", e.g. its replacement %q", r.Name)
}
