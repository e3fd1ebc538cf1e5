package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/artigraph/artigraph/api"
	"github.com/artigraph/artigraph/lineage"
)

func TestWalkthrough(t *testing.T) {
	s := newServer(t)
	st := s.seed(t)

	t.Run("model points to its chart and both ways", func(t *testing.T) {
		var out struct {
			Artifact struct {
				URI, Kind string
				Producer  struct{ Kind, Name, URI, Owner string }
				Owner     struct{ Name string }
				Run       struct{ UID, Name, State string }
				Sources   []struct{ URI string }
				Links     []struct {
					Relation string
					Target   struct {
						URI        string
						LinkedFrom []struct {
							Relation string
							Target   struct{ URI string }
						}
					}
				}
				Model struct {
					Framework, Algorithm string
					Metrics              map[string]float64
				}
			}
		}
		s.mustDo(t, `{ artifact(uri: "store://models/fraud/classifier:v1") { uri kind producer { kind name uri owner }
			owner { name } run { uid name state } sources { uri }
			links { relation target { uri linkedFrom { relation target { uri } } } }
			model { framework algorithm metrics } } }`, nil, &out)
		a := out.Artifact
		if !strings.HasPrefix(a.URI, "store://models/fraud/classifier:v1@run1^") || a.Kind != "MODEL" {
			t.Fatalf("uri %s kind %s", a.URI, a.Kind)
		}
		if a.Producer.Kind != "run" || a.Producer.Name != "train" || a.Producer.URI != "fraud/run1" || a.Producer.Owner != "ana" || a.Owner.Name != "ana" {
			t.Fatalf("producer %+v owner %+v", a.Producer, a.Owner)
		}
		if a.Run.UID != "run1" || a.Run.State != "COMPLETED" {
			t.Fatalf("run %+v", a.Run)
		}
		if len(a.Sources) != 1 || a.Sources[0].URI != st.Dataset {
			t.Fatalf("sources %+v, want %s", a.Sources, st.Dataset)
		}
		if len(a.Links) != 1 || a.Links[0].Relation != "chart" || a.Links[0].Target.URI != st.Chart {
			t.Fatalf("links %+v", a.Links)
		}
		back := a.Links[0].Target.LinkedFrom
		if len(back) != 1 || back[0].Relation != "chart" || !strings.Contains(back[0].Target.URI, st.ModelUID) {
			t.Fatalf("linkedFrom %+v", back)
		}
		if a.Model.Framework != "sklearn" || a.Model.Metrics["auc"] != 0.91 {
			t.Fatalf("model %+v", a.Model)
		}
	})

	t.Run("run shows inputs outputs and pipeline", func(t *testing.T) {
		var out struct {
			Run struct {
				Name, State, ArtifactPath string
				FinishedAt                *string
				User                      struct{ Name string }
				Pipeline                  struct {
					ID   string
					Runs []struct{ UID string }
				}
				Inputs  []struct{ URI string }
				Outputs []struct{ Key string }
			}
		}
		s.mustDo(t, `{ run(project: "fraud", uid: "run1") { name state artifactPath finishedAt user { name }
			pipeline { id runs { uid } } inputs { uri } outputs { key } } }`, nil, &out)
		r := out.Run
		if r.State != "COMPLETED" || r.FinishedAt == nil || r.User.Name != "ana" || r.ArtifactPath != s.dir+"/artifacts/fraud" {
			t.Fatalf("run %+v", r)
		}
		if r.Pipeline.ID != "nightly" || len(r.Pipeline.Runs) != 1 {
			t.Fatalf("pipeline %+v", r.Pipeline)
		}
		if len(r.Inputs) != 1 || r.Inputs[0].URI != st.Dataset {
			t.Fatalf("inputs %+v", r.Inputs)
		}
		var keys []string
		for _, o := range r.Outputs {
			keys = append(keys, o.Key)
		}
		if len(keys) != 2 || !contains(keys, "roc") || !contains(keys, "classifier") {
			t.Fatalf("outputs %v", keys)
		}
	})

	t.Run("lineage downstream of the dataset", func(t *testing.T) {
		var out struct {
			Lineage struct {
				Nodes []struct {
					ID, Type string
					Depth    int
					Artifact *struct{ Key string }
					Run      *struct{ Name string }
				}
				Edges     []struct{ From, To, Relation string }
				Truncated bool
			}
		}
		s.mustDo(t, `{ lineage(uri: "store://datasets/fraud/transactions", direction: DOWNSTREAM) {
			nodes { id type depth artifact { key } run { name } } edges { from to relation } truncated } }`, nil, &out)
		got := map[string]int{}
		for _, n := range out.Lineage.Nodes {
			got[n.ID] = n.Depth
			if (n.Type == "artifact") != (n.Artifact != nil) || (n.Type == "run") != (n.Run != nil) {
				t.Fatalf("node %+v has the wrong object", n)
			}
		}
		want := map[string]int{st.Dataset: 0, "run:fraud/run1": 1, strings.Replace(st.Model, ":v1", ":latest", 1): 1, st.Chart: 2}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("nodes %v\nwant %v", got, want)
		}
		rels := map[string]bool{}
		for _, e := range out.Lineage.Edges {
			rels[e.From+" "+e.Relation+" "+e.To] = true
		}
		for _, e := range []string{"run:fraud/run1 CONSUMED " + st.Dataset, "run:fraud/run1 PRODUCED " + st.Chart} {
			if !rels[e] {
				t.Errorf("missing edge %s in %v", e, rels)
			}
		}
		if out.Lineage.Truncated {
			t.Error("truncated")
		}
	})

	t.Run("lineage upstream of the model and depth cut", func(t *testing.T) {
		var out struct {
			Lineage struct {
				Nodes     []struct{ ID string }
				Truncated bool
			}
		}
		s.mustDo(t, `{ lineage(uri: "store://models/fraud/classifier", direction: UPSTREAM, depth: 1) { nodes { id } truncated } }`, nil, &out)
		if len(out.Lineage.Nodes) != 3 || out.Lineage.Truncated {
			// model, its run, its source dataset; the run's input is the same dataset
			t.Fatalf("depth 1: %+v", out.Lineage)
		}
		s.mustDo(t, `{ lineage(uri: "store://datasets/fraud/transactions", direction: DOWNSTREAM, depth: 1) { nodes { id } truncated } }`, nil, &out)
		if !out.Lineage.Truncated || len(out.Lineage.Nodes) != 3 {
			t.Fatalf("depth 1 downstream should be cut short: %+v", out.Lineage)
		}
		s.mustDo(t, `{ lineage(uri: "store://datasets/fraud/transactions", direction: BOTH, limit: 2) { nodes { id } truncated } }`, nil, &out)
		if !out.Lineage.Truncated || len(out.Lineage.Nodes) != 2 {
			t.Fatalf("limit 2: %+v", out.Lineage)
		}
	})

	t.Run("lineage from a run id", func(t *testing.T) {
		var out struct {
			Lineage struct{ Nodes []struct{ ID string } }
		}
		s.mustDo(t, `{ lineage(uri: "run:fraud/run1", direction: UPSTREAM) { nodes { id } } }`, nil, &out)
		if len(out.Lineage.Nodes) != 2 || out.Lineage.Nodes[1].ID != st.Dataset {
			t.Fatalf("%+v", out.Lineage)
		}
	})

	t.Run("impact of the dataset", func(t *testing.T) {
		var out struct {
			Impact struct {
				Artifacts []struct{ Key string }
				Runs      []struct{ UID string }
				Pipelines []struct{ ID string }
				Truncated bool
			}
		}
		s.mustDo(t, `{ impact(uri: "store://datasets/fraud/transactions") { artifacts { key } runs { uid } pipelines { id } truncated } }`, nil, &out)
		im := out.Impact
		if len(im.Artifacts) != 2 || len(im.Runs) != 1 || len(im.Pipelines) != 1 || im.Pipelines[0].ID != "nightly" || im.Truncated {
			t.Fatalf("impact %+v", im)
		}
	})

	t.Run("download content and yaml", func(t *testing.T) {
		var out struct {
			Artifact struct {
				DownloadURL string
				Size        int
				Hash        string
				Yaml        string
			}
		}
		s.mustDo(t, `{ artifact(uri: "store://datasets/fraud/transactions") { downloadUrl size hash yaml } }`, nil, &out)
		resp, body := s.get(t, out.Artifact.DownloadURL)
		if resp.StatusCode != 200 || string(body) != "id,amount\n1,9.5\n2,120\n" {
			t.Fatalf("download: %d %q", resp.StatusCode, body)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("content type %q", ct)
		}
		if resp.Header.Get("Content-Length") != fmt.Sprint(out.Artifact.Size) || !strings.HasPrefix(out.Artifact.Hash, "sha256:") {
			t.Errorf("length %s size %d hash %s", resp.Header.Get("Content-Length"), out.Artifact.Size, out.Artifact.Hash)
		}
		resp, body = s.get(t, out.Artifact.DownloadURL, "Range", "bytes=3-8")
		if resp.StatusCode != http.StatusPartialContent || string(body) != "amount" {
			t.Fatalf("range: %d %q", resp.StatusCode, body)
		}
		yamlURL := strings.TrimSuffix(out.Artifact.DownloadURL, "/content") + "/yaml"
		resp, body = s.get(t, yamlURL)
		if resp.StatusCode != 200 || string(body) != out.Artifact.Yaml || !strings.Contains(string(body), "kind: dataset") {
			t.Fatalf("yaml download: %d %s", resp.StatusCode, body)
		}
		resp, _ = s.get(t, "/api/v1/artifacts/fraud/nope/content")
		if resp.StatusCode != 404 || resp.Header.Get("X-Error-Code") != "NOT_FOUND" {
			t.Fatalf("missing download: %d", resp.StatusCode)
		}
	})
}

