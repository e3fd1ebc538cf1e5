package storetest

import (
	"encoding/base64"
	"fmt"
	"slices"
	"testing"

	"github.com/artigraph/artigraph/lineage"
)

var listTests = []test{
	{"EachFilterField", testListFilters},
	{"NewestUpdateFirst", testListOrder},
	{"OtherProjectsExcluded", testListOtherProjects},
	{"WalkEveryPage", testListWalk},
	{"TotalIndependentOfPage", testListTotal},
	{"CursorSurvivesNewerWrites", testListCursorStable},
	{"BadCursorIsInvalid", testListBadCursor},
	{"BadFilterIsInvalid", testListBadFilter},
}

// seedCatalog writes the versions the listing tests filter. In the listing
// order (UpdatedAt descending, then uid descending) project p holds:
//
//	uid  key         kind      iter  labels                      owner  run      updated
//	v07  notes       DOCUMENT  0     gold=yes, team              carol  -        8
//	v04  model       MODEL     1     team=ml, framework=sklearn  ada    train    7 (tagged prod)
//	v09  iris-raw    ARTIFACT  0     team=data                   bob    -        6
//	v06  roc         PLOT      0     -                           -      train    6
//	v05  model       MODEL     2     team=ml, gold               ada    train    5
//	v03  Iris-Clean  DATASET   0     team=data                   bob    prep     3
//	v02  iris        DATASET   0     team=ml                     ada    -        2
//	v01  iris        DATASET   0     team=ml, gold               ada    -        1
//
// and project q one more iris version, v08.
func seedCatalog(t *testing.T, s lineage.Store) {
	t.Helper()
	prep := mustCreateRun(t, s, newRun("p", "r-prep", "prep", 0))
	train := mustCreateRun(t, s, newRun("p", "r-train", "train", 0))
	for _, b := range []*versionBuilder{
		newVersion("p", "iris", "v01", 1).kind(lineage.KindDataset).labels("team=ml", "gold").owner("ada"),
		newVersion("p", "iris", "v02", 2).kind(lineage.KindDataset).labels("team=ml").owner("ada"),
		newVersion("p", "Iris-Clean", "v03", 3).kind(lineage.KindDataset).labels("team=data").owner("bob").by(prep).
			target("gs://bucket/p/prep/0/iris-clean.parquet"),
		newVersion("p", "model", "v04", 4).kind(lineage.KindModel).iter(1).labels("team=ml", "framework=sklearn").owner("ada").by(train),
		newVersion("p", "model", "v05", 5).kind(lineage.KindModel).iter(2).labels("team=ml", "gold").owner("ada").by(train),
		newVersion("p", "roc", "v06", 6).kind(lineage.KindPlot).by(train),
		newVersion("p", "notes", "v07", 8).kind(lineage.KindDocument).labels("gold=yes", "team").owner("carol"),
		newVersion("q", "iris", "v08", 9).kind(lineage.KindDataset).labels("team=ml", "gold").owner("ada"),
		newVersion("p", "iris-raw", "v09", 6).labels("team=data").owner("bob"),
	} {
		mustPutVersion(t, s, b)
	}
	mustTag(t, s, "v04", "prod", at(7))
}

