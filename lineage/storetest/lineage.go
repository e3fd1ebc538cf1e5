package storetest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/artigraph/artigraph/lineage"
)

var lineageTests = []test{
	{"DownstreamOfRawData", testDownstream},
	{"UpstreamOfDerivedModel", testUpstream},
	{"LinksAreNotLineage", testLinksNotFollowed},
	{"DepthCutIsTruncated", testDepthCut},
	{"LimitCutIsTruncated", testLimitCut},
	{"LimitTakesNodesInOrder", testLimitWithinLevel},
	{"DiamondKeepsBothEdges", testDiamond},
	{"ShortcutKeepsShortestDepth", testShortcut},
	{"CrossesProjects", testCrossProject},
	{"HiddenProjectsAreLeftOutNotWalked", testHiddenProjects},
	{"UnknownStartIsAlone", testUnknownStart},
	{"BadQueryIsInvalid", testBadLineageQuery},
}

// pipeline is a small ML pipeline in project p:
//
//	raw ←CONSUMED─ prep ─PRODUCED→ clean ←CONSUMED─ train ─PRODUCED→ model ←DERIVED_FROM─ small
//	                                                                   └─LINKS_TO(chart)→ roc
type pipeline struct {
	raw, clean, model, small, roc lineage.NodeRef
	prep, train                   lineage.NodeRef
}

func seedPipeline(t *testing.T, s lineage.Store) pipeline {
	t.Helper()
	mustPutVersion(t, s, newVersion("p", "raw", "raw-1", 0).kind(lineage.KindDataset))
	prep := mustCreateRun(t, s, newRun("p", "prep", "prep", 1), "raw-1")
	mustPutVersion(t, s, newVersion("p", "clean", "clean-1", 2).kind(lineage.KindDataset).by(prep))
	train := mustCreateRun(t, s, newRun("p", "train", "train", 3), "clean-1")
	mustPutVersion(t, s, newVersion("p", "roc", "roc-1", 3).kind(lineage.KindPlot))
	mustPutVersion(t, s, newVersion("p", "model", "model-1", 4).kind(lineage.KindModel).by(train).link("chart", "roc-1"))
	mustPutVersion(t, s, newVersion("p", "model-small", "small-1", 5).kind(lineage.KindModel).sources("model-1"))
	return pipeline{
		raw: vnode("p", "raw-1"), clean: vnode("p", "clean-1"), model: vnode("p", "model-1"),
		small: vnode("p", "small-1"), roc: vnode("p", "roc-1"),
		prep: rnode("p", "prep"), train: rnode("p", "train"),
	}
}

func node(ref lineage.NodeRef, depth int) lineage.GraphNode {
	return lineage.GraphNode{Ref: ref, Depth: depth}
}

func down(start lineage.NodeRef, depth, limit int) lineage.LineageQuery {
	return lineage.LineageQuery{Start: start, Direction: lineage.Downstream, Depth: depth, Limit: limit}
}

func up(start lineage.NodeRef, depth, limit int) lineage.LineageQuery {
	return lineage.LineageQuery{Start: start, Direction: lineage.Upstream, Depth: depth, Limit: limit}
}

// checkLineage asks the store for q and checks the answer against the one
// lineage.Traverse gives over the store's Edges, and against the expected
// nodes (in order: by depth, then ref), edges (any order) and truncation.
func checkLineage(t *testing.T, s lineage.Store, q lineage.LineageQuery, truncated bool, nodes []lineage.GraphNode, edges ...lineage.Edge) {
	t.Helper()
	what := fmt.Sprintf("Lineage %s of %s, depth %d, limit %d", q.Direction, formatNode(q.Start), q.Depth, q.Limit)
	got, err := s.Lineage(t.Context(), q)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	ref, err := lineage.Traverse(t.Context(), s.Edges, q)
	if err != nil {
		t.Fatalf("%s: Traverse over Edges: %v", what, err)
	}
	if !sameGraph(got, ref) {
		t.Errorf("%s differs from Traverse over Edges\n got:\n%s\nwant:\n%s", what, formatGraph(got), formatGraph(ref))
	}
	want := lineage.Graph{Nodes: nodes, Edges: edges, Truncated: truncated}
	lineage.SortEdges(want.Edges)
	if !sameGraph(got, want) {
		t.Fatalf("%s\n got:\n%s\nwant:\n%s", what, formatGraph(got), formatGraph(want))
	}
}

