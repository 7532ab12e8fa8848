// Package configdoc is configuration as code: an organisation's configuration as one document
// (version scopekeeper/v1, YAML or JSON) that names everything by name, never by database ID and
// never with a secret; and the import of such a document as a plan of creates, updates and deletes
// applied all or nothing in the caller's transaction.
package configdoc

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"gopkg.in/yaml.v3"
)

// Version is the document version this package reads and writes.
const Version = "scopekeeper/v1"

// Schema is the document's JSON Schema, served at /schemas/scopekeeper-v1.json.
//
//go:embed scopekeeper-v1.json
var Schema []byte

// SchemaPath is where the server serves Schema.
const SchemaPath = "/schemas/scopekeeper-v1.json"

// Document is an organisation's configuration.
type Document struct {
	Version      string       `json:"version" yaml:"version"`
	Organisation Organisation `json:"organisation" yaml:"organisation"`
	APIs         []API        `json:"apis" yaml:"apis"`
	Clients      []Client     `json:"clients" yaml:"clients"`
}

// Organisation holds the organisation's settings.
type Organisation struct {
	Name               string `json:"name" yaml:"name"`
	MaxScopesPerClient int    `json:"maxScopesPerClient" yaml:"maxScopesPerClient"` // absent: 10
	// RefreshTokenLifetime is in seconds.
	RefreshTokenLifetime int      `json:"refreshTokenLifetime" yaml:"refreshTokenLifetime"` // absent: 30 days
	NamingPolicy         string   `json:"namingPolicy" yaml:"namingPolicy"`                 // absent: FREE
	APIKeyAllowedScopes  []string `json:"apiKeyAllowedScopes" yaml:"apiKeyAllowedScopes"`
}

// API is an API with its scopes and endpoints (the built-in scopekeeper API is not exported: every
// organisation has it).
type API struct {
	Name        string     `json:"name" yaml:"name"`
	DisplayName string     `json:"displayName" yaml:"displayName"`
	Description string     `json:"description" yaml:"description"`
	BasePath    string     `json:"basePath" yaml:"basePath"` // absent: /
	Scopes      []Scope    `json:"scopes" yaml:"scopes"`
	Endpoints   []Endpoint `json:"endpoints" yaml:"endpoints"`
	// Resource servers (contract §7).
	Identifier        *string `json:"identifier,omitempty" yaml:"identifier,omitempty"` // absent: {public-url}{basePath}
	AccessTokenFormat string  `json:"accessTokenFormat" yaml:"accessTokenFormat"`       // absent: OPAQUE
	JWTLifetime       int     `json:"jwtLifetime" yaml:"jwtLifetime"`                   // absent: 300
}

// Scope is a scope with every field.
type Scope struct {
	Name                    string `json:"name" yaml:"name"`
	DisplayName             string `json:"displayName" yaml:"displayName"`
	Description             string `json:"description" yaml:"description"`
	Required                bool   `json:"required" yaml:"required"`
	Emphasize               bool   `json:"emphasize" yaml:"emphasize"`
	ShowInDiscoveryDocument *bool  `json:"showInDiscoveryDocument,omitempty" yaml:"showInDiscoveryDocument,omitempty"` // absent: true
	Deprecated              bool   `json:"deprecated" yaml:"deprecated"`
	// Deprecation lifecycle (issue 13), only on deprecated scopes: the replacement's name, and
	// the sunset as an RFC 3339 time.
	ReplacedBy string `json:"replacedBy,omitempty" yaml:"replacedBy,omitempty"`
	SunsetAt   string `json:"sunsetAt,omitempty" yaml:"sunsetAt,omitempty"`
}

// Endpoint is "METHOD /path" with the names of the scopes that open it.
type Endpoint struct {
	Endpoint string   `json:"endpoint" yaml:"endpoint"`
	Scopes   []string `json:"scopes" yaml:"scopes"`
}

// Client is an OAuth client with the names of its scopes (its secret is never exported).
type Client struct {
	Name                     string   `json:"name" yaml:"name"`
	Description              string   `json:"description" yaml:"description"`
	Kind                     string   `json:"kind" yaml:"kind"`
	RedirectURIs             []string `json:"redirectURIs" yaml:"redirectURIs"`
	AllowUncategorizedRead   bool     `json:"allowUncategorizedRead" yaml:"allowUncategorizedRead"`
	AllowUncategorizedModify bool     `json:"allowUncategorizedModify" yaml:"allowUncategorizedModify"`
	Enabled                  *bool    `json:"enabled,omitempty" yaml:"enabled,omitempty"`             // absent: true
	RefreshTokens            *bool    `json:"refreshTokens,omitempty" yaml:"refreshTokens,omitempty"` // absent: true
	RequirePKCE              *bool    `json:"requirePKCE,omitempty" yaml:"requirePKCE,omitempty"`     // absent: true
	PostLogoutRedirectURIs   []string `json:"postLogoutRedirectURIs" yaml:"postLogoutRedirectURIs"`
	Scopes                   []string `json:"scopes" yaml:"scopes"`
}

