package lineage

import (
	"math/rand/v2"
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
		w, err := walkDownstream(t.Context(), m, q.Start, q.Depth, MaxImpactNodes, visible)
		if err != nil {
			t.Fatal(err)
		}
		var got []GraphNode
		for d, level := range w.levels {
			for _, n := range slices.SortedFunc(slices.Values(level), compareNodes) {
				got = append(got, GraphNode{Ref: n, Depth: d + 1})
			}
		}
		if !slices.Equal(got, want.Nodes[1:]) || w.hidden != want.Hidden || w.depthCut != want.Truncated || !w.complete {
			t.Fatalf("query %d %+v:\n walk %+v\n want %+v", i, q, w, want)
		}
		if len(got) > 2 {
			capped, err := walkDownstream(t.Context(), m, q.Start, q.Depth, 2, visible)
			if err != nil {
				t.Fatal(err)
			}
			if a, r := capped.total(); capped.complete || a+r != 1 {
				t.Fatalf("query %d capped at 2 nodes: %+v", i, capped)
			}
		}
	}
}
