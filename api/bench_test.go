package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/artigraph/artigraph/api"
	"github.com/artigraph/artigraph/lineage"
)

// seedVersions logs n model versions across n/5 runs, each derived from one
// dataset, through the service (the GraphQL layer is what is measured).
func seedVersions(b *testing.B, s *testServer, n int) {
	ctx := context.Background()
	svc := s.svc
	if _, err := svc.UpsertProject(ctx, lineage.Project{Name: "p"}); err != nil {
		b.Fatal(err)
	}
	body := "raw"
	if _, err := svc.LogArtifact(ctx, lineage.LogRequest{Project: "p", Key: "raw", Kind: lineage.KindDataset, Body: &body}); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if i%5 == 0 {
			if _, err := svc.StartRun(ctx, lineage.StartRunRequest{Project: "p", Name: "train", UID: fmt.Sprintf("run%d", i/5),
				Inputs: []string{"store://datasets/p/raw"}}); err != nil {
				b.Fatal(err)
			}
		}
		// Data logged in place: the benchmark measures metadata, not file writes.
		if _, err := svc.LogArtifact(ctx, lineage.LogRequest{Project: "p", Key: fmt.Sprintf("m%d", i), Kind: lineage.KindModel,
			RunUID: fmt.Sprintf("run%d", i/5), TargetPath: "s3://bucket/m", Sources: []string{"store://datasets/p/raw"}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkArtifactsFirst100 lists 100 of 10k versions with their runs, run
// inputs and sources; "flat" asks for the versions alone, as the baseline.
func BenchmarkArtifactsFirst100(b *testing.B) {
	s := newServer(b)
	seedVersions(b, s, 10_000)
	queries := map[string]string{
		"flat":   `{ artifacts(project: "p", first: 100, filter: {kind: MODEL}) { edges { node { uri } } } }`,
		"nested": `{ artifacts(project: "p", first: 100, filter: {kind: MODEL}) { edges { node { uri run { name inputs { key } } sources { key } } } } }`,
	}
	for _, name := range []string{"flat", "nested"} {
		body, _ := json.Marshal(map[string]string{"query": queries[name]})
		b.Run(name, func(b *testing.B) {
			s.calls.reset()
			for i := 0; i < b.N; i++ {
				resp, err := http.Post(s.URL+"/graphql", "application/json", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				var out gqlResponse
				json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				if len(out.Errors) > 0 {
					b.Fatal(out.Errors)
				}
			}
			b.ReportMetric(float64(s.calls.reset())/float64(b.N), "storecalls/op")
		})
	}
}

// seedChain logs a chain of n runs, each consuming the previous run's
// output and producing the next dataset (d0 → run0 → d1 → run1 → …), with a
// model derived from each dataset beside it.
func seedChain(b *testing.B, s *testServer, n int) {
	ctx := context.Background()
	svc := s.svc
	if _, err := svc.UpsertProject(ctx, lineage.Project{Name: "p"}); err != nil {
		b.Fatal(err)
	}
	if _, err := svc.LogArtifact(ctx, lineage.LogRequest{Project: "p", Key: "d0", Kind: lineage.KindDataset, TargetPath: "s3://b/d0"}); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		in, out, run := fmt.Sprintf("store://datasets/p/d%d", i), fmt.Sprintf("d%d", i+1), fmt.Sprintf("run%d", i)
		if _, err := svc.StartRun(ctx, lineage.StartRunRequest{Project: "p", Name: "etl", UID: run, Pipeline: "daily",
			Inputs: []string{in}}); err != nil {
			b.Fatal(err)
		}
		for _, req := range []lineage.LogRequest{
			{Project: "p", Key: out, Kind: lineage.KindDataset, RunUID: run, TargetPath: "s3://b/" + out},
			{Project: "p", Key: "m" + out, Kind: lineage.KindModel, RunUID: run, TargetPath: "s3://b/m" + out, Sources: []string{in}},
		} {
			if _, err := svc.LogArtifact(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkLineageHTTP measures depth-1 lineage and mid-chain impact over
// the HTTP handler, with the loaders as they are (no wait, each level
// loaded at once) and, in the same run, with the former 2 ms dataloader
// window as the baseline. It reports both medians and their ratio.
func BenchmarkLineageHTTP(b *testing.B) {
	queries := map[string]string{
		"lineage-depth1": `{ lineage(uri: "store://datasets/p/d10", direction: DOWNSTREAM, depth: 1) {
			nodes { id type depth artifact { uri kind } run { uid name } } edges { from to relation } truncated } }`,
		"impact-midchain": `{ impact(uri: "store://datasets/p/d10") { artifacts { uri kind } runs { uid name state }
			pipelines { id } truncated } }`,
	}
	now := newServer(b)
	window := newServer(b, func(o *api.Options, _ *lineage.Config, _ lineage.BlobRouter) { o.LoaderWait = 2 * time.Millisecond })
	seedChain(b, now, 20)
	seedChain(b, window, 20)
	for _, name := range []string{"lineage-depth1", "impact-midchain"} {
		body, _ := json.Marshal(map[string]string{"query": queries[name]})
		b.Run(name, func(b *testing.B) {
			// One build after the other, not interleaved: a request of one
			// would otherwise share the cores with the other's goroutines.
			var fast, slow []time.Duration
			for i := 0; i < b.N; i++ {
				fast = append(fast, timedPost(b, now, body))
			}
			for i := 0; i < b.N; i++ {
				slow = append(slow, timedPost(b, window, body))
			}
			f, s := median(fast), median(slow)
			b.ReportMetric(float64(f.Microseconds()), "p50-µs")
			b.ReportMetric(float64(s.Microseconds()), "window-p50-µs")
			b.ReportMetric(float64(s)/float64(f), "x-faster")
		})
	}
}

// timedPost posts one GraphQL request and returns how long the answer took.
func timedPost(b *testing.B, s *testServer, body []byte) time.Duration {
	start := time.Now()
	resp, err := http.Post(s.URL+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	var out gqlResponse
	err = json.NewDecoder(resp.Body).Decode(&out)
	io.Copy(io.Discard, resp.Body) // read to the end, so the connection is reused
	resp.Body.Close()
	took := time.Since(start)
	if err != nil || len(out.Errors) > 0 {
		b.Fatal(err, out.Errors)
	}
	return took
}

func median(ds []time.Duration) time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[len(ds)/2]
}
