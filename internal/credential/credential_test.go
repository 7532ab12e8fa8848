package credential

import (
	"slices"
	"testing"
	"time"

	"scopekeeper/ent"
)

// TestNarrow covers contract rule 8 with rule 5: a token grants what its client still holds, and a
// required scope only alongside another granted scope of its API.
func TestNarrow(t *testing.T) {
	read := &ent.Scope{ID: 1, Name: "forums.threads.readonly", APIID: 10}
	modify := &ent.Scope{ID: 2, Name: "forums.threads.modify", APIID: 10}
	members := &ent.Scope{ID: 3, Name: "forums.members.readonly", APIID: 10, Required: true}
	billing := &ent.Scope{ID: 4, Name: "billing.invoices.readonly", APIID: 20}
	issued := []*ent.Scope{read, modify, members, billing}
	names := func(ss []*ent.Scope) (out []string) {
		for _, s := range ss {
			out = append(out, s.Name)
		}
		return out
	}
	tests := []struct {
		name     string
		assigned []int
		granted  []string
	}{
		{"all still assigned", []int{1, 2, 4}, []string{read.Name, modify.Name, members.Name, billing.Name}},
		{"one removed", []int{1, 4}, []string{read.Name, members.Name, billing.Name}},
		{"the API's last scope removed takes the required one along", []int{4}, []string{billing.Name}},
		{"nothing assigned", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			granted, withdrawn := Narrow(issued, tt.assigned)
			if got := names(granted); len(got) != len(tt.granted) || len(got)+len(withdrawn) != len(issued) {
				t.Fatalf("granted %v (withdrawn %v), want %v", got, names(withdrawn), tt.granted)
			}
			for i, n := range names(granted) {
				if n != tt.granted[i] {
					t.Fatalf("granted %v, want %v", names(granted), tt.granted)
				}
			}
		})
	}
}

// TestHeld covers rule 8 for scopes given back: what was taken after issuance stays taken.
func TestHeld(t *testing.T) {
	issued := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	client := &ent.OAuthClient{ScopeRemovals: map[int]time.Time{
		1: issued.Add(-time.Minute),      // taken and given back before issuance
		2: issued.Add(time.Minute),       // taken after issuance, given back since
		3: issued,                        // taken in the instant of issuance: withheld (fail closed)
		4: issued.Add(-time.Microsecond), // taken just before issuance
	}}
	if got := Held(client, []int{1, 2, 3, 4, 5}, issued); !slices.Equal(got, []int{1, 4, 5}) {
		t.Fatalf("held %v, want [1 4 5]", got)
	}
	if got := Held(&ent.OAuthClient{}, []int{7}, issued); !slices.Equal(got, []int{7}) {
		t.Fatalf("held %v without removals, want [7]", got)
	}
}
