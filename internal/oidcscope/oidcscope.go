// Package oidcscope holds OpenID Connect's identity scopes (openid, profile, email,
// offline_access). Every organisation has them, so they are a fixed list rather than Scope rows:
// they cannot be deleted or changed, need no assignment and do not count towards a client's limit.
// Authorization requests, consents and tokens record them among their scope IDs as the markers
// below (no Scope row has an ID below 1).
package oidcscope

import "strings"

// Scope is one identity scope with the consent screen's wording.
type Scope struct {
	Marker      int
	Name        string
	DisplayName string
	Description string
}

// The identity scopes' markers.
const (
	OpenID        = 0
	Profile       = -1
	Email         = -2
	OfflineAccess = -3
)

// All lists the identity scopes in the order tokens and the consent screen show them.
var All = []Scope{
	{OpenID, "openid", "Sign you in", "Lets the application confirm who you are."},
	{Profile, "profile", "Your name and username", "Your display name and username."},
	{Email, "email", "Your email address", "Your email address and whether it is verified."},
	{OfflineAccess, "offline_access", "Stay signed in (offline access)", "The application keeps access after you sign out, until you revoke it or it expires."},
}

// ByName returns the identity scope named name (ignoring case).
func ByName(name string) (Scope, bool) {
	for _, s := range All {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return Scope{}, false
}

// IsMarker reports whether id stands for an identity scope.
func IsMarker(id int) bool { return id <= 0 && id >= OfflineAccess }

// Split separates scope IDs into Scope row IDs and identity markers (in All's order).
func Split(ids []int) (rows, markers []int) {
	for _, id := range ids {
		if !IsMarker(id) {
			rows = append(rows, id)
		}
	}
	for _, s := range All {
		for _, id := range ids {
			if id == s.Marker {
				markers = append(markers, id)
				break
			}
		}
	}
	return rows, markers
}

// Names returns the names of markers, in All's order.
func Names(markers []int) []string {
	var out []string
	for _, s := range All {
		for _, m := range markers {
			if m == s.Marker {
				out = append(out, s.Name)
				break
			}
		}
	}
	return out
}

// Has reports whether ids hold marker.
func Has(ids []int, marker int) bool {
	for _, id := range ids {
		if id == marker {
			return true
		}
	}
	return false
}
