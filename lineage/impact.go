package lineage

import (
	"context"
	"slices"
	"strings"
)

// MaxImpactNodes bounds the walk behind impact's counts: past it the
// counts say they are not Complete.
const MaxImpactNodes = 1_000_000

// walk is every node downstream of a start within a depth, level by level
// (levels[0] is depth 1), found without the listing's limit: what impact
// lists from and counts. Nodes are ids of g.
type walk struct {
	g        walkGraph
	levels   []level
	hidden   int  // distinct nodes left out because the caller may not read them
	depthCut bool // nodes at the last depth have unwalked neighbours
	complete bool // false when MaxImpactNodes stopped the walk
}

// level is the nodes of one depth, artifacts apart from runs: counting
// them needs no look at their refs, and each part is sorted by itself.
type level struct{ arts, runs []int32 }

// walkGraph is the graph as walkDownstream reads it: nodes numbered as
// they are met, a frontier expanded in one call per step.
type walkGraph interface {
	ref(id int32) NodeRef
	// expand appends to dst the far ends of the edges along s from the
	// frontier, in any order, repeats included.
	expand(ctx context.Context, frontier []int32, s step, dst []int32) ([]int32, error)
	// anyFree reports whether a far end along steps from the frontier is
	// a node free says is neither held nor hidden.
	anyFree(ctx context.Context, frontier []int32, steps []step, free func(int32) bool) (bool, error)
}

// Node states in a walk; a node never met is unmet.
const (
	unmet uint8 = iota
	walked
	hiddenNode
)

// states is a walk's state of each node id, growing as ids appear.
type states []uint8

func (st states) get(id int32) uint8 {
	if int(id) < len(st) {
		return st[id]
	}
	return unmet
}

func (st *states) set(id int32, v uint8) {
	if int(id) >= len(*st) {
		*st = append(*st, make([]uint8, int(id)+1-len(*st))...)
	}
	(*st)[id] = v
}

// walkDownstream walks from start as TraverseWith does DOWNSTREAM (hidden
// nodes left out and not walked through), with no node limit but max. A
// start absent from g (ok false) has nothing downstream.
func walkDownstream(ctx context.Context, g walkGraph, start int32, ok bool, depth, max int, visible func(string) bool) (walk, error) {
	w := walk{g: g, complete: true}
	if !ok {
		return w, nil
	}
	steps := traversalSteps[Downstream]
	var st states
	st.set(start, walked)
	held, startSeen := 1, false
	frontier := []int32{start}
	var far []int32
	for d := 1; d <= depth && len(frontier) > 0; d++ {
		var lv level
		for _, s := range steps {
			var err error
			if far, err = g.expand(ctx, frontier, s, far[:0]); err != nil {
				return walk{}, err
			}
			for _, n := range far {
				if st.get(n) != unmet {
					if n == start && !startSeen && !visible(g.ref(n).Project) {
						// The start, held whatever its project, is hidden
						// when met again, as TraverseWith counts it.
						startSeen = true
						w.hidden++
					}
					continue
				}
				switch ref := g.ref(n); {
				case !visible(ref.Project):
					st.set(n, hiddenNode)
					w.hidden++
				case ref.Type == NodeRun:
					st.set(n, walked)
					lv.runs = append(lv.runs, n)
				default:
					st.set(n, walked)
					lv.arts = append(lv.arts, n)
				}
			}
		}
		if room := max - held; len(lv.arts)+len(lv.runs) > room {
			// Which nodes the cap keeps must not depend on the store's
			// order: the first in NodeRef order, artifacts before runs.
			if room <= len(lv.arts) {
				lv.arts, lv.runs = smallest(g, lv.arts, room), nil
			} else {
				lv.runs = smallest(g, lv.runs, room-len(lv.arts))
			}
			w.complete = false
		}
		n := len(lv.arts) + len(lv.runs)
		held += n
		if n == 0 {
			break
		}
		w.levels = append(w.levels, lv)
		frontier = append(slices.Clip(lv.arts), lv.runs...)
		if !w.complete {
			return w, nil
		}
	}
	if len(w.levels) == depth && len(frontier) > 0 {
		// A hidden neighbour does not make the answer cut: saying so would
		// tell that something the caller may not see lies beyond.
		free := func(n int32) bool { return st.get(n) == unmet && visible(g.ref(n).Project) }
		cut, err := g.anyFree(ctx, frontier, steps, free)
		if err != nil {
			return walk{}, err
		}
		w.depthCut = cut
	}
	return w, nil
}

// total counts the walk's artifacts and runs.
func (w walk) total() (artifacts, runs int) {
	for _, lv := range w.levels {
		artifacts, runs = artifacts+len(lv.arts), runs+len(lv.runs)
	}
	return artifacts, runs
}