func sameGraph(a, b lineage.Graph) bool {
	return a.Truncated == b.Truncated &&
		len(a.Nodes) == len(b.Nodes) && (len(a.Nodes) == 0 || reflect.DeepEqual(a.Nodes, b.Nodes)) &&
		len(a.Edges) == len(b.Edges) && (len(a.Edges) == 0 || reflect.DeepEqual(a.Edges, b.Edges))
}

func formatGraph(g lineage.Graph) string {
	var b strings.Builder
	for _, n := range g.Nodes {
		fmt.Fprintf(&b, "  %d %s\n", n.Depth, formatNode(n.Ref))
	}
	b.WriteString(formatEdges(g.Edges))
	fmt.Fprintf(&b, "  truncated: %v\n", g.Truncated)
	return b.String()
}

func testDownstream(t *testing.T, s lineage.Store) {
	p := seedPipeline(t, s)
	checkLineage(t, s, down(p.raw, 10, 100), false,
		[]lineage.GraphNode{node(p.raw, 0), node(p.prep, 1), node(p.clean, 2), node(p.train, 3), node(p.model, 4), node(p.small, 5)},
		edge(p.prep, lineage.RelConsumed, p.raw),
		edge(p.prep, lineage.RelProduced, p.clean),
		edge(p.train, lineage.RelConsumed, p.clean),
		edge(p.train, lineage.RelProduced, p.model),
		edge(p.small, lineage.RelDerivedFrom, p.model),
	)
	// From the middle, and from a run.
	checkLineage(t, s, down(p.clean, 10, 100), false,
		[]lineage.GraphNode{node(p.clean, 0), node(p.train, 1), node(p.model, 2), node(p.small, 3)},
		edge(p.train, lineage.RelConsumed, p.clean),
		edge(p.train, lineage.RelProduced, p.model),
		edge(p.small, lineage.RelDerivedFrom, p.model),
	)
	checkLineage(t, s, down(p.train, 10, 100), false,
		[]lineage.GraphNode{node(p.train, 0), node(p.model, 1), node(p.small, 2)},
		edge(p.train, lineage.RelProduced, p.model),
		edge(p.small, lineage.RelDerivedFrom, p.model),
	)
}

func testUpstream(t *testing.T, s lineage.Store) {
	p := seedPipeline(t, s)
	checkLineage(t, s, up(p.small, 10, 100), false,
		[]lineage.GraphNode{node(p.small, 0), node(p.model, 1), node(p.train, 2), node(p.clean, 3), node(p.prep, 4), node(p.raw, 5)},
		edge(p.small, lineage.RelDerivedFrom, p.model),
		edge(p.train, lineage.RelProduced, p.model),
		edge(p.train, lineage.RelConsumed, p.clean),
		edge(p.prep, lineage.RelProduced, p.clean),
		edge(p.prep, lineage.RelConsumed, p.raw),
	)
	checkLineage(t, s, up(p.prep, 10, 100), false,
		[]lineage.GraphNode{node(p.prep, 0), node(p.raw, 1)},
		edge(p.prep, lineage.RelConsumed, p.raw),
	)
	checkLineage(t, s, up(p.raw, 10, 100), false, []lineage.GraphNode{node(p.raw, 0)})
}

