package oauth

import (
	"slices"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"scopekeeper/ent"
	"scopekeeper/internal/resource"
)

// Resource indicators (RFC 8707): a request naming resources gets a token for those APIs only,
// and its aud is their identifiers. Without resource, a token is for the APIs of its scopes.

// errInvalidTarget is RFC 8707 §2's error.
func errInvalidTarget(format string, args ...any) *oidc.Error {
	return (&oidc.Error{ErrorType: "invalid_target"}).WithDescription(format, args...)
}

// targets maps the resource parameter's values to the client's APIs (those of the scopes it may
// be granted); nil when none was sent. A value that names no such API is invalid_target, and so is
// one that two APIs share (their identifiers must then be set apart).
func (p *Provider) targets(ci *clientInfo, values []string) (map[int]bool, *oidc.Error) {
	if len(values) == 0 {
		return nil, nil
	}
	ids, err := resource.Parse(values)
	if err != nil {
		return nil, errInvalidTarget("%s", err.Error())
	}
	out := map[int]bool{}
	for _, id := range ids {
		found := 0
		for _, a := range ci.apis {
			if resource.Identifier(p.publicURL, a) == id {
				out[a.ID] = true
				found++
			}
		}
		switch found {
		case 0:
			return nil, errInvalidTarget("The resource %q is not the identifier of an API this client holds scopes of.", id)
		case 1:
		default:
			return nil, errInvalidTarget("The resource %q is the identifier of %d APIs; give each API its own identifier.", id, found)
		}
	}
	return out, nil
}

// onlyTargets keeps the scopes of granted whose API is a target, and checks that every target
// keeps one; named are the scope names the request asked for, each of which must be of a target.
func (p *Provider) onlyTargets(granted []*ent.Scope, targets map[int]bool, ci *clientInfo, named []string) ([]*ent.Scope, *oidc.Error) {
	if targets == nil {
		return granted, nil
	}
	for _, n := range named {
		if s, ok := ci.grantable[strings.ToLower(n)]; ok && !targets[s.APIID] {
			return nil, errInvalidTarget("The scope %q is not a scope of the requested resource; request it with its API's identifier as resource, or leave it out.", n)
		}
	}
	out := slices.DeleteFunc(slices.Clone(granted), func(s *ent.Scope) bool { return !targets[s.APIID] })
	for api := range targets {
		if !slices.ContainsFunc(out, func(s *ent.Scope) bool { return s.APIID == api }) {
			return nil, errInvalidTarget("No scope of the resource %q is granted here; request one of its scopes or leave the resource out.",
				resource.Identifier(p.publicURL, ci.apis[api]))
		}
	}
	return out, nil
}

// audience is the aud of a token granting scopes: the identifiers of their APIs, sorted.
func (p *Provider) audience(ci *clientInfo, scopes []*ent.Scope) []string {
	var out []string
	for _, s := range scopes {
		if a, ok := ci.apis[s.APIID]; ok {
			if id := resource.Identifier(p.publicURL, a); !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	slices.Sort(out)
	return out
}
