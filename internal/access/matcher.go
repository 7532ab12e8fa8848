package access

import (
	"fmt"
	"slices"
	"strings"

	"scopekeeper/internal/pathtemplate"
	"scopekeeper/internal/scopename"
)

// The methods an endpoint may have (the ent enum), as indexes into a node's table.
var methods = [...]string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

const (
	mGET = iota
	mHEAD
)

func methodIndex(m string) int {
	for i, v := range methods {
		if v == m {
			return i
		}
	}
	return -1
}

// lookupOrder lists the endpoint methods a request method may match, best first: HEAD matches a
// HEAD endpoint, else the GET endpoint of the same path (a HEAD response is a GET without a body).
func lookupOrder(method string) []int {
	switch i := methodIndex(method); i {
	case -1:
		return nil
	case mHEAD:
		return headOrder
	default:
		return singleOrder[i : i+1]
	}
}

var (
	headOrder   = []int{mHEAD, mGET}
	singleOrder = []int{0, 1, 2, 3, 4, 5, 6}
)

// EndpointSpec is an endpoint as the matcher is compiled from it.
type EndpointSpec struct {
	ID, APIID    int
	Method, Path string
	ScopeIDs     []int // the scopes linked to it
}

// ScopeSpec is a scope as the matcher knows it.
type ScopeSpec struct {
	ID    int
	Name  string
	APIID int
}

// compiledEndpoint is an endpoint with everything a decision needs.
type compiledEndpoint struct {
	EndpointSpec
	// Linked are the linked scopes, sorted by name; Siblings are the group.entity.modify scopes
	// whose group.entity.readonly sibling is linked, sorted by name, not already linked.
	Linked, Siblings []int
}

// Uncategorized reports whether no scope guards the endpoint.
func (c *compiledEndpoint) Uncategorized() bool { return len(c.Linked) == 0 }

// node is a path-template tree node: one per distinct template prefix. Literal children are
// tried before the parameter child, so literal segments beat {param} segments; each node is
// visited at most once per lookup, so a lookup costs at most the length of the path in map
// look-ups plus the backtracking the tree's own shape allows, whatever the number of endpoints.
type node struct {
	lit   map[string]*node
	param *node
	// here lists, per method, the endpoints whose template ends at this node, by ID: several APIs
	// may register the same template (their base paths may overlap).
	here [len(methods)][]*compiledEndpoint
}

// view is an organisation's compiled matcher at one version.
type view struct {
	stamp     uint64
	root      node
	endpoints int
	scopes    map[int]ScopeSpec
}

// compile builds the matcher; endpoints whose path or method does not parse are skipped (the
// schema hooks refuse them, so there are none).
func compile(stamp uint64, eps []EndpointSpec, scopes []ScopeSpec) *view {
	if !slices.IsSortedFunc(eps, byID) {
		eps = slices.Clone(eps)
		slices.SortFunc(eps, byID)
	}
	v := &view{stamp: stamp, scopes: make(map[int]ScopeSpec, len(scopes))}
	byKey := make(map[string]int, len(scopes))
	for _, s := range scopes {
		v.scopes[s.ID] = s
		byKey[scopename.Key(s.Name)] = s.ID
	}
	// modifyOf: readonly scope ID → the modify scopes it is the sibling of.
	modifyOf := map[int][]int{}
	for _, s := range scopes {
		if ro, ok := scopename.ReadOnlySibling(s.Name); ok {
			if id, ok := byKey[scopename.Key(ro)]; ok && id != s.ID {
				modifyOf[id] = append(modifyOf[id], s.ID)
			}
		}
	}
	byName := func(a, b int) int { return strings.Compare(v.scopes[a].Name, v.scopes[b].Name) }
	for _, e := range eps {
		mi := methodIndex(e.Method)
		t, err := pathtemplate.Parse(e.Path)
		if mi < 0 || err != nil {
			continue
		}
		c := &compiledEndpoint{EndpointSpec: e}
		for _, id := range e.ScopeIDs {
			if _, ok := v.scopes[id]; ok && !slices.Contains(c.Linked, id) {
				c.Linked = append(c.Linked, id)
			}
		}
		for _, id := range c.Linked {
			for _, m := range modifyOf[id] {
				if !slices.Contains(c.Linked, m) && !slices.Contains(c.Siblings, m) {
					c.Siblings = append(c.Siblings, m)
				}
			}
		}
		slices.SortFunc(c.Linked, byName)
		slices.SortFunc(c.Siblings, byName)
		n := &v.root
		for _, s := range t.Segments {
			if s.Param != "" {
				if n.param == nil {
					n.param = &node{}
				}
				n = n.param
				continue
			}
			if n.lit == nil {
				n.lit = map[string]*node{}
			}
			child := n.lit[s.Literal]
			if child == nil {
				child = &node{}
				n.lit[s.Literal] = child
			}
			n = child
		}
		n.here[mi] = append(n.here[mi], c)
		v.endpoints++
	}
	return v
}

func byID(a, b EndpointSpec) int { return a.ID - b.ID }

// match finds the endpoints for a request: those of the most specific template (comparing segment
// by segment, a literal beats a parameter) that has an endpoint for one of the methods in order,
// with the first such method; more than one only when several APIs registered the same template.
// It returns nil when there is none.
func (v *view) match(order []int, segs []string) []*compiledEndpoint {
	if len(order) == 0 {
		return nil
	}
	return v.root.find(order, segs)
}

func (n *node) find(order []int, segs []string) []*compiledEndpoint {
	if len(segs) == 0 {
		for _, m := range order {
			if n.here[m] != nil {
				return n.here[m]
			}
		}
		return nil
	}
	if child := n.lit[segs[0]]; child != nil {
		if c := child.find(order, segs[1:]); c != nil {
			return c
		}
	}
	if n.param != nil {
		return n.param.find(order, segs[1:])
	}
	return nil
}

func (c *compiledEndpoint) String() string { return fmt.Sprintf("%s %s", c.Method, c.Path) }