func testLinksNotFollowed(t *testing.T, s lineage.Store) {
	p := seedPipeline(t, s)
	assertEdges(t, "the link is there", mustEdges(t, s, []lineage.NodeRef{p.model}, lineage.Outgoing),
		linkEdge(p.model, "chart", p.roc))
	checkLineage(t, s, down(p.roc, 10, 100), false, []lineage.GraphNode{node(p.roc, 0)})
	checkLineage(t, s, up(p.roc, 10, 100), false, []lineage.GraphNode{node(p.roc, 0)})
	checkLineage(t, s, up(p.model, 10, 100), false,
		[]lineage.GraphNode{node(p.model, 0), node(p.train, 1), node(p.clean, 2), node(p.prep, 3), node(p.raw, 4)},
		edge(p.train, lineage.RelProduced, p.model),
		edge(p.train, lineage.RelConsumed, p.clean),
		edge(p.prep, lineage.RelProduced, p.clean),
		edge(p.prep, lineage.RelConsumed, p.raw),
	)
}

func testDepthCut(t *testing.T, s lineage.Store) {
	p := seedPipeline(t, s)
	checkLineage(t, s, down(p.raw, 0, 100), true, []lineage.GraphNode{node(p.raw, 0)})
	checkLineage(t, s, down(p.raw, 2, 100), true,
		[]lineage.GraphNode{node(p.raw, 0), node(p.prep, 1), node(p.clean, 2)},
		edge(p.prep, lineage.RelConsumed, p.raw),
		edge(p.prep, lineage.RelProduced, p.clean),
	)
	checkLineage(t, s, down(p.raw, 4, 100), true,
		[]lineage.GraphNode{node(p.raw, 0), node(p.prep, 1), node(p.clean, 2), node(p.train, 3), node(p.model, 4)},
		edge(p.prep, lineage.RelConsumed, p.raw),
		edge(p.prep, lineage.RelProduced, p.clean),
		edge(p.train, lineage.RelConsumed, p.clean),
		edge(p.train, lineage.RelProduced, p.model),
	)
	// Exactly deep enough: nothing is left out.
	checkLineage(t, s, down(p.raw, 5, 100), false,
		[]lineage.GraphNode{node(p.raw, 0), node(p.prep, 1), node(p.clean, 2), node(p.train, 3), node(p.model, 4), node(p.small, 5)},
		edge(p.prep, lineage.RelConsumed, p.raw),
		edge(p.prep, lineage.RelProduced, p.clean),
		edge(p.train, lineage.RelConsumed, p.clean),
		edge(p.train, lineage.RelProduced, p.model),
		edge(p.small, lineage.RelDerivedFrom, p.model),
	)
	checkLineage(t, s, up(p.small, 1, 100), true,
		[]lineage.GraphNode{node(p.small, 0), node(p.model, 1)},
		edge(p.small, lineage.RelDerivedFrom, p.model),
	)
}

func testLimitCut(t *testing.T, s lineage.Store) {
	p := seedPipeline(t, s)
	checkLineage(t, s, down(p.raw, 10, 1), true, []lineage.GraphNode{node(p.raw, 0)})
	checkLineage(t, s, down(p.raw, 10, 3), true,
		[]lineage.GraphNode{node(p.raw, 0), node(p.prep, 1), node(p.clean, 2)},
		edge(p.prep, lineage.RelConsumed, p.raw),
		edge(p.prep, lineage.RelProduced, p.clean),
	)
	// Exactly enough room.
	checkLineage(t, s, down(p.raw, 10, 6), false,
		[]lineage.GraphNode{node(p.raw, 0), node(p.prep, 1), node(p.clean, 2), node(p.train, 3), node(p.model, 4), node(p.small, 5)},
		edge(p.prep, lineage.RelConsumed, p.raw),
		edge(p.prep, lineage.RelProduced, p.clean),
		edge(p.train, lineage.RelConsumed, p.clean),
		edge(p.train, lineage.RelProduced, p.model),
		edge(p.small, lineage.RelDerivedFrom, p.model),
	)
}

