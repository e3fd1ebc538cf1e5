package api

import (
	"github.com/artigraph/artigraph/graph"
	"github.com/artigraph/artigraph/graph/model"
	"github.com/artigraph/artigraph/lineage"
)

// maxCostedSize caps a list size before it multiplies: sizes over the page
// maximum are refused by the resolver anyway, and the cap keeps the product
// from overflowing.
const maxCostedSize = 1 << 20

// setComplexity makes a query cost the objects its answer may hold, so that
// the complexity limit bounds the work of a query, not only its size: an
// object field costs 1 plus its fields, a list costs its bound times that,
// and a scalar or enum field nothing of its own (it is a value of an object
// already loaded, costed in measurer.field), except those a resolver computes
// (yaml, downloadUrl), which cost 1. Lineage and impact cost their limit
// times what one node asks: a node (its artifact or run, whichever costs
// more, is the node's own object) and one edge; an artifact or a run
// (measurer's sharedBound), a pipeline, and for counts a fixed 1 (a handful
// of numbers, from the walk the listing makes anyway). At the default
// budget, 50,000, every query the API documents passes at its maximum
// limits (TestDocumentedQueriesFitTheBudget).
func setComplexity(c *graph.ComplexityRoot) {
	defaults := lineage.DefaultConfig()
	sized := func(n *int, def int) func(child int) int {
		size := def
		if n != nil && *n > 0 {
			size = min(*n, maxCostedSize)
		}
		// An item costs what is asked of it, and at least 1: a page's or a
		// traversal's child is the items' fields (edges, nodes), an edge
		// list's items are themselves objects.
		return func(child int) int { return 1 + max(min(child, saturated/maxCostedSize), 1)*size }
	}

	c.Query.Artifacts = func(child int, _ string, _ *model.ArtifactFilter, first *int, _ *string) int {
		return sized(first, defaults.DefaultPageSize)(child)
	}
	c.Query.Runs = func(child int, _ string, first *int, _ *string) int {
		return sized(first, defaults.DefaultPageSize)(child)
	}
	c.Query.Lineage = func(child int, _ string, _ model.LineageDirection, _ *int, limit *int) int {
		return sized(limit, defaults.DefaultLineageLimit)(child)
	}
	c.Query.Impact = func(child int, _ string, _ *int, limit *int) int {
		return sized(limit, defaults.DefaultLineageLimit)(child)
	}
	// The lists of one version's or run's edges cost their `first` bound
	// (its default when omitted), as their resolvers cut them to it.
	edges := func(child int, first *int) int { return sized(first, lineage.DefaultRunEdges)(1 + child) }
	c.ArtifactVersion.Sources = edges
	c.ArtifactVersion.Consumers = edges
	c.ArtifactVersion.Links = edges
	c.ArtifactVersion.LinkedFrom = edges
	c.Run.Inputs = edges
	c.Run.Outputs = edges
	c.Pipeline.Runs = func(child int, first *int, _ *string) int {
		return sized(first, defaults.DefaultPageSize)(1 + child)
	}
	one := func(int) int { return 1 }
	c.ArtifactVersion.Yaml = one
	c.ArtifactVersion.DownloadURL = one
	c.ImpactReport.Counts = one
	// A lineage node's artifact or run is the node's own object, loaded
	// with its level: it costs what is asked of it, not one more.
	c.LineageNode.Artifact = func(child int) int { return child }
	c.LineageNode.Run = func(child int) int { return child }
}
