package embedded_test

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/lineage/storetest"
	"github.com/artigraph/artigraph/storage/embedded"
)

// mustOpen opens a store in a fresh directory and closes it at the end.
func mustOpen(tb testing.TB) *embedded.Store {
	tb.Helper()
	s, err := embedded.Open(filepath.Join(tb.TempDir(), "data", "artigraph.db"))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) lineage.Store { return mustOpen(t) })
}

func BenchmarkEmbedded(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) lineage.Store { return mustOpen(b) })
}

var t0 = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

func TestReopenKeepsEverything(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "artigraph.db")
	s, err := embedded.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpsertProject(ctx, lineage.Project{Name: "p", Description: "demo", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	put := func(uid, key string, minute int, sources ...string) {
		t.Helper()
		w := lineage.VersionWrite{Version: lineage.Version{
			UID: uid, Project: "p", Key: key, Kind: lineage.KindDataset, TargetPath: "file:///x/" + uid,
			Labels:    []lineage.Label{{Key: "team", Value: new("ml")}},
			CreatedAt: t0.Add(time.Duration(minute) * time.Minute), UpdatedAt: t0.Add(time.Duration(minute) * time.Minute),
		}, Sources: sources}
		if _, _, err := s.PutVersion(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	put("raw", "raw", 0)
	if _, err := s.CreateRun(ctx, lineage.Run{Project: "p", UID: "r1", Name: "prep", State: lineage.RunRunning, StartedAt: t0}, []string{"raw"}); err != nil {
		t.Fatal(err)
	}
	put("c1", "clean", 1, "raw")
	put("c2", "clean", 2, "raw")
	put("gone", "tmp", 3, "c2")
	if _, err := s.TagVersion(ctx, "c1", "prod", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddLink(ctx, "c2", lineage.Link{Relation: "chart", UID: "raw"}, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FinishRun(ctx, lineage.RunKey{Project: "p", UID: "r1"}, lineage.RunCompleted, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteVersions(ctx, []string{"gone"}); err != nil || n != 1 {
		t.Fatal(n, err)
	}
	exp := t0.Add(24 * time.Hour)
	for _, tk := range []lineage.Token{
		{ID: "t1", Name: "ds", Role: lineage.RoleEditor, Projects: []string{"p"}, Hash: "h1", CreatedAt: t0, ExpiresAt: &exp},
		{ID: "t2", Name: "dash", Role: lineage.RoleViewer, Hash: "h2", CreatedAt: t0},
		{ID: "t3", Name: "gone", Role: lineage.RoleAdmin, Hash: "h3", CreatedAt: t0},
	} {
		if err := s.CreateToken(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.TouchToken(ctx, "t1", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.DeleteToken(ctx, "t3"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	before := snapshot(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = embedded.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	after := snapshot(t, s)
	if !equalSnapshots(before, after) {
		t.Fatalf("reopened store differs\nbefore: %+v\n after: %+v", before, after)
	}
	// Indexes were rebuilt: tags move from the reloaded holder, listings by
	// label and tag answer.
	if _, err := s.TagVersion(ctx, "c2", "prod", t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	p, err := s.ListVersions(ctx, "p", lineage.VersionFilter{Tag: "prod", Labels: []string{"team=ml"}}, lineage.Page{First: 10})
	if err != nil || len(p.Versions) != 1 || p.Versions[0].UID != "c2" {
		t.Fatalf("holders of prod after reopening and retagging: %+v, %v", p, err)
	}
}

type storeSnapshot struct {
	project  lineage.Project
	run      []lineage.Run
	versions []lineage.Version
	edges    []lineage.Edge
	lineage  lineage.Graph
	tokens   []lineage.Token
}

func snapshot(t *testing.T, s *embedded.Store) storeSnapshot {
	t.Helper()
	ctx := t.Context()
	var snap storeSnapshot
	var err error
	if snap.project, err = s.GetProject(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	if snap.run, err = s.GetRuns(ctx, []lineage.RunKey{{Project: "p", UID: "r1"}}); err != nil {
		t.Fatal(err)
	}
	if snap.tokens, err = s.ListTokens(ctx); err != nil {
		t.Fatal(err)
	}
	page, err := s.ListVersions(ctx, "p", lineage.VersionFilter{}, lineage.Page{First: 100})
	if err != nil {
		t.Fatal(err)
	}
	snap.versions = page.Versions
	var nodes []lineage.NodeRef
	for _, v := range page.Versions {
		nodes = append(nodes, lineage.VersionNode(v))
	}
	nodes = append(nodes, lineage.RunNode(lineage.RunKey{Project: "p", UID: "r1"}), lineage.NodeRef{Type: lineage.NodeArtifact, Project: "p", UID: "gone"})
	if snap.edges, err = s.Edges(ctx, nodes, lineage.Outgoing); err != nil {
		t.Fatal(err)
	}
	if snap.lineage, err = s.Lineage(ctx, lineage.LineageQuery{Start: nodes[len(nodes)-3], Direction: lineage.Downstream, Depth: 5, Limit: 100}); err != nil {
		t.Fatal(err)
	}
	if len(snap.versions) != 3 || len(snap.edges) != 4 {
		t.Fatalf("snapshot: %d versions, %d edges; want 3 and 4", len(snap.versions), len(snap.edges))
	}
	return snap
}

func equalSnapshots(a, b storeSnapshot) bool {
	sameVersions := slices.EqualFunc(a.versions, b.versions, func(x, y lineage.Version) bool {
		return x.UID == y.UID && slices.Equal(x.Tags, y.Tags) && x.UpdatedAt.Equal(y.UpdatedAt) && x.Key == y.Key &&
			len(x.Labels) == len(y.Labels) && *x.Labels[0].Value == *y.Labels[0].Value
	})
	sameRuns := len(a.run) == 1 && len(b.run) == 1 && a.run[0].State == b.run[0].State &&
		a.run[0].FinishedAt.Equal(*b.run[0].FinishedAt)
	sameTokens := len(a.tokens) == 2 && slices.EqualFunc(a.tokens, b.tokens, func(x, y lineage.Token) bool {
		return x.ID == y.ID && x.Name == y.Name && x.Role == y.Role && slices.Equal(x.Projects, y.Projects) &&
			x.Hash == y.Hash && x.CreatedAt.Equal(y.CreatedAt) && equalTimes(x.ExpiresAt, y.ExpiresAt) &&
			equalTimes(x.LastUsedAt, y.LastUsedAt)
	})
	return sameVersions && sameRuns && sameTokens &&
		a.project.Description == b.project.Description && a.project.CreatedAt.Equal(b.project.CreatedAt) &&
		slices.Equal(a.edges, b.edges) &&
		slices.Equal(a.lineage.Nodes, b.lineage.Nodes) && slices.Equal(a.lineage.Edges, b.lineage.Edges)
}

func equalTimes(a, b *time.Time) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Equal(*b))
}