func testLimitWithinLevel(t *testing.T, s lineage.Store) {
	mustPutVersion(t, s, newVersion("p", "shared", "shared", 0))
	for i, uid := range []string{"r-c", "r-a", "r-b"} {
		mustCreateRun(t, s, newRun("p", uid, "job", i+1), "shared")
	}
	shared := vnode("p", "shared")
	// Three runs read it; room for two: they are taken in NodeRef order.
	checkLineage(t, s, down(shared, 3, 3), true,
		[]lineage.GraphNode{node(shared, 0), node(rnode("p", "r-a"), 1), node(rnode("p", "r-b"), 1)},
		edge(rnode("p", "r-a"), lineage.RelConsumed, shared),
		edge(rnode("p", "r-b"), lineage.RelConsumed, shared),
	)
	checkLineage(t, s, down(shared, 3, 4), false,
		[]lineage.GraphNode{node(shared, 0), node(rnode("p", "r-a"), 1), node(rnode("p", "r-b"), 1), node(rnode("p", "r-c"), 1)},
		edge(rnode("p", "r-a"), lineage.RelConsumed, shared),
		edge(rnode("p", "r-b"), lineage.RelConsumed, shared),
		edge(rnode("p", "r-c"), lineage.RelConsumed, shared),
	)
}

func testDiamond(t *testing.T, s lineage.Store) {
	// a ← b ← d, a ← c ← d (DERIVED_FROM): d is reached through both.
	mustPutVersion(t, s, newVersion("p", "a", "a", 0))
	mustPutVersion(t, s, newVersion("p", "b", "b", 1).sources("a"))
	mustPutVersion(t, s, newVersion("p", "c", "c", 2).sources("a"))
	mustPutVersion(t, s, newVersion("p", "d", "d", 3).sources("b", "c"))
	a, b, c, d := vnode("p", "a"), vnode("p", "b"), vnode("p", "c"), vnode("p", "d")
	checkLineage(t, s, down(a, 5, 100), false,
		[]lineage.GraphNode{node(a, 0), node(b, 1), node(c, 1), node(d, 2)},
		edge(b, lineage.RelDerivedFrom, a),
		edge(c, lineage.RelDerivedFrom, a),
		edge(d, lineage.RelDerivedFrom, b),
		edge(d, lineage.RelDerivedFrom, c),
	)
	checkLineage(t, s, up(d, 5, 100), false,
		[]lineage.GraphNode{node(d, 0), node(b, 1), node(c, 1), node(a, 2)},
		edge(d, lineage.RelDerivedFrom, b),
		edge(d, lineage.RelDerivedFrom, c),
		edge(b, lineage.RelDerivedFrom, a),
		edge(c, lineage.RelDerivedFrom, a),
	)

	// Through runs: one run reads both sides of the diamond.
	mustCreateRun(t, s, newRun("p", "join", "join", 4), "b", "c")
	join := rnode("p", "join")
	checkLineage(t, s, up(join, 5, 100), false,
		[]lineage.GraphNode{node(join, 0), node(b, 1), node(c, 1), node(a, 2)},
		edge(join, lineage.RelConsumed, b),
		edge(join, lineage.RelConsumed, c),
		edge(b, lineage.RelDerivedFrom, a),
		edge(c, lineage.RelDerivedFrom, a),
	)
}

func testShortcut(t *testing.T, s lineage.Store) {
	// d derives from a directly and through b: it stays at depth 1, and the
	// edge through b is kept too.
	mustPutVersion(t, s, newVersion("p", "a", "a", 0))
	mustPutVersion(t, s, newVersion("p", "b", "b", 1).sources("a"))
	mustPutVersion(t, s, newVersion("p", "d", "d", 2).sources("b", "a"))
	a, b, d := vnode("p", "a"), vnode("p", "b"), vnode("p", "d")
	checkLineage(t, s, down(a, 5, 100), false,
		[]lineage.GraphNode{node(a, 0), node(b, 1), node(d, 1)},
		edge(b, lineage.RelDerivedFrom, a),
		edge(d, lineage.RelDerivedFrom, a),
		edge(d, lineage.RelDerivedFrom, b),
	)
	checkLineage(t, s, up(d, 5, 100), false,
		[]lineage.GraphNode{node(d, 0), node(a, 1), node(b, 1)},
		edge(d, lineage.RelDerivedFrom, a),
		edge(d, lineage.RelDerivedFrom, b),
		edge(b, lineage.RelDerivedFrom, a),
	)
}

