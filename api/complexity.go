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

// setComplexity makes list fields cost what they may return, so that the
// complexity limit bounds the work of a query, not only its size.
func setComplexity(c *graph.ComplexityRoot) {
	defaults := lineage.DefaultConfig()
	sized := func(n *int, def int) func(child int) int {
		size := def
		if n != nil && *n > 0 {
			size = min(*n, maxCostedSize)
		}
		return func(child int) int { return 1 + min(child, saturated/maxCostedSize)*size }
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
	edges := func(child int, first *int) int { return sized(first, lineage.DefaultRunEdges)(child) }
	c.ArtifactVersion.Sources = edges
	c.ArtifactVersion.Consumers = edges
	c.ArtifactVersion.Links = edges
	c.ArtifactVersion.LinkedFrom = edges
	c.Run.Inputs = edges
	c.Run.Outputs = edges
	c.Pipeline.Runs = func(child int, first *int, _ *string) int {
		return sized(first, defaults.DefaultPageSize)(child)
	}
}
