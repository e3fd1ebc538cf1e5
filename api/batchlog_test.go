package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// outputs are n logArtifacts inputs of run r in project p, keys out0…
func outputs(p, run string, n int) []map[string]any {
	in := make([]map[string]any, n)
	for i := range in {
		in[i] = map[string]any{"project": p, "key": fmt.Sprintf("out%d", i), "kind": "DATASET", "runUid": run,
			"targetPath": fmt.Sprintf("s3://bucket/out%d", i), "tag": "batch"}
	}
	return in
}

const logBatch = `mutation($in: [LogArtifactInput!]!) { logArtifacts(inputs: $in) { key uid tags run { uid } } }`

type batchAnswer struct {
	LogArtifacts []struct {
		Key, UID string
		Tags     []string
		Run      struct{ UID string }
	}
}

// logArtifacts returns the versions in the order of its inputs, each a
// run's output, and a retry returns the same versions.
func TestLogArtifactsKeepsOrder(t *testing.T) {
	s := newServer(t)
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	s.mustDo(t, `mutation { startRun(input: {project: "p", name: "job", uid: "r1"}) { uid } }`, nil, nil)
	var out, again batchAnswer
	s.mustDo(t, logBatch, map[string]any{"in": outputs("p", "r1", 200)}, &out)
	s.mustDo(t, logBatch, map[string]any{"in": outputs("p", "r1", 200)}, &again)
	if len(out.LogArtifacts) != 200 {
		t.Fatalf("%d versions", len(out.LogArtifacts))
	}
	for i, v := range out.LogArtifacts {
		if v.Key != fmt.Sprintf("out%d", i) || v.Run.UID != "r1" || again.LogArtifacts[i].UID != v.UID {
			t.Fatalf("version %d: %+v (retry %+v)", i, v, again.LogArtifacts[i])
		}
	}
	var run struct {
		Run struct{ Outputs []struct{ Key string } }
	}
	s.mustDo(t, `{ run(project: "p", uid: "r1") { outputs(first: 1000) { key } } }`, nil, &run)
	if len(run.Run.Outputs) != 200 {
		t.Fatalf("run has %d outputs", len(run.Run.Outputs))
	}
}

// One bad input fails the call with nothing written: not the inputs before
// it, not the ones after.
func TestLogArtifactsIsAllOrNothing(t *testing.T) {
	s := newServer(t)
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	s.mustDo(t, `mutation { startRun(input: {project: "p", name: "job", uid: "r1"}) { uid } }`, nil, nil)
	bad := map[string]map[string]any{
		"bad key":        {"key": "no spaces"},
		"unknown source": {"sources": []string{"store://datasets/p/absent"}},
		"unknown run":    {"runUid": "nope"},
		"duplicate key":  {"key": "out0"},
		"missing file":   {"body": nil, "targetPath": s.dir + "/artifacts/p/absent.csv"},
	}
	for name, change := range bad {
		in := outputs("p", "r1", 50)
		for k, v := range change {
			in[30][k] = v
		}
		r := s.do(t, logBatch, map[string]any{"in": in})
		if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "artifacts[30]") {
			t.Errorf("%s: %+v", name, r.Errors)
		}
	}
	var page struct{ Artifacts struct{ TotalCount int } }
	s.mustDo(t, `{ artifacts(project: "p") { totalCount } }`, nil, &page)
	if page.Artifacts.TotalCount != 0 {
		t.Fatalf("%d versions written by failed calls", page.Artifacts.TotalCount)
	}
	// The cap: 1001 inputs are refused before any is looked at.
	s.wantCode(t, "LIMIT_EXCEEDED", logBatch, map[string]any{"in": outputs("p", "r1", lineage.MaxLogBatch+1)})
}

// batchFailingStore fails every PutVersions, as a store that lost its disk
// in the middle of a batch would.
type batchFailingStore struct{ *countingStore }

func (f batchFailingStore) PutVersions(context.Context, []lineage.VersionWrite) ([]lineage.PutResult, error) {
	return nil, lineage.Errorf(lineage.EUNAVAILABLE, "the store is unavailable")
}

// withBodies turns inputs into logs of content sent in the call.
func withBodies(in []map[string]any) []map[string]any {
	for i, m := range in {
		delete(m, "targetPath")
		m["body"] = fmt.Sprintf("row,%d\n", i)
	}
	return in
}