func TestVersionsAndTags(t *testing.T) {
	s := newServer(t)
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	log := func(body, tag string) (uri, uid string) {
		var out struct{ LogArtifact struct{ URI, UID string } }
		s.mustDo(t, `mutation($b: String!, $tag: String) { logArtifact(input: {project: "p", key: "m", kind: MODEL, body: $b, tag: $tag}) { uri uid } }`,
			map[string]any{"b": body, "tag": tag}, &out)
		return out.LogArtifact.URI, out.LogArtifact.UID
	}
	_, v1 := log("one", "prod")
	_, again := log("one", "")
	if again != v1 {
		t.Fatalf("an identical retry made a new version: %s vs %s", again, v1)
	}
	_, v2 := log("two", "")
	if v2 == v1 {
		t.Fatal("new content kept the uid")
	}
	tagsOf := func(uri string) []string {
		var out struct {
			Artifact struct {
				UID  string
				Tags []string
			}
		}
		s.mustDo(t, `query($u: String!) { artifact(uri: $u) { uid tags } }`, map[string]any{"u": uri}, &out)
		return out.Artifact.Tags
	}
	var latest struct{ Artifact struct{ UID string } }
	s.mustDo(t, `{ artifact(uri: "store://models/p/m") { uid } }`, nil, &latest)
	if latest.Artifact.UID != v2 {
		t.Fatalf("latest is %s, want the newest %s", latest.Artifact.UID, v2)
	}
	if got := tagsOf("store://models/p/m:prod"); len(got) != 1 || got[0] != "prod" {
		t.Fatalf("v1 tags %v", got)
	}
	// Moving "prod" to v2 leaves exactly one holder.
	var moved struct {
		TagArtifact struct {
			UID, URI string
			Tags     []string
		}
	}
	s.mustDo(t, fmt.Sprintf(`mutation { tagArtifact(uri: "store://models/p/m^%s", tag: "prod") { uid uri tags } }`, v2), nil, &moved)
	if moved.TagArtifact.UID != v2 || !contains(moved.TagArtifact.Tags, "prod") || !strings.Contains(moved.TagArtifact.URI, ":prod^") {
		t.Fatalf("tag: %+v", moved.TagArtifact)
	}
	if got := tagsOf("store://models/p/m^" + v1); contains(got, "prod") {
		t.Fatalf("v1 still holds prod: %v", got)
	}
	var list struct{ Artifacts struct{ TotalCount int } }
	s.mustDo(t, `{ artifacts(project: "p", filter: {tag: "prod"}) { totalCount } }`, nil, &list)
	if list.Artifacts.TotalCount != 1 {
		t.Fatalf("%d versions hold prod", list.Artifacts.TotalCount)
	}
	s.mustDo(t, `mutation { untagArtifact(uri: "store://models/p/m:prod", tag: "prod") { tags } }`, nil, nil)
	s.mustDo(t, `{ artifacts(project: "p", filter: {tag: "prod"}) { totalCount } }`, nil, &list)
	if list.Artifacts.TotalCount != 0 {
		t.Fatal("untag left the tag")
	}
	var none struct{ Artifact *struct{ UID string } }
	s.mustDo(t, `{ artifact(uri: "store://models/p/m:prod") { uid } }`, nil, &none)
	if none.Artifact != nil {
		t.Fatal("a removed tag still resolves")
	}
	// The dataset prefix does not name a model.
	s.mustDo(t, `{ artifact(uri: "store://datasets/p/m") { uid } }`, nil, &none)
	if none.Artifact != nil {
		t.Fatal("store://datasets named a model")
	}
}

