package pathtemplate

import (
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		raw, err string
		segs     int
	}{
		{"/", "", 0},
		{"/forums/threads/{id}", "", 3},
		{"/a/{x}/b/{y}", "", 4},
		{"", "must start with /", 0},
		{"forums", "must start with /", 0},
		{"/forums/", "must not end with /", 0},
		{"/forums//threads", "empty segment", 0},
		{"/a/{id}/{id}", "appears twice", 0},
		{"/a/{id", "a parameter is a whole segment", 0},
		{"/a/x{id}", "a parameter is a whole segment", 0},
		{"/a/{}", "a parameter is a whole segment", 0},
		{"/a/b c", "contains", 0},
		{"/a/%20", "contains", 0},
		{"/" + strings.Repeat("a", MaxLen), "longer than", 0},
	} {
		got, err := Parse(tc.raw)
		if tc.err == "" {
			if err != nil || len(got.Segments) != tc.segs {
				t.Errorf("Parse(%q) = %v, %v; want %d segments", tc.raw, got, err, tc.segs)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "e.g.") {
			t.Errorf("Parse(%q) error %v, want one containing %q and an example", tc.raw, err, tc.err)
		}
	}
}

func TestSplitRequest(t *testing.T) {
	for _, tc := range []struct {
		path string
		want []string
		err  string
	}{
		{"/", nil, ""},
		{"/a/b", []string{"a", "b"}, ""},
		{"/a/b?x=1#f", []string{"a", "b"}, ""},
		{"/%61/%7e%2f%2F%C3%A9", []string{"a", "~%2F%2F%C3%A9"}, ""},
		{"/a/%2e", nil, "dot segment"},
		{"/a/./b", nil, "dot segment"},
		{"/a/..", nil, "dot segment"},
		{"/a/", nil, "end with /"},
		{"//a", nil, "empty segment"},
		{"a", nil, "start with /"},
		{"", nil, "start with /"},
		{"/a%", nil, "malformed"},
		{"/a%4", nil, "malformed"},
		{"/a%zz", nil, "malformed"},
		{"/a\x00", nil, "control"},
	} {
		got, err := SplitRequest(tc.path)
		if tc.err == "" && (err != nil || !slices.Equal(got, tc.want)) {
			t.Errorf("SplitRequest(%q) = %q, %v; want %q", tc.path, got, err, tc.want)
		}
		if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("SplitRequest(%q) error %v, want %q", tc.path, err, tc.err)
		}
	}
}

func TestHasPrefix(t *testing.T) {
	for _, tc := range []struct {
		path, base string
		want       bool
	}{
		{"/forums", "/", true}, {"/forums/threads", "/forums", true}, {"/forums", "/forums", true},
		{"/forumsx", "/forums", false}, {"/forums/threads", "/forums/", true},
	} {
		if got := HasPrefix(tc.path, tc.base); got != tc.want {
			t.Errorf("HasPrefix(%q, %q) = %v", tc.path, tc.base, got)
		}
	}
}

// FuzzParse checks that Parse never panics and that what it accepts is a well-formed template
// that prints back to its input and matches the request made by filling in its parameters.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"/", "/forums/threads/{id}", "/a/{x}/b/{y}", "/a//b", "/{", "/a/{id}/{id}", "/~!$&'()*+,;=:@", "/x/", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		tpl, err := Parse(raw)
		if err != nil {
			if !strings.Contains(err.Error(), "e.g.") {
				t.Fatalf("error %q has no example", err)
			}
			return
		}
		if tpl.Raw != raw || tpl.String() != raw {
			t.Fatalf("Parse(%q) prints as %q", raw, tpl.String())
		}
		params := map[string]bool{}
		req := make([]string, len(tpl.Segments))
		for i, s := range tpl.Segments {
			switch {
			case s.Param != "" && s.Literal != "":
				t.Fatalf("segment %d is both literal and parameter", i)
			case s.Param != "":
				if params[s.Param] {
					t.Fatalf("parameter %q twice", s.Param)
				}
				params[s.Param] = true
				req[i] = "v"
			case s.Literal == "" || strings.ContainsAny(s.Literal, "/{}%? #"):
				t.Fatalf("bad literal %q", s.Literal)
			default:
				req[i] = s.Literal
			}
		}
		if !HasPrefix(raw, raw) || !HasPrefix(raw, "/") {
			t.Fatalf("HasPrefix does not hold for %q", raw)
		}
		segs, err := SplitRequest("/" + strings.Join(req, "/"))
		if err != nil {
			// A literal may be a dot segment; requests refuse those.
			if !slices.Contains(req, ".") && !slices.Contains(req, "..") {
				t.Fatalf("request for %q: %v", raw, err)
			}
			return
		}
		if !tpl.Match(segs) {
			t.Fatalf("%q does not match its own request %q", raw, segs)
		}
	})
}

// FuzzSplitRequest checks that SplitRequest never panics, never yields an empty or dot segment,
// and is idempotent: a normalised path splits to itself.
func FuzzSplitRequest(f *testing.F) {
	for _, s := range []string{"/", "/a/b", "/a/%2e%2E", "/%zz", "/a?b", "//", "/a/%41%2f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		segs, err := SplitRequest(path)
		if err != nil {
			return
		}
		for _, s := range segs {
			if s == "" || s == "." || s == ".." || strings.Contains(s, "/") {
				t.Fatalf("SplitRequest(%q) yields segment %q", path, s)
			}
		}
		again, err := SplitRequest("/" + strings.Join(segs, "/"))
		if len(segs) == 0 {
			again, err = SplitRequest("/")
		}
		if err != nil || !slices.Equal(again, segs) {
			t.Fatalf("SplitRequest not idempotent on %q: %q then %q (%v)", path, segs, again, err)
		}
	})
}
