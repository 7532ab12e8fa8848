package oauth

import (
	"encoding/json"
	"slices"
	"strings"

	"scopekeeper/ent"
	"scopekeeper/internal/oidcscope"
)

// listing is an organisation's scopes that its discovery document lists, sorted by name, kept
// between renderings and changed by the scopes that changed. Names never change after creation,
// so a scope's ID and name are all it needs.
type listing struct {
	epoch  uint64 // cache.docEpoch when it was read whole
	scopes []listed
	// Kept as scopes change, so that a rendering need not look at every name for them:
	size     int            // bytes the names take in the document
	escaped  int            // names JSON escapes (see appendName): usually none
	identity map[string]int // names that are an identity scope's ignoring case, by that scope
}

func newListing(epoch uint64, scopes []listed) *listing {
	slices.SortFunc(scopes, byName)
	l := &listing{epoch: epoch, scopes: scopes, identity: map[string]int{}}
	for _, s := range scopes {
		l.count(s.Name, 1)
	}
	return l
}

// count counts name in (n = 1) or out (n = -1).
func (l *listing) count(name string, n int) {
	l.size += n * (len(name) + 3)
	if !plain(name) {
		l.escaped += n
	}
	for _, is := range oidcscope.All {
		if len(name) == len(is.Name) && strings.EqualFold(name, is.Name) {
			l.identity[is.Name] += n
		}
	}
}

type listed struct {
	ID   int    `json:"id"` // 0: dropped (while apply runs)
	Name string `json:"name"`
}

func byName(a, b listed) int { return strings.Compare(a.Name, b.Name) }

// apply brings l up to date with scopes ids, of which rows are those that still exist (name,
// showInDiscoveryDocument and deprecated read): a listed one is added unless present, one no
// longer listed or gone is dropped. One pass over l for the drops, one merge for the additions.
func (l *listing) apply(ids []int, rows []*ent.Scope) {
	gone := make(map[int]bool, len(ids))
	for _, id := range ids {
		gone[id] = true
	}
	var add []listed
	dropped := false
	for _, s := range rows {
		delete(gone, s.ID)
		i, found := slices.BinarySearchFunc(l.scopes, s.Name, func(e listed, name string) int { return strings.Compare(e.Name, name) })
		switch now := s.ShowInDiscoveryDocument && !s.Deprecated; {
		case found && now:
			l.scopes[i].ID = s.ID // the same name, or a deleted scope's name taken again
		case found:
			l.scopes[i].ID, dropped = 0, true
			l.count(s.Name, -1)
		case now:
			add = append(add, listed{ID: s.ID, Name: s.Name})
			l.count(s.Name, 1)
		}
	}
	if len(gone) > 0 { // deleted, or not the organisation's: their names are only known here
		for i := range l.scopes {
			if gone[l.scopes[i].ID] {
				l.scopes[i].ID, dropped = 0, true
				l.count(l.scopes[i].Name, -1)
			}
		}
	}
	if dropped {
		l.scopes = slices.DeleteFunc(l.scopes, func(e listed) bool { return e.ID == 0 })
	}
	if len(add) == 0 {
		return
	}
	// Merged from the end, in place.
	slices.SortFunc(add, byName)
	n := len(l.scopes)
	l.scopes = slices.Grow(l.scopes, len(add))[:n+len(add)]
	for i, j, k := n-1, len(add)-1, n+len(add)-1; j >= 0; k-- {
		if i >= 0 && l.scopes[i].Name > add[j].Name {
			l.scopes[k], i = l.scopes[i], i-1
		} else {
			l.scopes[k], j = add[j], j-1
		}
	}
}

// appendDocument appends the document: head, the names of l and the identity scopes, sorted, as
// a JSON array's elements, then tail. An identity scope is listed once even when a scope row of
// the same name (created before identity scopes existed) is listed too.
func (l *listing) appendDocument(b, head, tail []byte) []byte {
	var identity []string
	for _, is := range oidcscope.All {
		if l.identity[is.Name] == 0 {
			identity = append(identity, is.Name)
		}
	}
	slices.Sort(identity)
	b = append(b, head...)
	i := 0
	for k, s := range l.scopes {
		for ; i < len(identity) && identity[i] < s.Name; i++ {
			b = appendName(b, identity[i], k+i > 0, l.escaped > 0)
		}
		b = appendName(b, s.Name, k+i > 0, l.escaped > 0)
	}
	for ; i < len(identity); i++ {
		b = appendName(b, identity[i], len(l.scopes)+i > 0, l.escaped > 0)
	}
	return append(b, tail...)
}

// appendName appends name as a JSON string, after a comma unless first, exactly as encoding/json
// writes it; unless check, name is plain.
func appendName(b []byte, name string, comma, check bool) []byte {
	if comma {
		b = append(b, ',')
	}
	if check && !plain(name) {
		raw, _ := json.Marshal(name) // a string always encodes
		return append(b, raw...)
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"')
}

// plain tells whether encoding/json writes name as it is, between quotes. Valid scope names (RFC
// 6749 scope-tokens) are printable ASCII without `"` and `\`, so most are; `<`, `>` and `&` are
// escaped, and names stored before validation might hold anything.
func plain(name string) bool {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}
