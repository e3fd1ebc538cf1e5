package storetest

import (
	"fmt"
	"testing"

	"github.com/artigraph/artigraph/lineage"
)

var batchTests = []test{
	{"WritesEachAsPutVersionDoes", testBatchWrites},
	{"ExistingUIDTakesOnlyItsTags", testBatchExisting},
	{"MissingReferenceWritesNothing", testBatchMissing},
	{"InvalidOrRepeatedSlotWritesNothing", testBatchInvalid},
	{"EmptyBatchIsNothing", testBatchEmpty},
	{"LargeBatchMatchesOneByOne", testBatchLarge},
}

func putBatch(t testing.TB, s lineage.Store, bs ...*versionBuilder) []lineage.PutResult {
	t.Helper()
	ws := make([]lineage.VersionWrite, len(bs))
	for i, b := range bs {
		ws[i] = b.w
	}
	got, err := s.PutVersions(t.Context(), ws)
	if err != nil {
		t.Fatalf("PutVersions: %v", err)
	}
	if len(got) != len(ws) {
		t.Fatalf("PutVersions: %d results for %d writes", len(got), len(ws))
	}
	return got
}

func testBatchWrites(t *testing.T, s lineage.Store) {
	run := mustCreateRun(t, s, newRun("iris", "r1", "train", 0))
	mustPutVersion(t, s, newVersion("iris", "raw", "v-raw", 0))
	mustPutVersion(t, s, newVersion("iris", "model", "v-old", 0).tags("prod"))
	mustPutVersion(t, s, newVersion("iris", "chart", "v-chart", 0))

	clean := newVersion("iris", "clean", "v-clean", 1).by(run).sources("v-raw").labels("team=ml").tags("gold")
	model := newVersion("iris", "model", "v-model", 1).by(run).sources("v-raw", "v-raw").link("chart", "v-chart").tags("prod")
	other := newVersion("other", "clean", "v-other", 1)
	got := putBatch(t, s, clean, model, other)

	for i, c := range []struct {
		b    *versionBuilder
		tags []string
	}{
		{clean, []string{"gold", lineage.TagLatest}},
		{model, []string{lineage.TagLatest, "prod"}},
		{other, []string{lineage.TagLatest}},
	} {
		want := c.b.w.Version
		want.Tags = c.tags
		if !got[i].Created {
			t.Errorf("result %d (%s): created = false for a new uid", i, want.UID)
		}
		assertVersion(t, fmt.Sprintf("result %d", i), got[i].Version, want)
		assertVersion(t, "GetVersions of "+want.UID, mustGetVersion(t, s, want.UID), want)
	}
	// The batch's tags moved from the versions that held them.
	assertTags(t, mustGetVersion(t, s, "v-old"))
	assertEdges(t, "the run's outputs", mustEdges(t, s, []lineage.NodeRef{rnode("iris", "r1")}, lineage.Outgoing),
		edge(rnode("iris", "r1"), lineage.RelProduced, vnode("iris", "v-clean")),
		edge(rnode("iris", "r1"), lineage.RelProduced, vnode("iris", "v-model")))
	assertEdges(t, "what the model points to", mustEdges(t, s, []lineage.NodeRef{vnode("iris", "v-model")}, lineage.Outgoing),
		edge(vnode("iris", "v-model"), lineage.RelDerivedFrom, vnode("iris", "v-raw")),
		linkEdge(vnode("iris", "v-model"), "chart", vnode("iris", "v-chart")))
	assertEdges(t, "readers of raw", mustEdges(t, s, []lineage.NodeRef{vnode("iris", "v-raw")}, lineage.Incoming),
		edge(vnode("iris", "v-clean"), lineage.RelDerivedFrom, vnode("iris", "v-raw")),
		edge(vnode("iris", "v-model"), lineage.RelDerivedFrom, vnode("iris", "v-raw")))
}

func testBatchExisting(t *testing.T, s lineage.Store) {
	first := mustPutVersion(t, s, newVersion("iris", "model", "v1", 1))
	mustPutVersion(t, s, newVersion("iris", "model", "v2", 2).tags("prod"))

	again := newVersion("iris", "model", "v1", 5).tags("prod").labels("ignored=yes")
	again.w.Version.Description = "a retry"
	fresh := newVersion("iris", "data", "v3", 5)
	got := putBatch(t, s, again, fresh)

	if got[0].Created {
		t.Error("the existing uid: created = true")
	}
	want := first
	want.Tags = []string{"prod"}
	want.UpdatedAt = at(5) // it took a tag
	assertVersion(t, "the existing uid's result", got[0].Version, want)
	assertVersion(t, "GetVersions of the existing uid", mustGetVersion(t, s, "v1"), want)
	assertTags(t, mustGetVersion(t, s, "v2"), lineage.TagLatest)
	if !got[1].Created {
		t.Error("the new uid beside it: created = false")
	}
	assertTags(t, mustGetVersion(t, s, "v3"), lineage.TagLatest)
}