func TestPaginationAndSearch(t *testing.T) {
	s := newServer(t)
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	for i := 0; i < 7; i++ {
		s.mustDo(t, `mutation($k: String!, $env: String!) { logArtifact(input: {project: "p", key: $k, kind: DATASET, body: $k,
			labels: [{key: "env", value: $env}]}) { uid } }`, map[string]any{"k": fmt.Sprintf("data-%d", i), "env": []string{"dev", "prod"}[i%2]}, nil)
	}
	seen := map[string]bool{}
	after := ""
	for pages := 0; ; pages++ {
		var out struct {
			Artifacts struct {
				Edges []struct {
					Cursor string
					Node   struct{ Key string }
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
				TotalCount int
			}
		}
		s.mustDo(t, `query($after: String) { artifacts(project: "p", first: 3, after: $after) { edges { cursor node { key } } pageInfo { hasNextPage endCursor } totalCount } }`,
			map[string]any{"after": after}, &out)
		a := out.Artifacts
		if a.TotalCount != 7 {
			t.Fatalf("totalCount %d", a.TotalCount)
		}
		for _, e := range a.Edges {
			if seen[e.Node.Key] {
				t.Fatalf("%s on two pages", e.Node.Key)
			}
			seen[e.Node.Key] = true
		}
		if len(a.Edges) > 0 && a.Edges[len(a.Edges)-1].Cursor != a.PageInfo.EndCursor {
			t.Fatal("endCursor is not the last edge's cursor")
		}
		if !a.PageInfo.HasNextPage {
			break
		}
		after = a.PageInfo.EndCursor
	}
	if len(seen) != 7 {
		t.Fatalf("saw %d of 7", len(seen))
	}
	var prod struct{ Artifacts struct{ TotalCount int } }
	s.mustDo(t, `{ artifacts(project: "p", filter: {labels: ["env=prod"], keyContains: "DATA"}) { totalCount } }`, nil, &prod)
	if prod.Artifacts.TotalCount != 3 {
		t.Fatalf("env=prod: %d, want 3", prod.Artifacts.TotalCount)
	}
	s.wantCode(t, "INVALID_ARGUMENT", `{ artifacts(project: "p", after: "garbage!") { totalCount } }`, nil)
	s.wantCode(t, "LIMIT_EXCEEDED", `{ artifacts(project: "p", first: 5000) { totalCount } }`, nil)
	s.wantCode(t, "NOT_FOUND", `{ artifacts(project: "nope") { totalCount } }`, nil)
}

func TestBadInputErrors(t *testing.T) {
	s := newServer(t, func(o *api.Options, c *lineage.Config, _ lineage.BlobRouter) { o.MaxUploadBytes = 1024 })
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	cases := []struct {
		name, code, query string
	}{
		{"malformed uri", "INVALID_ARGUMENT", `{ artifact(uri: "store://models/p") { uid } }`},
		{"unknown project", "NOT_FOUND", `mutation { logArtifact(input: {project: "ghost", key: "k", kind: MODEL, body: "x"}) { uid } }`},
		{"path traversal in key", "INVALID_ARGUMENT", `mutation { logArtifact(input: {project: "p", key: "..", kind: MODEL, body: "x"}) { uid } }`},
		{"slash in key", "INVALID_ARGUMENT", `mutation { logArtifact(input: {project: "p", key: "a/../../etc", kind: MODEL, body: "x"}) { uid } }`},
		{"artifact path outside the data dir", "PERMISSION_DENIED", `mutation { logArtifact(input: {project: "p", key: "k", kind: MODEL, body: "x", artifactPath: "/etc"}) { uid } }`},
		{"relative artifact path", "INVALID_ARGUMENT", `mutation { logArtifact(input: {project: "p", key: "k", kind: MODEL, body: "x", artifactPath: "tmp"}) { uid } }`},
		{"run.uid without a run", "INVALID_ARGUMENT", `mutation { logArtifact(input: {project: "p", key: "k", kind: MODEL, body: "x", artifactPath: "/x/{{run.uid}}"}) { uid } }`},
		{"no blob store for s3", "INVALID_ARGUMENT", `mutation { logArtifact(input: {project: "p", key: "k", kind: MODEL, body: "x", artifactPath: "s3://bucket/x"}) { uid } }`},
		{"oversized body", "LIMIT_EXCEEDED", `mutation { logArtifact(input: {project: "p", key: "k", kind: MODEL, body: "` + strings.Repeat("x", 1025) + `"}) { uid } }`},
		{"missing source", "NOT_FOUND", `mutation { logArtifact(input: {project: "p", key: "k", kind: MODEL, body: "x", sources: ["store://datasets/p/none"]}) { uid } }`},
		{"unknown run", "NOT_FOUND", `mutation { logArtifact(input: {project: "p", key: "k", kind: MODEL, body: "x", runUid: "nope"}) { uid } }`},
		{"no content", "INVALID_ARGUMENT", `mutation { logArtifact(input: {project: "p", key: "k", kind: MODEL}) { uid } }`},
		{"lineage too deep", "LIMIT_EXCEEDED", `{ lineage(uri: "store://models/p/k", direction: UPSTREAM, depth: 50) { truncated } }`},
		{"query too deep", "LIMIT_EXCEEDED", `{ artifact(uri: "store://models/p/k") { sources { sources { sources { sources { sources { sources { sources { sources { sources { sources { key } } } } } } } } } } } }`},
		{"query too costly", "LIMIT_EXCEEDED", `{ artifacts(project: "p", first: 1000) { edges { node { sources { consumers { inputs { key } } } } } } }`},
		{"syntax error", "INVALID_ARGUMENT", `{ artifact(uri: ) }`},
		{"unknown field", "INVALID_ARGUMENT", `{ nope }`},
		{"finish with RUNNING", "INVALID_ARGUMENT", `mutation { finishRun(project: "p", uid: "x", state: RUNNING) { uid } }`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := s.wantCode(t, c.code, c.query, nil)
			if e.Message == "" || strings.Contains(e.Message, "internal") {
				t.Fatalf("unclear message %q", e.Message)
			}
		})
	}
	// None of that left a version or a stray file behind.
	var out struct{ Artifacts struct{ TotalCount int } }
	s.mustDo(t, `{ artifacts(project: "p") { totalCount } }`, nil, &out)
	if out.Artifacts.TotalCount != 0 {
		t.Fatalf("%d versions after failed logs", out.Artifacts.TotalCount)
	}
	if files := blobFiles(t, s.dir); len(files) != 0 {
		t.Fatalf("files left behind: %v", files)
	}
}

