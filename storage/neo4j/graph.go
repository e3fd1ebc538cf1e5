package neo4j

import (
	"context"
	"fmt"
	"slices"
	"strings"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/artigraph/artigraph/lineage"
)

// relations are the relationship types that are lineage.Relations; a query
// names only these, so that no relationship added to the model later is
// ever taken for an edge.
var relations = []lineage.Relation{lineage.RelConsumed, lineage.RelProduced, lineage.RelDerivedFrom, lineage.RelLinksTo}

// relPattern returns the relationship pattern of a query for edges of rels
// (all when none given) in direction dir, e.g. "-[r:CONSUMED|DERIVED_FROM]->",
// built from the known relations only; ok is false when rels names none of
// them.
func relPattern(dir lineage.EdgeDirection, rels []lineage.Relation) (pattern string, ok bool) {
	var types []string
	for _, r := range relations {
		if len(rels) == 0 || slices.Contains(rels, r) {
			types = append(types, string(r))
		}
	}
	if len(types) == 0 {
		return "", false
	}
	if dir == lineage.Outgoing {
		return "-[r:" + strings.Join(types, "|") + "]->", true
	}
	return "<-[r:" + strings.Join(types, "|") + "]-", true
}

// Edges returns the edges of the given relations leaving or entering nodes,
// sorted by (From, To, Relation, Name).
func (s *Store) Edges(ctx context.Context, nodes []lineage.NodeRef, dir lineage.EdgeDirection, rels ...lineage.Relation) ([]lineage.Edge, error) {
	if dir != lineage.Outgoing && dir != lineage.Incoming {
		return nil, lineage.Errorf(lineage.EINVALID, "unknown edge direction %d", dir)
	}
	if len(nodes) == 0 {
		return nil, nil
	}
	es, err := read(ctx, s, func(tx neo.ManagedTransaction) ([]lineage.Edge, error) {
		return edgesInTx(ctx, tx, nil, nodes, dir, rels)
	})
	if err != nil {
		return nil, err
	}
	lineage.SortEdges(es)
	return slices.Compact(es), nil
}

// Lineage answers q as lineage.Traverse does over Edges (the suite checks
// it on every query), level by level inside one read transaction: a query
// per level and step, whose frontier nodes are found by the element ids the
// previous level returned (stable within the transaction), with no index
// lookup. It is Traverse, step for step, except for the last level: nodes
// at Depth are expanded only to tell whether the answer was cut, so there a
// query returns just the element ids of their neighbours, to be checked
// against the held nodes', rather than every edge with its far end (in a
// deep answer that level is the biggest, and was a third of the time).
//
// Measured alternatives (see bench/README.md): one query per level for both
// steps at once was no faster; the time goes to reading and sending the far
// ends of thousands of edges in the deep levels, not to round trips. One
// variable-length query for all levels cannot give the answer by itself
// (new nodes taken level by level in NodeRef order until Limit, edges from
// expanded nodes to held ones), and rebuilding it from paths costs more
// (paths multiply at every diamond).
func (s *Store) Lineage(ctx context.Context, q lineage.LineageQuery) (lineage.Graph, error) {
	steps, ok := lineageSteps[q.Direction]
	if q.Depth < 0 || q.Limit < 1 || !ok {
		return lineage.Traverse(ctx, nil, q) // the error Traverse gives
	}
	return read(ctx, s, func(tx neo.ManagedTransaction) (lineage.Graph, error) {
		ids := map[lineage.NodeRef]string{}
		held := map[lineage.NodeRef]int{q.Start: 0}
		g := lineage.Graph{Nodes: []lineage.GraphNode{{Ref: q.Start, Depth: 0}}}
		frontier := []lineage.NodeRef{q.Start}
		for depth := 1; len(frontier) > 0; depth++ {
			if depth > q.Depth {
				beyond, err := anyBeyond(ctx, tx, ids, held, frontier, steps)
				if err != nil {
					return lineage.Graph{}, err
				}
				g.Truncated = g.Truncated || beyond
				break
			}
			var es []lineage.Edge
			var far []lineage.NodeRef
			for _, st := range steps {
				part, err := edgesInTx(ctx, tx, ids, frontier, st.dir, st.rels)
				if err != nil {
					return lineage.Graph{}, err
				}
				for _, e := range part {
					es = append(es, e)
					if st.dir == lineage.Outgoing {
						far = append(far, e.To)
					} else {
						far = append(far, e.From)
					}
				}
			}
			var fresh []lineage.NodeRef
			for _, n := range far {
				if _, ok := held[n]; !ok {
					fresh = append(fresh, n)
				}
			}
			slices.SortFunc(fresh, compareNodes)
			fresh = slices.Compact(fresh)
			var next []lineage.NodeRef
			for _, n := range fresh {
				if len(g.Nodes) >= q.Limit {
					g.Truncated = true
					break
				}
				held[n] = depth
				g.Nodes = append(g.Nodes, lineage.GraphNode{Ref: n, Depth: depth})
				next = append(next, n)
			}
			for i, e := range es {
				if _, ok := held[far[i]]; ok {
					g.Edges = append(g.Edges, e)
				}
			}
			frontier = next
		}
		lineage.SortEdges(g.Edges)
		g.Edges = slices.Compact(g.Edges)
		return g, nil
	})
}

