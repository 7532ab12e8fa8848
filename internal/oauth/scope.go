package oauth

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"scopekeeper/ent"
	"scopekeeper/internal/oidcscope"
)

// Limits on the scope parameter.
const (
	maxScopeTokens   = 100
	maxScopeTokenLen = 128
)

// ParseScope splits an RFC 6749 §3.3 scope parameter into its scope-tokens, dropping repeats
// (ignoring case; the first spelling wins). Runs of spaces are tolerated; a character outside
// scope-token (%x21 / %x23-5B / %x5D-7E) is an error.
func ParseScope(s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for tok := range strings.SplitSeq(s, " ") {
		if tok == "" {
			continue
		}
		if len(tok) > maxScopeTokenLen {
			return nil, fmt.Errorf("scope %.40q… is longer than %d characters", tok, maxScopeTokenLen)
		}
		for i := 0; i < len(tok); i++ {
			if c := tok[i]; c < 0x21 || c == 0x22 || c == 0x5c || c > 0x7e {
				return nil, fmt.Errorf("scope %q contains %q, which a scope-token may not (RFC 6749 §3.3)", tok, string(rune(c)))
			}
		}
		k := strings.ToLower(tok)
		if seen[k] {
			continue
		}
		seen[k] = true
		if len(out) == maxScopeTokens {
			return nil, errors.New("too many scopes requested")
		}
		out = append(out, tok)
	}
	return out, nil
}

// scopeRequest is a parsed scope parameter.
type scopeRequest struct {
	given    bool     // the parameter was present and not empty
	names    []string // scope names other than identity scopes
	identity []int    // identity scopes (oidcscope markers), in oidcscope.All's order
}

func parseScopeParam(s string) (scopeRequest, *oidc.Error) {
	toks, err := ParseScope(s)
	if err != nil {
		return scopeRequest{}, oidc.ErrInvalidScope().WithDescription("%s", err.Error())
	}
	req := scopeRequest{given: len(toks) > 0}
	var markers []int
	for _, t := range toks {
		if is, ok := oidcscope.ByName(t); ok {
			markers = append(markers, is.Marker)
			continue
		}
		req.names = append(req.names, t)
	}
	_, req.identity = oidcscope.Split(markers)
	return req, nil
}

// grant applies contract rules 4 and 5 to the scope rows of a request: without names (and given
// false) it is every scope the client holds; otherwise the named ones, each of which the client
// must hold (names match ignoring case). Required scopes of every API the grant touches are added;
// a required scope without another scope of its API is not granted. Identity scopes are not its
// business: a request naming only those grants no scope row.
func (ci *clientInfo) grant(req scopeRequest) ([]*ent.Scope, *oidc.Error) {
	if req.given && len(req.names) == 0 && len(req.identity) > 0 {
		return nil, nil
	}
	if len(ci.assigned) == 0 && len(ci.retired) > 0 {
		return nil, oidc.ErrInvalidScope().WithDescription("The client %q holds only deprecated scopes whose sunset has come, so it cannot get a token.", ci.c.Name)
	}
	if len(ci.assigned) == 0 {
		return nil, oidc.ErrInvalidScope().WithDescription("The client %q has no scopes assigned, so it cannot get a token.", ci.c.Name)
	}
	var base []*ent.Scope
	if !req.given {
		base = ci.assigned
	} else {
		for _, n := range req.names {
			s, ok := ci.grantable[strings.ToLower(n)]
			if r := ci.retired[strings.ToLower(n)]; !ok && r != nil {
				return nil, oidc.ErrInvalidScope().WithDescription("The scope %q is deprecated and no longer granted since %s.",
					r.Name, r.SunsetAt.UTC().Format(time.RFC3339))
			}
			if !ok {
				return nil, oidc.ErrInvalidScope().WithDescription("The client may not request the scope %q.", n)
			}
			base = append(base, s)
		}
	}
	out := withRequired(base, ci.required)
	if len(out) == 0 {
		return nil, oidc.ErrInvalidScope().WithDescription("A required scope is granted only together with another scope of its API; request one.")
	}
	return out, nil
}

// withRequired returns base plus the required scopes of every API of which base holds a scope
// that is not required, minus required scopes without such a sibling; sorted by name, no repeats.
func withRequired(base []*ent.Scope, required map[int][]*ent.Scope) []*ent.Scope {
	apis := map[int]bool{}
	for _, s := range base {
		if !s.Required {
			apis[s.APIID] = true
		}
	}
	seen := map[int]bool{}
	var out []*ent.Scope
	add := func(s *ent.Scope) {
		if !seen[s.ID] {
			seen[s.ID] = true
			out = append(out, s)
		}
	}
	for _, s := range base {
		if !s.Required || apis[s.APIID] {
			add(s)
		}
	}
	for api := range apis {
		for _, s := range required[api] {
			add(s)
		}
	}
	slices.SortFunc(out, func(a, b *ent.Scope) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func scopeIDs(ss []*ent.Scope) []int {
	out := make([]int, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	return out
}

// joinScopes is the scope of a response: identity scopes first, then the scope rows' names.
func joinScopes(identity []int, ss []*ent.Scope) string {
	return oidc.SpaceDelimitedArray(append(oidcscope.Names(identity), scopeNames(ss)...)).String()
}

func scopeNames(ss []*ent.Scope) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Name
	}
	return out
}
