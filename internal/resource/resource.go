// Package resource is what RFC 8707 resource indicators need: an API's identifier (the resource
// and the aud of its tokens) and the resource parameter of authorization and token requests.
package resource

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"scopekeeper/ent"
)

// Example is a valid identifier, for error messages.
const Example = "https://api.example.com/billing"

// Limits on the resource parameter: a request names at most MaxResources APIs.
const (
	MaxResources = 20
	MaxLen       = 512
)

// Identifier is api's identifier: its own, else {publicURL}{basePath}.
func Identifier(publicURL string, api *ent.API) string {
	if api.Identifier != nil {
		return *api.Identifier
	}
	return strings.TrimSuffix(publicURL, "/") + api.BasePath
}

// Check says what is wrong with id as an identifier ("" when nothing): RFC 8707 §2 asks for an
// absolute URI without a fragment.
func Check(id string) string {
	if id == "" {
		return "must not be empty; leave it out to use the default {public-url}{basePath}"
	}
	if len(id) > MaxLen {
		return fmt.Sprintf("is longer than %d characters", MaxLen)
	}
	u, err := url.Parse(id)
	switch {
	case err != nil || !u.IsAbs() || u.Opaque != "" || u.Host == "":
		return "must be an absolute URI with a host"
	case u.Fragment != "" || strings.Contains(id, "#"):
		return "must not have a fragment (RFC 8707 §2)"
	case strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r >= 0x7f || r == '"' || r == '\\' }):
		return "must be plain ASCII without spaces, quotes or backslashes"
	}
	return ""
}

// Parse reads the values of a repeated resource parameter: each an identifier as Check wants it;
// repeats are dropped, order kept.
func Parse(values []string) ([]string, error) {
	if len(values) > MaxResources {
		return nil, fmt.Errorf("at most %d resource parameters may be sent", MaxResources)
	}
	var out []string
	for _, v := range values {
		if msg := Check(v); msg != "" {
			return nil, fmt.Errorf("resource %.80q %s, e.g. resource=%s", v, msg, url.QueryEscape(Example))
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}
