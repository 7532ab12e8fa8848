package openapiimport

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"scopekeeper/internal/pathtemplate"
	"scopekeeper/internal/scopename"
)

// Action is what the plan does with an endpoint or scope.
type Action string

const (
	Add  Action = "ADD"
	Keep Action = "KEEP"
	// Remove is reported, never applied: the API has it, the document does not.
	Remove Action = "REMOVE"
)

// PlannedEndpoint is one endpoint of the plan.
type PlannedEndpoint struct {
	Action       Action
	Method, Path string
	// Scopes are the scope names the document links it to (none for Remove).
	Scopes []string
	// AddScopes are the links the import adds: every scope of a new endpoint, the missing ones of a
	// kept endpoint. Links the API has and the document lacks stay.
	AddScopes []string
}

// PlannedScope is one scope of the plan.
type PlannedScope struct {
	Action Action
	Name   string
	// Proposed is true for a group.entity.modifier name the import proposed under the DOTTED policy,
	// false for a name the document's security requirements give.
	Proposed    bool
	Description string
}

// Plan is what an import does, or in a dry run would do.
type Plan struct {
	Endpoints []PlannedEndpoint
	Scopes    []PlannedScope
	// Notes say where the import departed from the document, e.g. a scope name the policy refuses.
	Notes []string
}

// API is what the plan needs of the API imported into and its current contents.
type API struct {
	Name, BasePath string
	Policy         scopename.Policy
	// Endpoints are the API's endpoints, as "METHOD /path" → linked scope names.
	Endpoints map[string][]string
	// Scopes are the API's scope names.
	Scopes []string
}

// Build plans the import of d into api. It fails, naming the operation, when a path cannot become
// an endpoint of the API.
func Build(d *Document, api API) (*Plan, error) {
	p := &Plan{Endpoints: []PlannedEndpoint{}, Scopes: []PlannedScope{}, Notes: []string{}}
	haveScope := map[string]string{} // lowercased → stored spelling
	for _, s := range api.Scopes {
		haveScope[scopename.Key(s)] = s
	}
	planned := map[string]bool{}
	addScope := func(name string, proposed bool, desc string) string {
		if have, ok := haveScope[scopename.Key(name)]; ok {
			name = have // the stored spelling
		}
		if planned[scopename.Key(name)] {
			return name
		}
		planned[scopename.Key(name)] = true
		action := Add
		if _, ok := haveScope[scopename.Key(name)]; ok {
			action = Keep
		}
		p.Scopes = append(p.Scopes, PlannedScope{Action: action, Name: name, Proposed: proposed, Description: desc})
		return name
	}
	for _, op := range d.Skipped {
		p.Notes = append(p.Notes, op+": an endpoint's method is GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS, so it is left out.")
	}
	seen := map[string]bool{}
	for _, op := range d.Operations {
		path, entity := place(op, api.BasePath)
		if _, err := pathtemplate.Parse(path); err != nil {
			return nil, fmt.Errorf("at %s: the path %s cannot be an endpoint: %v", op.Where(), path, err)
		}
		key := op.Method + " " + path
		if seen[key] {
			return nil, fmt.Errorf("at %s: %s is already imported from another path of the document (paths differ only in parameter names or server)", op.Where(), key)
		}
		seen[key] = true
		var scopes []string
		for _, s := range op.Scopes {
			if api.Policy == scopename.Dotted && scopename.Validate(s, scopename.Dotted) != nil {
				p.Notes = append(p.Notes, fmt.Sprintf("%s: the scope %q breaks the DOTTED naming policy, so it is left out.", key, s))
				continue
			}
			scopes = append(scopes, addScope(s, false, d.Descriptions[s]))
		}
		if len(scopes) == 0 && api.Policy == scopename.Dotted {
			if name, ok := propose(api.Name, entity, op.Method); ok {
				scopes = append(scopes, addScope(name, true, ""))
			} else {
				p.Notes = append(p.Notes, fmt.Sprintf("%s: no scope is proposed, because the path names no entity under the base path; the endpoint stays uncategorized.", key))
			}
		}
		slices.Sort(scopes)
		e := PlannedEndpoint{Action: Add, Method: op.Method, Path: path, Scopes: nonNil(scopes), AddScopes: nonNil(scopes)}
		if linked, ok := api.Endpoints[key]; ok {
			e.Action = Keep
			e.AddScopes = []string{}
			for _, s := range scopes {
				if !slices.ContainsFunc(linked, func(l string) bool { return strings.EqualFold(l, s) }) {
					e.AddScopes = append(e.AddScopes, s)
				}
			}
		}
		p.Endpoints = append(p.Endpoints, e)
	}
	for key := range api.Endpoints {
		if !seen[key] {
			method, path, _ := strings.Cut(key, " ")
			p.Endpoints = append(p.Endpoints, PlannedEndpoint{Action: Remove, Method: method, Path: path, Scopes: []string{}, AddScopes: []string{}})
		}
	}
	for _, s := range api.Scopes {
		if !planned[scopename.Key(s)] {
			p.Scopes = append(p.Scopes, PlannedScope{Action: Remove, Name: s})
		}
	}
	slices.SortFunc(p.Endpoints, func(a, b PlannedEndpoint) int {
		return strings.Compare(a.Path+" "+a.Method, b.Path+" "+b.Method)
	})
	slices.SortFunc(p.Scopes, func(a, b PlannedScope) int { return strings.Compare(a.Name, b.Name) })
	return p, nil
}

// place puts an operation's path under the API's base path, and returns the first path segment
// that names an entity. A path that, behind its server's path, lies under the base path is kept
// so (server https://host/v1, base /v1, path /pets → /v1/pets); else one that lies under the base
// path itself; else the base path is put in front (base /petstore, path /pets → /petstore/pets).
func place(op Operation, base string) (path, entity string) {
	base = strings.TrimSuffix(base, "/")
	prefix := base
	switch full := join(op.ServerPath, op.Path); {
	case pathtemplate.HasPrefix(full, base):
		path = full
		if len(op.ServerPath) > len(prefix) {
			prefix = op.ServerPath
		}
	case pathtemplate.HasPrefix(op.Path, base):
		path = op.Path
	default:
		path = join(base, op.Path)
	}
	for _, seg := range strings.Split(strings.TrimPrefix(path, prefix), "/") {
		if seg == "" || strings.HasPrefix(seg, "{") || version.MatchString(seg) {
			continue
		}
		return path, seg
	}
	return path, ""
}

// join puts prefix (without a trailing slash) in front of path: /v1 and / give /v1.
func join(prefix, path string) string {
	if path == "/" && prefix != "" {
		return prefix
	}
	return prefix + path
}

// version matches path segments such as v1 or v2.1, which name no entity.
var version = regexp.MustCompile(`^[vV][0-9]+(\.[0-9]+)*$`)

// propose names the DOTTED scope for a method on an entity of the API: group (the API's name,
// the governing application) . entity (the path's first segment under the base path) . readonly
// for GET and HEAD, modify otherwise.
func propose(apiName, entity, method string) (string, bool) {
	group, entity := dottedPart(apiName), dottedPart(entity)
	if group == "" || entity == "" {
		return "", false
	}
	modifier := scopename.Modify
	if method == "GET" || method == "HEAD" {
		modifier = scopename.ReadOnly
	}
	name := group + "." + entity + "." + modifier
	return name, scopename.Validate(name, scopename.Dotted) == nil
}

// dottedPart lowercases s and replaces what a group or entity may not contain with hyphens.
func dottedPart(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '-'
		}
	}
	return strings.Trim(string(b), "-")
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
