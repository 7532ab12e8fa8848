package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"scopekeeper/ent"
	"scopekeeper/ent/privacy"
	"scopekeeper/internal/apperr"
	"scopekeeper/internal/configdoc"
	"scopekeeper/internal/metrics"
)

// presentError is the one place where errors become GraphQL errors with the contract's
// extensions.code; anything unrecognised is logged and reported without its details.
func presentError(ctx context.Context, err error) *gqlerror.Error {
	var oe *configdoc.ObjectError
	if errors.As(err, &oe) {
		// An import's rule break: the rule's own answer, naming the object that breaks it.
		inner := presentError(ctx, oe.Err)
		inner.Message = oe.Object + ": " + inner.Message
		inner.Extensions["object"] = oe.Object
		return inner
	}
	gqlErr := graphql.DefaultErrorPresenter(ctx, err)
	var ae *apperr.Error
	var ve *ent.ValidationError
	var ce *ent.ConstraintError
	var nf *ent.NotFoundError
	var badID *strconv.NumError
	switch {
	case errors.As(err, &ae):
		gqlErr.Message = ae.Message
		setExtensions(gqlErr, ae)
	case errors.As(err, &nf), errors.As(err, &badID):
		// A malformed ID names nothing, like an unknown one.
		gqlErr.Message = "Nothing with that ID exists in your organisation."
		setExtensions(gqlErr, &apperr.Error{Code: apperr.NotFound})
	case errors.As(err, &ve):
		field := camel(ve.Name)
		gqlErr.Message = validationMessage(field, ve.Unwrap())
		setExtensions(gqlErr, &apperr.Error{Code: apperr.ValidationFailed, Field: field})
	case errors.As(err, &ce):
		gqlErr.Message = "This conflicts with something that already exists."
		setExtensions(gqlErr, &apperr.Error{Code: apperr.Conflict})
	case errors.Is(err, privacy.Deny):
		gqlErr.Message = "You may not do this."
		setExtensions(gqlErr, &apperr.Error{Code: apperr.Forbidden})
	case gqlErr.Extensions["code"] != nil:
		// gqlgen's own: GRAPHQL_VALIDATION_FAILED, GRAPHQL_PARSE_FAILED, COMPLEXITY_LIMIT_EXCEEDED.
	case isInputError(err):
		setExtensions(gqlErr, &apperr.Error{Code: apperr.ValidationFailed, Field: inputField(gqlErr)})
	default:
		metrics.DatabaseError()
		slog.ErrorContext(ctx, "graphql: internal error", "path", gqlErr.Path.String(), "error", err)
		gqlErr.Message = "Something went wrong on our side; the change was not made. Please try again."
		gqlErr.Extensions = map[string]any{"code": "INTERNAL_SERVER_ERROR"}
	}
	return gqlErr
}

func setExtensions(e *gqlerror.Error, ae *apperr.Error) {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = ae.Code
	if ae.Field != "" {
		e.Extensions["field"] = ae.Field
	}
	if ae.UsedBy != nil {
		e.Extensions["usedBy"] = ae.UsedBy
	}
}

// isInputError recognises gqlgen's argument-unmarshalling failures (a bad enum value, say).
func isInputError(err error) bool {
	var ge *gqlerror.Error
	return errors.As(err, &ge) && ge.Rule == "" && len(ge.Path) > 0 && strings.Contains(ge.Message, "input")
}

func inputField(e *gqlerror.Error) string {
	if len(e.Path) == 0 {
		return ""
	}
	return fmt.Sprint(e.Path[len(e.Path)-1])
}

// examples are shown with validation failures of fields whose rules are not obvious.
var examples = map[string]string{
	"name":               "billing-api",
	"basePath":           "/billing",
	"slug":               "acme",
	"email":              "ada@example.com",
	"maxScopesPerClient": "10",
	"path":               "/forums/threads/{id}",
}

func validationMessage(field string, cause error) string {
	msg := fmt.Sprintf("%s is not valid", field)
	if cause != nil {
		switch c := cause.Error(); {
		case strings.Contains(c, "empty"), strings.Contains(c, "less than the required length"):
			msg = fmt.Sprintf("%s is required", field)
		case strings.Contains(c, "greater than the required length"), strings.Contains(c, "maximum"):
			msg = fmt.Sprintf("%s is too long", field)
		case strings.Contains(c, "out of range"):
			msg = fmt.Sprintf("%s is out of range", field)
		case strings.Contains(c, "does not match"):
			msg = fmt.Sprintf("%s has characters or a form that is not allowed", field)
		default:
			msg = fmt.Sprintf("%s is not valid: %s", field, c)
		}
	}
	if ex, ok := examples[field]; ok {
		msg += ", e.g. " + ex
	}
	return msg + "."
}

// camel turns ent's field name (max_scopes_per_client, redirect_URIs) into the GraphQL one.
func camel(name string) string {
	parts := strings.Split(name, "_")
	for i := 1; i < len(parts); i++ {
		if p := parts[i]; p != "" {
			switch up := strings.ToUpper(p); up {
			case "ID", "API", "URL", "URI":
				parts[i] = up
			default:
				parts[i] = strings.ToUpper(p[:1]) + p[1:]
			}
		}
	}
	return strings.Join(parts, "")
}

// presentAll sends every error of a response through presentError, also those that never passed
// the presenter: entgql's Transactioner reports a failed commit ("database or disk is full") as a
// bare message without extensions.code. It is the outermost extension.
type presentAll struct{}

func (presentAll) ExtensionName() string                   { return "PresentAll" }
func (presentAll) Validate(graphql.ExecutableSchema) error { return nil }

func (presentAll) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	rsp := next(ctx)
	if rsp == nil {
		return rsp
	}
	for i, e := range rsp.Errors {
		if e.Extensions["code"] == nil {
			rsp.Errors[i] = presentError(ctx, e)
		}
	}
	return rsp
}
