package graph

import (
	"context"
	"log/slog"
	"net/http"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"scopekeeper/ent"
	"scopekeeper/internal/viewer"
)

// Limits on what one operation may ask for.
const (
	MaxComplexity = 20000
	MaxDepth      = 15
	// unboundedPage is what a connection without first/last counts as: it may return every row.
	unboundedPage = 1000
)

// Options configure the handler.
type Options struct {
	// Playground adds the GET transport GraphiQL uses (demo mode only).
	Playground bool
}

// NewHandler returns the /graphql handler.
func NewHandler(client *ent.Client, r *Resolver, opts Options) http.Handler {
	srv := handler.New(NewExecutableSchema(Config{Resolvers: r, Complexity: complexity()}))
	srv.AddTransport(transport.POST{})
	if opts.Playground {
		srv.AddTransport(transport.GET{})
	}
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.Use(extension.Introspection{})
	srv.Use(extension.FixedComplexityLimit(MaxComplexity))
	srv.Use(depthLimit{max: MaxDepth})
	srv.Use(keyScopeCheck{})
	srv.Use(entgql.Transactioner{TxOpener: client})
	srv.SetErrorPresenter(presentError)
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		slog.ErrorContext(ctx, "graphql: panic", "panic", p)
		return gqlerror.Errorf("Something went wrong on our side; the change was not made.")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		srv.ServeHTTP(w, req.WithContext(ent.NewContext(req.Context(), client)))
	})
}

// complexity makes connections cost their page size times their selection (TOOLCHAIN pitfall 6).
func complexity() ComplexityRoot {
	var c ComplexityRoot
	c.Query.Apis = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *ent.APIOrder, _ *ent.APIWhereInput) int {
		return page(child, first, last)
	}
	c.Query.Scopes = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *ent.ScopeOrder, _ *ent.ScopeWhereInput) int {
		return page(child, first, last)
	}
	c.Query.Endpoints = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *ent.EndpointOrder, _ *ent.EndpointWhereInput) int {
		return page(child, first, last)
	}
	c.Query.Clients = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *ent.ClientOrder, _ *ent.ClientWhereInput) int {
		return page(child, first, last)
	}
	c.Query.APIKeys = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *ent.APIKeyOrder, _ *ent.APIKeyWhereInput) int {
		return page(child, first, last)
	}
	c.Query.Users = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *ent.UserOrder, _ *ent.UserWhereInput) int {
		return page(child, first, last)
	}
	c.Query.AuditEvents = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *ent.AuditEventOrder, _ *ent.AuditEventWhereInput) int {
		return page(child, first, last)
	}
	c.API.Scopes = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *ent.ScopeOrder, _ *ent.ScopeWhereInput) int {
		return page(child, first, last)
	}
	c.API.Endpoints = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *ent.EndpointOrder, _ *ent.EndpointWhereInput) int {
		return page(child, first, last)
	}
	c.Scope.Clients = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *ent.ClientOrder, _ *ent.ClientWhereInput) int {
		return page(child, first, last)
	}
	return c
}

func page(child int, first, last *int) int {
	n := unboundedPage
	switch {
	case first != nil:
		n = *first
	case last != nil:
		n = *last
	}
	if n < 1 {
		n = 1
	}
	return 1 + child*n
}

// depthLimit refuses operations nested deeper than max, before any resolver runs.
type depthLimit struct{ max int }

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if depth(oc.Operation.SelectionSet, oc.Doc.Fragments, 0) > d.max {
		err := gqlerror.Errorf("The operation is nested more than %d levels deep; split it into several.", d.max)
		err.Extensions = map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}
		return err
	}
	return nil
}

func depth(set ast.SelectionSet, frags ast.FragmentDefinitionList, level int) int {
	if level > 64 { // fragments that spread each other are refused by validation; stop anyway
		return level
	}
	max := level
	for _, s := range set {
		var d int
		switch s := s.(type) {
		case *ast.Field:
			d = depth(s.SelectionSet, frags, level+1)
		case *ast.InlineFragment:
			d = depth(s.SelectionSet, frags, level)
		case *ast.FragmentSpread:
			if f := frags.ForName(s.Name); f != nil {
				d = depth(f.SelectionSet, frags, level)
			}
		}
		if d > max {
			max = d
		}
	}
	return max
}

// keyScopeCheck applies contract rule 11 per operation, so an API key without
// scopekeeper.admin.modify gets one clear FORBIDDEN for a mutation rather than a failure per field.
// The privacy rules enforce the same for every entity read or written.
type keyScopeCheck struct{}

func (keyScopeCheck) ExtensionName() string                   { return "APIKeyScopes" }
func (keyScopeCheck) Validate(graphql.ExecutableSchema) error { return nil }

func (keyScopeCheck) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	c := viewer.FromContext(ctx)
	if c == nil || c.APIKeyID == 0 {
		return nil
	}
	var msg string
	switch {
	case oc.Operation.Operation == ast.Mutation && !c.KeyModify:
		msg = "This API key needs the scope scopekeeper.admin.modify to make changes."
	case !c.KeyRead:
		msg = "This API key needs the scope scopekeeper.admin.readonly (or scopekeeper.admin.modify) to read."
	default:
		return nil
	}
	err := gqlerror.Errorf("%s", msg)
	err.Extensions = map[string]any{"code": "FORBIDDEN"}
	return err
}

// Playground returns GraphiQL for endpoint (offered in demo mode only).
func Playground(endpoint string) http.Handler {
	return playground.Handler("Scopekeeper GraphQL", endpoint)
}
