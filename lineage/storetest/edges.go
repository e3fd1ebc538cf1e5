package storetest

import (
	"testing"

	"github.com/artigraph/artigraph/lineage"
)

var edgeTests = []test{
	{"PutVersionWritesItsEdges", testPutVersionEdges},
	{"AddLinkIsIdempotent", testAddLink},
	{"DirectionsRelationsAndOrder", testEdgesQuery},
}

func testPutVersionEdges(t *testing.T, s lineage.Store) {
	train := mustCreateRun(t, s, newRun("iris", "r-train", "train", 0))
	mustPutVersion(t, s, newVersion("iris", "train-set", "v-train", 0))
	mustPutVersion(t, s, newVersion("iris", "test-set", "v-test", 0))
	mustPutVersion(t, s, newVersion("iris", "roc", "v-roc", 0).kind(lineage.KindPlot))
	mustPutVersion(t, s, newVersion("iris", "model", "v-model", 1).kind(lineage.KindModel).by(train).
		sources("v-train", "v-test", "v-train").
		link("chart", "v-roc").link("evaluated-on", "v-test"))

	model := vnode("iris", "v-model")
	assertEdges(t, "Edges leaving the new version", mustEdges(t, s, []lineage.NodeRef{model}, lineage.Outgoing),
		edge(model, lineage.RelDerivedFrom, vnode("iris", "v-train")),
		edge(model, lineage.RelDerivedFrom, vnode("iris", "v-test")),
		linkEdge(model, "chart", vnode("iris", "v-roc")),
		linkEdge(model, "evaluated-on", vnode("iris", "v-test")),
	)
	assertEdges(t, "Edges entering the new version", mustEdges(t, s, []lineage.NodeRef{model}, lineage.Incoming),
		edge(rnode("iris", "r-train"), lineage.RelProduced, model),
	)
	assertEdges(t, "Edges entering the test set", mustEdges(t, s, []lineage.NodeRef{vnode("iris", "v-test")}, lineage.Incoming),
		edge(model, lineage.RelDerivedFrom, vnode("iris", "v-test")),
		linkEdge(model, "evaluated-on", vnode("iris", "v-test")),
	)
}

func testAddLink(t *testing.T, s lineage.Store) {
	mustPutVersion(t, s, newVersion("iris", "model", "v-model", 0))
	mustPutVersion(t, s, newVersion("iris", "roc", "v-roc", 1))
	model := vnode("iris", "v-model")
	for i := range 2 {
		got, err := s.AddLink(t.Context(), "v-model", lineage.Link{Relation: "chart", UID: "v-roc"}, at(2+i))
		if err != nil {
			t.Fatalf("AddLink #%d: %v", i+1, err)
		}
		if got.UID != "v-model" {
			t.Fatalf("AddLink returned %s, want the from version v-model", got.UID)
		}
	}
	assertEdges(t, "Edges after linking twice", mustEdges(t, s, []lineage.NodeRef{model}, lineage.Outgoing),
		linkEdge(model, "chart", vnode("iris", "v-roc")))

	// Another relation between the same versions is another link.
	if _, err := s.AddLink(t.Context(), "v-model", lineage.Link{Relation: "report", UID: "v-roc"}, at(4)); err != nil {
		t.Fatalf("AddLink: %v", err)
	}
	assertEdges(t, "Edges entering the target", mustEdges(t, s, []lineage.NodeRef{vnode("iris", "v-roc")}, lineage.Incoming, lineage.RelLinksTo),
		linkEdge(model, "chart", vnode("iris", "v-roc")),
		linkEdge(model, "report", vnode("iris", "v-roc")))
}

func testEdgesQuery(t *testing.T, s lineage.Store) {
	// raw ─CONSUMED─ prep ─PRODUCED→ clean ←DERIVED_FROM─ sample, clean ─LINKS_TO→ profile
	mustPutVersion(t, s, newVersion("p", "raw", "raw", 0))
	mustPutVersion(t, s, newVersion("p", "profile", "profile", 0))
	prep := mustCreateRun(t, s, newRun("p", "prep", "prep", 1), "raw")
	mustPutVersion(t, s, newVersion("p", "clean", "clean", 2).by(prep).link("profile", "profile"))
	mustPutVersion(t, s, newVersion("p", "sample", "sample", 3).sources("clean"))
	raw, clean, sample, profile, run := vnode("p", "raw"), vnode("p", "clean"), vnode("p", "sample"), vnode("p", "profile"), rnode("p", "prep")

	assertEdges(t, "Outgoing from several nodes", mustEdges(t, s, []lineage.NodeRef{sample, run, clean}, lineage.Outgoing),
		edge(run, lineage.RelConsumed, raw),
		edge(run, lineage.RelProduced, clean),
		edge(sample, lineage.RelDerivedFrom, clean),
		linkEdge(clean, "profile", profile),
	)
	assertEdges(t, "Incoming to several nodes", mustEdges(t, s, []lineage.NodeRef{clean, raw}, lineage.Incoming),
		edge(run, lineage.RelConsumed, raw),
		edge(run, lineage.RelProduced, clean),
		edge(sample, lineage.RelDerivedFrom, clean),
	)
	assertEdges(t, "Incoming, PRODUCED only", mustEdges(t, s, []lineage.NodeRef{clean, raw}, lineage.Incoming, lineage.RelProduced),
		edge(run, lineage.RelProduced, clean),
	)
	assertEdges(t, "Outgoing, CONSUMED and LINKS_TO",
		mustEdges(t, s, []lineage.NodeRef{run, clean, sample}, lineage.Outgoing, lineage.RelConsumed, lineage.RelLinksTo),
		edge(run, lineage.RelConsumed, raw),
		linkEdge(clean, "profile", profile),
	)
	assertEdges(t, "Outgoing from a node without edges", mustEdges(t, s, []lineage.NodeRef{raw}, lineage.Outgoing))
	assertEdges(t, "Incoming to an unknown node", mustEdges(t, s, []lineage.NodeRef{vnode("p", "nope"), rnode("p", "nope")}, lineage.Incoming))
	assertEdges(t, "Edges of no nodes", mustEdges(t, s, nil, lineage.Outgoing))
	// A node is a (type, project, uid): the run's uid as an artifact is another node.
	assertEdges(t, "Outgoing from a same-named node of another type", mustEdges(t, s, []lineage.NodeRef{vnode("p", "prep")}, lineage.Outgoing))
}
