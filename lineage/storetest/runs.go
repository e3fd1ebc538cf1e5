package storetest

import (
	"slices"
	"testing"

	"github.com/artigraph/artigraph/lineage"
)

var runTests = []test{
	{"CreateThenGetInOrderAsked", testCreateAndGetRuns},
	{"CreateDuplicateKeyConflicts", testCreateRunConflict},
	{"CreateWithMissingInputIsNotFound", testCreateRunMissingInput},
	{"InputsBecomeConsumedEdges", testRunInputs},
	{"FinishSetsStateAndTime", testFinishRun},
	{"FinishMissingIsNotFound", testFinishRunMissing},
	{"ListNewestFirst", testListRunsOrder},
	{"ListPages", testListRunsPages},
	{"ListBadCursorIsInvalid", testListRunsBadCursor},
	{"ListUnknownProjectIsEmpty", testListRunsUnknownProject},
}

func testCreateAndGetRuns(t *testing.T, s lineage.Store) {
	train := newRun("fraud", "r-train", "train", 1)
	train.Pipeline = "nightly"
	train.Labels = []lineage.Label{{Key: "gpu", Value: ptr("a100")}, {Key: "debug"}}
	got := mustCreateRun(t, s, train)
	assertRun(t, "CreateRun", got, train)
	prep := mustCreateRun(t, s, newRun("fraud", "r-prep", "prep", 0))

	rs, err := s.GetRuns(t.Context(), []lineage.RunKey{
		train.Key(), {Project: "fraud", UID: "missing"}, prep.Key(), {Project: "other", UID: "r-train"},
	})
	if err != nil {
		t.Fatalf("GetRuns: %v", err)
	}
	if got, want := runUIDs(rs), []string{"r-train", "r-prep"}; !slices.Equal(got, want) {
		t.Fatalf("GetRuns: got %q, want %q (in the order asked, missing skipped)", got, want)
	}
	assertRun(t, "GetRuns", rs[0], train)
	assertRun(t, "GetRuns", rs[1], prep)
}

func testCreateRunConflict(t *testing.T, s lineage.Store) {
	first := mustCreateRun(t, s, newRun("fraud", "r1", "train", 1))
	again := newRun("fraud", "r1", "other-name", 2)
	_, err := s.CreateRun(t.Context(), again, nil)
	wantCode(t, "CreateRun with an existing key", err, lineage.ECONFLICT)

	rs, err := s.GetRuns(t.Context(), []lineage.RunKey{first.Key()})
	if err != nil || len(rs) != 1 {
		t.Fatalf("GetRuns: %v, %d runs", err, len(rs))
	}
	assertRun(t, "the run after a conflicting create", rs[0], first)

	// uids are unique within a project only.
	mustCreateRun(t, s, newRun("other", "r1", "train", 1))
}

func testCreateRunMissingInput(t *testing.T, s lineage.Store) {
	mustPutVersion(t, s, newVersion("fraud", "raw", "v-raw", 0))
	r := newRun("fraud", "r1", "prep", 1)
	_, err := s.CreateRun(t.Context(), r, []string{"v-raw", "v-missing"})
	wantCode(t, "CreateRun with a missing input", err, lineage.ENOTFOUND)

	rs, err := s.GetRuns(t.Context(), []lineage.RunKey{r.Key()})
	if err != nil {
		t.Fatalf("GetRuns: %v", err)
	}
	if len(rs) != 0 {
		t.Fatal("a run whose create failed was written")
	}
	assertEdges(t, "edges into the input after a failed create",
		mustEdges(t, s, []lineage.NodeRef{vnode("fraud", "v-raw")}, lineage.Incoming))
}

func testRunInputs(t *testing.T, s lineage.Store) {
	mustPutVersion(t, s, newVersion("fraud", "raw", "v-raw", 0))
	mustPutVersion(t, s, newVersion("fraud", "labels", "v-labels", 0))
	mustPutVersion(t, s, newVersion("shared", "holidays", "v-hol", 0))
	run := rnode("fraud", "r-prep")
	mustCreateRun(t, s, newRun("fraud", "r-prep", "prep", 1), "v-raw", "v-labels", "v-hol")

	assertEdges(t, "Edges leaving the run", mustEdges(t, s, []lineage.NodeRef{run}, lineage.Outgoing),
		edge(run, lineage.RelConsumed, vnode("fraud", "v-raw")),
		edge(run, lineage.RelConsumed, vnode("fraud", "v-labels")),
		edge(run, lineage.RelConsumed, vnode("shared", "v-hol")),
	)
	assertEdges(t, "CONSUMED edges entering an input",
		mustEdges(t, s, []lineage.NodeRef{vnode("shared", "v-hol")}, lineage.Incoming, lineage.RelConsumed),
		edge(run, lineage.RelConsumed, vnode("shared", "v-hol")),
	)
}

