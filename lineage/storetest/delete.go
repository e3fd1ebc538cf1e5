package storetest

import (
	"testing"

	"github.com/artigraph/artigraph/lineage"
)

var deleteTests = []test{
	{"CountsWhatExisted", testDeleteCounts},
	{"RemovesEdgesBothWays", testDeleteEdges},
	{"ReleasesTags", testDeleteTags},
}

func testDeleteCounts(t *testing.T, s lineage.Store) {
	for i, uid := range []string{"v1", "v2", "v3"} {
		mustPutVersion(t, s, newVersion("p", "k", uid, i))
	}
	n, err := s.DeleteVersions(t.Context(), []string{"v1", "missing", "v3"})
	if err != nil || n != 2 {
		t.Fatalf("DeleteVersions: %d, %v; want 2", n, err)
	}
	vs, err := s.GetVersions(t.Context(), []string{"v1", "v2", "v3"})
	if err != nil {
		t.Fatalf("GetVersions: %v", err)
	}
	assertUIDs(t, "GetVersions after deleting", vs, "v2")
	assertUIDs(t, "ListVersions after deleting", listAll(t, s, "p", lineage.VersionFilter{}), "v2")

	for _, uids := range [][]string{{"v1", "v3"}, {"missing"}, nil} {
		n, err = s.DeleteVersions(t.Context(), uids)
		if err != nil || n != 0 {
			t.Fatalf("DeleteVersions %q: %d, %v; want 0", uids, n, err)
		}
	}
}

func testDeleteEdges(t *testing.T, s lineage.Store) {
	// raw ←CONSUMED─ prep ─PRODUCED→ clean ─DERIVED_FROM→ raw; report ─LINKS_TO→ clean ─LINKS_TO→ raw
	mustPutVersion(t, s, newVersion("p", "raw", "raw", 0))
	prep := mustCreateRun(t, s, newRun("p", "prep", "prep", 1), "raw")
	mustPutVersion(t, s, newVersion("p", "clean", "clean", 2).by(prep).sources("raw").link("origin", "raw"))
	mustPutVersion(t, s, newVersion("p", "report", "report", 3).link("data", "clean"))
	// A run that read clean.
	mustCreateRun(t, s, newRun("p", "train", "train", 4), "clean", "raw")
	raw, clean, report, run, train := vnode("p", "raw"), vnode("p", "clean"), vnode("p", "report"), rnode("p", "prep"), rnode("p", "train")

	n, err := s.DeleteVersions(t.Context(), []string{"clean"})
	if err != nil || n != 1 {
		t.Fatalf("DeleteVersions: %d, %v", n, err)
	}
	assertEdges(t, "Edges leaving prep", mustEdges(t, s, []lineage.NodeRef{run}, lineage.Outgoing),
		edge(run, lineage.RelConsumed, raw))
	assertEdges(t, "Edges leaving train", mustEdges(t, s, []lineage.NodeRef{train}, lineage.Outgoing),
		edge(train, lineage.RelConsumed, raw))
	assertEdges(t, "Edges entering raw", mustEdges(t, s, []lineage.NodeRef{raw}, lineage.Incoming),
		edge(run, lineage.RelConsumed, raw),
		edge(train, lineage.RelConsumed, raw))
	assertEdges(t, "Edges leaving report", mustEdges(t, s, []lineage.NodeRef{report}, lineage.Outgoing))
	assertEdges(t, "Edges leaving the deleted version", mustEdges(t, s, []lineage.NodeRef{clean}, lineage.Outgoing))
	assertEdges(t, "Edges entering the deleted version", mustEdges(t, s, []lineage.NodeRef{clean}, lineage.Incoming))

	g, err := s.Lineage(t.Context(), lineage.LineageQuery{Start: raw, Direction: lineage.Downstream, Depth: 5, Limit: 100})
	if err != nil {
		t.Fatalf("Lineage: %v", err)
	}
	if len(g.Nodes) != 3 {
		t.Fatalf("Lineage downstream of raw after deleting clean: %d nodes, want raw, prep and train", len(g.Nodes))
	}
}

func testDeleteTags(t *testing.T, s lineage.Store) {
	mustPutVersion(t, s, newVersion("p", "model", "v1", 1))
	mustPutVersion(t, s, newVersion("p", "model", "v2", 2).tags("prod"))
	n, err := s.DeleteVersions(t.Context(), []string{"v2"})
	if err != nil || n != 1 {
		t.Fatalf("DeleteVersions: %d, %v", n, err)
	}
	// Deleting does not hand latest back to an older version.
	for _, tag := range []string{lineage.TagLatest, "prod"} {
		if got := holders(t, s, "p", "model", tag); len(got) != 0 {
			t.Fatalf("holders of %s after deleting its holder: %q", tag, got)
		}
	}
	assertTags(t, mustGetVersion(t, s, "v1"))

	// The tags are free to take.
	mustTag(t, s, "v1", "prod", at(5))
	mustPutVersion(t, s, newVersion("p", "model", "v3", 6))
	if got := holders(t, s, "p", "model", "prod"); len(got) != 1 || got[0] != "v1" {
		t.Fatalf("holders of prod: %q, want [v1]", got)
	}
	if got := holders(t, s, "p", "model", lineage.TagLatest); len(got) != 1 || got[0] != "v3" {
		t.Fatalf("holders of latest: %q, want [v3]", got)
	}
}
