package api_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/artigraph/artigraph/api"
	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/storage/gcs"
)

// TestEveryOperationOnGCS runs the API with --artifact-path gs://… against
// fake-gcs-server, a real implementation of the GCS JSON API.
func TestEveryOperationOnGCS(t *testing.T) {
	var fake *fakestorage.Server
	s := newServer(t, onGCS(t, &fake), func(o *api.Options, c *lineage.Config, _ lineage.BlobRouter) {
		c.AdminToken = "admin"
		o.MaxUploadBytes = 4 << 20
	})
	st := s.seed(t)

	var model struct {
		Artifact struct {
			TargetPath, DownloadURL, Hash, Yaml string
			Size                                int
		}
	}
	s.mustDo(t, `{ artifact(uri: "store://models/fraud/classifier:v1") { targetPath downloadUrl hash size yaml } }`, nil, &model)
	if model.Artifact.TargetPath != "gs://artifacts/fraud/train/0/classifier.pkl" {
		t.Fatalf("target path %s", model.Artifact.TargetPath)
	}
	want := []string{"fraud/train/0/classifier.pkl", "fraud/train/0/roc.svg", "fraud/transactions.csv"}
	if got := objects(t, fake); !slices.Equal(got, want) {
		t.Fatalf("bucket holds %v, want %v", got, want)
	}

	t.Run("download, range and verify", func(t *testing.T) {
		resp, body := s.get(t, model.Artifact.DownloadURL+"?verify=1")
		if resp.StatusCode != 200 || string(body) != "weights" || resp.Header.Get("Content-Length") != "7" {
			t.Fatalf("%d %q", resp.StatusCode, body)
		}
		resp, body = s.get(t, model.Artifact.DownloadURL, "Range", "bytes=2-4")
		if resp.StatusCode != http.StatusPartialContent || string(body) != "igh" || resp.Header.Get("Content-Range") != "bytes 2-4/7" {
			t.Fatalf("range: %d %q %s", resp.StatusCode, body, resp.Header.Get("Content-Range"))
		}
		resp, body = s.get(t, model.Artifact.DownloadURL, "Range", "bytes=-3")
		if resp.StatusCode != http.StatusPartialContent || string(body) != "hts" {
			t.Fatalf("suffix range: %d %q", resp.StatusCode, body)
		}
	})

	t.Run("lineage and impact", func(t *testing.T) {
		var out struct {
			Impact struct{ Artifacts []struct{ Key string } }
		}
		s.mustDo(t, `{ impact(uri: "store://datasets/fraud/transactions") { artifacts { key } } }`, nil, &out)
		if len(out.Impact.Artifacts) != 2 {
			t.Fatalf("%+v", out.Impact)
		}
		_ = st
	})

	t.Run("yaml import checks the hash in the bucket", func(t *testing.T) {
		var imp struct {
			ImportArtifact struct{ TargetPath, Hash string }
		}
		s.mustDo(t, `mutation($y: String!) { importArtifact(yaml: $y, newKey: "copy") { targetPath hash } }`,
			map[string]any{"y": model.Artifact.Yaml}, &imp)
		if imp.ImportArtifact.TargetPath != model.Artifact.TargetPath || imp.ImportArtifact.Hash != model.Artifact.Hash {
			t.Fatalf("%+v", imp.ImportArtifact)
		}
		bad := strings.Replace(model.Artifact.Yaml, "hash: sha256:", "hash: sha256:ff", 1)
		s.wantCode(t, "INVALID_ARGUMENT", `mutation($y: String!) { importArtifact(yaml: $y, newKey: "bad") { uid } }`, map[string]any{"y": bad})
	})

	t.Run("multipart and streamed uploads", func(t *testing.T) {
		content := strings.Repeat("0123456789abcdef", 80_000) // 1.25 MiB: several resumable chunks
		r := s.upload(t, `mutation($file: Upload) { logArtifact(input: {project: "fraud", key: "features", kind: DATASET, format: "parquet"}, file: $file) { targetPath size } }`,
			map[string]any{}, strings.NewReader(content))
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"size":1280000`) {
			t.Fatalf("multipart: %s %+v", r.Data, r.Errors)
		}
		var ticket struct {
			CreateUpload struct{ URL, TargetPath string }
		}
		s.mustDo(t, `mutation { createUpload(input: {project: "fraud", key: "embeddings", kind: ARTIFACT, format: "bin"}) { url targetPath } }`, nil, &ticket)
		status, out := put(t, s.URL+ticket.CreateUpload.URL, strings.NewReader(content))
		if status != http.StatusCreated || out["targetPath"] != "gs://artifacts/fraud/embeddings.bin" {
			t.Fatalf("PUT: %d %v", status, out)
		}
		_, body := s.get(t, out["downloadUrl"].(string))
		if string(body) != content {
			t.Fatal("streamed content differs")
		}
		s.mustDo(t, `mutation { createUpload(input: {project: "fraud", key: "toolarge", kind: ARTIFACT}) { url } }`, nil, &ticket)
		if status, _ := put(t, s.URL+ticket.CreateUpload.URL, strings.NewReader(strings.Repeat("x", 5<<20))); status != http.StatusRequestEntityTooLarge {
			t.Fatalf("oversized PUT: %d", status)
		}
		if slices.Contains(objects(t, fake), "fraud/toolarge") {
			t.Fatal("an oversized upload left an object")
		}
	})

	t.Run("delete and gc", func(t *testing.T) {
		var n struct{ DeleteArtifact int }
		s.mustDo(t, `mutation { deleteArtifact(uri: "store://datasets/fraud/features", strategy: DATA_FORCE) }`, nil, &n)
		if n.DeleteArtifact != 1 || slices.Contains(objects(t, fake), "fraud/features.parquet") {
			t.Fatalf("DATA_FORCE: %d, bucket %v", n.DeleteArtifact, objects(t, fake))
		}
		s.mustDo(t, `mutation { deleteArtifact(uri: "store://artifacts/fraud/embeddings", strategy: METADATA_ONLY) }`, nil, &n)
		if !slices.Contains(objects(t, fake), "fraud/embeddings.bin") {
			t.Fatal("METADATA_ONLY removed the object")
		}
		r := s.doAs(t, "admin", `mutation { gc(graceSeconds: 0) { orphans removed } }`, nil)
		var out struct {
			Gc struct {
				Orphans []string
				Removed int
			}
		}
		json.Unmarshal(r.Data, &out)
		if len(r.Errors) > 0 || out.Gc.Removed != 1 || out.Gc.Orphans[0] != "gs://artifacts/fraud/embeddings.bin" {
			t.Fatalf("gc: %+v %+v", out.Gc, r.Errors)
		}
		if slices.Contains(objects(t, fake), "fraud/embeddings.bin") {
			t.Fatal("gc kept the orphan")
		}
		// Content still referenced survived.
		if resp, _ := s.get(t, model.Artifact.DownloadURL); resp.StatusCode != 200 {
			t.Fatal("gc removed referenced content")
		}
	})
}

func TestSignedDownloadURL(t *testing.T) {
	var fake *fakestorage.Server
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	s := newServer(t, onGCS(t, &fake), func(o *api.Options, c *lineage.Config, r lineage.BlobRouter) {
		signer, err := r["gs"].(*gcs.Store).WithSigning(gcs.SigningConfig{Email: "artigraph@proj.iam.gserviceaccount.com", PrivateKey: pemKey})
		if err != nil {
			t.Fatal(err)
		}
		r["gs"] = signer
		o.SignedURLTTL = 10 * time.Minute
	})
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	var out struct{ LogArtifact struct{ DownloadURL string } }
	s.mustDo(t, `mutation { logArtifact(input: {project: "p", key: "m", kind: MODEL, body: "x"}) { downloadUrl } }`, nil, &out)
	u := out.LogArtifact.DownloadURL
	if !strings.Contains(u, "/artifacts/p/m") || !strings.Contains(u, "X-Goog-Algorithm=GOOG4-RSA-SHA256") || !strings.Contains(u, "X-Goog-Expires=600") {
		t.Fatalf("downloadUrl %s is not a signed URL for the object", u)
	}
	// Local content has no signer: it keeps the server's own route.
	s.mustDo(t, `mutation { logArtifact(input: {project: "p", key: "local", kind: MODEL, body: "x", artifactPath: "`+s.dir+`/artifacts/local"}) { downloadUrl } }`, nil, &out)
	if !strings.HasPrefix(out.LogArtifact.DownloadURL, "/api/v1/artifacts/p/") {
		t.Fatalf("local downloadUrl %s", out.LogArtifact.DownloadURL)
	}
}
