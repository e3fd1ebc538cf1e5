package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

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