func testFinishRun(t *testing.T, s lineage.Store) {
	r := mustCreateRun(t, s, newRun("fraud", "r1", "train", 1))
	got, err := s.FinishRun(t.Context(), r.Key(), lineage.RunCompleted, at(9))
	if err != nil {
		t.Fatalf("FinishRun: %v", err)
	}
	want := r
	want.State = lineage.RunCompleted
	want.FinishedAt = ptr(at(9))
	assertRun(t, "FinishRun", got, want)
	rs, err := s.GetRuns(t.Context(), []lineage.RunKey{r.Key()})
	if err != nil || len(rs) != 1 {
		t.Fatalf("GetRuns: %v, %d runs", err, len(rs))
	}
	assertRun(t, "GetRuns after FinishRun", rs[0], want)
}

func testFinishRunMissing(t *testing.T, s lineage.Store) {
	_, err := s.FinishRun(t.Context(), lineage.RunKey{Project: "fraud", UID: "nope"}, lineage.RunFailed, at(1))
	wantCode(t, "FinishRun of a missing run", err, lineage.ENOTFOUND)
}

func testListRunsOrder(t *testing.T, s lineage.Store) {
	for _, r := range []lineage.Run{
		newRun("fraud", "r-1", "a", 1),
		newRun("fraud", "r-3b", "b", 3),
		newRun("fraud", "r-2", "c", 2),
		newRun("fraud", "r-3a", "d", 3),
		newRun("fraud", "r-3c", "e", 3),
		newRun("other", "r-9", "f", 9),
	} {
		mustCreateRun(t, s, r)
	}
	p, err := s.ListRuns(t.Context(), "fraud", lineage.Page{First: 10})
	if err != nil {
		t.Fatalf("ListRuns: %v", err)
	}
	// Newest StartedAt first; equal times by uid, descending.
	if got, want := runUIDs(p.Runs), []string{"r-3c", "r-3b", "r-3a", "r-2", "r-1"}; !slices.Equal(got, want) {
		t.Fatalf("ListRuns: got %q, want %q", got, want)
	}
	if p.Total != 5 || p.HasNext {
		t.Fatalf("ListRuns: Total %d HasNext %v, want 5 and false", p.Total, p.HasNext)
	}
}

func testListRunsPages(t *testing.T, s lineage.Store) {
	var want []string
	for i := 7; i >= 1; i-- {
		want = append(want, "r-"+string(rune('0'+i)))
	}
	for i := 1; i <= 7; i++ {
		mustCreateRun(t, s, newRun("fraud", "r-"+string(rune('0'+i)), "step", i))
	}
	var got []string
	page := lineage.Page{First: 3}
	for i, wantLen := range []int{3, 3, 1} {
		p, err := s.ListRuns(t.Context(), "fraud", page)
		if err != nil {
			t.Fatalf("ListRuns page %d: %v", i, err)
		}
		if len(p.Runs) != wantLen || p.Total != 7 || p.HasNext != (i < 2) {
			t.Fatalf("ListRuns page %d: %d runs, Total %d, HasNext %v; want %d, 7, %v",
				i, len(p.Runs), p.Total, p.HasNext, wantLen, i < 2)
		}
		if p.EndCursor == "" {
			t.Fatalf("ListRuns page %d: empty EndCursor", i)
		}
		got = append(got, runUIDs(p.Runs)...)
		page.After = p.EndCursor
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ListRuns pages: got %q, want %q", got, want)
	}
}

func testListRunsBadCursor(t *testing.T, s lineage.Store) {
	mustCreateRun(t, s, newRun("fraud", "r1", "train", 1))
	_, err := s.ListRuns(t.Context(), "fraud", lineage.Page{First: 3, After: "not a cursor!"})
	wantCode(t, "ListRuns with a malformed cursor", err, lineage.EINVALID)
}

func testListRunsUnknownProject(t *testing.T, s lineage.Store) {
	mustCreateRun(t, s, newRun("fraud", "r1", "train", 1))
	p, err := s.ListRuns(t.Context(), "nope", lineage.Page{First: 3})
	if err != nil {
		t.Fatalf("ListRuns: %v", err)
	}
	if len(p.Runs) != 0 || p.Total != 0 || p.HasNext {
		t.Fatalf("ListRuns of a project without runs: %+v", p)
	}
}
