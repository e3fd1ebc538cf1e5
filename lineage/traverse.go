package lineage

import (
	"context"
	"slices"
	"strings"
)

// EdgesFunc is Store.Edges; Traverse takes it so that every backend can share
// one definition of a lineage answer. It is an Expander.
type EdgesFunc func(ctx context.Context, nodes []NodeRef, dir EdgeDirection, rels ...Relation) ([]Edge, error)

// Expand calls f.
func (f EdgesFunc) Expand(ctx context.Context, frontier []NodeRef, dir EdgeDirection, rels []Relation) ([]Edge, error) {
	return f(ctx, frontier, dir, rels...)
}

// Expander is how TraverseWith reads the graph: a backend that can expand a
// whole frontier in one round trip plugs in here, and Traverse keeps the
// steps and the order of the answer.
type Expander interface {
	// Expand returns the edges of rels leaving (Outgoing) or entering
	// (Incoming) the frontier nodes, in any order; an edge may repeat.
	Expand(ctx context.Context, frontier []NodeRef, dir EdgeDirection, rels []Relation) ([]Edge, error)
}

// Peeker is an Expander that can also tell, more cheaply than by reading
// them, whether edges lead out of what a traversal holds. TraverseWith uses
// it past Depth, where nodes are looked at only to tell whether the answer
// was cut.
type Peeker interface {
	Expander
	// HasUnheld reports whether an edge of rels leaving (Outgoing) or
	// entering (Incoming) a frontier node has a far end for which held is
	// false.
	HasUnheld(ctx context.Context, frontier []NodeRef, dir EdgeDirection, rels []Relation, held func(NodeRef) bool) (bool, error)
}

// GraphReader is a Store that can lend its graph, held still, to a walk
// through much of it: Impact walks a GraphReader's snapshot rather than
// calling Edges, which builds (and sorts) every edge of a frontier.
// Optional; the rules of the walk stay in lineage.
type GraphReader interface {
	// ReadGraph calls read with the graph as one consistent snapshot, valid
	// until read returns, and returns read's error.
	ReadGraph(ctx context.Context, read func(GraphSnapshot) error) error
}

// Unwrapper is a Store that wraps another (to time its calls, say): Impact
// looks through it for a GraphReader, which the wrapper need not forward.
type Unwrapper interface {
	Unwrap() Store
}

// graphReaderOf returns s, or the store it wraps (through Unwrapper), as a
// GraphReader.
func graphReaderOf(s Store) (GraphReader, bool) {
	for s != nil {
		if r, ok := s.(GraphReader); ok {
			return r, true
		}
		u, ok := s.(Unwrapper)
		if !ok {
			break
		}
		s = u.Unwrap()
	}
	return nil, false
}

// GraphSnapshot is a store's lineage graph with its nodes numbered: ids are
// small non-negative integers, meaningful only within one ReadGraph call.
type GraphSnapshot interface {
	// ID returns the id of n; false when the graph does not hold n.
	ID(n NodeRef) (int32, bool)
	// Ref returns the node with this id.
	Ref(id int32) NodeRef
	// AppendPeers appends to dst the far ends of the edges of rels leaving
	// (Outgoing) or entering (Incoming) the frontier nodes, in any order,
	// repeats included, and returns it.
	AppendPeers(dst, frontier []int32, dir EdgeDirection, rels []Relation) []int32
	// Kind returns the kind of the version an artifact node is; false when
	// the version is not stored.
	Kind(id int32) (Kind, bool)
	// Pipeline returns the pipeline ("" for none) of the run a run node is;
	// false when the run is not stored.
	Pipeline(id int32) (string, bool)
}

// step is one way of leaving a node in a traversal direction: along rels in dir.
type step struct {
	dir  EdgeDirection
	rels []Relation
}

