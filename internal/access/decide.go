package access

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"scopekeeper/ent"
	"scopekeeper/internal/credential"
	"scopekeeper/internal/deprecation"
	"scopekeeper/internal/pathtemplate"
)

// The reasons of a decision: a small, stable set shared by POST /v1/check and explainAccess.
const (
	ReasonGranted                 = "granted"
	ReasonGrantedUncategorized    = "granted_uncategorized"
	ReasonUnknownCredential       = credential.ReasonUnknown // unknown_credential
	ReasonExpired                 = credential.ReasonExpired // expired
	ReasonRevoked                 = credential.ReasonRevoked // revoked
	ReasonClientDisabled          = credential.ReasonClient  // client_disabled
	ReasonUnknownPath             = "unknown_path"
	ReasonMissingScope            = "missing_scope"
	ReasonUncategorizedNotAllowed = "uncategorized_not_allowed"
	ReasonNarrowedByOrganisation  = "narrowed_by_organisation"
)

// Decision is the answer to "may this credential call METHOD PATH?".
type Decision struct {
	Allowed bool
	Reason  string
	// Scope is the name of the scope that granted access, if one did.
	Scope string
	// scopeID is that scope's ID, for the access review's record of use.
	scopeID int
	// Endpoint is the endpoint the request matched, if any.
	Endpoint *EndpointSpec
	// ExpiresAt is when the credential stops granting anything, or a scope it grants reaches its
	// sunset (zero: never), for caches.
	ExpiresAt time.Time
	// Audience is a token's aud (RFC 8707): the identifiers of its APIs.
	Audience []string
	// Explanation says step by step why, when asked for.
	Explanation []string

	// matched and in: the endpoints the request matched, in the view it was decided with, so a
	// denial can name the scopes that would allow it (ScopesThatAllow) without work on the hot path.
	matched []*compiledEndpoint
	in      *view
}

// ScopesThatAllow lists, space-separated, the scopes that would allow the request (linked to the
// endpoint it matched, or their modify siblings), for a 403's WWW-Authenticate; "" when none
// would (an unknown path, an uncategorized endpoint or a credential problem).
func (d *Decision) ScopesThatAllow() string {
	var b strings.Builder
	seen := map[int]bool{}
	for _, ep := range d.matched {
		for _, list := range [2][]int{ep.Linked, ep.Siblings} {
			for _, id := range list {
				if seen[id] {
					continue
				}
				seen[id] = true
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(d.in.scopes[id].Name)
			}
		}
	}
	return b.String()
}

// CredentialProblem reports whether the decision is about the credential itself rather than the
// request: a caller should then answer 401 rather than 403.
func (d *Decision) CredentialProblem() bool {
	switch d.Reason {
	case ReasonUnknownCredential, ReasonExpired, ReasonRevoked, ReasonClientDisabled:
		return true
	}
	return false
}

// grant is a resolved credential as cached: what it grants, as of a grant stamp.
type grant struct {
	stamp     uint64
	cred      *credential.Credential
	scopes    []int // granted now
	withdrawn []int // issued or held, but no longer granted (rules 8 and 10)
}

func newGrant(stamp uint64, c *credential.Credential) *grant {
	g := &grant{stamp: stamp, cred: c}
	for _, s := range c.Scopes {
		g.scopes = append(g.scopes, s.ID)
	}
	for _, s := range c.Withdrawn {
		g.withdrawn = append(g.withdrawn, s.ID)
	}
	return g
}

// explainer collects sentences only when an explanation was asked for.
type explainer struct{ lines *[]string }

func (x explainer) add(format string, args ...any) {
	if x.lines != nil {
		*x.lines = append(*x.lines, fmt.Sprintf(format, args...))
	}
}

func isRead(method string) bool { return method == "GET" || method == "HEAD" }

// decide applies contract rules 9 and 10 (rule 8 is applied when the credential is resolved) to
// one request. It reads only memory.
func decide(g *grant, v *view, method, path string, now time.Time, explain bool) Decision {
	var d Decision
	x := explainer{}
	if explain {
		d.Explanation = []string{}
		x.lines = &d.Explanation
	}
	c := g.cred
	d.ExpiresAt, d.Audience = deprecation.Earlier(c.ExpiresAt, c.Until), c.Audience
	if explain {
		describeCredential(x, c, v)
	}
	reason := c.Reason
	if c.Active && !c.ExpiresAt.IsZero() && !c.ExpiresAt.After(now) {
		reason = ReasonExpired
	}
	switch {
	case reason == ReasonUnknownCredential:
		d.Reason = reason
		x.add("No access token or API key of this organisation has this value, so it grants nothing.")
		return d
	case reason == ReasonExpired:
		d.Reason = reason
		x.add("It expired at %s, so it grants nothing.", c.ExpiresAt.UTC().Format(time.RFC3339))
		return d
	case reason == ReasonRevoked:
		d.Reason = reason
		x.add("It was revoked, so it grants nothing.")
		return d
	case reason == ReasonClientDisabled:
		d.Reason = reason
		x.add("Its client is disabled, so the token grants nothing.")
		return d
	case !c.Active:
		d.Reason = reason
		x.add("It grants nothing (%s).", reason)
		return d
	}

	method = strings.ToUpper(strings.TrimSpace(method))
	order := lookupOrder(method)
	segs, err := pathtemplate.SplitRequest(path)
	var eps []*compiledEndpoint
	switch {
	case order == nil:
		x.add("%q is not a method an endpoint can have (GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS), so no endpoint matches.", method)
	case err != nil:
		x.add("The path %q cannot match any endpoint: %s.", path, err)
	default:
		eps = v.match(order, segs)
		if eps == nil {
			x.add("No registered endpoint of this organisation matches %s %s; a path under no registered endpoint is denied.", method, path)
		}
	}
	if eps == nil {
		d.Reason = ReasonUnknownPath
		return d
	}
	d.matched, d.in = eps, v
	if explain {
		x.add("%s %s matches the endpoint %s %s.", method, path, eps[0].Method, eps[0].Path)
		if method != eps[0].Method {
			x.add("The path has no %s endpoint, and a HEAD request may use the GET endpoint of its path.", method)
		}
		if len(eps) > 1 {
			x.add("%d APIs register this endpoint; access is granted when any of them allows it.", len(eps))
		}
	}
	// Several endpoints only when APIs overlap: the first that allows wins, else the first's reason.
	first := Decision{}
	for i, ep := range eps {
		r := judge(g, v, ep, x)
		spec := ep.EndpointSpec
		r.Endpoint = &spec
		if r.Allowed || i == 0 {
			first = r
		}
		if r.Allowed {
			break
		}
	}
	d.Allowed, d.Reason, d.Scope, d.scopeID, d.Endpoint = first.Allowed, first.Reason, first.Scope, first.scopeID, first.Endpoint
	return d
}

