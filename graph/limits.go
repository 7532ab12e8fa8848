package graph

import (
	"context"
	"math"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"scopekeeper/internal/viewer"
)

// Limits on what one operation may ask for, the way GitHub's API states them. Each is checked
// before the work it guards: size and tokens before parsing, fields before validation (which is
// quadratic in repeated fields), page sizes and complexity before any resolver.
const (
	// MaxTokens bounds the lexical tokens of a document (the console's largest has a few hundred).
	MaxTokens = 10_000
	// MaxFields bounds the fields of a document with every fragment spread expanded. Validation
	// compares fields pairwise: 500 costs ~16 ms of CPU at worst, 4,000 cost 1.6 s.
	MaxFields = 500
	// MaxPage is the largest first or last a connection accepts.
	MaxPage = 1000
	// MaxComplexity bounds the rows an operation may ask for (page sizes multiplied through nesting).
	MaxComplexity = 20_000
	// MaxDepth bounds nesting.
	MaxDepth = 15
	// unboundedPage is what a connection without first/last counts as: it may return every row up
	// to MaxPage.
	unboundedPage = MaxPage
)

func limitError(code, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = map[string]any{"code": code}
	return err
}

// fieldLimit refuses documents with more than MaxFields fields before gqlgen validates them. It
// parses the document once more, but only when it is not in the cache of accepted documents.
type fieldLimit struct{ cache *acceptedCache }

func (fieldLimit) ExtensionName() string                   { return "FieldLimit" }
func (fieldLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (l fieldLimit) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if l.cache.has(p.Query) {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, MaxTokens)
	if err != nil {
		return nil // gqlgen reports the same parse error, with its code
	}
	if n := countFields(doc); n > MaxFields {
		return limitError(errcode.ValidationFailed,
			"The operation selects more than %d fields (counting every fragment spread); split it into several.", MaxFields)
	}
	return nil
}

// countFields counts doc's fields with fragment spreads expanded, saturating at MaxFields+1. A
// fragment that spreads itself counts as too many: validation would refuse it anyway.
func countFields(doc *ast.QueryDocument) int {
	memo := map[string]int{}
	const over = MaxFields + 1
	var count func(set ast.SelectionSet, visiting map[string]bool) int
	count = func(set ast.SelectionSet, visiting map[string]bool) int {
		n := 0
		for _, s := range set {
			switch s := s.(type) {
			case *ast.Field:
				n += 1 + count(s.SelectionSet, visiting)
			case *ast.InlineFragment:
				n += count(s.SelectionSet, visiting)
			case *ast.FragmentSpread:
				c, ok := memo[s.Name]
				if !ok {
					f := doc.Fragments.ForName(s.Name)
					switch {
					case f == nil:
						c = 0 // unknown fragments are validation's to report
					case visiting[s.Name]:
						c = over
					default:
						visiting[s.Name] = true
						c = count(f.SelectionSet, visiting)
						delete(visiting, s.Name)
						memo[s.Name] = c
					}
				}
				n += c
			}
			if n >= over {
				return over
			}
		}
		return n
	}
	total := 0
	for _, op := range doc.Operations {
		total += count(op.SelectionSet, map[string]bool{})
	}
	for _, f := range doc.Fragments {
		total += count(f.SelectionSet, map[string]bool{f.Name: true})
	}
	return min(total, over)
}

// operationLimits checks, once variables are known and before any resolver runs: page sizes,
// depth, and who may introspect. It runs before gqlgen's complexity limit, so page sizes that
// would overflow its arithmetic never reach it.
type operationLimits struct {
	// openIntrospection lets callers who are not signed in introspect (demo mode).
	openIntrospection bool
}

func (operationLimits) ExtensionName() string                   { return "OperationLimits" }
func (operationLimits) Validate(graphql.ExecutableSchema) error { return nil }

func (l operationLimits) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if err := checkPages(oc.Operation.SelectionSet, oc.Doc.Fragments, oc.Variables, 0); err != nil {
		return err
	}
	if depth(oc.Operation.SelectionSet, oc.Doc.Fragments, 0) > MaxDepth {
		return limitError(errcode.ValidationFailed, "The operation is nested more than %d levels deep; split it into several.", MaxDepth)
	}
	signedIn := viewer.FromContext(ctx) != nil
	oc.DisableIntrospection = !signedIn && !l.openIntrospection
	if oc.DisableIntrospection && introspects(oc.Operation.SelectionSet, oc.Doc.Fragments, 0) {
		return limitError("UNAUTHENTICATED", "Sign in (or send an API key) to introspect the schema.")
	}
	return nil
}

// checkPages refuses a first or last outside 0..MaxPage anywhere in the operation.
func checkPages(set ast.SelectionSet, frags ast.FragmentDefinitionList, vars map[string]any, level int) *gqlerror.Error {
	if level > MaxDepth+1 {
		return nil // too deep: the depth check refuses it
	}
	for _, s := range set {
		var err *gqlerror.Error
		switch s := s.(type) {
		case *ast.Field:
			args := s.ArgumentMap(vars)
			for _, name := range []string{"first", "last"} {
				if v, ok := args[name]; ok && v != nil {
					if n, ok := v.(int64); !ok || n < 0 || n > MaxPage {
						return limitError(errcode.ValidationFailed,
							"%s on %s must be between 0 and %d, e.g. %s: 100; page through longer lists with after or before.",
							name, s.Name, MaxPage, name)
					}
				}
			}
			err = checkPages(s.SelectionSet, frags, vars, level+1)
		case *ast.InlineFragment:
			err = checkPages(s.SelectionSet, frags, vars, level)
		case *ast.FragmentSpread:
			if f := frags.ForName(s.Name); f != nil {
				err = checkPages(f.SelectionSet, frags, vars, level)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func depth(set ast.SelectionSet, frags ast.FragmentDefinitionList, level int) int {
	if level > MaxDepth+1 { // deep enough to refuse; fragments cannot make it loop
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

// introspects reports whether the root selection asks for __schema or __type (__typename is
// not introspection of the schema).
func introspects(set ast.SelectionSet, frags ast.FragmentDefinitionList, level int) bool {
	if level > 8 {
		return false
	}
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				return true
			}
		case *ast.InlineFragment:
			if introspects(s.SelectionSet, frags, level+1) {
				return true
			}
		case *ast.FragmentSpread:
			if f := frags.ForName(s.Name); f != nil && introspects(f.SelectionSet, frags, level+1) {
				return true
			}
		}
	}
	return false
}

// page is a connection's complexity: its page size times its selection, saturating rather than
// overflowing.
func page(child int, first, last *int) int {
	n := unboundedPage
	switch {
	case first != nil:
		n = *first
	case last != nil:
		n = *last
	}
	n = max(1, min(n, MaxPage))
	if child > (math.MaxInt32-1)/n {
		return math.MaxInt32
	}
	return 1 + child*n
}
