//go:build ignore

// entc generates the ent client and, through entgql, the GraphQL schema graph/schema/ent.graphql.
package main

import (
	"go/format"
	"log"
	"os"
	"regexp"
	"slices"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/vektah/gqlparser/v2/ast"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("graph/schema/ent.graphql"),
		entgql.WithConfigPath("gqlgen.yml"),
		entgql.WithWhereInputs(true),
		entgql.WithNodeDescriptor(false),
		entgql.WithSchemaHook(dropAppendFields),
	)
	if err != nil {
		log.Fatalf("entgql: %v", err)
	}
	cfg := &gen.Config{
		Features: []gen.Feature{
			gen.FeaturePrivacy,
			gen.FeatureEntQL,
			gen.FeatureUpsert,
			gen.FeatureIntercept,
			gen.FeatureExecQuery, // internal/oauth rotates refresh-token families with one prepared UPDATE
		},
	}
	if err := entc.Generate("./ent/schema", cfg, entc.Extensions(ex), entc.TemplateFiles("ent/template/scopename.tmpl", "ent/template/txkey.tmpl")); err != nil {
		log.Fatalf("entc: %v", err)
	}
	if err := dropClientAlias("ent/gql_pagination.go"); err != nil {
		log.Fatalf("entc: %v", err)
	}
}

// dropClientAlias works around entgql naming Go types after GraphQL types: the contract's GraphQL type
// Client (ent type OAuthClient) becomes an alias "type Client = OAuthClient" that collides with ent's
// own Client. Without the alias, the pagination code refers to OAuthClient directly.
func dropClientAlias(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	alias := regexp.MustCompile(`(?m)^// Client is the type alias for OAuthClient\.\n^type Client = OAuthClient\n`)
	if !alias.Match(src) {
		return nil
	}
	src = alias.ReplaceAll(src, nil)
	src = regexp.MustCompile(`\*Client\b`).ReplaceAll(src, []byte("*OAuthClient"))
	if src, err = format.Source(src); err != nil {
		return err
	}
	return os.WriteFile(path, src, 0o644)
}

// dropAppendFields removes the append<Field> inputs entgql adds for JSON list fields: its generated
// Mutate passes the set value instead of the appended one (ent/contrib#639), so they did nothing.
// A list is replaced whole through its own field (redirectURIs), the one way to change it.
func dropAppendFields(_ *gen.Graph, s *ast.Schema) error {
	for _, t := range s.Types {
		if t.Kind != ast.InputObject {
			continue
		}
		t.Fields = slices.DeleteFunc(t.Fields, func(f *ast.FieldDefinition) bool {
			return strings.HasPrefix(f.Name, "append")
		})
	}
	return nil
}