// smallest returns the first k of ids in NodeRef order, sorted. Only the k
// are sorted: a hub's first level holds ten thousand runs when the listing
// wants half of them.
func smallest(g walkGraph, ids []int32, k int) []int32 {
	k = min(k, len(ids))
	if k <= 0 {
		return nil
	}
	// Sort positions into refs, copied once, rather than the refs.
	refs := make([]NodeRef, len(ids))
	pos := make([]int32, len(ids))
	for i, id := range ids {
		refs[i], pos[i] = g.ref(id), int32(i)
	}
	cmp := func(a, b int32) int { return compareNodes(refs[a], refs[b]) }
	selectSmallest(pos, k, cmp)
	pos = pos[:k]
	slices.SortFunc(pos, cmp)
	out := make([]int32, k)
	for i, p := range pos {
		out[i] = ids[p]
	}
	return out
}

// selectSmallest reorders xs so that its first k are its k smallest by cmp
// (Hoare's quickselect); xs holds no two equal.
func selectSmallest(xs []int32, k int, cmp func(a, b int32) int) {
	lo, hi, target := 0, len(xs)-1, k-1
	for lo < hi {
		pivot := xs[lo+(hi-lo)/2]
		i, j := lo, hi
		for i <= j {
			for cmp(xs[i], pivot) < 0 {
				i++
			}
			for cmp(xs[j], pivot) > 0 {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i, j = i+1, j-1
			}
		}
		switch {
		case target <= j:
			hi = j
		case target >= i:
			lo = i
		default:
			return
		}
	}
}

// shares splits a listing budget between artifacts and runs: half each,
// and what one side does not need goes to the other, so that a hub
// consumed by thousands of runs lists its derived artifacts too.
func shares(budget, artifacts, runs int) (int, int) {
	a, r := budget-budget/2, budget/2
	switch {
	case artifacts < a:
		a, r = artifacts, budget-artifacts
	case runs < r:
		a, r = budget-runs, runs
	}
	return min(a, artifacts), min(r, runs)
}

// listing takes the nearest a artifacts and r runs, in (depth, NodeRef)
// order; it sorts only what it takes.
func (w walk) listing(a, r int) (arts, runs []int32) {
	for _, lv := range w.levels {
		if len(arts) == a && len(runs) == r {
			break
		}
		arts = append(arts, smallest(w.g, lv.arts, a-len(arts))...)
		runs = append(runs, smallest(w.g, lv.runs, r-len(runs))...)
	}
	return arts, runs
}

// ImpactCounts counts everything an Impact's walk reached, whatever its
// listing's limit: artifacts by kind, runs, their pipelines, and both per
// depth. Hidden nodes are only in Hidden.
type ImpactCounts struct {
	Artifacts int
	ByKind    []KindCount // by kind name
	Runs      int
	Pipelines int
	ByDepth   []DepthCount // depth 1 first
	Hidden    int
	Complete  bool // false when MaxImpactNodes stopped the walk
}

// KindCount is how many artifact versions of one kind.
type KindCount struct {
	Kind  Kind
	Count int
}

// DepthCount is how many artifacts and runs at one depth.
type DepthCount struct{ Depth, Artifacts, Runs int }

// ImpactCounts counts im's walk. On a GraphReader they were counted with
// the walk, in the same snapshot; otherwise the versions (for their kinds)
// and runs (for their pipelines) are read now, in chunks.
func (s *Service) ImpactCounts(ctx context.Context, im Impact) (ImpactCounts, error) {
	if c := im.counts; c != nil {
		out := *c
		out.ByKind, out.ByDepth = slices.Clone(c.ByKind), slices.Clone(c.ByDepth)
		return out, nil
	}
	return countWalk(ctx, im.walk, serviceAttrs{s, im.walk.g})
}

// nodeAttrs reads what impact tells of its nodes besides their refs.
type nodeAttrs interface {
	// kinds calls f with the kind of each artifact's version found.
	kinds(ctx context.Context, ids []int32, f func(Kind)) error
	// pipelines calls f with the pipeline (ID "" for none) of each run
	// found, in the order of ids.
	pipelines(ctx context.Context, ids []int32, f func(PipelineKey)) error
}

// countWalk counts w's nodes by depth, its artifacts by kind and its runs'
// distinct pipelines.
func countWalk(ctx context.Context, w walk, at nodeAttrs) (ImpactCounts, error) {
	out := ImpactCounts{Hidden: w.hidden, Complete: w.complete}
	var arts, runs []int32
	for i, lv := range w.levels {
		dc := DepthCount{Depth: i + 1, Artifacts: len(lv.arts), Runs: len(lv.runs)}
		arts, runs = append(arts, lv.arts...), append(runs, lv.runs...)
		out.ByDepth = append(out.ByDepth, dc)
		out.Artifacts, out.Runs = out.Artifacts+dc.Artifacts, out.Runs+dc.Runs
	}
	// Kinds are few: a list scanned beats a map hashed per artifact.
	err := at.kinds(ctx, arts, func(k Kind) {
		for i := range out.ByKind {
			if out.ByKind[i].Kind == k {
				out.ByKind[i].Count++
				return
			}
		}
		out.ByKind = append(out.ByKind, KindCount{Kind: k, Count: 1})
	})
	if err != nil {
		return ImpactCounts{}, err
	}
	if out.ByKind == nil {
		out.ByKind = []KindCount{}
	}
	slices.SortFunc(out.ByKind, func(a, b KindCount) int { return strings.Compare(string(a.Kind), string(b.Kind)) })
	seen := map[PipelineKey]bool{}
	err = at.pipelines(ctx, runs, func(p PipelineKey) {
		if p.ID != "" {
			seen[p] = true
		}
	})
	out.Pipelines = len(seen)
	return out, err
}

