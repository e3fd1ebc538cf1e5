package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// seedHub logs p/hub, consumed by runs runs of p (pipelines pl0…pl6), each
// producing a dataset and every fourth one a model too; five plots derived
// from the hub; and one run of project q consuming it, with an output.
func seedHub(t testing.TB, svc *lineage.Service, runs int) {
	t.Helper()
	ctx := lineage.AsOperator(context.Background())
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"p", "q"} {
		must(svc.UpsertProject(ctx, lineage.Project{Name: p}))
	}
	must(svc.LogArtifact(ctx, lineage.LogRequest{Project: "p", Key: "hub", Kind: lineage.KindDataset, TargetPath: "s3://b/hub"}))
	hub := []string{"store://datasets/p/hub"}
	for i := 0; i < 5; i++ {
		must(svc.LogArtifact(ctx, lineage.LogRequest{Project: "p", Key: fmt.Sprintf("plot%d", i), Kind: lineage.KindPlot,
			TargetPath: "s3://b/plot", Sources: hub}))
	}
	// Runs start from 16 goroutines, and their outputs are logged 1000 a
	// call: a hub of thousands of runs is seeded in seconds.
	var wg sync.WaitGroup
	errs := make(chan error, runs)
	next := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				_, err := svc.StartRun(ctx, lineage.StartRunRequest{Project: "p", Name: "etl", UID: fmt.Sprintf("run%d", i),
					Pipeline: fmt.Sprintf("pl%d", i%7), Inputs: hub})
				errs <- err
			}
		}()
	}
	for i := 0; i < runs; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		must(nil, err)
	}
	var outs []lineage.LogRequest
	for i := 0; i < runs; i++ {
		run := fmt.Sprintf("run%d", i)
		outs = append(outs, lineage.LogRequest{Project: "p", Key: "out" + run, Kind: lineage.KindDataset, RunUID: run, TargetPath: "s3://b/o"})
		if i%4 == 0 {
			outs = append(outs, lineage.LogRequest{Project: "p", Key: "model" + run, Kind: lineage.KindModel, RunUID: run, TargetPath: "s3://b/m"})
		}
	}
	for batch := range slices.Chunk(outs, lineage.MaxLogBatch) {
		must(svc.LogArtifacts(ctx, batch))
	}
	must(svc.StartRun(ctx, lineage.StartRunRequest{Project: "q", Name: "etl", UID: "qrun", Pipeline: "qpl", Inputs: hub}))
	must(svc.LogArtifact(ctx, lineage.LogRequest{Project: "q", Key: "secret", Kind: lineage.KindDataset, RunUID: "qrun", TargetPath: "s3://b/s"}))
}

type impactCounts struct {
	Artifacts       int
	ArtifactsByKind []struct {
		Kind  string
		Count int
	}
	Runs, Pipelines int
	ByDepth         []struct{ Depth, Artifacts, Runs int }
	Hidden          int
	Complete        bool
}

type impactAnswer struct {
	Impact struct {
		Artifacts []struct{ Key, Kind string }
		Runs      []struct{ UID string }
		Pipelines []struct{ ID string }
		Truncated bool
		Hidden    int
		Counts    impactCounts
	}
}

const impactQuery = `query($limit: Int) { impact(uri: "store://datasets/p/hub", limit: $limit) {
	artifacts { key kind } runs { uid } pipelines { id } truncated hidden
	counts { artifacts artifactsByKind { kind count } runs pipelines byDepth { depth artifacts runs } hidden complete } } }`

