package api

import (
	"github.com/artigraph/artigraph/graph"
	"github.com/artigraph/artigraph/graph/model"
	"github.com/artigraph/artigraph/lineage"
)

// Assumed sizes of lists that take no size argument (sources, consumers…):
// an estimate, so that nesting them multiplies the cost.
const assumedListSize = 10

// setComplexity makes list fields cost what they may return, so that the
// complexity limit bounds the work of a query, not only its size.
func setComplexity(c *graph.ComplexityRoot) {
	defaults := lineage.DefaultConfig()
	sized := func(n *int, def int) func(child int) int {
		size := def
		if n != nil && *n > 0 {
			size = *n
		}
		return func(child int) int { return 1 + child*size }
	}
	list := func(child int) int { return 1 + child*assumedListSize }

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
	c.ArtifactVersion.Sources = list
	c.ArtifactVersion.Consumers = list
	c.ArtifactVersion.Links = list
	c.ArtifactVersion.LinkedFrom = list
	c.Run.Inputs = list
	c.Run.Outputs = list
	c.Pipeline.Runs = list
}
