package graph

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/debug"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"scopekeeper/ent"
	"scopekeeper/internal/bodylimit"
	"scopekeeper/internal/viewer"
)

// Options configure the handler.
type Options struct {
	// Playground adds the GET transport GraphiQL uses and lets callers who are not signed in
	// introspect the schema (demo mode only).
	Playground bool
	// MaxBody bounds a request body in bytes (413 beyond); 0 means bodylimit.Default.
	MaxBody int64
}

// operationTimeout bounds the work of one request, also after its caller has gone.
const operationTimeout = 30 * time.Second

// Handler serves /graphql.
type Handler struct {
	client *ent.Client
	srv    *handler.Server
	cache  *acceptedCache
}

// NewHandler returns the /graphql handler.
func NewHandler(client *ent.Client, r *Resolver, opts Options) *Handler {
	if opts.MaxBody <= 0 {
		opts.MaxBody = bodylimit.Default
	}
	srv := handler.New(NewExecutableSchema(Config{Resolvers: r, Complexity: complexity()}))
	srv.AddTransport(post{maxBody: opts.MaxBody})
	if opts.Playground {
		srv.AddTransport(transport.GET{})
	}
	cache := newAcceptedCache()
	srv.SetQueryCache(cache)
	srv.SetParserTokenLimit(MaxTokens)
	// Extensions run in this order; the cache takes a document only once all accepted it.
	srv.Use(presentAll{})
	srv.Use(fieldLimit{cache: cache})
	srv.Use(operationLimits{openIntrospection: opts.Playground})
	srv.Use(extension.FixedComplexityLimit(MaxComplexity))
	srv.Use(keyScopeCheck{})
	srv.Use(accept{cache: cache})
	srv.Use(newResponseCache(client))
	// importConfiguration, importOpenAPI and migrateScopeHolders open their own transactions, to
	// roll a dry run back.
	srv.Use(entgql.Transactioner{TxOpener: client, SkipTxFunc: entgql.SkipIfHasFields("importConfiguration", "importOpenAPI", "migrateScopeHolders")})
	srv.SetErrorPresenter(presentError)
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		// A runtime error says what broke; any other value might hold what the caller sent.
		what := fmt.Sprintf("%T", p)
		if re, ok := p.(runtime.Error); ok {
			what = re.Error()
		}
		slog.ErrorContext(ctx, "graphql: panic", "panic", what, "stack", string(debug.Stack()))
		return gqlerror.Errorf("Something went wrong on our side; the change was not made.")
	})
	return &Handler{client: client, srv: srv, cache: cache}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	// Answers are per caller and may carry a new client secret or API key.
	w.Header().Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(ent.NewContext(req.Context(), h.client), operationTimeout)
	defer cancel()
	h.srv.ServeHTTP(w, req.WithContext(ctx))
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