// The bodies of a batch the store refuses are taken back: no blob stays
// without a version. A retry of a written batch writes no second copy.
func TestLogArtifactsLeavesNoBlobWithoutVersion(t *testing.T) {
	failing := newServerOver(t, func(c *countingStore) lineage.Store { return batchFailingStore{c} })
	failing.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	failing.wantCode(t, "UNAVAILABLE", logBatch, map[string]any{"in": withBodies(outputs("p", "", 20))})
	if files := blobFiles(t, failing.dir); len(files) != 0 {
		t.Fatalf("a refused batch left %d blobs: %v", len(files), files)
	}

	s := newServer(t)
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	var first, again batchAnswer
	s.mustDo(t, logBatch, map[string]any{"in": withBodies(outputs("p", "", 20))}, &first)
	s.mustDo(t, logBatch, map[string]any{"in": withBodies(outputs("p", "", 20))}, &again)
	for i := range first.LogArtifacts {
		if first.LogArtifacts[i].UID != again.LogArtifacts[i].UID {
			t.Fatalf("version %d: the retry is %s, not %s", i, again.LogArtifacts[i].UID, first.LogArtifacts[i].UID)
		}
	}
	if files := blobFiles(t, s.dir); len(files) != 20 {
		t.Fatalf("%d blobs for 20 versions logged twice: %v", len(files), files)
	}
	var got struct {
		Artifact struct{ Key, TargetPath string }
	}
	s.mustDo(t, `{ artifact(uri: "store://datasets/p/out7") { key targetPath } }`, nil, &got)
	b, err := os.ReadFile(strings.TrimPrefix(got.Artifact.TargetPath, "file://"))
	if err != nil || string(b) != "row,7\n" {
		t.Fatalf("out7's content at %s: %q, %v", got.Artifact.TargetPath, b, err)
	}
}

// Another project's token may not log into a project, even as one input
// of many; nothing is written.
func TestLogArtifactsChecksEveryInputsProject(t *testing.T) {
	s, _ := authServer(t)
	for _, p := range []string{"a", "b"} {
		s.asDo(t, adminSecret, `mutation($p: String!) { upsertProject(input: {name: $p}) { name } }`, map[string]any{"p": p}, nil)
	}
	editorA, _ := s.newToken(t, "a-editor", "EDITOR", []string{"a"}, nil)
	in := append(outputs("a", "", 3), outputs("b", "", 1)...)
	for _, m := range in {
		delete(m, "runUid")
	}
	s.asCode(t, editorA, "PERMISSION_DENIED", logBatch, map[string]any{"in": in})
	var page struct{ Artifacts struct{ TotalCount int } }
	s.asDo(t, adminSecret, `{ artifacts(project: "a") { totalCount } }`, nil, &page)
	if page.Artifacts.TotalCount != 0 {
		t.Fatalf("%d versions of a written by a refused call", page.Artifacts.TotalCount)
	}
	var ok batchAnswer
	s.asDo(t, editorA, logBatch, map[string]any{"in": in[:3]}, &ok)
	if len(ok.LogArtifacts) != 3 {
		t.Fatalf("%+v", ok)
	}
}

// BenchmarkLogArtifacts logs 1000 versions over GraphQL: in one
// logArtifacts call, and as 1000 logArtifact calls from 8 clients; it
// reports versions/s of each.
func BenchmarkLogArtifacts(b *testing.B) {
	s := newServer(b)
	ctx := lineage.AsOperator(context.Background())
	if _, err := s.svc.UpsertProject(ctx, lineage.Project{Name: "p"}); err != nil {
		b.Fatal(err)
	}
	run := 0
	inputs := func() []map[string]any {
		run++
		uid := fmt.Sprintf("r%d", run)
		if _, err := s.svc.StartRun(ctx, lineage.StartRunRequest{Project: "p", Name: "job", UID: uid}); err != nil {
			b.Fatal(err)
		}
		return outputs("p", uid, 1000)
	}
	measure := func(b *testing.B, log func(in []map[string]any)) {
		var took time.Duration
		for i := 0; i < b.N; i++ {
			in := inputs()
			start := time.Now()
			log(in)
			took += time.Since(start)
		}
		b.ReportMetric(float64(1000*b.N)/took.Seconds(), "versions/s")
	}
	b.Run("logArtifacts-1000", func(b *testing.B) {
		measure(b, func(in []map[string]any) { benchDo(b, s, logBatch, map[string]any{"in": in}) })
	})
	b.Run("logArtifact-x1000-8-clients", func(b *testing.B) {
		measure(b, func(in []map[string]any) {
			next := make(chan map[string]any)
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for one := range next {
						benchDo(b, s, `mutation($in: LogArtifactInput!) { logArtifact(input: $in) { uid } }`, map[string]any{"in": one})
					}
				}()
			}
			for _, one := range in {
				next <- one
			}
			close(next)
			wg.Wait()
		})
	})
}

// benchDo posts a GraphQL request from a benchmark, from any goroutine.
func benchDo(b *testing.B, s *testServer, query string, vars map[string]any) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	resp, err := http.Post(s.URL+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		b.Error(err)
		return
	}
	defer resp.Body.Close()
	var out gqlResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
		b.Error(err, out.Errors)
	}
	io.Copy(io.Discard, resp.Body)
}
