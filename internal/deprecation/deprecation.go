// Package deprecation is the deprecation lifecycle of contract section 8: from its sunsetAt on, a
// deprecated scope is no longer granted (Retired), and migrateScopeHolders moves the clients and
// API keys holding one scope to another (Migrate).
package deprecation

import (
	"time"

	"scopekeeper/ent"
)

// Retired reports whether s is no longer granted at now: deprecated, with a sunset that has come.
func Retired(s *ent.Scope, now time.Time) bool {
	return s.Deprecated && s.SunsetAt != nil && !now.Before(*s.SunsetAt)
}

// Split separates scopes into those still granted at now and those retired, keeping the order.
func Split(scopes []*ent.Scope, now time.Time) (live, retired []*ent.Scope) {
	for _, s := range scopes {
		if Retired(s, now) {
			retired = append(retired, s)
		} else {
			live = append(live, s)
		}
	}
	return live, retired
}

// Live returns the scopes still granted at now (scopes itself when none is retired).
func Live(scopes []*ent.Scope, now time.Time) []*ent.Scope {
	for _, s := range scopes {
		if Retired(s, now) {
			live, _ := Split(scopes, now)
			return live
		}
	}
	return scopes
}

// NextSunset is the earliest sunset after now of the deprecated scopes among scopes: what was
// decided from them at now no longer holds from then on. Zero when none is coming.
func NextSunset(scopes []*ent.Scope, now time.Time) time.Time {
	var next time.Time
	for _, s := range scopes {
		if s.Deprecated && s.SunsetAt != nil && s.SunsetAt.After(now) && (next.IsZero() || s.SunsetAt.Before(next)) {
			next = *s.SunsetAt
		}
	}
	return next
}

// Earlier returns the earlier of two instants, zero meaning never.
func Earlier(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// Valid reports whether something decided with validity until (zero: no sunset coming) still
// holds at now.
func Valid(until, now time.Time) bool { return until.IsZero() || now.Before(until) }