func testListFilters(t *testing.T, s lineage.Store) {
	seedCatalog(t, s)
	for _, c := range []struct {
		name string
		f    lineage.VersionFilter
		want []string
	}{
		{"none", lineage.VersionFilter{}, []string{"v07", "v04", "v09", "v06", "v05", "v03", "v02", "v01"}},
		{"Kind", lineage.VersionFilter{Kind: lineage.KindModel}, []string{"v04", "v05"}},
		{"Kind dataset", lineage.VersionFilter{Kind: lineage.KindDataset}, []string{"v03", "v02", "v01"}},
		{"Key is exact", lineage.VersionFilter{Key: "iris"}, []string{"v02", "v01"}},
		{"Key unknown", lineage.VersionFilter{Key: "nope"}, nil},
		{"KeyContains ignores case", lineage.VersionFilter{KeyContains: "IRIS"}, []string{"v09", "v03", "v02", "v01"}},
		{"KeyContains inner", lineage.VersionFilter{KeyContains: "clean"}, []string{"v03"}},
		{"Tag latest", lineage.VersionFilter{Tag: lineage.TagLatest}, []string{"v07", "v04", "v09", "v06", "v05", "v03", "v02"}},
		{"Tag prod", lineage.VersionFilter{Tag: "prod"}, []string{"v04"}},
		{"Tag unknown", lineage.VersionFilter{Tag: "nope"}, nil},
		{"Label k=v", lineage.VersionFilter{Labels: []string{"team=ml"}}, []string{"v04", "v05", "v02", "v01"}},
		{"Label k", lineage.VersionFilter{Labels: []string{"gold"}}, []string{"v07", "v05", "v01"}},
		{"Label k=v with the value", lineage.VersionFilter{Labels: []string{"gold=yes"}}, []string{"v07"}},
		{"Label k, with or without a value", lineage.VersionFilter{Labels: []string{"team"}}, []string{"v07", "v04", "v09", "v05", "v03", "v02", "v01"}},
		{"Labels all hold", lineage.VersionFilter{Labels: []string{"team=ml", "gold"}}, []string{"v05", "v01"}},
		{"Labels one fails", lineage.VersionFilter{Labels: []string{"team=ml", "nokey"}}, nil},
		{"Label unknown value", lineage.VersionFilter{Labels: []string{"team=nobody"}}, nil},
		{"Since and Until inclusive", lineage.VersionFilter{Since: ptr(at(5)), Until: ptr(at(6))}, []string{"v09", "v06", "v05"}},
		{"Since", lineage.VersionFilter{Since: ptr(at(6))}, []string{"v07", "v04", "v09", "v06"}},
		{"Until", lineage.VersionFilter{Until: ptr(at(2))}, []string{"v02", "v01"}},
		{"Since equals Until", lineage.VersionFilter{Since: ptr(at(6)), Until: ptr(at(6))}, []string{"v09", "v06"}},
		{"Since after everything", lineage.VersionFilter{Since: ptr(at(60))}, nil},
		{"Producer by name", lineage.VersionFilter{Producer: "train"}, []string{"v04", "v06", "v05"}},
		{"Producer by URI", lineage.VersionFilter{Producer: "p/r-train"}, []string{"v04", "v06", "v05"}},
		{"Producer project", lineage.VersionFilter{Producer: "p"}, []string{"v07", "v09", "v02", "v01"}},
		{"Owner", lineage.VersionFilter{Owner: "bob"}, []string{"v09", "v03"}},
		{"Iteration", lineage.VersionFilter{Iteration: ptr(2)}, []string{"v05"}},
		{"Iteration 0", lineage.VersionFilter{Iteration: ptr(0)}, []string{"v07", "v09", "v06", "v03", "v02", "v01"}},
		{"Tree", lineage.VersionFilter{Tree: "r-train"}, []string{"v04", "v06", "v05"}},
		{"TargetPath", lineage.VersionFilter{TargetPath: "gs://bucket/p/prep/0/iris-clean.parquet"}, []string{"v03"}},
		{"Kind, Labels and Since", lineage.VersionFilter{Kind: lineage.KindDataset, Labels: []string{"team=ml"}, Since: ptr(at(2))}, []string{"v02"}},
		{"Key, Tag and Labels", lineage.VersionFilter{Key: "model", Tag: lineage.TagLatest, Labels: []string{"gold"}}, []string{"v05"}},
		{"Tree and Until", lineage.VersionFilter{Tree: "r-train", Until: ptr(at(6))}, []string{"v06", "v05"}},
		{"Labels and Owner", lineage.VersionFilter{Labels: []string{"team"}, Owner: "bob", KeyContains: "raw"}, []string{"v09"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			assertUIDs(t, fmt.Sprintf("ListVersions %+v, pages of 3", c.f), listAll(t, s, "p", c.f), c.want...)
			p, err := s.ListVersions(t.Context(), "p", c.f, lineage.Page{First: 100})
			if err != nil {
				t.Fatalf("ListVersions: %v", err)
			}
			assertUIDs(t, fmt.Sprintf("ListVersions %+v, one page", c.f), p.Versions, c.want...)
			if p.Total != len(c.want) || p.HasNext {
				t.Fatalf("ListVersions %+v: Total %d HasNext %v, want %d and false", c.f, p.Total, p.HasNext, len(c.want))
			}
		})
	}
}

func testListOrder(t *testing.T, s lineage.Store) {
	seedCatalog(t, s)
	assertUIDs(t, "ListVersions", listAll(t, s, "p", lineage.VersionFilter{}),
		"v07", "v04", "v09", "v06", "v05", "v03", "v02", "v01")
	// Tagging updates a version, which moves it to the front.
	mustTag(t, s, "v01", "gold", at(20))
	mustTag(t, s, "v06", "gold", at(10))
	assertUIDs(t, "ListVersions after tagging", listAll(t, s, "p", lineage.VersionFilter{}),
		"v01", "v06", "v07", "v04", "v09", "v05", "v03", "v02")
	assertUIDs(t, "ListVersions by label after tagging", listAll(t, s, "p", lineage.VersionFilter{Labels: []string{"team=ml"}}),
		"v01", "v04", "v05", "v02")
}

func testListOtherProjects(t *testing.T, s lineage.Store) {
	seedCatalog(t, s)
	assertUIDs(t, "ListVersions of q", listAll(t, s, "q", lineage.VersionFilter{}), "v08")
	assertUIDs(t, "ListVersions of q by key", listAll(t, s, "q", lineage.VersionFilter{Key: "iris"}), "v08")
	p, err := s.ListVersions(t.Context(), "nope", lineage.VersionFilter{}, lineage.Page{First: 10})
	if err != nil {
		t.Fatalf("ListVersions of an unknown project: %v", err)
	}
	if len(p.Versions) != 0 || p.Total != 0 || p.HasNext {
		t.Fatalf("ListVersions of an unknown project: %+v", p)
	}
}

