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
	if err := dir.Validate(); err != nil {
		return nil, err
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

// Lineage answers q with lineage.TraverseWith inside one read transaction,
// over a txExpander: a query per level and step, whose frontier nodes are
// found by the element ids the previous level returned (stable within the
// transaction), with no index lookup. Past Depth, where nodes are looked at
// only to tell whether the answer was cut, the expander's HasUnheld returns
// just the element ids of their neighbours, to be checked against the held
// nodes', rather than every edge with its far end (in a deep answer that
// level is the biggest, and was a third of the time).
//
// Measured alternatives (see bench/README.md): one query per level for both
// steps at once was no faster; the time goes to reading and sending the far
// ends of thousands of edges in the deep levels, not to round trips. One
// variable-length query for all levels cannot give the answer by itself
// (new nodes taken level by level in NodeRef order until Limit, edges from
// expanded nodes to held ones), and rebuilding it from paths costs more
// (paths multiply at every diamond).
//
// A quantified path pattern was measured too (Neo4j 5.26 Community, the
// scale workload, small size): one statement reading every node within
// Depth (ANY SHORTEST (s)((a)-[r]-(b) WHERE <the step's direction for
// type(r)>){1,Depth}(y)) with its edges, traversed in memory. Upstream at
// depth 3 from the chain's middle it took 10 ms against 13.5 ms level by
// level; at depth 10 one statement ran for more than 200 s, against a p50
// of 45 ms level by level (the steps mix directions, so the pattern is
// undirected with a predicate on each relationship's direction, and the
// search did not prune early). The walk level by level is kept: its cost
// is bounded by Depth.
func (s *Store) Lineage(ctx context.Context, q lineage.LineageQuery) (lineage.Graph, error) {
	if err := q.Validate(); err != nil {
		return lineage.Graph{}, err
	}
	return read(ctx, s, func(tx neo.ManagedTransaction) (lineage.Graph, error) {
		return lineage.TraverseWith(ctx, &txExpander{tx: tx, start: q.Start, ids: newElementIDs()}, q)
	})
}

// txExpander is a lineage.Peeker over one read transaction, for one
// traversal: it remembers the element id of every node it meets, so that
// the next frontier is found by id and HasUnheld can compare ids.
type txExpander struct {
	tx    neo.ManagedTransaction
	start lineage.NodeRef
	ids   *elementIDs
}

func (x *txExpander) Expand(ctx context.Context, frontier []lineage.NodeRef, dir lineage.EdgeDirection, rels []lineage.Relation) ([]lineage.Edge, error) {
	return edgesInTx(ctx, x.tx, x.ids, frontier, dir, rels)
}

// HasUnheld reads only the element ids of the frontier's neighbours. A
// held node is the start or a far end of an edge Expand returned, so once
// the start's id is known (it is from the first level on, the start having
// had an edge), an id never met is a node not held. Before that (Depth 0)
// it reads the edges whole.
func (x *txExpander) HasUnheld(ctx context.Context, frontier []lineage.NodeRef, dir lineage.EdgeDirection, rels []lineage.Relation, held func(lineage.NodeRef) bool) (bool, error) {
	var frontierIDs []string
	for _, n := range frontier {
		id, ok := x.ids.byRef[n]
		if !ok {
			frontierIDs = nil
			break
		}
		frontierIDs = append(frontierIDs, id)
	}
	if _, ok := x.ids.byRef[x.start]; !ok || frontierIDs == nil {
		es, err := x.Expand(ctx, frontier, dir, rels)
		if err != nil {
			return false, err
		}
		for _, e := range es {
			far := e.To
			if dir == lineage.Incoming {
				far = e.From
			}
			if !held(far) {
				return true, nil
			}
		}
		return false, nil
	}
	pattern, ok := relPattern(dir, rels)
	if !ok {
		return false, nil
	}
	res, err := x.tx.Run(ctx, "UNWIND $ids AS id MATCH (x) WHERE elementId(x) = id MATCH (x)"+pattern+"(y) RETURN DISTINCT elementId(y), y.project",
		map[string]any{"ids": frontierIDs})
	if err != nil {
		return false, err
	}
	for res.Next(ctx) {
		n, met := x.ids.byID[str(res.Record().Values[0])]
		if !met {
			// Never met, so not held; held still tells whether its
			// project may be shown, which is all it needs to know.
			n = lineage.NodeRef{Project: str(res.Record().Values[1])}
		}
		if !held(n) {
			_, err := res.Consume(ctx)
			return true, err
		}
	}
	return false, res.Err()
}

// elementIDs are the element ids of the nodes one transaction has met, both
// ways. Element ids are stable within one transaction only.
type elementIDs struct {
	byRef map[lineage.NodeRef]string
	byID  map[string]lineage.NodeRef
}

func newElementIDs() *elementIDs {
	return &elementIDs{byRef: map[lineage.NodeRef]string{}, byID: map[string]lineage.NodeRef{}}
}

// lookup returns n's element id; ids may be nil.
func (ids *elementIDs) lookup(n lineage.NodeRef) (string, bool) {
	if ids == nil {
		return "", false
	}
	id, ok := ids.byRef[n]
	return id, ok
}

// record notes that n has element id id; ids may be nil.
func (ids *elementIDs) record(n lineage.NodeRef, id string) {
	if ids == nil {
		return
	}
	if _, ok := ids.byRef[n]; !ok {
		ids.byRef[n] = id
		ids.byID[id] = n
	}
}

// edgesInTx returns the edges of rels leaving or entering nodes, unsorted,
// repeated when a node is. Nodes whose element id ids holds are found by
// it, the others by their identity; when ids is not nil, the element ids of
// both ends are recorded in it. ids must not outlive tx.
func edgesInTx(ctx context.Context, tx neo.ManagedTransaction, ids *elementIDs, nodes []lineage.NodeRef, dir lineage.EdgeDirection, rels []lineage.Relation) ([]lineage.Edge, error) {
	pattern, ok := relPattern(dir, rels)
	if !ok || len(nodes) == 0 {
		return nil, nil
	}
	name := "null" // only links and reads have names: skip reading them otherwise
	if len(rels) == 0 || slices.Contains(rels, lineage.RelLinksTo) || slices.Contains(rels, lineage.RelConsumed) {
		name = "r.name"
	}
	// One row per node, its edges collected: fewer, bigger records are
	// cheaper to send than one per edge.
	expand := " MATCH (x)" + pattern + "(y) RETURN n.i, elementId(x), collect([type(r), " + name + ", y:Run, y.project, y.uid, elementId(y)])"
	var byID, versions, runs []any
	for i, n := range nodes {
		p := map[string]any{"i": int64(i), "project": n.Project, "uid": n.UID}
		if id, ok := ids.lookup(n); ok {
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
			ids.record(near, str(rec[1]))
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
				ids.record(far, str(v[5]))
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