// countChunk is how many versions or runs one read of serviceAttrs asks
// for: the records are counted and dropped, never held all at once.
const countChunk = 1000

// serviceAttrs reads the versions and runs of g's nodes through the
// Service, a chunk at a time.
type serviceAttrs struct {
	s *Service
	g walkGraph
}

func (a serviceAttrs) kinds(ctx context.Context, ids []int32, f func(Kind)) error {
	for chunk := range slices.Chunk(ids, countChunk) {
		uids := make([]string, len(chunk))
		for i, id := range chunk {
			uids[i] = a.g.ref(id).UID
		}
		vs, err := a.s.Versions(ctx, uids)
		if err != nil {
			return err
		}
		for _, v := range vs {
			f(v.Kind)
		}
	}
	return nil
}

func (a serviceAttrs) pipelines(ctx context.Context, ids []int32, f func(PipelineKey)) error {
	for chunk := range slices.Chunk(ids, countChunk) {
		keys := make([]RunKey, len(chunk))
		for i, id := range chunk {
			n := a.g.ref(id)
			keys[i] = RunKey{Project: n.Project, UID: n.UID}
		}
		rs, err := a.s.Runs(ctx, keys)
		if err != nil {
			return err
		}
		for _, r := range rs {
			f(PipelineKey{Project: r.Project, ID: r.Pipeline})
		}
	}
	return nil
}

// expanderGraph is a walkGraph over an Expander: it numbers the nodes as
// the expansions meet them.
type expanderGraph struct {
	x    Expander
	ids  map[NodeRef]int32
	refs []NodeRef
}

func newExpanderGraph(x Expander) *expanderGraph {
	return &expanderGraph{x: x, ids: map[NodeRef]int32{}}
}

func (g *expanderGraph) id(n NodeRef) int32 {
	id, ok := g.ids[n]
	if !ok {
		id = int32(len(g.refs))
		g.ids[n] = id
		g.refs = append(g.refs, n)
	}
	return id
}

func (g *expanderGraph) ref(id int32) NodeRef { return g.refs[id] }

func (g *expanderGraph) frontierRefs(frontier []int32) []NodeRef {
	out := make([]NodeRef, len(frontier))
	for i, id := range frontier {
		out[i] = g.refs[id]
	}
	return out
}

func (g *expanderGraph) expand(ctx context.Context, frontier []int32, s step, dst []int32) ([]int32, error) {
	es, err := g.x.Expand(ctx, g.frontierRefs(frontier), s.dir, s.rels)
	if err != nil {
		return dst, err
	}
	for _, e := range es {
		dst = append(dst, g.id(s.far(e)))
	}
	return dst, nil
}

func (g *expanderGraph) anyFree(ctx context.Context, frontier []int32, steps []step, free func(int32) bool) (bool, error) {
	refs := g.frontierRefs(frontier)
	held := func(n NodeRef) bool { return !free(g.id(n)) }
	return anyUnheld(ctx, g.x, refs, steps, held)
}

// snapshotGraph is a walkGraph over a GraphSnapshot, and the nodeAttrs of
// its nodes.
type snapshotGraph struct{ s GraphSnapshot }

func (g snapshotGraph) ref(id int32) NodeRef { return g.s.Ref(id) }

func (g snapshotGraph) expand(ctx context.Context, frontier []int32, s step, dst []int32) ([]int32, error) {
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	return g.s.AppendPeers(dst, frontier, s.dir, s.rels), nil
}

func (g snapshotGraph) anyFree(ctx context.Context, frontier []int32, steps []step, free func(int32) bool) (bool, error) {
	var far []int32
	for _, s := range steps {
		var err error
		if far, err = g.expand(ctx, frontier, s, far[:0]); err != nil {
			return false, err
		}
		if slices.ContainsFunc(far, free) {
			return true, nil
		}
	}
	return false, nil
}

func (g snapshotGraph) kinds(_ context.Context, ids []int32, f func(Kind)) error {
	for _, id := range ids {
		if k, ok := g.s.Kind(id); ok {
			f(k)
		}
	}
	return nil
}

func (g snapshotGraph) pipelines(_ context.Context, ids []int32, f func(PipelineKey)) error {
	for _, id := range ids {
		if p, ok := g.s.Pipeline(id); ok {
			f(PipelineKey{Project: g.s.Ref(id).Project, ID: p})
		}
	}
	return nil
}
