package server

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// depthLimit refuses operations nested deeper than Max, before any resolver
// runs. Introspection fields are not counted: GraphiQL's own introspection
// query is deep by design and cheap to answer.
type depthLimit struct{ Max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if depth := selectionDepth(oc.Operation.SelectionSet, oc.Doc.Fragments, 0); depth > d.Max {
		err := gqlerror.Errorf("operation is nested %d levels deep; the limit is %d", depth, d.Max)
		err.Extensions = map[string]any{"code": "LIMIT_EXCEEDED"}
		return err
	}
	return nil
}

// complexityLimit is gqlgen's complexity limit answering with code
// LIMIT_EXCEEDED, like the depth and size limits, instead of gqlgen's own
// COMPLEXITY_LIMIT_EXCEEDED.
type complexityLimit struct{ *extension.ComplexityLimit }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = complexityLimit{}

func (c complexityLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	err := c.ComplexityLimit.MutateOperationContext(ctx, oc)
	if err != nil {
		err.Extensions = map[string]any{"code": "LIMIT_EXCEEDED"}
	}
	return err
}

func selectionDepth(set ast.SelectionSet, frags ast.FragmentDefinitionList, seen int) int {
	if seen > 64 { // fragment cycles are rejected by validation; this only bounds the walk
		return seen
	}
	best := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.Name) > 1 && s.Name[:2] == "__" {
				continue
			}
			d = 1 + selectionDepth(s.SelectionSet, frags, seen+1)
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, frags, seen+1)
		case *ast.FragmentSpread:
			if f := frags.ForName(s.Name); f != nil {
				d = selectionDepth(f.SelectionSet, frags, seen+1)
			}
		}
		best = max(best, d)
	}
	return best
}
