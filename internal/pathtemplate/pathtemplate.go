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

// String writes the template back in its textual form.
func (t Template) String() string {
	if len(t.Segments) == 0 {
		return "/"
	}
	var b strings.Builder
	for _, s := range t.Segments {
		b.WriteByte('/')
		if s.Param != "" {
			b.WriteString("{" + s.Param + "}")
		} else {
			b.WriteString(s.Literal)
		}
	}
	return b.String()
}

// Match reports whether the request segments (from SplitRequest) match t, segment by segment.
func (t Template) Match(segs []string) bool {
	if len(segs) != len(t.Segments) {
		return false
	}
	for i, s := range t.Segments {
		if s.Param == "" && s.Literal != segs[i] {
			return false
		}
	}
	return true
}

// MaxRequestLen is the longest request path SplitRequest accepts.
const MaxRequestLen = 8192

// SplitRequest normalises a request path and splits it into segments for matching against
// templates ("/" has none). The query and fragment are dropped; percent-encoded unreserved
// characters (RFC 3986 §2.3) are decoded and other escapes kept, upper-cased, so that %2F stays
// inside its segment. A path that a server could read differently from the way a template matches
// it is refused: one that is not absolute, has an empty segment (// or a trailing /), a dot segment
// (. or .., also encoded), a malformed escape or a control character.
func SplitRequest(path string) ([]string, error) {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	switch {
	case path == "" || path[0] != '/':
		return nil, fmt.Errorf("the path must start with /, e.g. /forums/threads/42")
	case len(path) > MaxRequestLen:
		return nil, fmt.Errorf("the path is longer than %d characters", MaxRequestLen)
	case path == "/":
		return nil, nil
	}
	segs := make([]string, 0, strings.Count(path, "/"))
	rest := path[1:]
	for {
		seg, tail, more := strings.Cut(rest, "/")
		if seg == "" {
			if !more {
				return nil, fmt.Errorf("the path must not end with /")
			}
			return nil, fmt.Errorf("the path must not contain an empty segment (//)")
		}
		seg, err := normaliseSegment(seg)
		if err != nil {
			return nil, err
		}
		if seg == "." || seg == ".." {
			return nil, fmt.Errorf("the path must not contain the dot segment %q", seg)
		}
		segs = append(segs, seg)
		if !more {
			return segs, nil
		}
		rest = tail
	}
}

const upperHex = "0123456789ABCDEF"

// normaliseSegment decodes escaped unreserved characters and upper-cases other escapes; it
// allocates only when the segment contains an escape.
func normaliseSegment(seg string) (string, error) {
	pct := false
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if c < 0x20 || c == 0x7f {
			return "", fmt.Errorf("the path must not contain control characters")
		}
		if c == '%' {
			pct = true
		}
	}
	if !pct {
		return seg, nil
	}
	var b strings.Builder
	b.Grow(len(seg))
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(seg) || !isHex(seg[i+1]) || !isHex(seg[i+2]) {
			return "", fmt.Errorf("the path contains a malformed percent-escape near %q", seg[i:min(i+3, len(seg))])
		}
		v := unhex(seg[i+1])<<4 | unhex(seg[i+2])
		if isUnreserved(v) {
			b.WriteByte(v)
		} else {
			b.WriteByte('%')
			b.WriteByte(upperHex[v>>4])
			b.WriteByte(upperHex[v&15])
		}
		i += 2
	}
	return b.String(), nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func isUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}
