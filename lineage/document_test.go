package lineage_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/mlrunyaml"
)

// mlrunDocs are the documents MLRun 1.12's own classes wrote
// (mlrunyaml/testdata/mlrun, made by generate.py there).
func mlrunDocs(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("../mlrunyaml/testdata/mlrun/*-mlrun-*.*")
	if len(files) < 8 {
		t.Fatalf("found %d MLRun documents", len(files))
	}
	return files
}

func importText(t *testing.T, svc *lineage.Service, text string, req lineage.ImportRequest) lineage.Version {
	t.Helper()
	d, err := mlrunyaml.Decode(text)
	if err != nil {
		t.Fatal(err)
	}
	req.Doc = d
	v, err := svc.Import(context.Background(), req)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	return v
}

func exportText(t *testing.T, svc *lineage.Service, v lineage.Version, tag string) (lineage.Document, string) {
	t.Helper()
	d, err := svc.Export(context.Background(), v, tag)
	if err != nil {
		t.Fatal(err)
	}
	s, err := mlrunyaml.Encode(d)
	if err != nil {
		t.Fatal(err)
	}
	return d, s
}

// TestImportExportMLRunDocuments: a document MLRun wrote imports whole,
// and its export writes every field of it back where MLRun had it.
func TestImportExportMLRunDocuments(t *testing.T) {
	for _, f := range mlrunDocs(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			svc, _, _ := newService(t)
			ctx := context.Background()
			if _, err := svc.UpsertProject(ctx, lineage.Project{Name: "fraud"}); err != nil {
				t.Fatal(err)
			}
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			orig := plainDoc(t, string(in))
			v := importText(t, svc, string(in), lineage.ImportRequest{})
			if v.Tree != "a1b2c3d4e5f6" {
				t.Errorf("tree %q", v.Tree)
			}
			tag := orig["metadata"].(map[string]any)["tag"].(string)
			if !v.HasTag(tag) {
				t.Errorf("tags %v, want %s", v.Tags, tag)
			}
			if v.Hash != "" {
				t.Errorf("MLRun's sha1 became the sha256 hash %q", v.Hash)
			}
			d, out := exportText(t, svc, v, tag)
			got := plainDoc(t, out)
			delete(orig["metadata"].(map[string]any), "updated") // the version's own time
			for _, p := range missing(orig, got, "") {
				t.Errorf("the export lost %s\n%s", p, out)
			}
			// Where MLRun reads them.
			if d.Metadata.Hash != "3f786850e387550fdab836ed7e6dc881de23001b" || d.Metadata.Tree != "a1b2c3d4e5f6" {
				t.Errorf("metadata.hash %q tree %q", d.Metadata.Hash, d.Metadata.Tree)
			}
			if v.Kind == lineage.KindDataset && (d.Status.Preview == nil || d.Status.Stats == nil || d.Spec.Preview != nil) {
				t.Errorf("dataset preview/stats not in status: %+v", d.Status)
			}
			// The untagged export names "latest".
			if d, _ := exportText(t, svc, v, ""); d.Metadata.Tag != lineage.TagLatest {
				t.Errorf("untagged export has tag %q", d.Metadata.Tag)
			}
			// Imported again, the export is the same version.
			again := importText(t, svc, out, lineage.ImportRequest{})
			if again.UID != v.UID {
				t.Errorf("re-importing the export made version %s, not %s", again.UID, v.UID)
			}
		})
	}
}

