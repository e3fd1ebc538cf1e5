package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/artigraph/artigraph/api"
	"github.com/artigraph/artigraph/lineage"
)

func put(t *testing.T, url string, body io.Reader) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, body)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestStreamingUploadTicket(t *testing.T) {
	s := newServer(t, func(o *api.Options, c *lineage.Config, _ lineage.BlobRouter) { o.MaxUploadBytes = 1 << 20 })
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	var ticket struct {
		CreateUpload struct{ URL, TargetPath, ExpiresAt string }
	}
	s.mustDo(t, `mutation { createUpload(input: {project: "p", key: "big", kind: MODEL, format: "bin", tag: "v1",
		model: {framework: "torch"}}) { url targetPath expiresAt } }`, nil, &ticket)
	if !strings.HasPrefix(ticket.CreateUpload.URL, "/api/v1/uploads/") || ticket.CreateUpload.TargetPath != s.dir+"/artifacts/p/big.bin" {
		t.Fatalf("ticket %+v", ticket.CreateUpload)
	}
	content := strings.Repeat("abcdefgh", 100_000)
	// A reader without a known length: the body is sent chunked and streamed.
	status, out := put(t, s.URL+ticket.CreateUpload.URL, io.MultiReader(strings.NewReader(content)))
	if status != http.StatusCreated || out["size"].(float64) != float64(len(content)) || !strings.HasPrefix(out["uri"].(string), "store://models/p/big") {
		t.Fatalf("PUT: %d %v", status, out)
	}
	var v struct {
		Artifact struct {
			Tags        []string
			Hash        string
			Model       struct{ Framework string }
			DownloadURL string
		}
	}
	s.mustDo(t, `{ artifact(uri: "store://models/p/big:v1") { tags hash model { framework } downloadUrl } }`, nil, &v)
	if v.Artifact.Model.Framework != "torch" || v.Artifact.Hash != out["hash"] {
		t.Fatalf("version %+v", v.Artifact)
	}
	resp, body := s.get(t, v.Artifact.DownloadURL+"?verify=1")
	if resp.StatusCode != 200 || string(body) != content {
		t.Fatalf("verified download: %d, %d bytes", resp.StatusCode, len(body))
	}
	// Like a presigned URL, a ticket serves until it expires: another PUT
	// logs another version, beside the first.
	if status, again := put(t, s.URL+ticket.CreateUpload.URL, strings.NewReader("again")); status != http.StatusCreated ||
		again["uid"] == out["uid"] || again["size"].(float64) != 5 || again["targetPath"] == ticket.CreateUpload.TargetPath {
		t.Fatalf("ticket used again: %d %v", status, again)
	}
	// Content changed behind Artigraph's back fails verification, and says so.
	os.WriteFile(ticket.CreateUpload.TargetPath, []byte("tampered"), 0o644)
	resp, body = s.get(t, v.Artifact.DownloadURL+"?verify=1")
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(body), "no longer matches") {
		t.Fatalf("tampered download: %d %s", resp.StatusCode, body)
	}
}

func TestStreamingUploadLimitsAndErrors(t *testing.T) {
	s := newServer(t, func(o *api.Options, c *lineage.Config, _ lineage.BlobRouter) { o.MaxUploadBytes = 1000 })
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	var ticket struct{ CreateUpload struct{ URL string } }
	s.mustDo(t, `mutation { createUpload(input: {project: "p", key: "big", kind: MODEL}) { url } }`, nil, &ticket)
	status, out := put(t, s.URL+ticket.CreateUpload.URL, strings.NewReader(strings.Repeat("x", 1001)))
	errObj, _ := out["error"].(map[string]any)
	if status != http.StatusRequestEntityTooLarge || errObj["code"] != "LIMIT_EXCEEDED" {
		t.Fatalf("oversized PUT: %d %v", status, out)
	}
	var list struct{ Artifacts struct{ TotalCount int } }
	s.mustDo(t, `{ artifacts(project: "p") { totalCount } }`, nil, &list)
	if list.Artifacts.TotalCount != 0 || len(blobFiles(t, s.dir)) != 0 {
		t.Fatalf("oversized upload left %d versions, files %v", list.Artifacts.TotalCount, blobFiles(t, s.dir))
	}
	s.wantCode(t, "INVALID_ARGUMENT", `mutation { createUpload(input: {project: "p", key: "k", kind: MODEL, body: "x"}) { url } }`, nil)
	s.wantCode(t, "NOT_FOUND", `mutation { createUpload(input: {project: "ghost", key: "k", kind: MODEL}) { url } }`, nil)
	if status, _ := put(t, s.URL+"/api/v1/uploads/forged", strings.NewReader("x")); status != 404 {
		t.Fatalf("forged ticket: %d", status)
	}
}