// Impact counts everything downstream of a hub consumed by thousands of
// runs, whatever the listing's limit, and the listing gives artifacts their
// share instead of filling up with runs. Another project's run is hidden:
// counted only in hidden, and its output not at all.
func TestImpactCountsEverythingDownstreamOfAHub(t *testing.T) {
	const runs = 2000
	s, _ := authServer(t)
	seedHub(t, s.svc, runs)
	viewer, _ := s.newToken(t, "p-only", "VIEWER", []string{"p"}, nil)

	var bounded impactAnswer
	s.asDo(t, viewer, impactQuery, nil, &bounded)
	im := bounded.Impact
	// The default limit, 500, counts the start: 499 listed, half each.
	if len(im.Artifacts) != 250 || len(im.Runs) != 249 || !im.Truncated || im.Hidden != 1 {
		t.Fatalf("default listing: %d artifacts, %d runs, truncated %v, hidden %d", len(im.Artifacts), len(im.Runs), im.Truncated, im.Hidden)
	}
	for i, a := range im.Artifacts[:5] { // nearest first: the plots at depth 1
		if a.Kind != "PLOT" {
			t.Fatalf("artifact %d is %+v, want the depth-1 plots first", i, a)
		}
	}
	models, datasets := runs/4, runs
	want := fmt.Sprintf("{Artifacts:%d ArtifactsByKind:[{Kind:DATASET Count:%d} {Kind:MODEL Count:%d} {Kind:PLOT Count:5}] Runs:%d Pipelines:7 ByDepth:[{Depth:1 Artifacts:5 Runs:%d} {Depth:2 Artifacts:%d Runs:0}] Hidden:1 Complete:true}",
		datasets+models+5, datasets, models, runs, runs, datasets+models)
	if got := fmt.Sprintf("%+v", im.Counts); got != want {
		t.Fatalf("counts as p's viewer:\n got %s\nwant %s", got, want)
	}

	// A limit that holds everything lists everything, untruncated.
	var full impactAnswer
	s.asDo(t, viewer, impactQuery, map[string]any{"limit": 10000}, &full)
	if im := full.Impact; len(im.Artifacts) != datasets+models+5 || len(im.Runs) != runs || im.Truncated || len(im.Pipelines) != 7 {
		t.Fatalf("full listing: %d artifacts, %d runs, %d pipelines, truncated %v", len(im.Artifacts), len(im.Runs), len(im.Pipelines), im.Truncated)
	}
	if slices.ContainsFunc(full.Impact.Artifacts, func(a struct{ Key, Kind string }) bool { return a.Key == "secret" }) {
		t.Fatal("LEAK: q's output listed")
	}

	// The admin sees q's run, its pipeline and its output too.
	var admin impactAnswer
	s.asDo(t, adminSecret, impactQuery, nil, &admin)
	c := admin.Impact.Counts
	if c.Artifacts != datasets+models+6 || c.Runs != runs+1 || c.Pipelines != 8 || c.Hidden != 0 || c.ByDepth[1].Artifacts != datasets+models+1 {
		t.Fatalf("counts as the admin: %+v", c)
	}
}

// BenchmarkImpactHub answers impact with its counts over HTTP on a hub
// consumed by 2000 runs (2505 artifacts downstream) and by 10,000 (12,505),
// with auth off.
func BenchmarkImpactHub(b *testing.B) {
	for _, runs := range []int{2000, 10000} {
		b.Run(fmt.Sprintf("runs-%d", runs), func(b *testing.B) { benchImpactHub(b, runs) })
	}
}

func benchImpactHub(b *testing.B, runs int) {
	s := newServer(b)
	seedHub(b, s.svc, runs)
	for name, q := range map[string]string{
		"counts-only":   `{ impact(uri: "store://datasets/p/hub") { truncated counts { artifacts runs pipelines byDepth { depth artifacts runs } artifactsByKind { kind count } } } }`,
		"listing-10000": `{ impact(uri: "store://datasets/p/hub", limit: 10000) { artifacts { uri kind } runs { uid } pipelines { id } truncated counts { artifacts runs } } }`,
	} {
		body, _ := json.Marshal(map[string]string{"query": q})
		b.Run(name, func(b *testing.B) {
			var ds []time.Duration
			for i := 0; i < b.N; i++ {
				ds = append(ds, timedPost(b, s, body))
			}
			b.ReportMetric(float64(median(ds).Microseconds())/1000, "p50-ms")
		})
	}
}
