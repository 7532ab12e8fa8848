package graph

import (
	"scopekeeper/graph/model"
	"scopekeeper/internal/usage"
)

// maxReviewDays bounds the access review's window (ten years).
const maxReviewDays = 3650

func scopeReviews(list []usage.Assigned) []*model.ScopeReview {
	out := make([]*model.ScopeReview, len(list))
	for i, a := range list {
		out[i] = &model.ScopeReview{Scope: a.Scope, LastGrantedAt: a.Granted, LastUsedAt: a.Used, Unused: a.Unused}
	}
	return out
}
