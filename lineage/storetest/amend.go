package storetest

import (
	"slices"
	"testing"

	"github.com/artigraph/artigraph/lineage"
)

var amendTests = []test{
	{"MovesStartAndReordersRuns", testAmendRunStart},
	{"SetsVersionTimesAndReordersLists", testAmendVersionTimes},
	{"MovesEdges", testAmendEdges},
	{"NamedReads", testAmendNamedReads},
	{"MissingNodeIsNotFoundAndWritesNothing", testAmendMissing},
	{"RefusesOtherRelations", testAmendRelations},
	{"LineageSeesTheMove", testAmendLineage},
}

func testAmendRunStart(t *testing.T, s lineage.Store) {
	early := mustCreateRun(t, s, newRun("fraud", "r-early", "prep", 2))
	late := mustCreateRun(t, s, newRun("fraud", "r-late", "train", 5))
	if err := s.Amend(t.Context(), lineage.Amendment{RunStarts: []lineage.RunStart{{Run: late.Key(), At: at(1)}}}); err != nil {
		t.Fatalf("Amend: %v", err)
	}
	rs, err := s.GetRuns(t.Context(), []lineage.RunKey{late.Key()})
	if err != nil || len(rs) != 1 {
		t.Fatalf("GetRuns: %v, %d runs", err, len(rs))
	}
	want := late
	want.StartedAt = at(1)
	assertRun(t, "the run whose start moved", rs[0], want)
	page, err := s.ListRuns(t.Context(), "fraud", lineage.Page{First: 10})
	if err != nil {
		t.Fatalf("ListRuns: %v", err)
	}
	if got, want := runUIDs(page.Runs), []string{early.UID, late.UID}; !slices.Equal(got, want) {
		t.Errorf("ListRuns newest start first: got %q, want %q", got, want)
	}
}

func testAmendVersionTimes(t *testing.T, s lineage.Store) {
	a := mustPutVersion(t, s, newVersion("fraud", "table", "v-a", 2))
	b := mustPutVersion(t, s, newVersion("fraud", "table", "v-b", 5))
	err := s.Amend(t.Context(), lineage.Amendment{VersionTimes: []lineage.VersionTimes{{UID: b.UID, CreatedAt: at(1), UpdatedAt: at(1)}}})
	if err != nil {
		t.Fatalf("Amend: %v", err)
	}
	got := mustGetVersion(t, s, b.UID)
	assertTime(t, "CreatedAt", got.CreatedAt, at(1))
	assertTime(t, "UpdatedAt", got.UpdatedAt, at(1))
	assertTags(t, got, "latest") // times only: the tag stays
	assertUIDs(t, "newest UpdatedAt first", listAll(t, s, "fraud", lineage.VersionFilter{}), a.UID, b.UID)
	until := at(1)
	assertUIDs(t, "until the new time", listAll(t, s, "fraud", lineage.VersionFilter{Until: &until}), b.UID)
}

func testAmendEdges(t *testing.T, s lineage.Store) {
	old := mustPutVersion(t, s, newVersion("fraud", "table", "v-old", 1))
	fresh := mustPutVersion(t, s, newVersion("fraud", "table", "v-new", 2))
	run := mustCreateRun(t, s, newRun("fraud", "r1", "train", 3), old.UID)
	out := mustPutVersion(t, s, newVersion("fraud", "model", "v-out", 4).by(run).sources(old.UID))
	rn, on, nn, outn := rnode("fraud", run.UID), vnode("fraud", old.UID), vnode("fraud", fresh.UID), vnode("fraud", out.UID)
	a := lineage.Amendment{
		Remove: []lineage.Edge{edge(rn, lineage.RelConsumed, on), edge(outn, lineage.RelDerivedFrom, on),
			edge(rn, lineage.RelConsumed, nn)}, // absent: no change
		Add: []lineage.Edge{edge(rn, lineage.RelConsumed, nn), edge(outn, lineage.RelDerivedFrom, nn),
			edge(outn, lineage.RelDerivedFrom, nn)}, // twice: one edge
	}
	if err := s.Amend(t.Context(), a); err != nil {
		t.Fatalf("Amend: %v", err)
	}
	assertEdges(t, "edges after the move", mustEdges(t, s, []lineage.NodeRef{rn, outn}, lineage.Outgoing),
		edge(rn, lineage.RelConsumed, nn), edge(rn, lineage.RelProduced, outn), edge(outn, lineage.RelDerivedFrom, nn))
	assertEdges(t, "nothing left on the old version", mustEdges(t, s, []lineage.NodeRef{on}, lineage.Incoming))
	// Adding a present edge again changes nothing.
	if err := s.Amend(t.Context(), lineage.Amendment{Add: a.Add}); err != nil {
		t.Fatalf("Amend again: %v", err)
	}
	assertEdges(t, "edges into the new version", mustEdges(t, s, []lineage.NodeRef{nn}, lineage.Incoming),
		edge(rn, lineage.RelConsumed, nn), edge(outn, lineage.RelDerivedFrom, nn))
}

