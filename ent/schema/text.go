package schema

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"entgo.io/ent"

	"scopekeeper/internal/apperr"
	"scopekeeper/internal/viewer"
)

// plainText refuses control characters (Unicode category Cc: NUL, escape, DEL, C1 …) in every text
// field a person sets on an admin entity: names, emails, paths and redirect URIs end up in logs,
// consent screens, discovery documents and other systems, where such characters hide or forge
// content. Multi-line fields (descriptions) may hold line breaks and tabs.
func plainText(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if c := viewer.FromContext(ctx); c == nil || c.System {
			return next.Mutate(ctx, m)
		}
		for _, name := range m.Fields() {
			v, _ := m.Field(name)
			var values []string
			switch v := v.(type) {
			case string:
				values = []string{v}
			case []string:
				values = v
			}
			for _, s := range values {
				if r, ok := controlChar(s, multiLine[name]); ok {
					allowed := ""
					if multiLine[name] {
						allowed = " (line breaks and tabs are allowed)"
					}
					return nil, apperr.Invalid(graphQLName(name), "%s must not contain control characters (found U+%04X); use printable text%s, e.g. %s.",
						graphQLName(name), r, allowed, textExample(name))
				}
			}
		}
		return next.Mutate(ctx, m)
	})
}

// multiLine lists the fields whose values are paragraphs.
var multiLine = map[string]bool{"description": true}

func controlChar(s string, multiLine bool) (rune, bool) {
	for _, r := range s {
		if unicode.IsControl(r) && !(multiLine && (r == '\n' || r == '\t')) {
			return r, true
		}
	}
	return 0, false
}

func textExample(field string) string {
	switch field {
	case "email":
		return "ada@example.com"
	case "path", "base_path":
		return "/forums/threads/{id}"
	case "redirect_URIs":
		return "https://app.example.com/callback"
	case "description":
		return fmt.Sprintf("%q", "See forum posts.\nNot their authors.")
	}
	return `"Forum threads"`
}

// graphQLName turns ent's field name (display_name, redirect_URIs) into the GraphQL one.
func graphQLName(name string) string {
	parts := strings.Split(name, "_")
	for i, p := range parts[1:] {
		if up := strings.ToUpper(p); up == "URIS" || up == "ID" || up == "API" {
			parts[i+1] = strings.Replace(up, "URIS", "URIs", 1)
		} else if p != "" {
			parts[i+1] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}