func testBatchMissing(t *testing.T, s lineage.Store) {
	mustPutVersion(t, s, newVersion("iris", "raw", "v-raw", 0))
	for name, bad := range map[string]*versionBuilder{
		"a missing source":             newVersion("iris", "bad", "v-bad", 1).sources("v-raw", "v-missing"),
		"a missing link target":        newVersion("iris", "bad", "v-bad", 1).link("chart", "v-missing"),
		"a missing run":                newVersion("iris", "bad", "v-bad", 1).by(newRun("iris", "r-missing", "prep", 0)),
		"a source in the same batch":   newVersion("iris", "bad", "v-bad", 1).sources("v-good"),
		"a link into the same batch":   newVersion("iris", "bad", "v-bad", 1).link("chart", "v-good"),
		"a missing source, then a tag": newVersion("iris", "raw", "v-raw2", 1).sources("v-missing").tags("prod"),
	} {
		good := newVersion("iris", "good", "v-good", 1).sources("v-raw").tags("prod")
		_, err := s.PutVersions(t.Context(), []lineage.VersionWrite{good.w, bad.w})
		wantCode(t, "PutVersions with "+name, err, lineage.ENOTFOUND)
		vs, err := s.GetVersions(t.Context(), []string{"v-good", "v-bad", "v-raw2"})
		if err != nil {
			t.Fatalf("GetVersions: %v", err)
		}
		if len(vs) != 0 {
			t.Fatalf("PutVersions with %s wrote %s", name, vs[0].UID)
		}
		assertEdges(t, "readers of raw after PutVersions with "+name,
			mustEdges(t, s, []lineage.NodeRef{vnode("iris", "v-raw")}, lineage.Incoming))
		assertTags(t, mustGetVersion(t, s, "v-raw"), lineage.TagLatest)
	}
}

func testBatchInvalid(t *testing.T, s lineage.Store) {
	mustPutVersion(t, s, newVersion("iris", "raw", "v-raw", 0))
	noKind := newVersion("iris", "bad", "v-bad", 1)
	noKind.w.Version.Kind = "nonsense"
	for name, bad := range map[string][]*versionBuilder{
		"an unknown kind":              {newVersion("iris", "good", "v-good", 1), noKind},
		"a link without a relation":    {newVersion("iris", "good", "v-good", 1), newVersion("iris", "bad", "v-bad", 1).link("", "v-raw")},
		"one key and iteration twice":  {newVersion("iris", "good", "v-good", 1), newVersion("iris", "good", "v-bad", 2)},
		"one uid twice":                {newVersion("iris", "good", "v-good", 1), newVersion("iris", "good", "v-good", 1)},
		"an existing uid, then a typo": {newVersion("iris", "raw", "v-raw", 1).tags("prod"), noKind},
	} {
		ws := []lineage.VersionWrite{bad[0].w, bad[1].w}
		_, err := s.PutVersions(t.Context(), ws)
		wantCode(t, "PutVersions with "+name, err, lineage.EINVALID)
		vs, err := s.GetVersions(t.Context(), []string{"v-good", "v-bad"})
		if err != nil {
			t.Fatalf("GetVersions: %v", err)
		}
		if len(vs) != 0 {
			t.Fatalf("PutVersions with %s wrote %s", name, vs[0].UID)
		}
		assertTags(t, mustGetVersion(t, s, "v-raw"), lineage.TagLatest)
	}
	// The same key at another iteration is another slot.
	got := putBatch(t, s, newVersion("iris", "good", "v-i0", 1), newVersion("iris", "good", "v-i1", 1).iter(1))
	assertTags(t, got[0].Version, lineage.TagLatest)
	assertTags(t, got[1].Version, lineage.TagLatest)
}

func testBatchEmpty(t *testing.T, s lineage.Store) {
	got, err := s.PutVersions(t.Context(), nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("PutVersions of nothing: %d results, %v", len(got), err)
	}
}

// testBatchLarge writes a batch of the size LogArtifacts allows and compares
// it with the same writes one by one in another project.
func testBatchLarge(t *testing.T, s lineage.Store) {
	for _, p := range []string{"batch", "single"} {
		mustCreateRun(t, s, newRun(p, "r", "etl", 0))
		mustPutVersion(t, s, newVersion(p, "raw", "raw-"+p, 0))
	}
	build := func(p string, i int) *versionBuilder {
		b := newVersion(p, fmt.Sprintf("k%04d", i), fmt.Sprintf("%s-%04d", p, i), 1).
			by(newRun(p, "r", "etl", 0)).sources("raw-" + p).labels(fmt.Sprintf("shard=%d", i%7))
		if i%3 == 0 {
			b.tags("gold")
		}
		return b
	}
	var bs []*versionBuilder
	for i := range lineage.MaxLogBatch {
		bs = append(bs, build("batch", i))
	}
	got := putBatch(t, s, bs...)
	for i := range lineage.MaxLogBatch {
		one := mustPutVersion(t, s, build("single", i))
		b := got[i].Version
		if !got[i].Created {
			t.Fatalf("result %d: created = false", i)
		}
		one.Project, one.UID, one.Run, one.Producer, one.TargetPath = b.Project, b.UID, b.Run, b.Producer, b.TargetPath
		one.Tree = b.Tree
		assertVersion(t, fmt.Sprintf("result %d against the same write alone", i), b, one)
	}
	for _, p := range []string{"batch", "single"} {
		f := lineage.VersionFilter{Labels: []string{"shard=3"}}
		if n := len(listAll(t, s, p, f)); n != 143 {
			t.Errorf("%s: %d versions labelled shard=3, want 143", p, n)
		}
		if n := len(mustEdges(t, s, []lineage.NodeRef{vnode(p, "raw-"+p)}, lineage.Incoming)); n != lineage.MaxLogBatch {
			t.Errorf("%s: %d versions derived from raw, want %d", p, n, lineage.MaxLogBatch)
		}
	}
}
