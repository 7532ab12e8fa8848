package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

const importOpenAPIQuery = `mutation($api: ID!, $d: String!, $dry: Boolean!) {
	importOpenAPI(apiID: $api, document: $d, dryRun: $dry) {
		applied notes endpoints { action method path scopes addScopes } scopes { action name proposed } } }`

func readDoc(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/openapi/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func importOpenAPI(c *gqlClient, api, doc string, dry bool) map[string]any {
	return c.must(importOpenAPIQuery, map[string]any{"api": api, "d": doc, "dry": dry})["importOpenAPI"].(map[string]any)
}

// planLines renders a plan's endpoints and scopes as sorted lines, e.g.
// "ADD GET /v1/pets [read:pets] +[read:pets]" and "ADD scope read:pets".
func planLines(p map[string]any) []string {
	var out []string
	for _, v := range p["endpoints"].([]any) {
		e := v.(map[string]any)
		out = append(out, fmt.Sprintf("%s %s %s %v +%v", e["action"], e["method"], e["path"], e["scopes"], e["addScopes"]))
	}
	for _, v := range p["scopes"].([]any) {
		s := v.(map[string]any)
		proposed := ""
		if s["proposed"] == true {
			proposed = " (proposed)"
		}
		out = append(out, fmt.Sprintf("%s scope %s%s", s["action"], s["name"], proposed))
	}
	slices.Sort(out)
	return out
}

func wantLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// TestOpenAPIImportPetstore imports the OpenAPI 3.0 Petstore (JSON) under the FREE policy: the
// server's /v1 is kept under the API's base path, scopes come from the OAuth2 requirements (the
// operation's overriding the document's), a dry run changes nothing, re-importing keeps everything,
// and an endpoint the document lacks is reported, not removed.
func TestOpenAPIImportPetstore(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(t *testing.T) string) {
		e := startServer(t, dsn(t))
		c := e.org("acme")
		api := str(c.must(`mutation { createAPI(input: {name: "petstore", basePath: "/v1"}) { id } }`, nil), "createAPI.id")
		c.must(`mutation($in: CreateEndpointInput!) { createEndpoint(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"apiID": api, "method": "DELETE", "path": "/v1/pets/{petId}"}})
		doc := readDoc(t, "petstore.json")

		before := export(t, c, "JSON")
		dry := importOpenAPI(c, api, doc, true)
		want := []string{
			"ADD GET /v1/pets [read:pets] +[read:pets]",
			"ADD POST /v1/pets [read:pets write:pets] +[read:pets write:pets]",
			"ADD GET /v1/pets/{petId} [read:pets] +[read:pets]",
			"REMOVE DELETE /v1/pets/{petId} [] +[]",
			"ADD scope read:pets",
			"ADD scope write:pets",
		}
		wantLines(t, "dry run", planLines(dry), want)
		if dry["applied"] != false {
			t.Fatalf("dry run says applied: %v", dry)
		}
		if after := export(t, c, "JSON"); after != before {
			t.Fatalf("a dry run changed the organisation:\n%s\n%s", before, after)
		}

		events := func() int {
			return int(get(c.must(`{ auditEvents { totalCount } }`, nil), "auditEvents.totalCount").(float64))
		}
		n := events()
		applied := importOpenAPI(c, api, doc, false)
		wantLines(t, "apply", planLines(applied), want)
		if applied["applied"] != true {
			t.Fatalf("not applied: %v", applied)
		}
		if got := events() - n; got != 5 { // two scopes and three endpoints, one event each
			t.Fatalf("%d audit events, want 5", got)
		}
		cfg := export(t, c, "YAML")
		for _, s := range []string{"endpoint: GET /v1/pets/{petId}", "endpoint: DELETE /v1/pets/{petId}", "description: modify pets in your account"} {
			if !strings.Contains(cfg, s) {
				t.Fatalf("export lacks %q:\n%s", s, cfg)
			}
		}

		// Importing again keeps everything and changes nothing.
		again := importOpenAPI(c, api, doc, false)
		wantLines(t, "re-import", planLines(again), []string{
			"KEEP GET /v1/pets [read:pets] +[]",
			"KEEP POST /v1/pets [read:pets write:pets] +[]",
			"KEEP GET /v1/pets/{petId} [read:pets] +[]",
			"REMOVE DELETE /v1/pets/{petId} [] +[]",
			"KEEP scope read:pets",
			"KEEP scope write:pets",
		})
		if export(t, c, "YAML") != cfg || events() != n+5 {
			t.Fatal("re-importing changed the organisation")
		}
	})
}

// TestOpenAPIImportDotted imports the OpenAPI 3.1 Tic Tac Toe sample (YAML) under the DOTTED
// policy: its board:read and board:write break the policy, so group.entity.modifier scopes are
// proposed from the API's name and the path.
func TestOpenAPIImportDotted(t *testing.T) {
	e := newEnv(t)
	c := e.org("acme")
	c.must(`mutation { updateOrganisation(input: {namingPolicy: DOTTED}) { id } }`, nil)
	api := str(c.must(`mutation { createAPI(input: {name: "tictactoe", basePath: "/"}) { id } }`, nil), "createAPI.id")
	p := importOpenAPI(c, api, readDoc(t, "tictactoe.yaml"), false)
	wantLines(t, "plan", planLines(p), []string{
		"ADD GET /board [tictactoe.board.readonly] +[tictactoe.board.readonly]",
		"ADD GET /board/{row}/{column} [tictactoe.board.readonly] +[tictactoe.board.readonly]",
		"ADD PUT /board/{row}/{column} [tictactoe.board.modify] +[tictactoe.board.modify]",
		"ADD scope tictactoe.board.modify (proposed)",
		"ADD scope tictactoe.board.readonly (proposed)",
	})
	notes := fmt.Sprint(p["notes"])
	if !strings.Contains(notes, `"board:read" breaks the DOTTED naming policy`) {
		t.Fatalf("notes: %s", notes)
	}
	cfg := export(t, c, "YAML")
	if !strings.Contains(cfg, "displayName: Read board") {
		t.Fatalf("export lacks the proposed scope's display name:\n%s", cfg)
	}

	// A readonly scope on a PUT breaks rule 9: nothing is applied, and the error names the rule
	// and the endpoint.
	bad := strings.Replace(readDoc(t, "tictactoe.yaml"), "- board:write", "- tictactoe.squares.readonly", 1)
	bad = strings.Replace(bad, "board:write: Write to the board", "tictactoe.squares.readonly: Read squares", 1)
	r := c.fails("VALIDATION_FAILED", importOpenAPIQuery, map[string]any{"api": api, "d": bad, "dry": false})
	if msg := r.Errors[0].Message; !strings.Contains(msg, `endpoint "PUT /board/{row}/{column}"`) || !strings.Contains(msg, "readonly scope") {
		t.Fatalf("message: %s", msg)
	}
	if export(t, c, "YAML") != cfg {
		t.Fatal("a refused import changed the organisation")
	}
}

// TestOpenAPIImportRefusesBadDocuments: each error names the line or JSON pointer, and nothing changes.
func TestOpenAPIImportRefusesBadDocuments(t *testing.T) {
	e := newEnv(t)
	c := e.org("acme")
	api := str(c.must(`mutation { createAPI(input: {name: "petstore", basePath: "/v1"}) { id } }`, nil), "createAPI.id")
	pet := readDoc(t, "petstore.json")
	before := export(t, c, "JSON")
	for name, tc := range map[string]struct{ doc, want string }{
		"truncated JSON":    {pet[:len(pet)/2], "line "},
		"YAML syntax":       {"openapi: 3.0.0\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get: {responses: {'200': {description: ok}\n", "line 6"},
		"undefined scheme":  {strings.Replace(pet, `"petstore_auth": ["write:pets"`, `"nope": ["write:pets"`, 1), "/paths/~1pets/post/security/0/nope"},
		"wrong type":        {`{"openapi":"3.0.0","info":{"title":"x","version":"1"},"paths":{"/a":{"get":"x"}}}`, "/paths/~1a/get"},
		"Swagger 2":         {`{"swagger":"2.0","info":{"title":"x","version":"1"},"paths":{}}`, "Swagger 2.0 documents are not read"},
		"OpenAPI 3.2":       {`{"openapi":"3.2.0","info":{"title":"x","version":"1"},"paths":{}}`, "not OpenAPI 3.0 or 3.1"},
		"external $ref":     {strings.Replace(pet, `"#/components/schemas/Pets"`, `"http://127.0.0.1:1/pets.json"`, 1), "external reference"},
		"no paths":          {`{"openapi":"3.1.0","info":{"title":"x","version":"1"},"paths":{}}`, "/paths"},
		"path out of place": {`{"openapi":"3.1.0","info":{"title":"x","version":"1"},"paths":{"/a/":{"get":{"responses":{"200":{"description":"ok"}}}}}}`, "/paths/~1a~1/get"},
	} {
		r := c.fails("VALIDATION_FAILED", importOpenAPIQuery, map[string]any{"api": api, "d": tc.doc, "dry": false})
		t.Logf("%s: %s", name, r.Errors[0].Message)
		if msg := r.Errors[0].Message; !strings.Contains(msg, tc.want) || r.Field() != "document" {
			t.Errorf("%s: field %q, message %q lacks %q", name, r.Field(), msg, tc.want)
		}
	}
	if export(t, c, "JSON") != before {
		t.Fatal("a refused import changed the organisation")
	}

	// Too many operations.
	var b strings.Builder
	b.WriteString(`{"openapi":"3.0.3","info":{"title":"x","version":"1"},"paths":{`)
	for i := range 1001 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"/p%d":{"get":{"responses":{"200":{"description":"ok"}}}}`, i)
	}
	b.WriteString("}}")
	r := c.fails("VALIDATION_FAILED", importOpenAPIQuery, map[string]any{"api": api, "d": b.String(), "dry": true})
	if !strings.Contains(r.Errors[0].Message, "at most 1000") {
		t.Fatalf("message: %s", r.Errors[0].Message)
	}
}

// TestOpenAPIImportRoles: OWNER and ACCESS_CONTROL import and preview; VIEWER and MEMBER may not
// even preview (a dry run prepares a change they cannot make); another organisation's API is not
// found; the built-in API cannot be changed.
func TestOpenAPIImportRoles(t *testing.T) {
	e := newEnv(t)
	owner := e.org("acme")
	api := str(owner.must(`mutation { createAPI(input: {name: "petstore", basePath: "/v1"}) { id } }`, nil), "createAPI.id")
	doc := readDoc(t, "petstore.json")
	vars := func(api string, dry bool) map[string]any { return map[string]any{"api": api, "d": doc, "dry": dry} }
	role := func(r string) *gqlClient {
		email := strings.ToLower(r) + "@acme.test"
		owner.must(`mutation($e: String!, $r: Role!) { createUser(input: {email: $e, password: "role password 42", role: $r}) { id } }`,
			map[string]any{"e": email, "r": r})
		return e.login(email, "role password 42")
	}
	for _, r := range []string{"VIEWER", "MEMBER"} {
		c := role(r)
		c.fails("FORBIDDEN", importOpenAPIQuery, vars(api, true))
		c.fails("FORBIDDEN", importOpenAPIQuery, vars(api, false))
	}
	e.anonymous().fails("UNAUTHENTICATED", importOpenAPIQuery, vars(api, true))
	other := e.org("other")
	other.fails("NOT_FOUND", importOpenAPIQuery, vars(api, true))
	apis := get(owner.must(`{ apis(where: {builtIn: true}) { edges { node { id } } } }`, nil), "apis.edges").([]any)
	owner.fails("FORBIDDEN", importOpenAPIQuery, vars(apis[0].(map[string]any)["node"].(map[string]any)["id"].(string), true))
	ac := role("ACCESS_CONTROL")
	if p := importOpenAPI(ac, api, doc, false); p["applied"] != true {
		t.Fatalf("ACCESS_CONTROL: %v", p)
	}
}

// TestOpenAPIImportStatementsPerEndpoint bounds the work of an import: the statements it runs grow
// by a fixed number per endpoint, so the largest document allowed stays one bounded transaction.
func TestOpenAPIImportStatementsPerEndpoint(t *testing.T) {
	e := newEnv(t)
	c := e.org("acme")
	doc := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"openapi":"3.0.3","info":{"title":"x","version":"1"},"paths":{`)
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"/items%d/x":{"get":{"security":[{"o":["r%d"]}],"responses":{"200":{"description":"ok"}}}}`, i, i%5)
		}
		b.WriteString(`},"components":{"securitySchemes":{"o":{"type":"oauth2","flows":{"clientCredentials":{"tokenUrl":"https://t/token","scopes":{}}}}}}}`)
		return b.String()
	}
	statements := func(n int) int {
		api := str(c.must(`mutation($n: String!) { createAPI(input: {name: $n, basePath: "/"}) { id } }`, map[string]any{"n": fmt.Sprintf("api%d", n)}), "createAPI.id")
		d := doc(n)
		return len(e.capture(func() { importOpenAPI(c, api, d, true) }))
	}
	small, large := statements(10), statements(110)
	perEndpoint := float64(large-small) / 100
	t.Logf("statements: %d for 10 endpoints, %d for 110: %.1f per endpoint", small, large, perEndpoint)
	if perEndpoint > 16 {
		t.Fatalf("%.1f statements per endpoint, want at most 16", perEndpoint)
	}
}
