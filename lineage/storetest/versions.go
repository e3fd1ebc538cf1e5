package storetest

import (
	"encoding/json"
	"testing"

	"github.com/artigraph/artigraph/lineage"
)

var versionTests = []test{
	{"EveryFieldRoundTrips", testVersionRoundTrip},
	{"PutExistingUIDReturnsStored", testPutExisting},
	{"PutWithMissingReferenceIsNotFound", testPutMissingReferences},
	{"GetInOrderAskedSkippingMissing", testGetVersions},
	{"ReturnedValuesAreCopies", testReturnedCopies},
}

var tagTests = []test{
	{"NewVersionTakesLatestInItsKeyAndIteration", testLatestMoves},
	{"WriteTagsAreApplied", testWriteTags},
	{"TagMovesToTaker", testTagMoves},
	{"TagAlreadyHeldChangesNothing", testTagHeld},
	{"TagScopedByIteration", testTagScopedByIteration},
	{"UntagRemovesOrDoesNothing", testUntag},
	{"UnknownVersionIsNotFound", testTagUnknown},
}

func testVersionRoundTrip(t *testing.T, s lineage.Store) {
	run := mustCreateRun(t, s, newRun("iris", "r-train", "train", 0))
	size := int64(1 << 20)
	length := 150
	dataset := lineage.Version{
		UID:         "uid-ds",
		Project:     "iris",
		Key:         "iris-clean",
		Kind:        lineage.KindDataset,
		Iteration:   2,
		Tree:        "r-train",
		Labels:      []lineage.Label{{Key: "team", Value: ptr("ml")}, {Key: "gold"}, {Key: "note", Value: ptr("")}},
		Description: "Iris measurements, cleaned",
		CreatedAt:   at(1),
		UpdatedAt:   at(1).Add(1500 * 1000), // 1.5ms later: microseconds survive
		TargetPath:  "gs://bucket/iris/train/2/iris-clean.parquet",
		Format:      "parquet",
		Size:        &size,
		Hash:        "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Stored:      true,
		Run:         &lineage.RunKey{Project: "iris", UID: "r-train"},
		Producer:    lineage.Producer{Kind: "run", Name: "train", URI: "iris/r-train", Owner: "ada"},
		Owner:       "ada",
		ExternalSources: []string{
			"https://archive.ics.uci.edu/iris.csv", "s3://raw/iris/2025-03-14.csv",
		},
		Dataset: &lineage.DatasetInfo{
			Schema: json.RawMessage(`{"fields": [{"name": "sepal_length", "type": "number"}, {"name": "species", "type": "string"}]}`),
			Header: []string{"sepal_length", "species", "valid", "comment"},
			Length: &length,
			Preview: [][]any{
				{5.1, "setosa", true, nil},
				{7, "virginica", false, "needs review"},
			},
			Stats: json.RawMessage(`{"sepal_length": {"mean": 5.843, "max": 7.9}}`),
		},
		Extra: json.RawMessage(`{"notebook": "clean.ipynb", "nested": {"list": [1, "two", null]}}`),
	}
	model := lineage.Version{
		UID:        "uid-model",
		Project:    "iris",
		Key:        "classifier",
		Kind:       lineage.KindModel,
		CreatedAt:  at(2),
		UpdatedAt:  at(2),
		TargetPath: "gs://bucket/iris/train/0/classifier/",
		Run:        &lineage.RunKey{Project: "iris", UID: run.UID},
		Producer:   lineage.Producer{Kind: "run", Name: "train", URI: "iris/r-train"},
		Model: &lineage.ModelInfo{
			ModelFile:     "model.pkl",
			Framework:     "sklearn",
			Algorithm:     "RandomForestClassifier",
			Metrics:       json.RawMessage(`{"accuracy": 0.97, "f1": 0.96}`),
			Parameters:    json.RawMessage(`{"n_estimators": 100, "max_depth": null}`),
			FeatureVector: "store://feature-vectors/iris/iris-vec",
		},
	}
	for _, v := range []lineage.Version{dataset, model} {
		got, created, err := s.PutVersion(t.Context(), lineage.VersionWrite{Version: v})
		if err != nil || !created {
			t.Fatalf("PutVersion %s: created %v, %v", v.UID, created, err)
		}
		want := v
		want.Tags = []string{lineage.TagLatest}
		assertVersion(t, "PutVersion's result", got, want)
		stored := mustGetVersion(t, s, v.UID)
		assertVersion(t, "GetVersions", stored, want)
		assertTime(t, "UpdatedAt", stored.UpdatedAt, v.UpdatedAt)
		assertTime(t, "CreatedAt", stored.CreatedAt, v.CreatedAt)
	}
	// A label without a value stays without one; an empty value stays empty.
	got := mustGetVersion(t, s, "uid-ds")
	if got.Labels[1].Value != nil {
		t.Errorf("label %q: value %q, want none", got.Labels[1].Key, *got.Labels[1].Value)
	}
	if got.Labels[2].Value == nil || *got.Labels[2].Value != "" {
		t.Errorf("label %q: value %v, want the empty string", got.Labels[2].Key, got.Labels[2].Value)
	}
}