func blobFiles(t *testing.T, dir string) []string {
	var files []string
	filepath.Walk(filepath.Join(dir, "artifacts"), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	return files
}

func TestUpload(t *testing.T) {
	s := newServer(t, func(o *api.Options, c *lineage.Config, _ lineage.BlobRouter) { o.MaxUploadBytes = 64 << 10 })
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	const q = `mutation($file: Upload) { logArtifact(input: {project: "p", key: "weights", kind: MODEL, format: "bin"}, file: $file) { uid size hash downloadUrl } }`
	content := strings.Repeat("0123456789", 5000)
	r := s.upload(t, q, map[string]any{}, strings.NewReader(content))
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	var out struct {
		LogArtifact struct {
			Size        int
			Hash        string
			DownloadURL string
		}
	}
	json.Unmarshal(r.Data, &out)
	if out.LogArtifact.Size != len(content) {
		t.Fatalf("size %d", out.LogArtifact.Size)
	}
	_, body := s.get(t, out.LogArtifact.DownloadURL)
	if string(body) != content {
		t.Fatal("downloaded content differs")
	}
	r = s.upload(t, strings.Replace(q, "weights", "huge", 1), map[string]any{}, strings.NewReader(strings.Repeat("x", 70<<10)))
	if len(r.Errors) == 0 || r.Errors[0].code() != "LIMIT_EXCEEDED" {
		t.Fatalf("oversized upload: %+v", r.Errors)
	}
	var list struct{ Artifacts struct{ TotalCount int } }
	s.mustDo(t, `{ artifacts(project: "p") { totalCount } }`, nil, &list)
	if list.Artifacts.TotalCount != 1 || len(blobFiles(t, s.dir)) != 1 {
		t.Fatalf("oversized upload left something: %d versions, files %v", list.Artifacts.TotalCount, blobFiles(t, s.dir))
	}
}

func TestTargetPathUploadsNothing(t *testing.T) {
	s := newServer(t)
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	var out struct {
		LogArtifact struct {
			TargetPath  string
			Size        *int
			DownloadURL *string
		}
	}
	s.mustDo(t, `mutation { logArtifact(input: {project: "p", key: "lake", kind: DATASET, targetPath: "s3://lake/events.parquet"}) { targetPath size downloadUrl } }`, nil, &out)
	if out.LogArtifact.TargetPath != "s3://lake/events.parquet" || out.LogArtifact.Size != nil || out.LogArtifact.DownloadURL != nil {
		t.Fatalf("%+v", out.LogArtifact)
	}
	if files := blobFiles(t, s.dir); len(files) != 0 {
		t.Fatalf("uploaded %v", files)
	}
}

func TestDeleteStrategies(t *testing.T) {
	s := newServer(t)
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	log := func(key string) string {
		var out struct{ LogArtifact struct{ TargetPath string } }
		s.mustDo(t, `mutation($k: String!) { logArtifact(input: {project: "p", key: $k, kind: ARTIFACT, body: "x"}) { targetPath } }`, map[string]any{"k": key}, &out)
		return out.LogArtifact.TargetPath
	}
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	del := func(uri, strategy string) (int, gqlResponse) {
		vars := map[string]any{"u": uri}
		if strategy != "" {
			vars["s"] = strategy
		}
		r := s.do(t, `mutation($u: String!, $s: DeletionStrategy) { deleteArtifact(uri: $u, strategy: $s) }`, vars)
		var out struct{ DeleteArtifact int }
		json.Unmarshal(r.Data, &out)
		return out.DeleteArtifact, r
	}

	keep := log("keep")
	if n, _ := del("store://artifacts/p/keep", "METADATA_ONLY"); n != 1 || !exists(keep) {
		t.Fatalf("METADATA_ONLY: %d, blob exists %v", n, exists(keep))
	}
	force := log("force")
	if n, _ := del("store://artifacts/p/force", "DATA_FORCE"); n != 1 || exists(force) {
		t.Fatalf("DATA_FORCE: %d, blob exists %v", n, exists(force))
	}
	// Data logged in place is never Artigraph's to delete: every strategy
	// deletes the record only (safety_test.go checks the notice saying so).
	for _, strategy := range []string{"DATA_FORCE", "DATA_OPTIONAL"} {
		s.mustDo(t, `mutation { logArtifact(input: {project: "p", key: "outside", kind: ARTIFACT, targetPath: "/etc/hostname"}) { uid } }`, nil, nil)
		if n, r := del("store://artifacts/p/outside", strategy); n != 1 || len(r.Errors) > 0 {
			t.Fatalf("%s on data in place: %d %+v", strategy, n, r.Errors)
		}
		if !exists("/etc/hostname") {
			t.Fatal("deleted a file outside the roots")
		}
	}
	// :* deletes every version.
	for _, b := range []string{"a", "b", "c"} {
		s.mustDo(t, `mutation($b: String!) { logArtifact(input: {project: "p", key: "many", kind: ARTIFACT, body: $b}) { uid } }`, map[string]any{"b": b}, nil)
	}
	if n, _ := del("store://artifacts/p/many:*", ""); n != 3 {
		t.Fatalf(":* deleted %d", n)
	}
	if _, r := del("store://artifacts/p/many", ""); len(r.Errors) == 0 || r.Errors[0].code() != "NOT_FOUND" {
		t.Fatalf("deleting nothing: %+v", r.Errors)
	}
}

func TestYAMLRoundTrip(t *testing.T) {
	s := newServer(t)
	s.seed(t)
	const fields = `kind key labels { key value } description targetPath format size hash producer { kind name uri owner }
		dataset { header length preview schema stats } model { framework algorithm metrics parameters } externalSources
		sources { uid } links { relation target { uid } }`
	var orig struct {
		Artifact map[string]any
	}
	s.mustDo(t, `{ artifact(uri: "store://models/fraud/classifier:v1") { yaml `+fields+` } }`, nil, &orig)
	var imported struct{ ImportArtifact map[string]any }
	s.mustDo(t, `mutation($y: String!) { importArtifact(yaml: $y, newKey: "classifier-copy", tag: "imported") { tags `+fields+` } }`,
		map[string]any{"y": orig.Artifact["yaml"]}, &imported)
	got := imported.ImportArtifact
	if tags := fmt.Sprint(got["tags"]); !strings.Contains(tags, "imported") {
		t.Fatalf("tags %s", tags)
	}
	if got["key"] != "classifier-copy" {
		t.Fatalf("key %v", got["key"])
	}
	for _, f := range []string{"kind", "labels", "description", "targetPath", "format", "size", "hash", "producer", "dataset", "model", "externalSources", "sources", "links"} {
		if fmt.Sprint(got[f]) != fmt.Sprint(orig.Artifact[f]) {
			t.Errorf("%s: imported %v, original %v", f, got[f], orig.Artifact[f])
		}
	}
	s.wantCode(t, "INVALID_ARGUMENT", `mutation { importArtifact(yaml: "kind: [") { uid } }`, nil)
	// A document whose hash does not match the content is refused.
	bad := strings.Replace(orig.Artifact["yaml"].(string), "hash: sha256:", "hash: sha256:00", 1)
	s.wantCode(t, "INVALID_ARGUMENT", `mutation($y: String!) { importArtifact(yaml: $y, newKey: "bad") { uid } }`, map[string]any{"y": bad})
}

func TestDataloadersBoundStoreCalls(t *testing.T) {
	// No loader waits (the default): the artifacts resolver loads each level
	// the query asks below the page in one read per kind before any item's
	// fields resolve, so the count below is exact however the machine
	// schedules the item resolvers.
	s := newServer(t)
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	s.mustDo(t, `mutation { logArtifact(input: {project: "p", key: "raw", kind: DATASET, body: "r"}) { uid } }`, nil, nil)
	for i := 0; i < 20; i++ {
		uid := fmt.Sprintf("run%d", i)
		s.mustDo(t, `mutation($u: String!) { startRun(input: {project: "p", name: "job", uid: $u, inputs: ["store://datasets/p/raw"]}) { uid } }`, map[string]any{"u": uid}, nil)
		for j := 0; j < 5; j++ {
			s.mustDo(t, `mutation($u: String!, $k: String!) { logArtifact(input: {project: "p", key: $k, kind: MODEL, runUid: $u, body: $k,
				sources: ["store://datasets/p/raw"]}) { uid } }`, map[string]any{"u": uid, "k": fmt.Sprintf("m%d-%d", i, j)}, nil)
		}
	}
	// Without batching this query costs about 340 store calls (3 per
	// version, 2 per run), and still 143 with a per-key cache alone (1 per
	// version's sources, 2 per run, and the list). Batched by level it
	// costs one call per kind of read and level, whatever the page size:
	// the project check, the list, the page's runs, their input edges and
	// the versions those name, the page's source edges and their versions
	// (here the same dataset as the inputs': the request's cache has it).
	s.calls.reset()
	var out struct {
		Artifacts struct {
			Edges []struct {
				Node struct {
					Run *struct {
						Name   string
						Inputs []struct{ Key string }
					}
					Sources []struct{ Key string }
				}
			}
		}
	}
	s.mustDo(t, `{ artifacts(project: "p", first: 100, filter: {kind: MODEL}) { edges { node { run { name inputs { key } } sources { key } } } } }`, nil, &out)
	calls := s.calls.calls()
	if len(out.Artifacts.Edges) != 100 {
		t.Fatalf("%d versions", len(out.Artifacts.Edges))
	}
	for _, e := range out.Artifacts.Edges {
		if e.Node.Run == nil || len(e.Node.Sources) != 1 || len(e.Node.Run.Inputs) != 1 {
			t.Fatalf("incomplete node %+v", e.Node)
		}
	}
	bounds := map[string][2]int64{"GetProject": {1, 1}, "ListVersions": {1, 1}, "GetRuns": {1, 1}, "Edges": {2, 2}, "GetVersions": {1, 1}}
	for method, n := range calls {
		if b, ok := bounds[method]; !ok || n < b[0] || n > b[1] {
			t.Fatalf("store calls for 100 versions with their runs, inputs and sources: %v, want within %v: batching is not working", calls, bounds)
		}
	}
	for method := range bounds {
		if calls[method] == 0 {
			t.Fatalf("no %s call: %v", method, calls)
		}
	}

	// Lineage the same way: 121 nodes, each with its artifact's run or its
	// run's inputs and outputs, cost one read per kind and level. The runs
	// of the artifacts are the run nodes, and the inputs and outputs are
	// node versions: the request's cache has them.
	s.calls.reset()
	var g struct {
		Lineage struct {
			Nodes []struct {
				Artifact *struct{ Run *struct{ Name string } }
				Run      *struct{ Inputs, Outputs []struct{ Key string } }
			}
		}
	}
	s.mustDo(t, `{ lineage(uri: "store://datasets/p/raw", direction: DOWNSTREAM, depth: 2, limit: 200) {
		nodes { artifact { run { name } } run { inputs(first: 5) { key } outputs(first: 10) { key } } } } }`, nil, &g)
	calls = s.calls.calls()
	withRun, withOutputs := 0, 0
	for _, n := range g.Lineage.Nodes {
		if n.Artifact != nil && n.Artifact.Run != nil {
			withRun++
		}
		if n.Run != nil && len(n.Run.Inputs) == 1 && len(n.Run.Outputs) == 5 {
			withOutputs++
		}
	}
	if len(g.Lineage.Nodes) != 121 || withRun != 100 || withOutputs != 20 {
		t.Fatalf("lineage: %d nodes, %d with their run, %d runs with their input and outputs", len(g.Lineage.Nodes), withRun, withOutputs)
	}
	// ListVersions resolves the uri; the traversal itself is the store's.
	want := map[string]int64{"ListVersions": 1, "GetVersions": 1, "GetRuns": 1, "Edges": 2}
	if !maps.Equal(calls, want) {
		t.Fatalf("store calls for lineage of 121 nodes with their runs, inputs and outputs: %v, want %v", calls, want)
	}
}

func TestServerEndpoints(t *testing.T) {
	s := newServer(t, func(o *api.Options, c *lineage.Config, _ lineage.BlobRouter) {
		o.AllowedOrigins = []string{"https://dash.example"}
	})
	resp, _ := s.get(t, "/healthz")
	if resp.StatusCode != 200 {
		t.Fatalf("healthz %d", resp.StatusCode)
	}
	resp, _ = s.get(t, "/readyz")
	if resp.StatusCode != 200 {
		t.Fatalf("readyz %d", resp.StatusCode)
	}
	resp, body := s.get(t, "/graphiql")
	if resp.StatusCode != 200 || !strings.Contains(strings.ToLower(string(body)), "graphiql") {
		t.Fatalf("graphiql %d", resp.StatusCode)
	}
	for origin, allowed := range map[string]bool{"https://dash.example": true, "https://evil.example": false} {
		if got := preflight(t, s, origin).Get("Access-Control-Allow-Origin") == origin; got != allowed {
			t.Errorf("origin %s allowed=%v, want %v", origin, got, allowed)
		}
	}
	resp, body = s.get(t, "/graphql?query="+strings.ReplaceAll("{ projects { name } }", " ", "%20"))
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"projects":[]`) {
		t.Fatalf("GET /graphql: %d %s", resp.StatusCode, body)
	}
	_ = io.Discard
}

// failingStore breaks one read the way a disk or driver failure would.
type failingStore struct{ *countingStore }

func (f failingStore) ListVersions(context.Context, string, lineage.VersionFilter, lineage.Page) (lineage.VersionPage, error) {
	return lineage.VersionPage{}, errors.New("open /var/lib/secret/artigraph.db: input/output error")
}

func TestInternalErrorsAreNotLeaked(t *testing.T) {
	s := newServerOver(t, func(c *countingStore) lineage.Store { return failingStore{c} })
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	r := s.do(t, `{ artifacts(project: "p") { totalCount } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].code() != "INTERNAL" || r.Errors[0].Message != "internal error" {
		t.Fatalf("%+v", r.Errors)
	}
	if strings.Contains(fmt.Sprint(r), "secret") {
		t.Fatal("the internal error leaked")
	}
}
