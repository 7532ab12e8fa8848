package access

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"scopekeeper/internal/pathtemplate"
)

func eps(specs ...string) []EndpointSpec {
	out := make([]EndpointSpec, len(specs))
	for i, s := range specs {
		m, p, _ := strings.Cut(s, " ")
		out[i] = EndpointSpec{ID: i + 1, APIID: 1, Method: m, Path: p}
	}
	return out
}

func matchOne(v *view, method, path string) string {
	segs, err := pathtemplate.SplitRequest(path)
	if err != nil {
		return "error: " + err.Error()
	}
	got := v.match(lookupOrder(strings.ToUpper(method)), segs)
	if got == nil {
		return ""
	}
	return got[0].String()
}

func TestMatch(t *testing.T) {
	v := compile(1, eps(
		"GET /forums/threads",
		"GET /forums/threads/{id}",
		"GET /forums/threads/latest",
		"POST /forums/threads",
		"GET /forums/{section}/stats",
		"GET /forums/threads/{id}/posts/{post}",
		"GET /forums/threads/{id}/posts/pinned",
		"HEAD /forums/members/{id}",
		"GET /forums/members/{id}",
		"GET /forums/members/me",
		"GET /a/b/c",
		"GET /a/{x}/d",
		"DELETE /a/b/{y}",
		"OPTIONS /",
		"GET /",
	), nil)
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/forums/threads", "GET /forums/threads"},
		{"get", "/forums/threads", "GET /forums/threads"},
		{"POST", "/forums/threads", "POST /forums/threads"},
		{"PUT", "/forums/threads", ""},
		{"GET", "/forums/threads/42", "GET /forums/threads/{id}"},
		{"GET", "/forums/threads/latest", "GET /forums/threads/latest"}, // literal beats param
		{"GET", "/forums/threads/stats", "GET /forums/threads/{id}"},    // threads beats {section}
		{"GET", "/forums/posts/stats", "GET /forums/{section}/stats"},
		{"GET", "/forums/threads/7/posts/pinned", "GET /forums/threads/{id}/posts/pinned"},
		{"GET", "/forums/threads/7/posts/9", "GET /forums/threads/{id}/posts/{post}"},
		{"GET", "/forums/threads/7/posts", ""},
		{"GET", "/forums/threads/7/posts/9/x", ""},
		{"HEAD", "/forums/members/3", "HEAD /forums/members/{id}"}, // HEAD endpoint first
		{"HEAD", "/forums/members/me", "GET /forums/members/me"},   // the more specific path wins
		{"HEAD", "/forums/threads/1", "GET /forums/threads/{id}"},  // HEAD falls back to GET
		{"GET", "/a/b/d", "GET /a/{x}/d"},                          // literal b leads nowhere
		{"GET", "/a/b/c", "GET /a/b/c"},
		{"DELETE", "/a/b/c", "DELETE /a/b/{y}"}, // method-aware: b/{y} for DELETE
		{"GET", "/", "GET /"},
		{"OPTIONS", "/", "OPTIONS /"},
		{"GET", "/forums/threads?sort=new", "GET /forums/threads"},   // the query is dropped
		{"GET", "/forums/%74hreads/42", "GET /forums/threads/{id}"},  // escaped unreserved decoded
		{"GET", "/forums/threads/a%2Fb", "GET /forums/threads/{id}"}, // %2F stays in its segment
		{"GET", "/Forums/threads", ""},                               // case-sensitive
		{"FETCH", "/forums/threads", ""},
		{"GET", "/forums/threads/", "error: the path must not end with /"},
		{"GET", "/forums//threads", "error: the path must not contain an empty segment (//)"},
		{"GET", "/forums/threads/..", `error: the path must not contain the dot segment ".."`},
		{"GET", "/forums/threads/%2e%2E", `error: the path must not contain the dot segment ".."`},
	} {
		if got := matchOne(v, tc.method, tc.path); got != tc.want {
			t.Errorf("%s %s matched %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

func TestMatchSameTemplateInTwoAPIs(t *testing.T) {
	v := compile(1, []EndpointSpec{
		{ID: 9, APIID: 2, Method: "GET", Path: "/shared/{id}"},
		{ID: 3, APIID: 1, Method: "GET", Path: "/shared/{key}"},
	}, nil)
	segs, _ := pathtemplate.SplitRequest("/shared/1")
	got := v.match(lookupOrder("GET"), segs)
	if len(got) != 2 || got[0].ID != 3 || got[1].ID != 9 {
		t.Fatalf("got %v, want endpoints 3 and 9 in ID order", got)
	}
}

// reference is the straightforward matcher the compiled tree must agree with: every endpoint is
// a candidate; the winner has the most specific template (at the first segment where two differ,
// a literal beats a parameter), then the first method of the lookup order; ties (one template in
// several APIs) are all returned by ID.
func reference(endpoints []EndpointSpec, method, path string) []int {
	segs, err := pathtemplate.SplitRequest(path)
	order := lookupOrder(strings.ToUpper(method))
	if err != nil || order == nil {
		return nil
	}
	type cand struct {
		shape string // '0' literal, '1' parameter, per segment
		rank  int    // position of the method in order
		id    int
	}
	var cands []cand
	for _, e := range endpoints {
		t, err := pathtemplate.Parse(e.Path)
		rank := slices.Index(order, methodIndex(e.Method))
		if err != nil || rank < 0 || !t.Match(segs) {
			continue
		}
		var shape strings.Builder
		for _, s := range t.Segments {
			if s.Param != "" {
				shape.WriteByte('1')
			} else {
				shape.WriteByte('0')
			}
		}
		cands = append(cands, cand{shape.String(), rank, e.ID})
	}
	if len(cands) == 0 {
		return nil
	}
	slices.SortFunc(cands, func(a, b cand) int {
		if c := strings.Compare(a.shape, b.shape); c != 0 {
			return c
		}
		if a.rank != b.rank {
			return a.rank - b.rank
		}
		return a.id - b.id
	})
	var ids []int
	for _, c := range cands {
		if c.shape == cands[0].shape && c.rank == cands[0].rank {
			ids = append(ids, c.id)
		}
	}
	return ids
}

// randomAPI makes n endpoints from a small alphabet of segments, so that templates overlap,
// share prefixes and need backtracking.
func randomAPI(r *rand.Rand, n int) []EndpointSpec {
	lits := []string{"a", "b", "c", "threads", "42"}
	params := []string{"{id}", "{x}"}
	seen := map[string]bool{}
	var out []EndpointSpec
	for len(out) < n {
		depth := r.Intn(5)
		var b strings.Builder
		used := map[string]bool{}
		for i := 0; i < depth; i++ {
			b.WriteByte('/')
			if r.Intn(3) == 0 {
				p := params[r.Intn(len(params))]
				if used[p] {
					p = fmt.Sprintf("{p%d}", i)
				}
				used[p] = true
				b.WriteString(p)
			} else {
				b.WriteString(lits[r.Intn(len(lits))])
			}
		}
		path := b.String()
		if path == "" {
			path = "/"
		}
		m := methods[r.Intn(len(methods))]
		api := 1 + r.Intn(2)
		key := fmt.Sprint(api, m, path)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, EndpointSpec{ID: len(out) + 1, APIID: api, Method: m, Path: path})
	}
	return out
}

func randomRequest(r *rand.Rand) (string, string) {
	segs := []string{"a", "b", "c", "threads", "42", "zz", "%61"}
	depth := r.Intn(6)
	var b strings.Builder
	for i := 0; i < depth; i++ {
		b.WriteByte('/')
		b.WriteString(segs[r.Intn(len(segs))])
	}
	path := b.String()
	if path == "" {
		path = "/"
	}
	return methods[r.Intn(len(methods))], path
}

// TestMatchAgainstReference is a property test: on random APIs and requests, the compiled tree
// and the reference implementation pick the same endpoints.
func TestMatchAgainstReference(t *testing.T) {
	r := rand.New(rand.NewSource(20261122))
	for round := 0; round < 300; round++ {
		endpoints := randomAPI(r, 1+r.Intn(60))
		v := compile(1, endpoints, nil)
		for i := 0; i < 200; i++ {
			method, path := randomRequest(r)
			want := reference(endpoints, method, path)
			segs, _ := pathtemplate.SplitRequest(path)
			var got []int
			for _, e := range v.match(lookupOrder(method), segs) {
				got = append(got, e.ID)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("round %d: %s %s matched %v, reference %v\nendpoints: %v", round, method, path, got, want, endpoints)
			}
		}
	}
}

// benchView compiles n endpoints spread over n/50 APIs, like a large organisation.
func benchView(n int) (*view, [][]string) {
	var specs []EndpointSpec
	entities := []string{"threads", "posts", "members", "tags", "files"}
	for i := 0; len(specs) < n; i++ {
		base := fmt.Sprintf("/api%d", i)
		for j := 0; j < 10 && len(specs) < n; j++ {
			ent := fmt.Sprintf("%s%d", entities[j%len(entities)], j)
			for _, e := range []struct{ m, p string }{
				{"GET", base + "/" + ent}, {"POST", base + "/" + ent}, {"GET", base + "/" + ent + "/{id}"},
				{"PUT", base + "/" + ent + "/{id}"}, {"DELETE", base + "/" + ent + "/{id}"},
			} {
				if len(specs) < n {
					specs = append(specs, EndpointSpec{ID: len(specs) + 1, APIID: i + 1, Method: e.m, Path: e.p})
				}
			}
		}
	}
	v := compile(1, specs, nil)
	r := rand.New(rand.NewSource(1))
	var reqs [][]string
	for i := 0; i < 1024; i++ {
		e := specs[r.Intn(len(specs))]
		p := strings.ReplaceAll(e.Path, "{id}", fmt.Sprint(r.Intn(100000)))
		segs, _ := pathtemplate.SplitRequest(p)
		reqs = append(reqs, segs)
	}
	return v, reqs
}

// BenchmarkMatch measures one lookup in the compiled tree; the cost should not grow with the
// number of endpoints.
func BenchmarkMatch(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("endpoints=%d", n), func(b *testing.B) {
			v, reqs := benchView(n)
			order := lookupOrder("GET")
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if v.match(order, reqs[i&1023]) == nil {
					// PUT/POST/DELETE-only paths miss for GET; that is a lookup too.
					_ = i
				}
			}
		})
	}
}

// BenchmarkDecide measures a whole in-memory decision: path normalisation, lookup and the scope
// check, for a cached credential.
func BenchmarkDecide(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("endpoints=%d", n), func(b *testing.B) {
			v, _ := benchView(n)
			g := &grant{cred: activeKey(), scopes: []int{1}}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				decide(g, v, "GET", "/api7/threads0/12345", testNow, false)
			}
		})
	}
}
