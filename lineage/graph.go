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
// those runs belong to. Its walk is kept for ImpactCounts.
type Impact struct {
	Versions  []string // uids
	Runs      []RunKey
	Pipelines []PipelineKey
	Truncated bool // depth, limit or MaxImpactNodes left something out
	Hidden    int  // nodes left out because the caller may not read their project

	walk walk
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
	w, err := walkDownstream(ctx, EdgesFunc(s.store.Edges), start, d, MaxImpactNodes, visible)
	if err != nil {
		return Impact{}, err
	}
	arts, runs := w.total()
	a, r := shares(l-1, arts, runs)
	out := Impact{Hidden: w.hidden, walk: w, Truncated: w.depthCut || !w.complete || a+r < arts+runs}
	out.Versions, out.Runs = w.listing(a, r)
	rs, err := s.Runs(ctx, out.Runs)
	if err != nil {
		return Impact{}, err
	}
	out.Pipelines = pipelinesOf(rs)
	return out, nil
}

// pipelinesOf lists the pipelines of runs, once each, in the runs' order.
func pipelinesOf(rs []Run) []PipelineKey {
	var out []PipelineKey
	seen := map[PipelineKey]bool{}
	for _, r := range rs {
		k := PipelineKey{Project: r.Project, ID: r.Pipeline}
		if r.Pipeline != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}
