package lineage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// A listing budget is split half and half, and what one side does not
// need goes to the other.
func TestSharesSplitTheBudget(t *testing.T) {
	for _, c := range []struct{ budget, arts, runs, wantA, wantR int }{
		{499, 4005, 3000, 250, 249},
		{9999, 4005, 3000, 4005, 3000},
		{9999, 78210, 10054, 5000, 4999},
		{100, 0, 10054, 0, 100},
		{100, 5, 10054, 5, 95},
		{100, 10054, 3, 97, 3},
		{0, 10, 10, 0, 0},
		{1, 10, 10, 1, 0},
	} {
		a, r := shares(c.budget, c.arts, c.runs)
		if a != c.wantA || r != c.wantR {
			t.Errorf("shares(%d, %d, %d) = %d, %d; want %d, %d", c.budget, c.arts, c.runs, a, r, c.wantA, c.wantR)
		}
	}
}

// The impact walk reaches exactly the nodes a DOWNSTREAM traversal with no
// node limit holds, at the same depths, hides the same nodes, and says the
// depth cut it when the traversal says so; with a cap it stops there.
func TestWalkDownstreamMatchesTraverse(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	nodes, m := randomGraph(rng, []string{"p", "q", "p"}, 120)
	onlyP := func(p string) bool { return p == "p" }
	for i := range 300 {
		q := LineageQuery{Start: nodes[rng.IntN(len(nodes))], Direction: Downstream, Depth: rng.IntN(6), Limit: 1 << 20}
		if i%2 == 0 {
			q.Visible = onlyP
		}
		visible := q.Visible
		if visible == nil {
			visible = func(string) bool { return true }
		}
		want, err := TraverseWith(t.Context(), m, q)
		if err != nil {
			t.Fatal(err)
		}
		g := newExpanderGraph(m)
		w, err := walkDownstream(t.Context(), g, g.id(q.Start), true, q.Depth, MaxImpactNodes, visible)
		if err != nil {
			t.Fatal(err)
		}
		var got []GraphNode
		for d, lv := range w.levels {
			for _, n := range slices.SortedFunc(slices.Values(refsOf(g, append(slices.Clone(lv.arts), lv.runs...))), compareNodes) {
				got = append(got, GraphNode{Ref: n, Depth: d + 1})
			}
		}
		if !slices.Equal(got, want.Nodes[1:]) || w.hidden != want.Hidden || w.depthCut != want.Truncated || !w.complete {
			t.Fatalf("query %d %+v:\n walk %+v\n want %+v", i, q, w, want)
		}
		if len(got) > 2 {
			g := newExpanderGraph(m)
			capped, err := walkDownstream(t.Context(), g, g.id(q.Start), true, q.Depth, 2, visible)
			if err != nil {
				t.Fatal(err)
			}
			if a, r := capped.total(); capped.complete || a+r != 1 {
				t.Fatalf("query %d capped at 2 nodes: %+v", i, capped)
			}
		}
	}
}

func refsOf(g walkGraph, ids []int32) []NodeRef {
	out := make([]NodeRef, len(ids))
	for i, id := range ids {
		out[i] = g.ref(id)
	}
	return out
}

// memSnapshot is a memGraph as a GraphSnapshot: nodes numbered in a
// shuffled order (not the order a walk meets them), a kind for every
// artifact but the last, a pipeline for every run but those of "q".
type memSnapshot struct {
	m     *memGraph
	refs  []NodeRef
	ids   map[NodeRef]int32
	kinds map[NodeRef]Kind
	pipes map[NodeRef]string
}

func newMemSnapshot(rng *rand.Rand, nodes []NodeRef, m *memGraph) *memSnapshot {
	s := &memSnapshot{m: m, refs: slices.Clone(nodes), ids: map[NodeRef]int32{}, kinds: map[NodeRef]Kind{}, pipes: map[NodeRef]string{}}
	rng.Shuffle(len(s.refs), func(i, j int) { s.refs[i], s.refs[j] = s.refs[j], s.refs[i] })
	for i, n := range s.refs {
		s.ids[n] = int32(i)
	}
	for i, n := range nodes {
		switch {
		case n.Type == NodeArtifact && i < len(nodes)-1:
			s.kinds[n] = []Kind{KindDataset, KindModel, KindPlot}[i%3]
		case n.Type == NodeRun && n.Project != "q":
			s.pipes[n] = []string{"", "a", "b"}[i/3%3]
		case n.Type == NodeRun:
			s.pipes[n] = "" // a run that has none
		}
	}
	return s
}

func (s *memSnapshot) ID(n NodeRef) (int32, bool) { id, ok := s.ids[n]; return id, ok }
func (s *memSnapshot) Ref(id int32) NodeRef       { return s.refs[id] }
func (s *memSnapshot) AppendPeers(dst, frontier []int32, dir EdgeDirection, rels []Relation) []int32 {
	es, _ := s.m.Expand(context.Background(), refsOf(snapshotGraph{s}, frontier), dir, rels)
	for _, e := range es {
		dst = append(dst, s.ids[(step{dir, rels}).far(e)])
	}
	return dst
}
func (s *memSnapshot) Kind(id int32) (Kind, bool)       { k, ok := s.kinds[s.refs[id]]; return k, ok }
func (s *memSnapshot) Pipeline(id int32) (string, bool) { p, ok := s.pipes[s.refs[id]]; return p, ok }

