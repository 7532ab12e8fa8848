package openapiimport

import (
	"context"
	"os"
	"strings"
	"testing"

	"scopekeeper/internal/pathtemplate"
	"scopekeeper/internal/scopename"
)

func TestPlace(t *testing.T) {
	for _, tc := range []struct{ server, path, base, want, entity string }{
		{"/v1", "/pets", "/", "/v1/pets", "pets"},                   // the server's path kept, skipped for the entity
		{"/v1", "/pets/{petId}", "/v1", "/v1/pets/{petId}", "pets"}, // already under the base path
		{"/v1", "/pets", "/petstore", "/petstore/pets", "pets"},     // the base path put in front
		{"", "/forums/threads", "/forums", "/forums/threads", "threads"},
		{"", "/v2/users/{id}", "/", "/v2/users/{id}", "users"}, // a version segment names no entity
		{"", "/{id}", "/items", "/items/{id}", ""},
		{"/api", "/", "/", "/api", ""},
		{"", "/", "/shop", "/shop", ""},
	} {
		path, entity := place(Operation{ServerPath: tc.server, Path: tc.path}, tc.base)
		if path != tc.want || entity != tc.entity {
			t.Errorf("place(%q, %q, %q) = %q, %q; want %q, %q", tc.server, tc.path, tc.base, path, entity, tc.want, tc.entity)
		}
	}
}

func TestPropose(t *testing.T) {
	for _, tc := range []struct{ api, entity, method, want string }{
		{"forums", "threads", "GET", "forums.threads.readonly"},
		{"forums", "threads", "HEAD", "forums.threads.readonly"},
		{"forums", "threads", "DELETE", "forums.threads.modify"},
		{"Pet.Store", "Pets:search", "POST", "pet-store.pets-search.modify"},
		{"forums", "~", "GET", ""},
	} {
		got, _ := propose(tc.api, tc.entity, tc.method)
		if got != tc.want {
			t.Errorf("propose(%q, %q, %q) = %q, want %q", tc.api, tc.entity, tc.method, got, tc.want)
		}
	}
}

func TestOperationOverridesDocumentSecurity(t *testing.T) {
	d, err := Parse(context.Background(), []byte(`openapi: 3.0.3
info: {title: t, version: "1"}
security: [{o: [a]}]
paths:
  /x:
    get: {responses: {"200": {description: ok}}}
    post: {security: [{o: [b]}, {k: []}], responses: {"200": {description: ok}}}
    put: {security: [], responses: {"200": {description: ok}}}
    trace: {responses: {"200": {description: ok}}}
components:
  securitySchemes:
    o: {type: oauth2, flows: {clientCredentials: {tokenUrl: "https://t/token", scopes: {a: A, b: B}}}}
    k: {type: apiKey, name: k, in: header}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, o := range d.Operations {
		got[o.Method] = strings.Join(o.Scopes, ",")
	}
	if got["GET"] != "a" || got["POST"] != "b" || got["PUT"] != "" || len(got) != 3 {
		t.Fatalf("scopes by method: %v", got)
	}
	p, err := Build(d, API{Name: "x", BasePath: "/", Policy: scopename.Free})
	if err != nil || len(p.Notes) != 1 || !strings.HasPrefix(p.Notes[0], "TRACE /x:") {
		t.Fatalf("notes %q, error %v", p.Notes, err)
	}
}

// FuzzImportOpenAPI feeds documents to the parser and the planner: neither may panic, and every
// plan they make holds only endpoints that are valid templates under the base path, each once,
// and scope names valid under the policy they were made for.
func FuzzImportOpenAPI(f *testing.F) {
	for _, name := range []string{"petstore.json", "tictactoe.yaml"} {
		b, err := os.ReadFile("../../testdata/openapi/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"openapi":"3.1.0","info":{"title":"x","version":"1"},"servers":[{"url":"/{v}","variables":{"v":{"default":"v1"}}}],"paths":{"/a/{b}":{"get":{"responses":{"200":{"description":"ok"}}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(context.Background(), data)
		if err != nil {
			return
		}
		for _, policy := range []scopename.Policy{scopename.Free, scopename.Dotted} {
			p, err := Build(d, API{Name: "shop", BasePath: "/shop", Policy: policy, Endpoints: map[string][]string{"GET /shop/x": {"s"}}, Scopes: []string{"s"}})
			if err != nil {
				continue
			}
			seen := map[string]bool{}
			for _, e := range p.Endpoints {
				if _, err := pathtemplate.Parse(e.Path); err != nil || !pathtemplate.HasPrefix(e.Path, "/shop") {
					t.Fatalf("endpoint %s %s: %v", e.Method, e.Path, err)
				}
				if seen[e.Method+" "+e.Path] {
					t.Fatalf("endpoint %s %s planned twice", e.Method, e.Path)
				}
				seen[e.Method+" "+e.Path] = true
			}
			for _, s := range p.Scopes {
				if s.Action == Add && policy == scopename.Dotted && scopename.Validate(s.Name, policy) != nil {
					t.Fatalf("scope %q breaks %s", s.Name, policy)
				}
			}
		}
	})
}
