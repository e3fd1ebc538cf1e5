package lineage

import (
	"context"
	"slices"
)

// MaxImpactNodes bounds the walk behind impact's counts: past it the
// counts say they are not Complete.
const MaxImpactNodes = 1_000_000

// walk is every node downstream of a start within a depth, level by level
// (levels[0] is depth 1; a level is sorted by NodeRef only when the listing
// reaches it), found without the listing's limit: what impact lists from
// and counts.
type walk struct {
	levels   [][]NodeRef
	hidden   int  // distinct nodes left out because the caller may not read them
	depthCut bool // nodes at the last depth have unwalked neighbours
	complete bool // false when MaxImpactNodes stopped the walk
}

// walkDownstream walks from start as TraverseWith does DOWNSTREAM (hidden
// nodes left out and not walked through), with no node limit but max.
func walkDownstream(ctx context.Context, x Expander, start NodeRef, depth, max int, visible func(string) bool) (walk, error) {
	steps := traversalSteps[Downstream]
	held := map[NodeRef]int{start: 0}
	hidden := map[NodeRef]bool{}
	w := walk{complete: true}
	frontier := []NodeRef{start}
	for d := 1; d <= depth && len(frontier) > 0; d++ {
		var fresh []NodeRef
		for _, s := range steps {
			es, err := x.Expand(ctx, frontier, s.dir, s.rels)
			if err != nil {
				return walk{}, err
			}
			for _, e := range es {
				if n := s.far(e); !visible(n.Project) {
					hidden[n] = true
				} else if _, ok := held[n]; !ok {
					held[n] = d
					fresh = append(fresh, n)
				}
			}
		}
		if room := max - (len(held) - len(fresh)); len(fresh) > room {
			// Which nodes the cap keeps must not depend on the store's order.
			slices.SortFunc(fresh, compareNodes)
			fresh, w.complete = fresh[:room], false
		}
		if len(fresh) == 0 {
			break
		}
		w.levels = append(w.levels, fresh)
		frontier = fresh
		if !w.complete {
			return w.finish(hidden), nil
		}
	}
	if len(w.levels) == depth && len(frontier) > 0 {
		cut, err := anyUnheld(ctx, x, frontier, steps, held, visible)
		if err != nil {
			return walk{}, err
		}
		w.depthCut = cut
	}
	return w.finish(hidden), nil
}

func (w walk) finish(hidden map[NodeRef]bool) walk {
	w.hidden = len(hidden)
	return w
}

// total counts the walk's artifacts and runs.
func (w walk) total() (artifacts, runs int) {
	for _, level := range w.levels {
		for _, n := range level {
			if n.Type == NodeRun {
				runs++
			} else {
				artifacts++
			}
		}
	}
	return artifacts, runs
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
// order; it sorts the levels it reads.
func (w walk) listing(a, r int) (uids []string, runs []RunKey) {
	for _, level := range w.levels {
		if len(uids) == a && len(runs) == r {
			break
		}
		slices.SortFunc(level, compareNodes)
		for _, n := range level {
			switch {
			case n.Type == NodeRun && len(runs) < r:
				runs = append(runs, RunKey{Project: n.Project, UID: n.UID})
			case n.Type == NodeArtifact && len(uids) < a:
				uids = append(uids, n.UID)
			}
		}
	}
	return uids, runs
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

// countChunk is how many versions or runs one read of ImpactCounts asks
// for: the records are counted and dropped, never held all at once.
const countChunk = 1000

// ImpactCounts counts im's walk; it reads the versions (for their kinds)
// and runs (for their pipelines) in chunks.
func (s *Service) ImpactCounts(ctx context.Context, im Impact) (ImpactCounts, error) {
	out := ImpactCounts{Hidden: im.walk.hidden, Complete: im.walk.complete}
	var uids []string
	var runs []RunKey
	for i, level := range im.walk.levels {
		dc := DepthCount{Depth: i + 1}
		for _, n := range level {
			if n.Type == NodeRun {
				dc.Runs++
				runs = append(runs, RunKey{Project: n.Project, UID: n.UID})
			} else {
				dc.Artifacts++
				uids = append(uids, n.UID)
			}
		}
		out.ByDepth = append(out.ByDepth, dc)
		out.Artifacts, out.Runs = out.Artifacts+dc.Artifacts, out.Runs+dc.Runs
	}
	kinds, err := s.countKinds(ctx, uids)
	if err != nil {
		return ImpactCounts{}, err
	}
	out.ByKind = kinds
	out.Pipelines, err = s.countPipelines(ctx, runs)
	return out, err
}

func (s *Service) countKinds(ctx context.Context, uids []string) ([]KindCount, error) {
	byKind := map[Kind]int{}
	for chunk := range slices.Chunk(uids, countChunk) {
		vs, err := s.Versions(ctx, chunk)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			byKind[v.Kind]++
		}
	}
	out := make([]KindCount, 0, len(byKind))
	for k, n := range byKind {
		out = append(out, KindCount{Kind: k, Count: n})
	}
	slices.SortFunc(out, func(a, b KindCount) int {
		if a.Kind < b.Kind {
			return -1
		}
		return 1
	})
	return out, nil
}

func (s *Service) countPipelines(ctx context.Context, keys []RunKey) (int, error) {
	seen := map[PipelineKey]bool{}
	for chunk := range slices.Chunk(keys, countChunk) {
		rs, err := s.Runs(ctx, chunk)
		if err != nil {
			return 0, err
		}
		for _, r := range rs {
			if r.Pipeline != "" {
				seen[PipelineKey{Project: r.Project, ID: r.Pipeline}] = true
			}
		}
	}
	return len(seen), nil
}
