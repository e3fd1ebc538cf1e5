package api

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// depthLimit refuses operations nested deeper than Max fields, before they
// run: lineage is a graph, and sources { sources { … } } has no natural end.
type depthLimit struct{ Max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if depth := selectionDepth(oc.Operation.SelectionSet, 0); depth > d.Max {
		err := gqlerror.Errorf("query is %d levels deep; the limit is %d", depth, d.Max)
		err.Extensions = map[string]any{"code": "LIMIT_EXCEEDED"}
		return err
	}
	return nil
}

// selectionDepth is the deepest field nesting in set. Fragments count where
// they are spread; the visited guard stops cycles, which validation rejects
// anyway.
func selectionDepth(set ast.SelectionSet, seen int) int {
	if seen > 1000 {
		return seen
	}
	deepest := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				// Introspection (__schema, __type) is bounded by the
				// schema itself; GraphiQL's query is 15 levels deep.
				continue
			}
			d = 0
			if len(s.SelectionSet) > 0 {
				d = selectionDepth(s.SelectionSet, seen+1)
			}
			d++
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, seen)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				d = selectionDepth(s.Definition.SelectionSet, seen)
			}
		}
		if d > deepest {
			deepest = d
		}
	}
	return deepest
}