func testAmendMissing(t *testing.T, s lineage.Store) {
	v := mustPutVersion(t, s, newVersion("fraud", "table", "v1", 1))
	run := mustCreateRun(t, s, newRun("fraud", "r1", "train", 3))
	rn, vn := rnode("fraud", run.UID), vnode("fraud", v.UID)
	for name, a := range map[string]lineage.Amendment{
		"run start": {RunStarts: []lineage.RunStart{{Run: run.Key(), At: at(0)}, {Run: lineage.RunKey{Project: "fraud", UID: "nope"}, At: at(0)}}},
		"version times": {RunStarts: []lineage.RunStart{{Run: run.Key(), At: at(0)}},
			VersionTimes: []lineage.VersionTimes{{UID: "nope", CreatedAt: at(0), UpdatedAt: at(0)}}},
		"edge to a missing version": {Add: []lineage.Edge{edge(rn, lineage.RelConsumed, vn), edge(rn, lineage.RelConsumed, vnode("fraud", "nope"))}},
		"edge from a missing run":   {Add: []lineage.Edge{edge(rn, lineage.RelConsumed, vn), edge(rnode("fraud", "nope"), lineage.RelConsumed, vn)}},
		"version of another project": {Add: []lineage.Edge{edge(rn, lineage.RelConsumed, vn),
			edge(rn, lineage.RelConsumed, vnode("other", v.UID))}},
	} {
		wantCode(t, name, s.Amend(t.Context(), a), lineage.ENOTFOUND)
	}
	rs, err := s.GetRuns(t.Context(), []lineage.RunKey{run.Key()})
	if err != nil || len(rs) != 1 {
		t.Fatalf("GetRuns: %v, %d runs", err, len(rs))
	}
	assertRun(t, "the run after refused amendments", rs[0], run)
	assertEdges(t, "no edge written", mustEdges(t, s, []lineage.NodeRef{rn}, lineage.Outgoing))
}

func testAmendRelations(t *testing.T, s lineage.Store) {
	v := mustPutVersion(t, s, newVersion("fraud", "table", "v1", 1))
	w := mustPutVersion(t, s, newVersion("fraud", "table", "v2", 2))
	run := mustCreateRun(t, s, newRun("fraud", "r1", "train", 3))
	rn, vn, wn := rnode("fraud", run.UID), vnode("fraud", v.UID), vnode("fraud", w.UID)
	for _, e := range []lineage.Edge{
		edge(rn, lineage.RelProduced, vn),
		linkEdge(vn, "chart", wn),
		edge(vn, lineage.RelConsumed, wn),
		edge(rn, lineage.RelDerivedFrom, vn),
	} {
		wantCode(t, formatEdges([]lineage.Edge{e}), s.Amend(t.Context(), lineage.Amendment{Add: []lineage.Edge{e}}), lineage.EINVALID)
		wantCode(t, formatEdges([]lineage.Edge{e}), s.Amend(t.Context(), lineage.Amendment{Remove: []lineage.Edge{e}}), lineage.EINVALID)
	}
	assertEdges(t, "no edge written", mustEdges(t, s, []lineage.NodeRef{rn, vn, wn}, lineage.Outgoing))
}

// testAmendLineage checks that a traversal follows the moved edges.
func testAmendLineage(t *testing.T, s lineage.Store) {
	v := mustPutVersion(t, s, newVersion("fraud", "table", "v1", 1))
	w := mustPutVersion(t, s, newVersion("fraud", "table", "v2", 2))
	run := mustCreateRun(t, s, newRun("fraud", "r1", "train", 3), v.UID)
	rn := rnode("fraud", run.UID)
	err := s.Amend(t.Context(), lineage.Amendment{
		RunStarts: []lineage.RunStart{{Run: run.Key(), At: at(0)}},
		Remove:    []lineage.Edge{edge(rn, lineage.RelConsumed, vnode("fraud", v.UID))},
		Add:       []lineage.Edge{edge(rn, lineage.RelConsumed, vnode("fraud", w.UID))},
	})
	if err != nil {
		t.Fatalf("Amend: %v", err)
	}
	g, err := s.Lineage(t.Context(), lineage.LineageQuery{Start: rn, Direction: lineage.Upstream, Depth: 1, Limit: 10})
	if err != nil {
		t.Fatalf("Lineage: %v", err)
	}
	var got []string
	for _, n := range g.Nodes {
		got = append(got, n.Ref.UID)
	}
	slices.Sort(got)
	if want := []string{run.UID, w.UID}; !slices.Equal(got, want) {
		t.Errorf("upstream of the run: got %q, want %q", got, want)
	}
}

func testAmendNamedReads(t *testing.T, s lineage.Store) {
	v := mustPutVersion(t, s, newVersion("fraud", "table", "v1", 1))
	run := mustCreateRun(t, s, newRun("fraud", "r1", "train", 3), v.UID)
	rn, vn := rnode("fraud", run.UID), vnode("fraud", v.UID)
	plain := edge(rn, lineage.RelConsumed, vn)
	named := plain
	named.Name = "datasetVersion=1"
	if err := s.Amend(t.Context(), lineage.Amendment{Add: []lineage.Edge{named, named, plain}}); err != nil {
		t.Fatalf("Amend: %v", err)
	}
	assertEdges(t, "a plain and a named read", mustEdges(t, s, []lineage.NodeRef{rn}, lineage.Outgoing, lineage.RelConsumed), plain, named)
	g, err := s.Lineage(t.Context(), lineage.LineageQuery{Start: vn, Direction: lineage.Downstream, Depth: 1, Limit: 10})
	if err != nil {
		t.Fatalf("Lineage: %v", err)
	}
	assertEdges(t, "Lineage downstream", g.Edges, plain, named)
	if err := s.Amend(t.Context(), lineage.Amendment{Remove: []lineage.Edge{plain}}); err != nil {
		t.Fatalf("Amend: %v", err)
	}
	assertEdges(t, "the named read left", mustEdges(t, s, []lineage.NodeRef{vn}, lineage.Incoming, lineage.RelConsumed), named)
	long := named
	long.Name = string(make([]byte, 5000))
	wantCode(t, "a name too long", s.Amend(t.Context(), lineage.Amendment{Add: []lineage.Edge{long}}), lineage.ELIMIT)
}
