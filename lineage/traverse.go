package lineage

import (
	"context"
	"slices"
)

// EdgesFunc is Store.Edges; Traverse takes it so that every backend can share
// one definition of a lineage answer.
type EdgesFunc func(ctx context.Context, nodes []NodeRef, dir EdgeDirection, rels ...Relation) ([]Edge, error)

// step is one way of leaving a node in a traversal direction: along rels in dir.
type step struct {
	dir  EdgeDirection
	rels []Relation
}

// Upstream walks toward origins: a version's producer run (PRODUCED, entering)
// and sources (DERIVED_FROM, leaving), a run's inputs (CONSUMED, leaving).
// Downstream walks the reverse. LINKS_TO is not lineage.
var traversalSteps = map[Direction][]step{
	Upstream: {
		{Outgoing, []Relation{RelConsumed, RelDerivedFrom}},
		{Incoming, []Relation{RelProduced}},
	},
	Downstream: {
		{Incoming, []Relation{RelConsumed, RelDerivedFrom}},
		{Outgoing, []Relation{RelProduced}},
	},
}

// neighbourEdges returns the edges leading one hop from nodes in direction d,
// each paired with its far end.
func neighbourEdges(ctx context.Context, edges EdgesFunc, nodes []NodeRef, d Direction) ([]Edge, []NodeRef, error) {
	var out []Edge
	var far []NodeRef
	for _, s := range traversalSteps[d] {
		es, err := edges(ctx, nodes, s.dir, s.rels...)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range es {
			out = append(out, e)
			if s.dir == Outgoing {
				far = append(far, e.To)
			} else {
				far = append(far, e.From)
			}
		}
	}
	return out, far, nil
}

// Traverse answers a LineageQuery breadth first over edges. Level by level,
// new nodes are taken in NodeRef order until Limit nodes are held; an edge is
// kept when it leads from an expanded node to a held one. Truncated is set
// when Limit left a node out or when nodes at Depth have unvisited neighbours.
// One call to edges per step and level: the cost is bounded by Depth.
func Traverse(ctx context.Context, edges EdgesFunc, q LineageQuery) (Graph, error) {
	if q.Depth < 0 || q.Limit < 1 {
		return Graph{}, Errorf(EINVALID, "depth must be at least 0 and limit at least 1")
	}
	if _, ok := traversalSteps[q.Direction]; !ok {
		return Graph{}, Errorf(EINVALID, "unknown lineage direction %q", q.Direction)
	}
	held := map[NodeRef]int{q.Start: 0}
	g := Graph{Nodes: []GraphNode{{Ref: q.Start, Depth: 0}}}
	frontier := []NodeRef{q.Start}
	for depth := 1; len(frontier) > 0; depth++ {
		es, far, err := neighbourEdges(ctx, edges, frontier, q.Direction)
		if err != nil {
			return Graph{}, err
		}
		var fresh []NodeRef
		for _, n := range far {
			if _, ok := held[n]; !ok {
				fresh = append(fresh, n)
			}
		}
		if depth > q.Depth {
			// Nodes at Depth were reached but not expanded: peek only to
			// tell whether the answer was cut.
			g.Truncated = g.Truncated || len(fresh) > 0
			break
		}
		slices.SortFunc(fresh, compareNodes)
		fresh = slices.Compact(fresh)
		var next []NodeRef
		for _, n := range fresh {
			if len(g.Nodes) >= q.Limit {
				g.Truncated = true
				break
			}
			held[n] = depth
			g.Nodes = append(g.Nodes, GraphNode{Ref: n, Depth: depth})
			next = append(next, n)
		}
		for i, e := range es {
			if _, ok := held[far[i]]; ok {
				g.Edges = append(g.Edges, e)
			}
		}
		frontier = next
	}
	SortEdges(g.Edges)
	g.Edges = slices.Compact(g.Edges)
	return g, nil
}

func compareNodes(a, b NodeRef) int {
	switch {
	case a.Less(b):
		return -1
	case b.Less(a):
		return 1
	}
	return 0
}

// CompareEdges orders edges by (From, To, Relation, Name).
func CompareEdges(a, b Edge) int {
	if c := compareNodes(a.From, b.From); c != 0 {
		return c
	}
	if c := compareNodes(a.To, b.To); c != 0 {
		return c
	}
	if a.Relation != b.Relation {
		if a.Relation < b.Relation {
			return -1
		}
		return 1
	}
	switch {
	case a.Name < b.Name:
		return -1
	case a.Name > b.Name:
		return 1
	}
	return 0
}

// SortEdges sorts edges in the order Store.Edges returns them.
func SortEdges(es []Edge) { slices.SortFunc(es, CompareEdges) }