func testPutExisting(t *testing.T, s lineage.Store) {
	first := newVersion("iris", "model", "v1", 1).labels("team=ml")
	first.w.Version.Description = "the first write"
	mustPutVersion(t, s, first)
	mustPutVersion(t, s, newVersion("iris", "model", "v2", 2)) // takes latest
	mustPutVersion(t, s, newVersion("iris", "model", "v3", 3).tags("prod"))

	// The same uid again, with other fields and a tag: only the tag is applied,
	// and latest stays where it is.
	again := newVersion("iris", "model", "v1", 4).labels("team=other").tags("prod")
	again.w.Version.Description = "a retry"
	got, created, err := s.PutVersion(t.Context(), again.w)
	if err != nil {
		t.Fatalf("PutVersion of an existing uid: %v", err)
	}
	if created {
		t.Fatal("PutVersion of an existing uid: created = true")
	}
	want := first.w.Version
	want.Tags = []string{"prod"}
	want.UpdatedAt = at(4) // it took a tag
	assertVersion(t, "PutVersion of an existing uid", got, want)
	assertVersion(t, "GetVersions after it", mustGetVersion(t, s, "v1"), want)
	assertTags(t, mustGetVersion(t, s, "v3"), lineage.TagLatest)

	// Without tags it returns the stored version unchanged.
	got, created, err = s.PutVersion(t.Context(), newVersion("iris", "model", "v1", 5).w)
	if err != nil || created {
		t.Fatalf("PutVersion of an existing uid, no tags: created %v, %v", created, err)
	}
	assertVersion(t, "PutVersion of an existing uid, no tags", got, want)
}

func testPutMissingReferences(t *testing.T, s lineage.Store) {
	mustPutVersion(t, s, newVersion("iris", "raw", "v-raw", 0))
	for name, b := range map[string]*versionBuilder{
		"a missing source":      newVersion("iris", "clean", "v-new", 1).sources("v-raw", "v-missing"),
		"a missing link target": newVersion("iris", "clean", "v-new", 1).sources("v-raw").link("chart", "v-missing"),
		"a missing run":         newVersion("iris", "clean", "v-new", 1).by(newRun("iris", "r-missing", "prep", 0)),
	} {
		_, _, err := s.PutVersion(t.Context(), b.w)
		wantCode(t, "PutVersion with "+name, err, lineage.ENOTFOUND)
		vs, err := s.GetVersions(t.Context(), []string{"v-new"})
		if err != nil {
			t.Fatalf("GetVersions: %v", err)
		}
		if len(vs) != 0 {
			t.Fatalf("PutVersion with %s wrote the version", name)
		}
		assertEdges(t, "edges of the source after PutVersion with "+name,
			mustEdges(t, s, []lineage.NodeRef{vnode("iris", "v-raw")}, lineage.Incoming))
	}
	assertTags(t, mustGetVersion(t, s, "v-raw"), lineage.TagLatest)
}

func testGetVersions(t *testing.T, s lineage.Store) {
	for i, uid := range []string{"a", "b", "c"} {
		mustPutVersion(t, s, newVersion("iris", "k-"+uid, uid, i))
	}
	vs, err := s.GetVersions(t.Context(), []string{"c", "missing", "a"})
	if err != nil {
		t.Fatalf("GetVersions: %v", err)
	}
	assertUIDs(t, "GetVersions", vs, "c", "a")
	vs, err = s.GetVersions(t.Context(), nil)
	if err != nil || len(vs) != 0 {
		t.Fatalf("GetVersions of nothing: %d versions, %v", len(vs), err)
	}
}