// far returns the end of e that a traversal along s reaches.
func (s step) far(e Edge) NodeRef {
	if s.dir == Outgoing {
		return e.To
	}
	return e.From
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

// neighbourEdges returns the edges leading one hop from nodes along steps,
// each paired with its far end.
func neighbourEdges(ctx context.Context, x Expander, nodes []NodeRef, steps []step) ([]Edge, []NodeRef, error) {
	var out []Edge
	var far []NodeRef
	for _, s := range steps {
		es, err := x.Expand(ctx, nodes, s.dir, s.rels)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range es {
			out = append(out, e)
			far = append(far, s.far(e))
		}
	}
	return out, far, nil
}

// anyUnheld reports whether a node of frontier has a neighbour along steps
// for which held is false, asking x's HasUnheld when it has one.
func anyUnheld(ctx context.Context, x Expander, frontier []NodeRef, steps []step, held func(NodeRef) bool) (bool, error) {
	for _, s := range steps {
		if p, ok := x.(Peeker); ok {
			found, err := p.HasUnheld(ctx, frontier, s.dir, s.rels, held)
			if err != nil || found {
				return found, err
			}
			continue
		}
		es, err := x.Expand(ctx, frontier, s.dir, s.rels)
		if err != nil {
			return false, err
		}
		for _, e := range es {
			if !held(s.far(e)) {
				return true, nil
			}
		}
	}
	return false, nil
}

// Traverse answers a LineageQuery breadth first over edges: TraverseWith
// over an EdgesFunc.
func Traverse(ctx context.Context, edges EdgesFunc, q LineageQuery) (Graph, error) {
	return TraverseWith(ctx, edges, q)
}

// TraverseWith answers a LineageQuery breadth first over x; it is the one
// traversal every backend answers with. Level by level, new nodes are taken
// in NodeRef order until Limit nodes are held; an edge is kept when it leads
// from an expanded node to a held one. Truncated is set when Limit left a
// node out or when nodes at Depth have unvisited neighbours (found with
// HasUnheld when x is a Peeker). One call to x per step and level: the cost
// is bounded by Depth.
func TraverseWith(ctx context.Context, x Expander, q LineageQuery) (Graph, error) {
	if err := q.Validate(); err != nil {
		return Graph{}, err
	}
	steps := traversalSteps[q.Direction]
	visible := q.Visible
	if visible == nil {
		visible = func(string) bool { return true }
	}
	hidden := map[NodeRef]bool{}
	held := map[NodeRef]int{q.Start: 0}
	g := Graph{Nodes: []GraphNode{{Ref: q.Start, Depth: 0}}}
	frontier := []NodeRef{q.Start}
	for depth := 1; len(frontier) > 0; depth++ {
		if depth > q.Depth {
			// Nodes at Depth were reached but not expanded: peek only to
			// tell whether the answer was cut.
			// A hidden neighbour does not make the answer cut: saying so
			// would tell that something the caller may not see lies beyond.
			isHeld := func(n NodeRef) bool { _, ok := held[n]; return ok || !visible(n.Project) }
			cut, err := anyUnheld(ctx, x, frontier, steps, isHeld)
			if err != nil {
				return Graph{}, err
			}
			g.Truncated = g.Truncated || cut
			break
		}
		es, far, err := neighbourEdges(ctx, x, frontier, steps)
		if err != nil {
			return Graph{}, err
		}
		var fresh []NodeRef
		for _, n := range far {
			if !visible(n.Project) {
				hidden[n] = true // left out, and not walked through
				continue
			}
			if _, ok := held[n]; !ok {
				fresh = append(fresh, n)
			}
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
	g.Hidden = len(hidden)
	return g, nil
}

// compareNodes is NodeRef.Less as a three-way comparison, one string
// comparison per field: sorting big levels spends its time here.
func compareNodes(a, b NodeRef) int {
	if c := strings.Compare(string(a.Type), string(b.Type)); c != 0 {
		return c
	}
	if c := strings.Compare(a.Project, b.Project); c != 0 {
		return c
	}
	return strings.Compare(a.UID, b.UID)
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

// Validate checks a query before any store is asked: a depth of at least 0,
// a limit of at least 1 and a known direction.
func (q LineageQuery) Validate() error {
	if q.Depth < 0 || q.Limit < 1 {
		return Errorf(EINVALID, "depth must be at least 0 and limit at least 1")
	}
	if _, ok := traversalSteps[q.Direction]; !ok {
		return Errorf(EINVALID, "unknown lineage direction %q", q.Direction)
	}
	return nil
}
