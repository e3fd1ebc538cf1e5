package storetest

import (
	"slices"
	"testing"

	"github.com/artigraph/artigraph/lineage"
)

var projectTests = []test{
	{"UpsertCreates", testUpsertCreates},
	{"UpsertUpdatesAndKeepsCreatedAt", testUpsertUpdates},
	{"GetMissingIsNotFound", testGetProjectMissing},
	{"ListSortedByName", testListProjects},
}

func testUpsertCreates(t *testing.T, s lineage.Store) {
	p := lineage.Project{
		Name:         "fraud",
		Description:  "Card fraud detection",
		ArtifactPath: "gs://bucket/fraud",
		Labels:       []lineage.Label{{Key: "team", Value: ptr("risk")}, {Key: "pii"}},
		CreatedAt:    at(0),
	}
	got, err := s.UpsertProject(t.Context(), p)
	if err != nil {
		t.Fatalf("UpsertProject: %v", err)
	}
	assertProject(t, "UpsertProject", got, p)
	got, err = s.GetProject(t.Context(), "fraud")
	if err != nil {
		t.Fatalf("GetProject: %v", err)
	}
	assertProject(t, "GetProject", got, p)
}

func testUpsertUpdates(t *testing.T, s lineage.Store) {
	first := lineage.Project{Name: "fraud", Description: "old", ArtifactPath: "gs://old", CreatedAt: at(0),
		Labels: []lineage.Label{{Key: "team", Value: ptr("risk")}}}
	if _, err := s.UpsertProject(t.Context(), first); err != nil {
		t.Fatalf("UpsertProject: %v", err)
	}
	second := lineage.Project{Name: "fraud", Description: "new", ArtifactPath: "file:///new", CreatedAt: at(5),
		Labels: []lineage.Label{{Key: "stage", Value: ptr("prod")}, {Key: "gold"}}}
	got, err := s.UpsertProject(t.Context(), second)
	if err != nil {
		t.Fatalf("UpsertProject again: %v", err)
	}
	want := second
	want.CreatedAt = at(0) // the first upsert's
	assertProject(t, "second UpsertProject", got, want)
	got, err = s.GetProject(t.Context(), "fraud")
	if err != nil {
		t.Fatalf("GetProject: %v", err)
	}
	assertProject(t, "GetProject", got, want)
}

func testGetProjectMissing(t *testing.T, s lineage.Store) {
	_, err := s.GetProject(t.Context(), "nope")
	wantCode(t, "GetProject of a missing project", err, lineage.ENOTFOUND)
}

func testListProjects(t *testing.T, s lineage.Store) {
	ps, err := s.ListProjects(t.Context())
	if err != nil {
		t.Fatalf("ListProjects on an empty store: %v", err)
	}
	if len(ps) != 0 {
		t.Fatalf("ListProjects on an empty store: got %d projects", len(ps))
	}
	for _, name := range []string{"zeta", "alpha", "mid"} {
		if _, err := s.UpsertProject(t.Context(), lineage.Project{Name: name, CreatedAt: at(0)}); err != nil {
			t.Fatalf("UpsertProject %s: %v", name, err)
		}
	}
	ps, err = s.ListProjects(t.Context())
	if err != nil {
		t.Fatalf("ListProjects: %v", err)
	}
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	if want := []string{"alpha", "mid", "zeta"}; !slices.Equal(names, want) {
		t.Fatalf("ListProjects: got %q, want %q", names, want)
	}
}
