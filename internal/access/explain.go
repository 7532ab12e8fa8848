package access

import (
	"context"
	"errors"

	"scopekeeper/ent"
	"scopekeeper/ent/privacy"
	"scopekeeper/graph/model"
)

// Explain gives the decision POST /v1/check would make, with its reasons, for explainAccess. The
// matched endpoint is read as the caller, so it is shown only to those who may read it.
func (e *Engine) Explain(ctx context.Context, orgID int, cred, method, path string) (*model.AccessDecision, error) {
	ds, _, err := e.decideAll(ctx, orgID, cred, []Request{{Method: method, Path: path}}, true)
	if err != nil {
		return nil, err
	}
	d := ds[0]
	out := &model.AccessDecision{Allowed: d.Allowed, Reason: d.Reason, Explanation: d.Explanation}
	if d.Scope != "" {
		out.Scope = &d.Scope
	}
	if d.Endpoint != nil {
		ep, err := e.client.Endpoint.Get(ctx, d.Endpoint.ID)
		switch {
		case err == nil:
			out.Endpoint = ep
		case ent.IsNotFound(err) || errors.Is(err, privacy.Deny):
		default:
			return nil, err
		}
	}
	return out, nil
}