// TestImportMLRunModelDirectory: a model MLRun logs is a directory with
// the model file inside; its content is that file, checked by hash.
func TestImportMLRunModelDirectory(t *testing.T) {
	svc, _, dir := newService(t)
	ctx := context.Background()
	modelDir := dir + "/artifacts/p/clf/"
	if err := os.MkdirAll(modelDir, 0o755); err != nil {
		t.Fatal(err)
	}
	body := []byte("pickled model")
	if err := os.WriteFile(modelDir+"model.pkl", body, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	doc := func(hash string) string {
		return fmt.Sprintf("kind: model\nmetadata: {key: clf, project: p, hash: %s}\n"+
			"spec: {target_path: %s, model_file: model.pkl, framework: sklearn}\nstatus: {state: created}\n", hash, modelDir)
	}
	v := importText(t, svc, doc("sha256:"+hex.EncodeToString(sum[:])), lineage.ImportRequest{})
	if v.TargetPath != modelDir || svc.ContentLocation(v) != modelDir+"model.pkl" {
		t.Fatalf("target %s, content at %s", v.TargetPath, svc.ContentLocation(v))
	}
	if !svc.CanServe(v) {
		t.Fatal("the model file is not served")
	}
	b, err := svc.OpenContent(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(b)
	b.Close()
	if string(got) != string(body) {
		t.Fatalf("served %q", got)
	}
	if err := svc.VerifyContent(ctx, v); err != nil {
		t.Fatal(err)
	}
	d, _ := mlrunyaml.Decode(doc("sha256:00"))
	if _, err := svc.Import(ctx, lineage.ImportRequest{Doc: d, NewKey: "bad"}); lineage.ErrorCode(err) != lineage.EINVALID {
		t.Fatalf("a model file that does not match the hash: %v", err)
	}
	// An Artigraph model, one file under another name than model_file, is
	// exported so that MLRun's get_model() finds the file.
	s := "x"
	m, err := svc.LogArtifact(ctx, lineage.LogRequest{Project: "p", Key: "m", Kind: lineage.KindModel, Body: &s,
		Model: &lineage.ModelInfo{ModelFile: "model.pkl"}})
	if err != nil {
		t.Fatal(err)
	}
	md, out := exportText(t, svc, m, "")
	if md.Spec.Other["model_target_file"] != filepath.Base(m.TargetPath) || md.Spec.TargetPath != m.TargetPath {
		t.Fatalf("model export:\n%s", out)
	}
	// Imported again (as data in place, so another version), the file is
	// the content and nothing is added to extra.
	again := importText(t, svc, out, lineage.ImportRequest{NewKey: "m2"})
	if again.TargetPath != m.TargetPath || svc.ContentLocation(again) != m.TargetPath || len(again.Extra) != 0 {
		t.Fatalf("re-imported: target %s, content %s, extra %s", again.TargetPath, svc.ContentLocation(again), again.Extra)
	}
}

// TestImportExtraData: store:// URIs in extra_data are links, anything
// else stays extra data; MLRun's timestamps, unknown kinds and fields are read.
func TestImportExtraData(t *testing.T) {
	svc, _, _ := newService(t)
	s := "x"
	if _, err := svc.LogArtifact(context.Background(), lineage.LogRequest{Project: "p", Key: "notes", Kind: lineage.KindArtifact, Body: &s}); err != nil {
		t.Fatal(err)
	}
	v := importText(t, svc, `kind: plotly
metadata: {key: chart, project: p, updated: 2026-12-01 06:01:22.012485+00:00, created: "2026-12-01T06:01:22.012485", tag: "not a tag"}
spec:
  target_path: /elsewhere/chart.html
  viewer: plotly
  extra_data: {notes: "store://artifacts/p/notes", raw: raw.csv, site: "https://example.com/x"}
  producer: {kind: run, name: r, uri: p/u1, workflow: w}
status: {state: ready, header_original_length: 3}
extra_top: 1
`, lineage.ImportRequest{})
	if v.Kind != lineage.KindArtifact {
		t.Fatalf("kind %s", v.Kind)
	}
	d, out := exportText(t, svc, v, "")
	for _, want := range []string{"kind: plotly", "viewer: plotly", "raw: raw.csv", "site: https://example.com/x",
		"notes: store://artifacts/p/notes", "workflow: w", "state: ready", "header_original_length: 3", "extra_top: 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("export lacks %q:\n%s", want, out)
		}
	}
	if n, _ := d.Spec.ExtraData["notes"].(string); !strings.HasPrefix(n, "store://artifacts/p/notes") {
		t.Errorf("link exported as %v", d.Spec.ExtraData["notes"])
	}
	edges, err := svc.Edges(context.Background(), []lineage.NodeRef{lineage.VersionNode(v)}, lineage.Outgoing, lineage.RelLinksTo)
	if err != nil || len(edges) != 1 || edges[0].Name != "notes" {
		t.Fatalf("links %+v %v", edges, err)
	}
	var extra map[string]any
	if err := json.Unmarshal(v.Extra, &extra); err != nil || !strings.Contains(string(v.Extra), `"tag":"not a tag"`) {
		t.Fatalf("extra %s", v.Extra)
	}
}

func plainDoc(t *testing.T, s string) map[string]any {
	t.Helper()
	var x any
	if err := yaml.Unmarshal([]byte(s), &x); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// missing lists the paths of want's leaves that got lacks or has another value at.
func missing(want, got any, at string) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{at + " (not a mapping)"}
		}
		var out []string
		for k, v := range w {
			if gv, ok := g[k]; ok {
				out = append(out, missing(v, gv, at+"."+k)...)
			} else {
				out = append(out, at+"."+k)
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s (want %d items, got %v)", at, len(w), got)}
		}
		var out []string
		for i := range w {
			out = append(out, missing(w[i], g[i], fmt.Sprintf("%s[%d]", at, i))...)
		}
		return out
	}
	if !reflect.DeepEqual(want, got) {
		return []string{fmt.Sprintf("%s (want %v, got %v)", at, want, got)}
	}
	return nil
}

func TestContentLocationStaysInTheModelDirectory(t *testing.T) {
	svc, _, _ := newService(t)
	for file, want := range map[string]string{
		"model.pkl": "/m/clf/model.pkl", "sub/model.pkl": "/m/clf/sub/model.pkl", "./model.pkl": "/m/clf/model.pkl",
		"../other/model.pkl": "/m/clf/", "a/../../x": "/m/clf/", "/abs/model.pkl": "/abs/model.pkl",
	} {
		v := lineage.Version{Kind: lineage.KindModel, TargetPath: "/m/clf/", Model: &lineage.ModelInfo{ModelFile: file}}
		if got := svc.ContentLocation(v); got != want {
			t.Errorf("model_file %q: %s, want %s", file, got, want)
		}
	}
	v := lineage.Version{Kind: lineage.KindModel, TargetPath: "gs://b/clf/", Model: &lineage.ModelInfo{ModelFile: "model.pkl"}}
	if got := svc.ContentLocation(v); got != "gs://b/clf/model.pkl" {
		t.Errorf("gs: %s", got)
	}
}