func compareNodes(a, b lineage.NodeRef) int {
	switch {
	case a.Less(b):
		return -1
	case b.Less(a):
		return 1
	}
	return 0
}

// anyBeyond reports whether a node of frontier has a neighbour along steps
// that is not held. It compares element ids, which every held node has once
// an earlier level found it; if one does not (the start, when Depth is 0),
// it reads the edges whole.
func anyBeyond(ctx context.Context, tx neo.ManagedTransaction, ids map[lineage.NodeRef]string, held map[lineage.NodeRef]int, frontier []lineage.NodeRef, steps [2]lineageStep) (bool, error) {
	heldIDs := map[string]bool{}
	var frontierIDs []string
	for n := range held {
		id, ok := ids[n]
		if !ok {
			return anyBeyondSlow(ctx, tx, ids, held, frontier, steps)
		}
		heldIDs[id] = true
	}
	for _, n := range frontier {
		frontierIDs = append(frontierIDs, ids[n])
	}
	for _, st := range steps {
		pattern, ok := relPattern(st.dir, st.rels)
		if !ok {
			continue
		}
		res, err := tx.Run(ctx, "UNWIND $ids AS id MATCH (x) WHERE elementId(x) = id MATCH (x)"+pattern+"(y) RETURN DISTINCT elementId(y)",
			map[string]any{"ids": frontierIDs})
		if err != nil {
			return false, err
		}
		for res.Next(ctx) {
			if !heldIDs[str(res.Record().Values[0])] {
				_, err := res.Consume(ctx)
				return true, err
			}
		}
		if err := res.Err(); err != nil {
			return false, err
		}
	}
	return false, nil
}

func anyBeyondSlow(ctx context.Context, tx neo.ManagedTransaction, ids map[lineage.NodeRef]string, held map[lineage.NodeRef]int, frontier []lineage.NodeRef, steps [2]lineageStep) (bool, error) {
	for _, st := range steps {
		es, err := edgesInTx(ctx, tx, ids, frontier, st.dir, st.rels)
		if err != nil {
			return false, err
		}
		for _, e := range es {
			far := e.To
			if st.dir == lineage.Incoming {
				far = e.From
			}
			if _, ok := held[far]; !ok {
				return true, nil
			}
		}
	}
	return false, nil
}

// lineageStep is one way of leaving a node in a traversal direction.
type lineageStep struct {
	dir  lineage.EdgeDirection
	rels []lineage.Relation
}