// judge applies rule 9 (and 10, through what the credential was resolved to) to one endpoint.
func judge(g *grant, v *view, ep *compiledEndpoint, x explainer) Decision {
	var d Decision
	c := g.cred
	if ep.Uncategorized() {
		flag, allowed := "allowUncategorizedModify", c.AllowUncategorizedModify
		if isRead(ep.Method) {
			flag, allowed = "allowUncategorizedRead", c.AllowUncategorizedRead
		}
		whose := "The key's"
		if c.Kind == credential.AccessToken {
			whose = "The token's client's"
		}
		x.add("No scope guards %s: it is uncategorized.", ep)
		if allowed {
			d.Allowed, d.Reason = true, ReasonGrantedUncategorized
			x.add("%s %s is set, so access is granted.", whose, flag)
		} else {
			d.Reason = ReasonUncategorizedNotAllowed
			x.add("%s %s is not set, so access is denied.", whose, flag)
		}
		return d
	}
	if x.lines != nil {
		x.add("%s is guarded by %s.", ep, v.names(ep.Linked))
		if len(ep.Siblings) > 0 {
			x.add("%s also covers it, as the modify sibling of a linked readonly scope.", v.names(ep.Siblings))
		}
	}
	for _, list := range [2][]int{ep.Linked, ep.Siblings} {
		for _, id := range list {
			if slices.Contains(g.scopes, id) {
				d.Allowed, d.Reason, d.Scope, d.scopeID = true, ReasonGranted, v.scopes[id].Name, id
				x.add("The credential holds %s, so access is granted.", d.Scope)
				return d
			}
		}
	}
	d.Reason = ReasonMissingScope
	for _, list := range [2][]int{ep.Linked, ep.Siblings} {
		for _, id := range list {
			if !slices.Contains(g.withdrawn, id) {
				continue
			}
			if c.Kind == credential.APIKey {
				d.Reason = ReasonNarrowedByOrganisation
				x.add("The key holds %s, but the organisation no longer allows API keys to hold it, so access is denied.", v.scopes[id].Name)
			} else {
				x.add("The token was issued %s, but its client no longer holds it, so access is denied.", v.scopes[id].Name)
			}
			return d
		}
	}
	for _, list := range [2][]int{ep.Linked, ep.Siblings} {
		for _, id := range list {
			if i := slices.IndexFunc(c.Retired, func(s *ent.Scope) bool { return s.ID == id }); i >= 0 {
				x.add("The credential held %s, but that scope is deprecated and its sunset has come, so access is denied.", c.Retired[i].Name)
				return d
			}
		}
	}
	x.add("The credential holds none of these scopes, so access is denied.")
	return d
}

func describeCredential(x explainer, c *credential.Credential, v *view) {
	switch {
	case c.Kind == credential.APIKey && c.Key != nil:
		x.add("The credential is the API key %q (%s…).", c.Key.Name, c.Key.Prefix)
	case c.Kind == credential.AccessToken && c.Client != nil:
		x.add("The credential is an access token of the client %q, issued at %s.", c.Client.Name, c.IssuedAt.UTC().Format(time.RFC3339))
	default:
		return
	}
	if !c.Active {
		return
	}
	if len(c.Scopes) == 0 {
		x.add("It grants no scope.")
	} else {
		x.add("It grants %s.", strings.Join(c.ScopeNames(), ", "))
	}
	for _, s := range c.Retired {
		x.add("It also held %s, which is deprecated and no longer granted since its sunset at %s.", s.Name, s.SunsetAt.UTC().Format(time.RFC3339))
	}
	for _, s := range c.Withdrawn {
		if c.Kind == credential.APIKey {
			x.add("It also holds %s, which the organisation's API-key set no longer allows, so it does not grant it.", s.Name)
		} else {
			x.add("It was also issued %s, which its client no longer holds, so it does not grant it.", s.Name)
		}
	}
}

func (v *view) names(ids []int) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = v.scopes[id].Name
	}
	return strings.Join(out, ", ")
}
