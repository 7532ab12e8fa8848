// Package openapiimport turns an OpenAPI 3.0 or 3.1 document into an API's endpoints and the
// scopes that guard them (contract section 7): it reads the document with kin-openapi, plans what
// to add, keep and (never applied) remove, and applies the plan through the ent client.
package openapiimport

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Bounds on one document, beside the request body limit: each operation becomes an endpoint, with
// its hooks' queries, inside one transaction.
const (
	MaxPaths      = 1000
	MaxOperations = 2000
	// MaxScopesPerOperation bounds the names one operation's security requirements may give.
	MaxScopesPerOperation = 50
)

// Operation is one method of one path of the document, with the OAuth2 scopes its security
// requirement names.
type Operation struct {
	Method string
	// Path is the document's path key, e.g. /pets/{petId}.
	Path string
	// ServerPath is the path of the operation's first server URL ("" for none or "/").
	ServerPath string
	// Scopes are the OAuth2 (or OpenID Connect) scope names its security requirements name.
	Scopes []string
	// Pointer is the operation's JSON pointer, e.g. /paths/~1pets/get.
	Pointer string
	// Line is where the operation starts in the document (0 when unknown).
	Line int
}

// Where names the operation for error messages: its line and JSON pointer.
func (o Operation) Where() string {
	if o.Line > 0 {
		return fmt.Sprintf("line %d (%s)", o.Line, o.Pointer)
	}
	return o.Pointer
}

// Document is what an import needs of an OpenAPI document.
type Document struct {
	Operations []Operation
	// Descriptions are the OAuth2 flows' descriptions of their scopes, by name.
	Descriptions map[string]string
	// Skipped names the operations no endpoint can stand for, e.g. "TRACE /pets".
	Skipped []string
}

// methods are the HTTP methods an endpoint may have, in OpenAPI's order; TRACE has no endpoint.
var methods = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH"}

// Parse reads an OpenAPI 3.0 or 3.1 document in JSON or YAML. External references are refused
// (they would make the server read files or URLs); errors name the line or JSON pointer at fault.
func Parse(ctx context.Context, data []byte) (*Document, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	loader.IncludeOrigin = true
	loader.Context = ctx
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, loadError(err)
	}
	if doc.OpenAPI == "" {
		return nil, errors.New("at /openapi: the document has no openapi version; Swagger 2.0 documents are not read (convert them to OpenAPI 3 first), and an OpenAPI one starts with e.g. openapi: 3.0.3")
	}
	if !doc.IsOpenAPI30() && !doc.IsOpenAPI31OrLater() || doc.IsOpenAPI32OrLater() {
		return nil, fmt.Errorf("at /openapi: version %q is not OpenAPI 3.0 or 3.1; the document must start with e.g. openapi: 3.0.3 or openapi: 3.1.0", doc.OpenAPI)
	}
	if err := doc.Validate(ctx, openapi3.DisableExamplesValidation(), openapi3.DisableSchemaDefaultsValidation(),
		openapi3.DisableSchemaPatternValidation()); err != nil {
		return nil, fmt.Errorf("the document is not valid OpenAPI: %s", strings.TrimPrefix(err.Error(), "invalid "))
	}
	if doc.Paths == nil || doc.Paths.Len() == 0 {
		return nil, errors.New("at /paths: the document describes no paths, so there is nothing to import; e.g. paths: {/pets: {get: {responses: {'200': {description: OK}}}}}")
	}
	if doc.Paths.Len() > MaxPaths {
		return nil, fmt.Errorf("at /paths: the document has %d paths; at most %d are imported at once, so split it", doc.Paths.Len(), MaxPaths)
	}
	out := &Document{Descriptions: map[string]string{}}
	oauth := map[string]bool{}
	if doc.Components != nil {
		for name, ref := range doc.Components.SecuritySchemes {
			s := ref.Value
			if s == nil || s.Type != "oauth2" && s.Type != "openIdConnect" {
				continue
			}
			oauth[name] = true
			if s.Flows == nil {
				continue
			}
			for _, f := range []*openapi3.OAuthFlow{s.Flows.Implicit, s.Flows.Password, s.Flows.ClientCredentials, s.Flows.AuthorizationCode} {
				if f == nil {
					continue
				}
				for scope, desc := range f.Scopes {
					if out.Descriptions[scope] == "" {
						out.Descriptions[scope] = desc
					}
				}
			}
		}
	}
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		ops := item.Operations()
		if item.Trace != nil {
			out.Skipped = append(out.Skipped, "TRACE "+path)
		}
		for _, method := range methods {
			op := ops[method]
			if op == nil {
				continue
			}
			if len(out.Operations) == MaxOperations {
				return nil, fmt.Errorf("at /paths: the document has more than %d operations; split it", MaxOperations)
			}
			ptr := "/paths/" + escapePointer(path) + "/" + strings.ToLower(method)
			o := Operation{Method: method, Path: path, Pointer: ptr}
			if op.Origin != nil && op.Origin.Key != nil {
				o.Line = op.Origin.Key.Line
			}
			servers := doc.Servers
			if len(item.Servers) > 0 {
				servers = item.Servers
			}
			if op.Servers != nil && len(*op.Servers) > 0 {
				servers = *op.Servers
			}
			if o.ServerPath, err = serverPath(servers); err != nil {
				return nil, fmt.Errorf("at %s: %w", o.Where(), err)
			}
			security := doc.Security
			if op.Security != nil { // the operation's requirement, even an empty one, overrides the document's
				security = *op.Security
			}
			for _, req := range security {
				for scheme, scopes := range req {
					if !oauth[scheme] {
						continue
					}
					for _, s := range scopes {
						if !slices.Contains(o.Scopes, s) {
							o.Scopes = append(o.Scopes, s)
						}
					}
				}
			}
			if len(o.Scopes) > MaxScopesPerOperation {
				return nil, fmt.Errorf("at %s: the security requirements name %d scopes; at most %d are imported per operation", o.Where(), len(o.Scopes), MaxScopesPerOperation)
			}
			slices.Sort(o.Scopes)
			out.Operations = append(out.Operations, o)
		}
	}
	return out, nil
}

// loadError keeps what helps a person find the fault: the YAML reader's message carries the line
// (JSON is read as YAML too), the JSON one only an offset.
func loadError(err error) error {
	msg := err.Error()
	if _, after, ok := strings.Cut(msg, "yaml error: "); ok {
		msg = after
	}
	msg = strings.TrimPrefix(msg, "failed to unmarshal data: ")
	return fmt.Errorf("the document cannot be read as OpenAPI JSON or YAML: %s", msg)
}

// serverPath is the path of the first server's URL, its variables replaced by their defaults,
// without a trailing slash.
func serverPath(servers openapi3.Servers) (string, error) {
	if len(servers) == 0 || servers[0] == nil {
		return "", nil
	}
	s := servers[0]
	raw := s.URL
	for name, v := range s.Variables {
		if v != nil {
			raw = strings.ReplaceAll(raw, "{"+name+"}", v.Default)
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("the server URL %q cannot be read: %v", s.URL, err)
	}
	return strings.TrimSuffix(u.Path, "/"), nil
}

// escapePointer escapes a key for a JSON pointer (RFC 6901).
func escapePointer(key string) string {
	return strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
}
