package deprecation

import (
	"testing"
	"time"

	"scopekeeper/ent"
)

func TestRetiredAndNextSunset(t *testing.T) {
	now := time.Date(2027, 6, 30, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	current := &ent.Scope{ID: 1, SunsetAt: at(-time.Hour)} // not deprecated: a sunset means nothing
	retired := &ent.Scope{ID: 2, Deprecated: true, SunsetAt: at(0)}
	soon := &ent.Scope{ID: 3, Deprecated: true, SunsetAt: at(time.Minute)}
	later := &ent.Scope{ID: 4, Deprecated: true, SunsetAt: at(time.Hour)}
	open := &ent.Scope{ID: 5, Deprecated: true}
	all := []*ent.Scope{current, retired, soon, later, open}

	live, gone := Split(all, now)
	if len(gone) != 1 || gone[0] != retired || len(live) != 4 {
		t.Fatalf("Split = %v, %v", live, gone)
	}
	if got := Live(all, now); len(got) != 4 || Retired(soon, now) || !Retired(soon, soon.SunsetAt.Add(0)) {
		t.Fatalf("Live = %v", got)
	}
	if got := NextSunset(all, now); !got.Equal(*soon.SunsetAt) {
		t.Fatalf("NextSunset = %v, want %v", got, soon.SunsetAt)
	}
	if got := NextSunset([]*ent.Scope{current, open}, now); !got.IsZero() {
		t.Fatalf("NextSunset without a coming sunset = %v", got)
	}
	if !Valid(time.Time{}, now) || !Valid(*soon.SunsetAt, now) || Valid(*soon.SunsetAt, *soon.SunsetAt) {
		t.Fatal("Valid")
	}
	if got := Earlier(time.Time{}, now); !got.Equal(now) {
		t.Fatalf("Earlier(zero, now) = %v", got)
	}
	if got := Earlier(now, now.Add(time.Hour)); !got.Equal(now) {
		t.Fatalf("Earlier = %v", got)
	}
}