// tableAttrs answers an expanderGraph's nodeAttrs from a memSnapshot's
// tables, by ref.
type tableAttrs struct {
	g *expanderGraph
	s *memSnapshot
}

func (a tableAttrs) kinds(_ context.Context, ids []int32, f func(Kind)) error {
	for _, id := range ids {
		if k, ok := a.s.kinds[a.g.ref(id)]; ok {
			f(k)
		}
	}
	return nil
}

func (a tableAttrs) pipelines(_ context.Context, ids []int32, f func(PipelineKey)) error {
	for _, id := range ids {
		n := a.g.ref(id)
		if p, ok := a.s.pipes[n]; ok {
			f(PipelineKey{Project: n.Project, ID: p})
		}
	}
	return nil
}

// Impact over a GraphSnapshot (ids of the store's, read in one go) lists
// and counts exactly what it does over an Expander (ids given as met), with
// hidden projects, limits, depths and the node cap.
func TestImpactOverSnapshotMatchesExpander(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	ctx := t.Context()
	nodes, m := randomGraph(rng, []string{"p", "q", "p", "r"}, 110)
	snap := newMemSnapshot(rng, append(slices.Clone(nodes), NodeRef{Type: NodeArtifact, Project: "p", UID: "lonely"}), m)
	starts := append(slices.Clone(nodes), NodeRef{Type: NodeArtifact, Project: "p", UID: "lonely"}, NodeRef{Type: NodeArtifact, Project: "p", UID: "absent"})
	visibles := []func(string) bool{
		func(string) bool { return true },
		func(p string) bool { return p != "q" },
		func(p string) bool { return p == "r" },
	}
	var hidden, truncated, capped, piped, kinded int
	for i := range 400 {
		start := starts[rng.IntN(len(starts))]
		depth, limit, cap := rng.IntN(7), 1+rng.IntN(30), []int{MaxImpactNodes, 1 + rng.IntN(20)}[rng.IntN(2)]
		visible := visibles[rng.IntN(len(visibles))]

		eg := newExpanderGraph(m)
		ew, err := walkDownstream(ctx, eg, eg.id(start), true, depth, cap, visible)
		if err != nil {
			t.Fatal(err)
		}
		want, err := impactOf(ctx, ew, limit, tableAttrs{eg, snap})
		if err != nil {
			t.Fatal(err)
		}
		wantCounts, err := countWalk(ctx, ew, tableAttrs{eg, snap})
		if err != nil {
			t.Fatal(err)
		}

		sg := snapshotGraph{snap}
		id, ok := snap.ID(start)
		sw, err := walkDownstream(ctx, sg, id, ok, depth, cap, visible)
		if err != nil {
			t.Fatal(err)
		}
		got, err := impactOf(ctx, sw, limit, sg)
		if err != nil {
			t.Fatal(err)
		}
		gotCounts, err := countWalk(ctx, sw, sg)
		if err != nil {
			t.Fatal(err)
		}
		got.walk, want.walk = walk{}, walk{}
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotCounts, wantCounts) {
			t.Fatalf("case %d from %v, depth %d, limit %d, cap %d:\nsnapshot %+v %+v\nexpander %+v %+v",
				i, start, depth, limit, cap, got, gotCounts, want, wantCounts)
		}
		hidden += min(got.Hidden, 1)
		truncated += min(len(got.Versions)+len(got.Runs), 1) * boolInt(got.Truncated)
		capped += boolInt(!gotCounts.Complete)
		piped += min(len(got.Pipelines), 1)
		kinded += min(len(gotCounts.ByKind), 1)
	}
	for name, n := range map[string]int{"hidden": hidden, "truncated": truncated, "capped": capped, "piped": piped, "kinded": kinded} {
		if n == 0 || n == 400 {
			t.Errorf("%s in %d of 400 cases: the cases do not exercise it", name, n)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// smallest gives the first k of a level in NodeRef order, as sorting the
// whole level would.
func TestSmallestIsThePrefixOfTheSortedLevel(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 500 {
		g := newExpanderGraph(nil)
		var ids []int32
		for range rng.IntN(60) {
			n := NodeRef{Type: NodeRun, Project: []string{"p", "q", "r"}[rng.IntN(3)], UID: fmt.Sprintf("u%03d", rng.IntN(1000))}
			if _, ok := g.ids[n]; !ok {
				ids = append(ids, g.id(n))
			}
		}
		want := slices.SortedFunc(slices.Values(refsOf(g, ids)), compareNodes)
		k := rng.IntN(len(ids) + 2)
		got := refsOf(g, smallest(g, slices.Clone(ids), k))
		if !slices.Equal(got, want[:min(k, len(want))]) {
			t.Fatalf("case %d, k %d of %d:\n got %v\nwant %v", i, k, len(ids), got, want[:min(k, len(want))])
		}
	}
}