// Format is how a document is written.
type Format string

const (
	YAML Format = "YAML"
	JSON Format = "JSON"
)

// Encode writes d in format.
func Encode(d *Document, format Format) ([]byte, error) {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	if format == JSON {
		return append(b, '\n'), nil
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return out.Bytes(), enc.Close()
}

// MaxDocument bounds a document's size.
const MaxDocument = 8 << 20

var compiled = func() *jsonschema.Schema {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema))
	if err != nil {
		panic(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat() // sunsetAt is a date-time
	if err := c.AddResource("scopekeeper-v1.json", doc); err != nil {
		panic(err)
	}
	return c.MustCompile("scopekeeper-v1.json")
}()

// Parse reads a YAML or JSON document and checks it against the schema. Errors name the place
// in the document (a JSON pointer such as /apis/0/scopes/2/name) and what is wrong there.
func Parse(src []byte) (*Document, error) {
	if len(src) > MaxDocument {
		return nil, fmt.Errorf("the document is larger than %d bytes", MaxDocument)
	}
	// JSON is YAML: one parser reads both, and names the line of a syntax error.
	var tree any
	if err := yaml.Unmarshal(src, &tree); err != nil {
		return nil, fmt.Errorf("the document is neither YAML nor JSON: %v", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	raw, err := json.Marshal(tree)
	if err != nil {
		return nil, fmt.Errorf("the document's keys must be strings: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("the document is not valid JSON: %v", err)
	}
	if err := compiled.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("the document does not follow %s: %s", Version, describe(ve))
		}
		return nil, err
	}
	var d Document
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("the document does not follow %s: %v", Version, err)
	}
	d.defaults()
	return &d, nil
}

// defaults fills in what a document may leave out, with the values the admin API would give.
func (d *Document) defaults() {
	o := &d.Organisation
	if o.MaxScopesPerClient == 0 {
		o.MaxScopesPerClient = 10
	}
	if o.RefreshTokenLifetime == 0 {
		o.RefreshTokenLifetime = 30 * 24 * 3600
	}
	if o.NamingPolicy == "" {
		o.NamingPolicy = "FREE"
	}
	o.APIKeyAllowedScopes = nonNil(o.APIKeyAllowedScopes)
	d.APIs, d.Clients = orEmpty(d.APIs), orEmpty(d.Clients)
	for i := range d.APIs {
		a := &d.APIs[i]
		if a.BasePath == "" {
			a.BasePath = "/"
		}
		if a.AccessTokenFormat == "" {
			a.AccessTokenFormat = "OPAQUE"
		}
		if a.JWTLifetime == 0 {
			a.JWTLifetime = 300
		}
		a.Scopes, a.Endpoints = orEmpty(a.Scopes), orEmpty(a.Endpoints)
		for j := range a.Scopes {
			if a.Scopes[j].ShowInDiscoveryDocument == nil {
				a.Scopes[j].ShowInDiscoveryDocument = ptr(true)
			}
		}
		for j := range a.Endpoints {
			a.Endpoints[j].Scopes = nonNil(a.Endpoints[j].Scopes)
		}
	}
	for i := range d.Clients {
		c := &d.Clients[i]
		for _, b := range []**bool{&c.Enabled, &c.RefreshTokens, &c.RequirePKCE} {
			if *b == nil {
				*b = ptr(true)
			}
		}
		c.RedirectURIs, c.PostLogoutRedirectURIs, c.Scopes = nonNil(c.RedirectURIs), nonNil(c.PostLogoutRedirectURIs), nonNil(c.Scopes)
	}
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

var english = message.NewPrinter(language.English)

// describe turns the innermost causes of a validation error into "at /pointer: message" lines.
func describe(ve *jsonschema.ValidationError) string {
	var out []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			ptr := "/" + strings.Join(e.InstanceLocation, "/")
			out = append(out, fmt.Sprintf("at %s: %s", ptr, e.ErrorKind.LocalizedString(english)))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	if len(out) > 5 {
		out = append(out[:5], fmt.Sprintf("and %d more", len(out)-5))
	}
	return strings.Join(out, "; ")
}