// seedMany writes n versions of project p, several sharing an UpdatedAt, and
// returns their uids in the listing order.
func seedMany(t *testing.T, s lineage.Store, n int) []string {
	t.Helper()
	type entry struct {
		minute int
		uid    string
	}
	var entries []entry
	for i := range n {
		e := entry{minute: i / 3, uid: fmt.Sprintf("u%03d", (i*7)%n)} // three per minute, uids shuffled
		b := newVersion("p", fmt.Sprintf("k%d", i%4), e.uid, e.minute)
		if i%2 == 0 {
			b.labels("even")
		}
		mustPutVersion(t, s, b)
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if a.minute != b.minute {
			return b.minute - a.minute
		}
		if a.uid > b.uid {
			return -1
		}
		return 1
	})
	var uids []string
	for _, e := range entries {
		uids = append(uids, e.uid)
	}
	return uids
}

func testListWalk(t *testing.T, s lineage.Store) {
	want := seedMany(t, s, 20)
	got := listAll(t, s, "p", lineage.VersionFilter{})
	assertUIDs(t, "every page of 3", got, want...)
	seen := map[string]bool{}
	for _, v := range got {
		if seen[v.UID] {
			t.Fatalf("version %s listed twice", v.UID)
		}
		seen[v.UID] = true
	}
	assertUIDs(t, "every page of 1", listPages(t, s, "p", lineage.VersionFilter{}, 1), want...)
	assertUIDs(t, "one page of 20", listPages(t, s, "p", lineage.VersionFilter{}, 20), want...)

	// With a filter, too.
	var even []string
	for _, v := range got {
		if slices.ContainsFunc(v.Labels, func(l lineage.Label) bool { return l.Key == "even" }) {
			even = append(even, v.UID)
		}
	}
	if len(even) != 10 {
		t.Fatalf("%d versions labelled even, want 10", len(even))
	}
	assertUIDs(t, "every page of 3, by label", listAll(t, s, "p", lineage.VersionFilter{Labels: []string{"even"}}), even...)
	assertUIDs(t, "every page of 3, by label and key contains",
		listAll(t, s, "p", lineage.VersionFilter{Labels: []string{"even"}, KeyContains: "K"}), even...)
}

func testListTotal(t *testing.T, s lineage.Store) {
	seedMany(t, s, 10)
	for _, f := range []lineage.VersionFilter{{}, {Labels: []string{"even"}}, {Key: "k1"}, {KeyContains: "k"}} {
		want := len(listPages(t, s, "p", f, 100))
		page := lineage.Page{First: 2}
		for i := 0; ; i++ {
			p, err := s.ListVersions(t.Context(), "p", f, page)
			if err != nil {
				t.Fatalf("ListVersions: %v", err)
			}
			if p.Total != want {
				t.Fatalf("ListVersions %+v page %d: Total %d, want %d", f, i, p.Total, want)
			}
			if !p.HasNext {
				break
			}
			page.After = p.EndCursor
		}
	}
}

func testListCursorStable(t *testing.T, s lineage.Store) {
	want := seedMany(t, s, 9)
	p1, err := s.ListVersions(t.Context(), "p", lineage.VersionFilter{}, lineage.Page{First: 4})
	if err != nil {
		t.Fatalf("ListVersions: %v", err)
	}
	// Newer versions arrive between pages: they sort before the cursor, so
	// the walk goes on where it was.
	mustPutVersion(t, s, newVersion("p", "k0", "newer-1", 100))
	mustPutVersion(t, s, newVersion("p", "k9", "newer-2", 101))
	p2, err := s.ListVersions(t.Context(), "p", lineage.VersionFilter{}, lineage.Page{First: 10, After: p1.EndCursor})
	if err != nil {
		t.Fatalf("ListVersions page 2: %v", err)
	}
	assertUIDs(t, "the two pages", append(p1.Versions, p2.Versions...), want...)
	if p2.Total != 11 {
		t.Fatalf("Total %d after two more versions, want 11", p2.Total)
	}
}

func testListBadCursor(t *testing.T, s lineage.Store) {
	seedMany(t, s, 3)
	for _, c := range []string{"%%% not base64", base64.RawURLEncoding.EncodeToString([]byte("no separator"))} {
		_, err := s.ListVersions(t.Context(), "p", lineage.VersionFilter{}, lineage.Page{First: 3, After: c})
		wantCode(t, fmt.Sprintf("ListVersions after %q", c), err, lineage.EINVALID)
	}
}

func testListBadFilter(t *testing.T, s lineage.Store) {
	seedMany(t, s, 3)
	for _, f := range []lineage.VersionFilter{
		{Labels: []string{"=value"}},
		{Kind: "NOT_A_KIND"},
		{Since: ptr(at(5)), Until: ptr(at(4))},
	} {
		_, err := s.ListVersions(t.Context(), "p", f, lineage.Page{First: 3})
		wantCode(t, fmt.Sprintf("ListVersions %+v", f), err, lineage.EINVALID)
	}
}
