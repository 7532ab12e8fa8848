// Package scopename validates scope names against RFC 6749 and an organisation's naming policy.
package scopename

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Policy is an organisation's naming policy for scope names.
type Policy string

// The naming policies of the contract (section 5, rule 2).
const (
	Free      Policy = "FREE"
	SnakeCase Policy = "SNAKE_CASE"
	Dotted    Policy = "DOTTED"
)

// Values lists the policies; ent uses it for the enum.
func (Policy) Values() []string { return []string{string(Free), string(SnakeCase), string(Dotted)} }

// MaxLen is the longest scope name accepted.
const MaxLen = 128

// The two modifiers of a dotted name.
const (
	ReadOnly = "readonly"
	Modify   = "modify"
)

// Example returns a valid name under p, for help texts and error messages.
func Example(p Policy) string {
	switch p {
	case SnakeCase:
		return "read_user_data"
	case Dotted:
		return "forums.threads.readonly"
	default:
		return "invoices:read"
	}
}

// Guideline describes what p accepts, in the words the console shows beside the Name field.
func Guideline(p Policy) string {
	switch p {
	case SnakeCase:
		return "lowercase letters, digits and underscores, e.g. read_user_data"
	case Dotted:
		return "group.entity.modifier with modifier readonly or modify, e.g. forums.threads.readonly"
	default:
		return "any printable ASCII except spaces, quotes and backslashes, e.g. invoices:read"
	}
}

// isScopeChar reports whether c may appear in an RFC 6749 scope-token: %x21 / %x23-5B / %x5D-7E.
func isScopeChar(c byte) bool {
	return c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E)
}

// Validate reports why name is not acceptable under p, or nil.
func Validate(name string, p Policy) error {
	if name == "" {
		return fmt.Errorf("name is required, e.g. %s", Example(p))
	}
	if len(name) > MaxLen {
		return fmt.Errorf("name is %d characters long; at most %d are allowed, e.g. %s", len(name), MaxLen, Example(p))
	}
	for i := 0; i < len(name); i++ {
		if !isScopeChar(name[i]) {
			return fmt.Errorf("name contains %q, which a scope name may not (no spaces, quotes, backslashes or non-ASCII), e.g. %s", describe(name, i), Example(p))
		}
	}
	switch p {
	case SnakeCase:
		for i := 0; i < len(name); i++ {
			c := name[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
				return fmt.Errorf("name must use lowercase letters, digits and underscores only, e.g. %s", Example(p))
			}
		}
	case Dotted:
		parts := strings.Split(name, ".")
		if len(parts) != 3 {
			return fmt.Errorf("name must have the form group.entity.modifier, e.g. %s", Example(p))
		}
		for _, part := range parts[:2] {
			if !isDottedPart(part) {
				return fmt.Errorf("group and entity must be lowercase letters, digits, underscores or hyphens, e.g. %s", Example(p))
			}
		}
		if parts[2] != ReadOnly && parts[2] != Modify {
			return fmt.Errorf("the modifier must be readonly or modify, e.g. %s or %s", Example(p), parts[0]+"."+parts[1]+"."+Modify)
		}
	}
	return nil
}

func isDottedPart(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// describe returns the character at byte i for an error message, whole if it is multi-byte.
func describe(name string, i int) string {
	for _, r := range name[i:] {
		return string(r)
	}
	return ""
}

// Parts splits a name of the form group.entity.modifier, whatever the policy; ok is false otherwise.
func Parts(name string) (group, entity, modifier string, ok bool) {
	parts := strings.Split(name, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// IsReadOnly reports whether name ends in the readonly modifier.
func IsReadOnly(name string) bool {
	_, _, m, ok := Parts(name)
	return ok && m == ReadOnly
}

// ReadOnlySibling returns group.entity.readonly for a group.entity.modify name.
func ReadOnlySibling(name string) (string, bool) {
	g, e, m, ok := Parts(name)
	if !ok || m != Modify {
		return "", false
	}
	return g + "." + e + "." + ReadOnly, true
}

// Key is the case-insensitive form a name is unique under.
func Key(name string) string { return strings.ToLower(name) }

// MarshalGQL writes the policy as a GraphQL enum value.
func (p Policy) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(p))) }

// UnmarshalGQL reads a GraphQL enum value.
func (p *Policy) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok || !slices.Contains(Policy("").Values(), s) {
		return fmt.Errorf("%v is not a naming policy; use one of FREE, SNAKE_CASE, DOTTED", v)
	}
	*p = Policy(s)
	return nil
}
