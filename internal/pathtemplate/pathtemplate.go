// Package pathtemplate parses endpoint paths such as /forums/threads/{id}: literal segments and
// whole-segment parameters in braces.
package pathtemplate

import (
	"fmt"
	"strings"
)

// Segment is one part of a template between slashes.
type Segment struct {
	Literal string // the text to match, when Param is empty
	Param   string // the parameter's name, for a {name} segment
}

// Template is a parsed path template.
type Template struct {
	Raw      string
	Segments []Segment
}

// MaxLen is the longest template accepted.
const MaxLen = 1024

// Parse checks and splits a template; the error says what is wrong and shows a valid example.
func Parse(raw string) (Template, error) {
	const example = "e.g. /forums/threads/{id}"
	if raw == "" || raw[0] != '/' {
		return Template{}, fmt.Errorf("path must start with /, %s", example)
	}
	if len(raw) > MaxLen {
		return Template{}, fmt.Errorf("path is longer than %d characters, %s", MaxLen, example)
	}
	t := Template{Raw: raw}
	if raw == "/" {
		return t, nil
	}
	params := map[string]bool{}
	for i, part := range strings.Split(raw[1:], "/") {
		if part == "" {
			if i == strings.Count(raw[1:], "/") { // a trailing slash
				return Template{}, fmt.Errorf("path must not end with /, %s", example)
			}
			return Template{}, fmt.Errorf("path must not contain an empty segment (//), %s", example)
		}
		if strings.HasPrefix(part, "{") || strings.HasSuffix(part, "}") {
			name := strings.TrimSuffix(strings.TrimPrefix(part, "{"), "}")
			if len(part) < 3 || part[0] != '{' || part[len(part)-1] != '}' || !isName(name) {
				return Template{}, fmt.Errorf("segment %q: a parameter is a whole segment such as {id}, %s", part, example)
			}
			if params[name] {
				return Template{}, fmt.Errorf("parameter {%s} appears twice, %s", name, example)
			}
			params[name] = true
			t.Segments = append(t.Segments, Segment{Param: name})
			continue
		}
		for j := 0; j < len(part); j++ {
			if !isPathChar(part[j]) {
				return Template{}, fmt.Errorf("segment %q contains %q, which a path may not, %s", part, part[j:j+1], example)
			}
		}
		t.Segments = append(t.Segments, Segment{Literal: part})
	}
	return t, nil
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// isPathChar reports whether c is an RFC 3986 pchar other than a percent sign or a brace.
func isPathChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0
}

// HasPrefix reports whether the template lies under base, segment by segment (/forums is under /,
// /forums/threads under /forums, /forumsx under neither /forums).
func HasPrefix(path, base string) bool {
	base = strings.TrimSuffix(base, "/")
	return base == "" || path == base || strings.HasPrefix(path, base+"/")
}
