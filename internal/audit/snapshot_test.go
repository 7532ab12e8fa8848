package audit

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	gen "scopekeeper/ent"
)

// TestSnapshotAsJSON: the direct conversions give what a round trip through JSON gives.
func TestSnapshotAsJSON(t *testing.T) {
	at := time.Date(2026, 12, 3, 12, 0, 0, 123456789, time.FixedZone("x", 3600))
	for _, v := range []any{
		&gen.Scope{ID: 42949672963, OrganisationID: 7, CreatedAt: at, UpdatedAt: at, Name: "a.b.readonly", NameKey: "a.b.readonly", Description: "d\n", ShowInDiscoveryDocument: true, APIID: 9},
		&gen.OAuthClient{ID: 3, ClientID: "c", Kind: "SERVICE", RedirectURIs: []string{"https://x/cb"}, Enabled: true, ScopeRemovals: map[int]time.Time{1: at}},
	} {
		got := toMap(v)
		rv := reflect.Indirect(reflect.ValueOf(v))
		for name, value := range got {
			var f reflect.Value
			for i := range rv.NumField() {
				if n := rv.Type().Field(i).Tag.Get("json"); n == name || len(n) > len(name) && n[:len(name)+1] == name+"," {
					f = rv.Field(i)
				}
			}
			b, _ := json.Marshal(f.Interface())
			var want any
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(value, want) {
				t.Errorf("%T.%s = %#v, want %#v", v, name, value, want)
			}
		}
		if len(got) < 8 {
			t.Errorf("%T: only %d fields: %v", v, len(got), got)
		}
	}
}
