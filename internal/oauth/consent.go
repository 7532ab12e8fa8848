package oauth

import (
	"context"
	"slices"
	"strings"

	"scopekeeper/ent"
	"scopekeeper/ent/authrequest"
	"scopekeeper/ent/consent"
	"scopekeeper/ent/scope"
	"scopekeeper/graph/model"
	"scopekeeper/internal/apperr"
	"scopekeeper/internal/oidcscope"
	"scopekeeper/internal/viewer"
)

// pending is an authorization request waiting for its user's decision, with what the consent
// screen shows.
type pending struct {
	ar       *ent.AuthRequest
	client   *ent.OAuthClient
	scopes   []*ent.Scope // requested, sorted by name
	identity []int        // requested identity scopes (oidcscope markers)
	org      *orgInfo
}

var errNoRequest = apperr.Missing("This sign-in request does not exist, has expired or was already answered; start again from the application.")

// pendingRequest loads request id for the signed-in caller of ctx. Only the user who started the
// request may see it; anyone else, like a missing, expired or answered request, gets NOT_FOUND.
func (p *Provider) pendingRequest(ctx context.Context, id int) (*pending, context.Context, *ent.Client, error) {
	caller := viewer.FromContext(ctx)
	if caller == nil || caller.UserID == 0 {
		return nil, nil, nil, &apperr.Error{Code: apperr.Unauthenticated, Message: "Sign in to answer this request."}
	}
	if caller.APIKeyID != 0 {
		return nil, nil, nil, apperr.Denied("Consent is given by a signed-in person, not with an API key.")
	}
	client := ent.FromContext(ctx)
	if client == nil {
		client = p.client
	}
	sctx := sys(ctx, caller.OrgID)
	ar, err := client.AuthRequest.Query().Where(
		authrequest.ID(id), authrequest.UserID(caller.UserID), authrequest.CodeHashIsNil(),
		authrequest.CodeUsedAtIsNil(), authrequest.ExpiresAtGT(p.now()),
	).WithClient().Only(sctx)
	if ent.IsNotFound(err) {
		return nil, nil, nil, errNoRequest
	}
	if err != nil {
		return nil, nil, nil, err
	}
	org, err := client.Organisation.Get(sctx, caller.OrgID)
	if err != nil {
		return nil, nil, nil, err
	}
	pd := &pending{ar: ar, client: ar.Edges.Client, org: p.orgInfo(org)}
	ids, identity := oidcscope.Split(ar.ScopeIds)
	pd.identity = identity
	if len(ids) > 0 {
		if pd.scopes, err = client.Scope.Query().Where(scope.IDIn(ids...)).Order(scope.ByName()).All(sctx); err != nil {
			return nil, nil, nil, err
		}
	}
	return pd, sctx, client, nil
}

// ConsentRequest is what the console's consent screen shows for request id: the client and the
// requested scopes, emphasized ones first, then by name.
func (p *Provider) ConsentRequest(ctx context.Context, id int) (*model.ConsentRequest, error) {
	pd, sctx, client, err := p.pendingRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	granted, err := p.consented(sctx, client, *pd.ar.UserID, pd.client.ID)
	if err != nil {
		return nil, err
	}
	out := &model.ConsentRequest{ID: pd.ar.ID, Client: &model.ConsentRequestClient{Name: pd.client.Name, Description: pd.client.Description},
		Scopes: []*model.ConsentScope{}}
	// Identity scopes come first, in end-user words; openid (signing in) cannot be dropped.
	for _, is := range oidcscope.All {
		if slices.Contains(pd.identity, is.Marker) {
			out.Scopes = append(out.Scopes, &model.ConsentScope{Name: is.Name, DisplayName: is.DisplayName, Description: is.Description,
				Required: is.Marker == oidcscope.OpenID, AlreadyGranted: is.Marker == oidcscope.OpenID || slices.Contains(granted, is.Marker)})
		}
	}
	apiScopes := len(out.Scopes)
	for _, s := range pd.scopes {
		out.Scopes = append(out.Scopes, &model.ConsentScope{Name: s.Name, DisplayName: s.DisplayName, Description: s.Description,
			Emphasize: s.Emphasize, Required: s.Required, AlreadyGranted: slices.Contains(granted, s.ID)})
	}
	slices.SortStableFunc(out.Scopes[apiScopes:], func(a, b *model.ConsentScope) int {
		if a.Emphasize != b.Emphasize {
			if a.Emphasize {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// DecideConsent answers request id. Approving keeps the required scopes and the optional ones
// named in keep (ignoring case), remembers the consent and issues a code; denying sends the
// browser back with error=access_denied.
func (p *Provider) DecideConsent(ctx context.Context, id int, approve bool, keep []string) (*model.ConsentDecision, error) {
	pd, sctx, client, err := p.pendingRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	deny := func(desc string) (*model.ConsentDecision, error) {
		if err := client.AuthRequest.DeleteOneID(pd.ar.ID).Exec(sctx); err != nil {
			return nil, err
		}
		return &model.ConsentDecision{RedirectTo: withParams(pd.ar.RedirectURI, "error", "access_denied",
			"error_description", desc, "state", pd.ar.State, "iss", pd.org.Issuer)}, nil
	}
	if !approve {
		return deny("The user denied the request.")
	}
	var base []*ent.Scope
	var identity []int
	for _, name := range keep {
		if is, ok := oidcscope.ByName(name); ok && slices.Contains(pd.identity, is.Marker) {
			identity = append(identity, is.Marker)
			continue
		}
		if !slices.ContainsFunc(pd.scopes, func(s *ent.Scope) bool { return strings.EqualFold(s.Name, name) }) {
			return nil, apperr.Invalid("scopes", "%q was not requested; keep only scopes listed in the request.", name)
		}
	}
	if slices.Contains(pd.identity, oidcscope.OpenID) {
		identity = append(identity, oidcscope.OpenID)
	}
	_, identity = oidcscope.Split(identity)
	for _, s := range pd.scopes {
		if s.Required || slices.ContainsFunc(keep, func(n string) bool { return strings.EqualFold(n, s.Name) }) {
			base = append(base, s)
		}
	}
	kept := withRequired(base, nil)
	if len(kept) == 0 && len(identity) == 0 {
		return deny("No scope was approved.")
	}
	ids := append(scopeIDs(kept), identity...)
	if err := p.remember(sctx, client, *pd.ar.UserID, pd.client.ID, ids); err != nil {
		return nil, err
	}
	to, err := p.issueCode(sctx, client, pd.org, pd.ar, ids)
	if err != nil {
		return nil, err
	}
	return &model.ConsentDecision{RedirectTo: to}, nil
}

// remember adds ids to the scopes user has consented to for client.
func (p *Provider) remember(ctx context.Context, client *ent.Client, userID, clientID int, ids []int) error {
	c, err := client.Consent.Query().Where(consent.UserID(userID), consent.ClientID(clientID)).Only(ctx)
	if ent.IsNotFound(err) {
		return client.Consent.Create().SetUserID(userID).SetClientID(clientID).SetScopeIds(ids).Exec(ctx)
	}
	if err != nil {
		return err
	}
	union := slices.Clone(c.ScopeIds)
	for _, id := range ids {
		if !slices.Contains(union, id) {
			union = append(union, id)
		}
	}
	slices.Sort(union)
	return client.Consent.UpdateOne(c).SetScopeIds(union).Exec(ctx)
}
