package lineage

import (
	"context"
	"slices"
	"strings"
)

// ParseNodeID reads a lineage node id: a store:// URI or "run:<project>/<uid>".
func (s *Service) ParseNodeID(ctx context.Context, id string) (NodeRef, error) {
	if rest, ok := strings.CutPrefix(id, "run:"); ok {
		project, uid, _ := strings.Cut(rest, "/")
		r, err := s.Run(ctx, RunKey{Project: project, UID: uid})
		if err != nil {
			return NodeRef{}, err
		}
		return RunNode(r.Key()), nil
	}
	v, _, err := s.Resolve(ctx, id)
	if err != nil {
		return NodeRef{}, err
	}
	return VersionNode(v), nil
}

// RunNodeID is a run's lineage node id.
func RunNodeID(k RunKey) string { return "run:" + k.Project + "/" + k.UID }

// Both asks Lineage for upstream and downstream at once.
const Both Direction = "BOTH"

// Lineage answers a lineage query from a node id. BOTH is the union of the
// upstream and downstream answers, sharing one node limit.
func (s *Service) Lineage(ctx context.Context, id string, dir Direction, depth, limit *int) (Graph, error) {
	if _, err := s.caller(ctx); err != nil {
		return Graph{}, err
	}
	d, l, err := s.bounds(depth, limit)
	if err != nil {
		return Graph{}, err
	}
	start, err := s.ParseNodeID(ctx, id)
	if err != nil {
		return Graph{}, err
	}
	visible, err := s.readable(ctx)
	if err != nil {
		return Graph{}, err
	}
	q := LineageQuery{Start: start, Direction: dir, Depth: d, Limit: l, Visible: visible}
	if dir != Both {
		return s.store.Lineage(ctx, q)
	}
	q.Direction = Upstream
	up, err := s.store.Lineage(ctx, q)
	if err != nil {
		return Graph{}, err
	}
	q.Direction, q.Limit = Downstream, l-len(up.Nodes)+1
	down, err := s.store.Lineage(ctx, q)
	if err != nil {
		return Graph{}, err
	}
	g := Graph{Nodes: append(up.Nodes, down.Nodes[1:]...), Edges: append(up.Edges, down.Edges...),
		Truncated: up.Truncated || down.Truncated, Hidden: up.Hidden + down.Hidden}
	slices.SortStableFunc(g.Nodes, func(a, b GraphNode) int {
		if a.Depth != b.Depth {
			return a.Depth - b.Depth
		}
		return compareNodes(a.Ref, b.Ref)
	})
	SortEdges(g.Edges)
	return g, nil
}

func (s *Service) bounds(depth, limit *int) (int, int, error) {
	d, l := s.Config.MaxLineageDepth, s.Config.DefaultLineageLimit
	if depth != nil {
		d = *depth
	}
	if limit != nil {
		l = *limit
	}
	switch {
	case d < 0:
		return 0, 0, Errorf(EINVALID, "depth must not be negative")
	case d > s.Config.MaxLineageDepth:
		return 0, 0, Errorf(ELIMIT, "depth may be at most %d", s.Config.MaxLineageDepth)
	case l < 1:
		return 0, 0, Errorf(EINVALID, "limit must be at least 1")
	case l > s.Config.MaxLineageLimit:
		return 0, 0, Errorf(ELIMIT, "limit may be at most %d", s.Config.MaxLineageLimit)
	}
	return d, l, nil
}

// Impact lists what depends on a version: the versions and runs downstream
// (within the listing's limit, shared between the two) and the pipelines
// those runs belong to. Its walk, or its counts, are kept for ImpactCounts.
type Impact struct {
	Versions  []string // uids
	Runs      []RunKey
	Pipelines []PipelineKey
	Truncated bool // depth, limit or MaxImpactNodes left something out
	Hidden    int  // nodes left out because the caller may not read their project

	walk   walk
	counts *ImpactCounts // counted with the walk, when the store is a GraphReader
}

// PipelineKey names a pipeline: its id within a project.
type PipelineKey struct{ Project, ID string }

// Impact answers "what breaks if this changes". It walks everything
// downstream within the depth (hidden nodes left out and not walked
// through), then lists the nearest of it: at most limit-1 nodes besides the
// start, split between artifacts and runs (see shares).
func (s *Service) Impact(ctx context.Context, uri string, depth, limit *int) (Impact, error) {
	if _, err := s.caller(ctx); err != nil {
		return Impact{}, err
	}
	d, l, err := s.bounds(depth, limit)
	if err != nil {
		return Impact{}, err
	}
	start, err := s.ParseNodeID(ctx, uri)
	if err != nil {
		return Impact{}, err
	}
	visible, err := s.readable(ctx)
	if err != nil {
		return Impact{}, err
	}
	if r, ok := graphReaderOf(s.store); ok {
		var out Impact
		err := r.ReadGraph(ctx, func(snap GraphSnapshot) error {
			g := snapshotGraph{snap}
			id, ok := snap.ID(start)
			w, err := walkDownstream(ctx, g, id, ok, d, MaxImpactNodes, visible)
			if err != nil {
				return err
			}
			if out, err = impactOf(ctx, w, l, g); err != nil {
				return err
			}
			// Counted now, in the same snapshot: ids mean nothing after it.
			c, err := countWalk(ctx, w, g)
			out.counts, out.walk = &c, walk{}
			return err
		})
		if err != nil {
			return Impact{}, err
		}
		return out, nil
	}
	g := newExpanderGraph(EdgesFunc(s.store.Edges))
	w, err := walkDownstream(ctx, g, g.id(start), true, d, MaxImpactNodes, visible)
	if err != nil {
		return Impact{}, err
	}
	out, err := impactOf(ctx, w, l, serviceAttrs{s, g})
	if err != nil {
		return Impact{}, err
	}
	return out, nil
}

// impactOf lists the nearest of w within limit nodes (the start counted),
// and the pipelines of the runs listed, once each, in the runs' order.
func impactOf(ctx context.Context, w walk, limit int, at nodeAttrs) (Impact, error) {
	arts, runs := w.total()
	a, r := shares(limit-1, arts, runs)
	out := Impact{Hidden: w.hidden, walk: w, Truncated: w.depthCut || !w.complete || a+r < arts+runs}
	listedArts, listedRuns := w.listing(a, r)
	for _, id := range listedArts {
		out.Versions = append(out.Versions, w.g.ref(id).UID)
	}
	for _, id := range listedRuns {
		n := w.g.ref(id)
		out.Runs = append(out.Runs, RunKey{Project: n.Project, UID: n.UID})
	}
	seen := map[PipelineKey]bool{}
	err := at.pipelines(ctx, listedRuns, func(p PipelineKey) {
		if p.ID != "" && !seen[p] {
			seen[p] = true
			out.Pipelines = append(out.Pipelines, p)
		}
	})
	return out, err
}