func testReturnedCopies(t *testing.T, s lineage.Store) {
	b := newVersion("iris", "ds", "v1", 0).labels("team=ml").tags("prod")
	b.w.Version.ExternalSources = []string{"https://example.com/a.csv"}
	b.w.Version.Dataset = &lineage.DatasetInfo{Header: []string{"a"}, Preview: [][]any{{1.5, "x"}}, Schema: json.RawMessage(`{"a":1}`)}
	b.w.Version.Extra = json.RawMessage(`{"k":"v"}`)
	put := mustPutVersion(t, s, b)
	want := canonical(mustGetVersion(t, s, "v1"))

	// Scribble over everything the store handed out, and over what was passed in.
	for _, v := range []*lineage.Version{&put, &b.w.Version} {
		if len(v.Tags) > 0 {
			v.Tags[0] = "scribbled"
		}
		*v.Labels[0].Value = "scribbled"
		v.Labels[0].Key = "scribbled"
		v.ExternalSources[0] = "scribbled"
		v.Dataset.Header[0] = "scribbled"
		v.Dataset.Preview[0][0] = "scribbled"
		v.Dataset.Schema[2] = 'X'
		v.Extra[2] = 'X'
	}
	got := mustGetVersion(t, s, "v1")
	got.Labels[0].Key = "scribbled"
	got.Dataset.Preview[0][1] = "scribbled"
	if g := canonical(mustGetVersion(t, s, "v1")); g != want {
		t.Fatalf("changing returned values changed the store\n got: %s\nwant: %s", g, want)
	}
	list, err := s.ListVersions(t.Context(), "iris", lineage.VersionFilter{}, lineage.Page{First: 10})
	if err != nil || len(list.Versions) != 1 {
		t.Fatalf("ListVersions: %v", err)
	}
	list.Versions[0].Tags[0] = "scribbled"
	if g := canonical(mustGetVersion(t, s, "v1")); g != want {
		t.Fatalf("changing a listed version changed the store\n got: %s\nwant: %s", g, want)
	}
}

func testLatestMoves(t *testing.T, s lineage.Store) {
	mustPutVersion(t, s, newVersion("iris", "model", "v1", 1))
	v2 := mustPutVersion(t, s, newVersion("iris", "model", "v2", 2))
	assertTags(t, v2, lineage.TagLatest)
	assertTags(t, mustGetVersion(t, s, "v1"))
	assertTags(t, mustGetVersion(t, s, "v2"), lineage.TagLatest)

	// Another iteration, another key, another project: each its own latest.
	mustPutVersion(t, s, newVersion("iris", "model", "v3-iter1", 3).iter(1))
	mustPutVersion(t, s, newVersion("iris", "other", "v4-other", 4))
	mustPutVersion(t, s, newVersion("wine", "model", "v5-wine", 5))
	for _, uid := range []string{"v2", "v3-iter1", "v4-other", "v5-wine"} {
		assertTags(t, mustGetVersion(t, s, uid), lineage.TagLatest)
	}
	// A newer iteration-1 version takes latest from the iteration-1 one only.
	mustPutVersion(t, s, newVersion("iris", "model", "v6-iter1", 6).iter(1))
	assertTags(t, mustGetVersion(t, s, "v3-iter1"))
	assertTags(t, mustGetVersion(t, s, "v2"), lineage.TagLatest)
	assertTags(t, mustGetVersion(t, s, "v6-iter1"), lineage.TagLatest)
}

func testWriteTags(t *testing.T, s lineage.Store) {
	v1 := mustPutVersion(t, s, newVersion("iris", "model", "v1", 1).tags("prod", "candidate"))
	assertTags(t, v1, lineage.TagLatest, "prod", "candidate")
	v2 := mustPutVersion(t, s, newVersion("iris", "model", "v2", 2).tags("prod"))
	assertTags(t, v2, lineage.TagLatest, "prod")
	assertTags(t, mustGetVersion(t, s, "v1"), "candidate")
	assertTags(t, mustGetVersion(t, s, "v2"), lineage.TagLatest, "prod")
}

// holders returns the versions of project/key holding tag, as ListVersions
// finds them.
func holders(t *testing.T, s lineage.Store, project, key, tag string) []string {
	t.Helper()
	return uidsOf(listAll(t, s, project, lineage.VersionFilter{Key: key, Tag: tag}))
}

