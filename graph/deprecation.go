package graph

import (
	"scopekeeper/graph/model"
	"scopekeeper/internal/deprecation"
)

// migrationPlan is migrateScopeHolders' answer.
func migrationPlan(p *deprecation.Plan, applied bool) *model.ScopeMigrationPlan {
	out := &model.ScopeMigrationPlan{From: p.From, To: p.To, Applied: applied, Steps: []*model.ScopeMigrationStep{}}
	for _, s := range p.Steps {
		action := model.ScopeMigrationActionMove
		if s.AlreadyHolds {
			action = model.ScopeMigrationActionDrop
		}
		out.Steps = append(out.Steps, &model.ScopeMigrationStep{Kind: s.Kind, ID: s.ID, Name: s.Name, Action: action,
			ScopesBefore: s.Before, ScopesAfter: s.After})
	}
	return out
}