// lineageSteps are the steps of lineage.Traverse, in its order: upstream, a
// version's sources and a run's inputs, then a version's producer run;
// downstream the reverse. LINKS_TO is not lineage.
var lineageSteps = map[lineage.Direction][2]lineageStep{
	lineage.Upstream: {
		{lineage.Outgoing, []lineage.Relation{lineage.RelConsumed, lineage.RelDerivedFrom}},
		{lineage.Incoming, []lineage.Relation{lineage.RelProduced}},
	},
	lineage.Downstream: {
		{lineage.Incoming, []lineage.Relation{lineage.RelConsumed, lineage.RelDerivedFrom}},
		{lineage.Outgoing, []lineage.Relation{lineage.RelProduced}},
	},
}

// edgesInTx returns the edges of rels leaving or entering nodes, unsorted,
// repeated when a node is. Nodes whose element id ids holds are found by
// it, the others by their identity; when ids is not nil, the element ids of
// the far ends are recorded in it. Element ids are stable within one
// transaction only, so ids must not outlive tx.
func edgesInTx(ctx context.Context, tx neo.ManagedTransaction, ids map[lineage.NodeRef]string, nodes []lineage.NodeRef, dir lineage.EdgeDirection, rels []lineage.Relation) ([]lineage.Edge, error) {
	pattern, ok := relPattern(dir, rels)
	if !ok || len(nodes) == 0 {
		return nil, nil
	}
	name := "null" // only links have names: skip reading them otherwise
	if len(rels) == 0 || slices.Contains(rels, lineage.RelLinksTo) {
		name = "r.name"
	}
	// One row per node, its edges collected: fewer, bigger records are
	// cheaper to send than one per edge.
	expand := " MATCH (x)" + pattern + "(y) RETURN n.i, elementId(x), collect([type(r), " + name + ", y:Run, y.project, y.uid, elementId(y)])"
	var byID, versions, runs []any
	for i, n := range nodes {
		p := map[string]any{"i": int64(i), "project": n.Project, "uid": n.UID}
		if id, ok := ids[n]; ok {
			p["id"] = id
			byID = append(byID, p)
			continue
		}
		switch n.Type {
		case lineage.NodeArtifact:
			versions = append(versions, p)
		case lineage.NodeRun:
			runs = append(runs, p)
		}
	}
	var out []lineage.Edge
	for _, part := range []struct {
		nodes []any
		match string
	}{
		{byID, "UNWIND $nodes AS n MATCH (x) WHERE elementId(x) = n.id"},
		{versions, "UNWIND $nodes AS n MATCH (x:Version {uid: n.uid}) WHERE x.project = n.project"},
		{runs, "UNWIND $nodes AS n MATCH (x:Run {project: n.project, uid: n.uid})"},
	} {
		if len(part.nodes) == 0 {
			continue
		}
		res, err := tx.Run(ctx, part.match+expand, map[string]any{"nodes": part.nodes})
		if err != nil {
			return nil, err
		}
		for res.Next(ctx) {
			rec := res.Record().Values
			near := nodes[num(rec[0])]
			if ids != nil {
				ids[near] = str(rec[1])
			}
			found, _ := rec[2].([]any)
			for _, f := range found {
				v, _ := f.([]any)
				if len(v) != 6 {
					return nil, fmt.Errorf("neo4j: unexpected edge row %v", f)
				}
				far := lineage.NodeRef{Type: lineage.NodeArtifact, Project: str(v[3]), UID: str(v[4])}
				if v[2] == true {
					far.Type = lineage.NodeRun
				}
				if ids != nil {
					ids[far] = str(v[5])
				}
				e := lineage.Edge{From: near, To: far, Relation: lineage.Relation(str(v[0])), Name: str(v[1])}
				if dir == lineage.Incoming {
					e.From, e.To = far, near
				}
				out = append(out, e)
			}
		}
		if err := res.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
