package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"scopekeeper/internal/configdoc"
)

const (
	exportQuery = `query($f: ConfigurationFormat!) { exportConfiguration(format: $f) }`
	importQuery = `mutation($d: String!, $dry: Boolean!, $prune: Boolean!) {
		importConfiguration(document: $d, dryRun: $dry, prune: $prune) {
			applied changes { action kind name fields usedBy } clientSecrets { client clientId clientSecret } } }`
)

// seedConfiguration gives an organisation something of everything a document holds.
func seedConfiguration(t *testing.T, c *gqlClient) {
	t.Helper()
	c.must(`mutation { updateOrganisation(input: {namingPolicy: DOTTED, maxScopesPerClient: 3}) { id } }`, nil)
	api := str(c.must(`mutation { createAPI(input: {name: "forums", displayName: "Forums", description: "Threads and posts.", basePath: "/forums",
		identifier: "https://forums.example/api", accessTokenFormat: JWT, jwtLifetime: 120}) { id } }`, nil), "createAPI.id")
	ep := func(method, path string) string {
		return str(c.must(`mutation($in: CreateEndpointInput!) { createEndpoint(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"apiID": api, "method": method, "path": path}}), "createEndpoint.id")
	}
	list, one, create := ep("GET", "/forums/threads"), ep("GET", "/forums/threads/{id}"), ep("POST", "/forums/threads")
	ep("GET", "/forums/stats")
	scope := func(in map[string]any) string {
		in["apiID"] = api
		return str(c.must(`mutation($in: CreateScopeInput!) { createScope(input: $in) { id } }`, map[string]any{"in": in}), "createScope.id")
	}
	read := scope(map[string]any{"name": "forums.threads.readonly", "displayName": "Read threads", "endpointIDs": []string{list, one}, "emphasize": true})
	modify := scope(map[string]any{"name": "forums.threads.modify", "description": "Start threads.", "endpointIDs": []string{create}})
	scope(map[string]any{"name": "forums.members.readonly", "required": true, "showInDiscoveryDocument": false})
	// Deprecation lifecycle: a deprecated scope with its replacement and sunset.
	legacy := scope(map[string]any{"name": "forums.votes.readonly"})
	c.must(`mutation($id: ID!, $r: ID!) { updateScope(id: $id, input: {deprecated: true, replacedByID: $r, sunsetAt: "2027-06-30T12:00:00.25Z"}) { id } }`,
		map[string]any{"id": legacy, "r": read})
	d := c.must(`mutation { createClient(input: {name: "worker", kind: SERVICE, allowUncategorizedRead: true}) { client { id } } }`, nil)
	c.must(`mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id } }`,
		map[string]any{"c": str(d, "createClient.client.id"), "s": []string{read, modify}})
	c.must(`mutation { createClient(input: {name: "web app", kind: WEB, redirectURIs: ["https://app.example/cb"]}) { client { id } } }`, nil)
	c.must(`mutation($s: [ID!]) { updateOrganisation(input: {apiKeyAllowedScopeIDs: $s}) { id } }`, map[string]any{"s": []string{read}})
}

func export(t *testing.T, c *gqlClient, format string) string {
	t.Helper()
	return str(c.must(exportQuery, map[string]any{"f": format}), "exportConfiguration")
}

func TestConfigurationRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn func(t *testing.T) string) {
		e := startServer(t, dsn(t))
		acme, empty := e.org("acme"), e.org("empty")
		seedConfiguration(t, acme)
		doc := export(t, acme, "YAML")
		for _, want := range []string{"version: scopekeeper/v1", "endpoint: GET /forums/threads/{id}", "- forums.threads.readonly", "name: web app",
			"identifier: https://forums.example/api", "accessTokenFormat: JWT", "jwtLifetime: 120",
			"replacedBy: forums.threads.readonly", `sunsetAt: "2027-06-30T12:00:00.25Z"`} {
			if !strings.Contains(doc, want) {
				t.Fatalf("export lacks %q:\n%s", want, doc)
			}
		}
		if strings.Contains(doc, "sks_") || strings.Contains(doc, "clientId") {
			t.Fatalf("export carries a secret or ID:\n%s", doc)
		}

		// A dry run plans everything and changes nothing.
		before := export(t, empty, "JSON")
		dry := empty.must(importQuery, map[string]any{"d": doc, "dry": true, "prune": false})
		if get(dry, "importConfiguration.applied") != false || len(get(dry, "importConfiguration.changes").([]any)) < 10 {
			t.Fatalf("dry run: %v", dry)
		}
		if after := export(t, empty, "JSON"); after != before {
			t.Fatalf("a dry run changed the organisation:\n%s\n%s", before, after)
		}

		applied := empty.must(importQuery, map[string]any{"d": doc, "dry": false, "prune": false})
		secrets := get(applied, "importConfiguration.clientSecrets").([]any)
		if len(secrets) != 2 || !strings.HasPrefix(str(secrets[0], "clientSecret"), "sks_") {
			t.Fatalf("secrets of created clients: %v", secrets)
		}
		if again := export(t, empty, "YAML"); again != doc {
			t.Fatalf("export → import → export differs:\n%s\n---\n%s", doc, again)
		}
		// The same document again changes nothing.
		if ch := get(empty.must(importQuery, map[string]any{"d": doc, "dry": false, "prune": false}), "importConfiguration.changes").([]any); len(ch) != 0 {
			t.Fatalf("second import: %v", ch)
		}
		// The imported client works at the token endpoint with its shown-once secret.
		resp, err := http.PostForm(e.URL+"/o/empty/oauth/token", map[string][]string{"grant_type": {"client_credentials"},
			"client_id": {str(secrets[1], "clientId")}, "client_secret": {str(secrets[1], "clientSecret")}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), "forums.threads.modify forums.threads.readonly") {
			t.Fatalf("token for the imported worker: %d %s", resp.StatusCode, b)
		}
	})
}

func TestImportRefusalsChangeNothing(t *testing.T) {
	e := newEnv(t)
	c := e.org("acme")
	seedConfiguration(t, c)
	modifyID := str(get(c.must(`{ scopes(where: {name: "forums.threads.modify"}) { edges { node { id } } } }`, nil), "scopes.edges").([]any)[0], "node.id")
	readID := str(get(c.must(`{ scopes(where: {name: "forums.threads.readonly"}) { edges { node { id } } } }`, nil), "scopes.edges").([]any)[0], "node.id")
	c.must(`mutation($s: [ID!]) { updateOrganisation(input: {apiKeyAllowedScopeIDs: $s}) { id } }`, map[string]any{"s": []string{readID, modifyID}})
	c.must(`mutation($s: [ID!]) { createAPIKey(input: {name: "deploy bot", scopeIDs: $s}) { key } }`, map[string]any{"s": []string{modifyID}})
	doc := export(t, c, "YAML")
	base := export(t, c, "JSON")

	edit := func(change func(d *configdoc.Document)) string {
		d, err := configdoc.Parse([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		change(d)
		b, err := configdoc.Encode(d, configdoc.YAML)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	worker := func(d *configdoc.Document) *configdoc.Client { return &d.Clients[1] }
	forums := func(d *configdoc.Document) *configdoc.API { return &d.APIs[0] }
	cases := []struct {
		name, doc, code, object string
		prune                   bool
	}{
		{"over the scope limit", edit(func(d *configdoc.Document) {
			forums(d).Scopes = append(forums(d).Scopes, configdoc.Scope{Name: "forums.posts.readonly"}, configdoc.Scope{Name: "forums.polls.readonly"})
			worker(d).Scopes = append(worker(d).Scopes, "forums.posts.readonly", "forums.polls.readonly")
		}), "SCOPE_LIMIT_EXCEEDED", `client "worker"`, false},
		{"readonly scope on POST", edit(func(d *configdoc.Document) {
			forums(d).Endpoints[2].Scopes = []string{"forums.threads.readonly"}
		}), "VALIDATION_FAILED", `endpoint "POST /forums/threads"`, false},
		{"naming policy", edit(func(d *configdoc.Document) {
			forums(d).Scopes = append(forums(d).Scopes, configdoc.Scope{Name: "Members_Read"})
		}), "VALIDATION_FAILED", `scope "Members_Read"`, false},
		{"unknown scope", edit(func(d *configdoc.Document) {
			d.Organisation.APIKeyAllowedScopes = append(d.Organisation.APIKeyAllowedScopes, "nowhere.to.be")
		}), "VALIDATION_FAILED", `organisation "apiKeyAllowedScopes"`, false},
		{"prune an in-use scope", edit(func(d *configdoc.Document) {
			forums(d).Scopes[1].Name = "forums.topics.modify"
			forums(d).Endpoints[2].Scopes = []string{"forums.topics.modify"}
			worker(d).Scopes = []string{"forums.threads.readonly"}
			d.Organisation.APIKeyAllowedScopes = []string{"forums.threads.readonly"}
		}), "SCOPE_IN_USE", `scope "forums.threads.modify"`, true},
		{"identifier not absolute", edit(func(d *configdoc.Document) {
			id := "forums.example/api"
			forums(d).Identifier = &id
		}), "VALIDATION_FAILED", "", false},
		{"unknown replacement", edit(func(d *configdoc.Document) {
			forums(d).Scopes[3].ReplacedBy = "forums.nowhere.readonly"
		}), "VALIDATION_FAILED", `scope "forums.votes.readonly"`, false},
		{"replacement cycle", edit(func(d *configdoc.Document) {
			forums(d).Scopes[2].Deprecated, forums(d).Scopes[2].ReplacedBy = true, "forums.votes.readonly"
		}), "VALIDATION_FAILED", `scope "forums.threads.readonly"`, false},
		{"sunset of a current scope", edit(func(d *configdoc.Document) {
			forums(d).Scopes[2].SunsetAt = "2030-01-01T00:00:00Z"
		}), "VALIDATION_FAILED", `scope "forums.threads.readonly"`, false},
		{"not the schema", "version: scopekeeper/v1\norganisation: {name: Acme}\napis: [{name: forums, basePath: forums}]\n",
			"VALIDATION_FAILED", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.doc == doc {
				t.Fatal("the test's edit did not apply")
			}
			r := c.fails(tc.code, importQuery, map[string]any{"d": tc.doc, "dry": false, "prune": tc.prune})
			if obj, _ := r.Errors[0].Extensions["object"].(string); obj != tc.object {
				t.Errorf("object = %q, want %q (%s)", obj, tc.object, r.Errors[0].Message)
			}
			if tc.code == "SCOPE_IN_USE" && !strings.Contains(fmt.Sprint(r.Errors[0].Extensions["usedBy"]), `API key "deploy bot"`) {
				t.Errorf("usedBy = %v", r.Errors[0].Extensions["usedBy"])
			}
			if tc.object == "" && !strings.Contains(r.Errors[0].Message, "at /apis/0/") {
				t.Errorf("schema error does not name the place: %s", r.Errors[0].Message)
			}
			if after := export(t, c, "JSON"); after != base {
				t.Fatalf("a refused import changed the organisation")
			}
		})
	}
	// The plan of a prune dry run names the holders of what it would delete.
	pruned := edit(func(d *configdoc.Document) { d.Clients[0].Name = "web app 2" })
	d := c.must(importQuery, map[string]any{"d": pruned, "dry": true, "prune": true})
	if !strings.Contains(fmt.Sprint(get(d, "importConfiguration.changes")), "action:DELETE fields:[] kind:Client name:web app ") {
		t.Errorf("prune plan: %v", get(d, "importConfiguration.changes"))
	}
}

func TestConfigurationRoles(t *testing.T) {
	e := newEnv(t)
	owner := e.org("acme")
	seedConfiguration(t, owner)
	owner.must(`mutation { createUser(input: {email: "vera@acme.test", password: "plum-harbour-violet-9", role: VIEWER}) { id } }`, nil)
	viewer := e.login("vera@acme.test", "plum-harbour-violet-9")
	doc := export(t, viewer, "YAML")
	viewer.fails("FORBIDDEN", importQuery, map[string]any{"d": strings.Replace(doc, "Forums", "Forums!", 1), "dry": false, "prune": false})
	e.anonymous().fails("UNAUTHENTICATED", exportQuery, map[string]any{"f": "YAML"})

	resp, err := http.Get(e.URL + "/schemas/scopekeeper-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte(`"scopekeeper/v1"`)) {
		t.Fatalf("schema: %d", resp.StatusCode)
	}
}

func TestConfigurationCommands(t *testing.T) {
	e := newEnv(t)
	seedConfiguration(t, e.org("acme"))
	e.org("copy")
	dbPath := e.app.cfg.DB // the commands open the server's database beside it
	var out bytes.Buffer
	if err := run(context.Background(), []string{"export", "--db", dbPath, "--org", "acme", "--format", "json"}, &out); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "acme.json")
	doc := strings.Replace(out.String(), `"description": "Threads and posts."`, `"description": "${FORUMS_DESCRIPTION}"`, 1)
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"import", "--db", dbPath, "--org", "copy", file}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "FORUMS_DESCRIPTION") {
		t.Fatalf("unset variable: %v", err)
	}
	t.Setenv("FORUMS_DESCRIPTION", "Set from the environment.")
	var plan bytes.Buffer
	// Flags after FILE, as people type them.
	if err := run(context.Background(), []string{"import", "--db", dbPath, file, "--org", "copy", "--dry-run"}, &plan); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan.String(), "+ API forums") || !strings.Contains(plan.String(), "Dry run:") {
		t.Fatalf("dry-run plan:\n%s", plan.String())
	}
	plan.Reset()
	if err := run(context.Background(), []string{"import", "--db", dbPath, "--org", "copy", file}, &plan); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan.String(), `Client "worker": client_id `) {
		t.Fatalf("plan:\n%s", plan.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"export", "--db", dbPath, "--org", "copy"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "description: Set from the environment.") {
		t.Fatalf("exported copy:\n%s", out.String())
	}
}