func testTagMoves(t *testing.T, s lineage.Store) {
	for i, uid := range []string{"v1", "v2", "v3"} {
		mustPutVersion(t, s, newVersion("iris", "model", uid, i))
	}
	v1 := mustTag(t, s, "v1", "prod", at(10))
	assertTags(t, v1, "prod")
	assertTime(t, "UpdatedAt of the tagged version", v1.UpdatedAt, at(10))
	assertTime(t, "UpdatedAt of the tagged version, read back", mustGetVersion(t, s, "v1").UpdatedAt, at(10))

	v2 := mustTag(t, s, "v2", "prod", at(11))
	assertTags(t, v2, "prod")
	assertTime(t, "UpdatedAt of the taker", v2.UpdatedAt, at(11))
	assertTags(t, mustGetVersion(t, s, "v1"))
	if got := holders(t, s, "iris", "model", "prod"); len(got) != 1 || got[0] != "v2" {
		t.Fatalf("holders of prod: %q, want [v2]", got)
	}

	// latest moves like any tag.
	mustTag(t, s, "v1", lineage.TagLatest, at(12))
	assertTags(t, mustGetVersion(t, s, "v3"))
	assertTags(t, mustGetVersion(t, s, "v1"), lineage.TagLatest)
	if got := holders(t, s, "iris", "model", lineage.TagLatest); len(got) != 1 || got[0] != "v1" {
		t.Fatalf("holders of latest: %q, want [v1]", got)
	}
}

func testTagHeld(t *testing.T, s lineage.Store) {
	mustPutVersion(t, s, newVersion("iris", "model", "v1", 1))
	mustTag(t, s, "v1", "prod", at(10))
	again := mustTag(t, s, "v1", "prod", at(20))
	assertTags(t, again, lineage.TagLatest, "prod")
	assertTime(t, "UpdatedAt after tagging with a held tag", again.UpdatedAt, at(10))
	assertTime(t, "UpdatedAt after tagging with a held tag, read back", mustGetVersion(t, s, "v1").UpdatedAt, at(10))
}

func testTagScopedByIteration(t *testing.T, s lineage.Store) {
	mustPutVersion(t, s, newVersion("iris", "model", "it1", 1).iter(1))
	mustPutVersion(t, s, newVersion("iris", "model", "it2", 2).iter(2))
	mustTag(t, s, "it1", "best", at(3))
	mustTag(t, s, "it2", "best", at(4))
	assertTags(t, mustGetVersion(t, s, "it1"), lineage.TagLatest, "best")
	assertTags(t, mustGetVersion(t, s, "it2"), lineage.TagLatest, "best")
}

func testUntag(t *testing.T, s lineage.Store) {
	mustPutVersion(t, s, newVersion("iris", "model", "v1", 1))
	mustTag(t, s, "v1", "prod", at(10))
	v, err := s.UntagVersion(t.Context(), "v1", "prod", at(12))
	if err != nil {
		t.Fatalf("UntagVersion: %v", err)
	}
	assertTags(t, v, lineage.TagLatest)
	assertTime(t, "UpdatedAt after untagging", v.UpdatedAt, at(12))
	assertTags(t, mustGetVersion(t, s, "v1"), lineage.TagLatest)
	if got := holders(t, s, "iris", "model", "prod"); len(got) != 0 {
		t.Fatalf("holders of prod after untagging: %q", got)
	}

	// Not held: nothing changes.
	for _, tag := range []string{"prod", "never-set"} {
		v, err = s.UntagVersion(t.Context(), "v1", tag, at(15))
		if err != nil {
			t.Fatalf("UntagVersion of a tag not held: %v", err)
		}
		assertTags(t, v, lineage.TagLatest)
		assertTime(t, "UpdatedAt after untagging a tag not held", v.UpdatedAt, at(12))
	}
}

func testTagUnknown(t *testing.T, s lineage.Store) {
	mustPutVersion(t, s, newVersion("iris", "model", "v1", 1))
	_, err := s.TagVersion(t.Context(), "missing", "prod", at(2))
	wantCode(t, "TagVersion of a missing version", err, lineage.ENOTFOUND)
	_, err = s.UntagVersion(t.Context(), "missing", "prod", at(2))
	wantCode(t, "UntagVersion of a missing version", err, lineage.ENOTFOUND)
	_, err = s.AddLink(t.Context(), "missing", lineage.Link{Relation: "chart", UID: "v1"}, at(2))
	wantCode(t, "AddLink from a missing version", err, lineage.ENOTFOUND)
	_, err = s.AddLink(t.Context(), "v1", lineage.Link{Relation: "chart", UID: "missing"}, at(2))
	wantCode(t, "AddLink to a missing version", err, lineage.ENOTFOUND)
	assertEdges(t, "edges after failed AddLinks", mustEdges(t, s, []lineage.NodeRef{vnode("iris", "v1")}, lineage.Outgoing))
}