func testCrossProject(t *testing.T, s lineage.Store) {
	mustPutVersion(t, s, newVersion("shared", "holidays", "hol", 0))
	run := mustCreateRun(t, s, newRun("sales", "fc", "forecast", 1), "hol")
	mustPutVersion(t, s, newVersion("sales", "forecast", "fc-out", 2).by(run))
	hol, fc, out := vnode("shared", "hol"), rnode("sales", "fc"), vnode("sales", "fc-out")
	checkLineage(t, s, down(hol, 5, 100), false,
		[]lineage.GraphNode{node(hol, 0), node(fc, 1), node(out, 2)},
		edge(fc, lineage.RelConsumed, hol),
		edge(fc, lineage.RelProduced, out),
	)
	checkLineage(t, s, up(out, 5, 100), false,
		[]lineage.GraphNode{node(out, 0), node(fc, 1), node(hol, 2)},
		edge(fc, lineage.RelConsumed, hol),
		edge(fc, lineage.RelProduced, out),
	)
}

// A node of a project the query may not show is left out with its edges,
// counted, and not walked through: sales' raw → shared's clean → sales'
// model, seen from model with shared hidden, stops at the run in sales
// that consumed clean; raw beyond stays unseen, and nothing says the
// answer was cut.
func testHiddenProjects(t *testing.T, s lineage.Store) {
	mustPutVersion(t, s, newVersion("sales", "raw", "raw", 0))
	prep := mustCreateRun(t, s, newRun("shared", "prep", "prep", 1), "raw")
	mustPutVersion(t, s, newVersion("shared", "clean", "clean", 2).by(prep))
	train := mustCreateRun(t, s, newRun("sales", "train", "train", 3), "clean")
	mustPutVersion(t, s, newVersion("sales", "model", "model", 4).by(train))
	model, tr := vnode("sales", "model"), rnode("sales", "train")
	for _, depth := range []int{1, 2, 10} {
		q := up(model, depth, 100)
		q.Visible = func(p string) bool { return p != "shared" }
		g, err := s.Lineage(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		wantNodes := []lineage.GraphNode{node(model, 0), node(tr, 1)}
		wantEdges := []lineage.Edge{edge(tr, lineage.RelProduced, model)}
		wantHidden := 1
		if depth == 1 {
			wantHidden = 0 // clean lies past the depth: never looked at
		}
		if !reflect.DeepEqual(g.Nodes, wantNodes) || !reflect.DeepEqual(g.Edges, wantEdges) || g.Hidden != wantHidden || g.Truncated {
			t.Fatalf("depth %d with shared hidden:\n%s  hidden: %d, want %d", depth, formatGraph(g), g.Hidden, wantHidden)
		}
	}
}

func testUnknownStart(t *testing.T, s lineage.Store) {
	seedPipeline(t, s)
	checkLineage(t, s, down(vnode("p", "nope"), 5, 100), false, []lineage.GraphNode{node(vnode("p", "nope"), 0)})
}

func testBadLineageQuery(t *testing.T, s lineage.Store) {
	p := seedPipeline(t, s)
	for _, q := range []lineage.LineageQuery{
		down(p.raw, -1, 10),
		down(p.raw, 3, 0),
		{Start: p.raw, Direction: "SIDEWAYS", Depth: 3, Limit: 10},
	} {
		_, err := s.Lineage(t.Context(), q)
		wantCode(t, fmt.Sprintf("Lineage %+v", q), err, lineage.EINVALID)
	}
}
