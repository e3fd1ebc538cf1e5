package api_test

// Security issue #8: what a client can do to the server's own files and to
// other versions' content through the public API, each hole pinned by what
// a user sees.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/artigraph/artigraph/api"
	"github.com/artigraph/artigraph/lineage"
)

// fullResponse is a GraphQL answer with its extensions.
type fullResponse struct {
	Data       json.RawMessage `json:"data"`
	Errors     []gqlError      `json:"errors"`
	Extensions map[string]any  `json:"extensions"`
}

func (s *testServer) doFull(t *testing.T, query string, vars map[string]any) fullResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	resp, err := http.Post(s.URL+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out fullResponse
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("response is not JSON (%d): %s", resp.StatusCode, raw)
	}
	return out
}

func (r fullResponse) notices() []string {
	var out []string
	list, _ := r.Extensions["notices"].([]any)
	for _, n := range list {
		s, _ := n.(string)
		out = append(out, s)
	}
	return out
}

func sha(b []byte) string { s := sha256.Sum256(b); return "sha256:" + hex.EncodeToString(s[:]) }

type logged struct {
	UID, URI, TargetPath, Hash string
	DownloadURL                *string
}

func (s *testServer) logBody(t *testing.T, project, key, body string, extra string) logged {
	t.Helper()
	var out struct{ LogArtifact logged }
	s.mustDo(t, `mutation($p: String!, $k: String!, $b: String!) { logArtifact(input: {project: $p, key: $k, kind: MODEL,
		body: $b, format: "bin"`+extra+`}) { uid uri targetPath hash downloadUrl } }`,
		map[string]any{"p": project, "k": key, "b": body}, &out)
	return out.LogArtifact
}

// download GETs a version's content and checks it is served whole.
func (s *testServer) download(t *testing.T, l logged) (string, string) {
	t.Helper()
	if l.DownloadURL == nil {
		t.Fatalf("%s has no downloadUrl", l.URI)
	}
	resp, body := s.get(t, *l.DownloadURL)
	if resp.StatusCode != 200 {
		t.Fatalf("download %s: %d %s", l.URI, resp.StatusCode, body)
	}
	return string(body), resp.Header.Get("ETag")
}

// Hole 1: a log whose artifact path is the data dir replaced artigraph.db.
func TestLogCannotOverwriteMetadataStore(t *testing.T) {
	s := newServer(t)
	db := filepath.Join(s.dir, "artigraph.db")
	s.mustDo(t, `mutation { upsertProject(input: {name: "evil"}) { name } }`, nil, nil)
	for _, path := range []string{s.dir, "file://" + s.dir, s.dir + "/artifacts/../", s.dir + "/other"} {
		r := s.do(t, `mutation($a: String!) { logArtifact(input: {project: "evil", key: "artigraph", kind: ARTIFACT,
			format: "db", artifactPath: $a, body: "x"}) { targetPath } }`, map[string]any{"a": path})
		if len(r.Errors) == 0 {
			t.Fatalf("artifactPath %s: logged %s", path, r.Data)
		}
		if c := r.Errors[0].code(); c != "PERMISSION_DENIED" && c != "INVALID_ARGUMENT" {
			t.Fatalf("artifactPath %s: %+v", path, r.Errors)
		}
	}
	// Nor can a project or a run make the data dir its artifact path.
	s.wantCode(t, "PERMISSION_DENIED", `mutation($a: String!) { upsertProject(input: {name: "evil2", artifactPath: $a}) { name } }`,
		map[string]any{"a": s.dir + "/{{project}}"})
	s.wantCode(t, "PERMISSION_DENIED", `mutation($a: String!) { startRun(input: {project: "evil", name: "r", artifactPath: $a}) { uid } }`,
		map[string]any{"a": s.dir})
	if b, err := os.ReadFile(db); err != nil || string(b) == "x" || len(b) < 4096 {
		t.Fatalf("the metadata store was replaced: %d bytes, %v", len(b), err)
	}
	// The store still works.
	s.mustDo(t, `{ project(name: "evil") { name } }`, nil, nil)
}

// Hole 2: logging the database in place and downloading it served the
// bbolt file; verifying in place revealed any readable file's hash.
func TestDownloadCannotReadMetadataStore(t *testing.T) {
	s := newServer(t)
	db := filepath.Join(s.dir, "artigraph.db")
	s.mustDo(t, `mutation { upsertProject(input: {name: "evil"}) { name } }`, nil, nil)
	var out struct {
		LogArtifact struct {
			UID         string
			DownloadURL *string
		}
	}
	s.mustDo(t, `mutation($t: String!) { logArtifact(input: {project: "evil", key: "db", kind: ARTIFACT, targetPath: $t}) { uid downloadUrl } }`,
		map[string]any{"t": db}, &out)
	if out.LogArtifact.DownloadURL != nil {
		t.Fatalf("content outside the blob roots has a downloadUrl: %s", *out.LogArtifact.DownloadURL)
	}
	resp, body := s.get(t, api.ContentPath(lineage.Version{Project: "evil", UID: out.LogArtifact.UID}))
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Error-Code") != "PERMISSION_DENIED" {
		t.Fatalf("download of the metadata store: %d %s", resp.StatusCode, body[:min(len(body), 200)])
	}
	dbBytes, _ := os.ReadFile(db)
	if bytes.Contains(body, dbBytes[:64]) {
		t.Fatal("the answer carries the database")
	}
	resp, _ = s.get(t, api.ContentPath(lineage.Version{Project: "evil", UID: out.LogArtifact.UID})+"?verify=1")
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("verified download of the metadata store: %d", resp.StatusCode)
	}

	// Inside the roots, a wrong hash is refused without telling the real one.
	inRoot := s.dir + "/artifacts/lake/secret.txt"
	os.MkdirAll(filepath.Dir(inRoot), 0o755)
	os.WriteFile(inRoot, []byte("secret"), 0o644)
	yaml := "kind: artifact\nmetadata:\n  key: guess\n  project: evil\nspec:\n  db_key: guess\n  target_path: " + inRoot +
		"\n  hash: " + sha([]byte("guess")) + "\nstatus:\n  state: created\n"
	e := s.wantCode(t, "INVALID_ARGUMENT", `mutation($y: String!) { importArtifact(yaml: $y) { uid } }`, map[string]any{"y": yaml})
	if strings.Contains(e.Message, sha([]byte("secret"))) || !strings.Contains(e.Message, "does not match") {
		t.Fatalf("mismatch message: %q", e.Message)
	}
}

// Hole 3: DATA_FORCE deleted whatever a targetPath named, and content
// another project's version still pointed at.
func TestDeleteKeepsInPlaceAndSharedContent(t *testing.T) {
	s := newServer(t)
	for _, p := range []string{"a", "b"} {
		s.mustDo(t, `mutation($p: String!) { upsertProject(input: {name: $p}) { name } }`, map[string]any{"p": p}, nil)
	}
	// In place, even inside the roots: kept, and the answer says so.
	inPlace := s.dir + "/artifacts/lake/events.csv"
	os.MkdirAll(filepath.Dir(inPlace), 0o755)
	os.WriteFile(inPlace, []byte("id\n1\n"), 0o644)
	s.mustDo(t, `mutation($t: String!) { logArtifact(input: {project: "a", key: "events", kind: DATASET, targetPath: $t}) { uid } }`,
		map[string]any{"t": inPlace}, nil)
	r := s.doFull(t, `mutation { deleteArtifact(uri: "store://datasets/a/events", strategy: DATA_FORCE) }`, nil)
	if len(r.Errors) > 0 || string(r.Data) != `{"deleteArtifact":1}` {
		t.Fatalf("DATA_FORCE of data in place: %s %+v", r.Data, r.Errors)
	}
	if _, err := os.Stat(inPlace); err != nil {
		t.Fatal("DATA_FORCE deleted data logged in place")
	}
	if n := r.notices(); len(n) != 1 || !strings.Contains(n[0], "store://datasets/a/events") || !strings.Contains(n[0], "logged in place and was kept") {
		t.Fatalf("notices %v", n)
	}

	// B points in place at A's stored blob: deleting A keeps it for B.
	a := s.logBody(t, "a", "model", "A's weights", "")
	var bv struct{ LogArtifact logged }
	s.mustDo(t, `mutation($t: String!) { logArtifact(input: {project: "b", key: "borrowed", kind: MODEL, targetPath: $t}) { uid uri downloadUrl } }`,
		map[string]any{"t": a.TargetPath}, &bv)
	r = s.doFull(t, `mutation { deleteArtifact(uri: "store://models/a/model", strategy: DATA_FORCE) }`, nil)
	if len(r.Errors) > 0 || len(r.notices()) != 1 || !strings.Contains(r.notices()[0], "still used") {
		t.Fatalf("DATA_FORCE of a shared blob: %+v %v", r.Errors, r.notices())
	}
	if body, _ := s.download(t, bv.LogArtifact); body != "A's weights" {
		t.Fatalf("B's download after A's deletion: %q", body)
	}
	// Once B is gone too, nothing points at it, but B logged in place: kept.
	s.mustDo(t, `mutation { deleteArtifact(uri: "store://models/b/borrowed", strategy: DATA_FORCE) }`, nil, nil)
	if _, err := os.Stat(a.TargetPath); err != nil {
		t.Fatal("B's in-place deletion removed the blob")
	}
}

// Hole 3: several versions' blobs go all or nothing.
func TestDataForceIsAllOrNothing(t *testing.T) {
	s := newServer(t)
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	var paths []string
	for i := 0; i < 3; i++ {
		paths = append(paths, s.logBody(t, "p", "many", fmt.Sprint("v", i), "").TargetPath)
	}
	// One blob cannot be deleted (a directory stands where it was).
	os.Remove(paths[1])
	os.Mkdir(paths[1], 0o755)
	if r := s.do(t, `mutation { deleteArtifact(uri: "store://models/p/many:*", strategy: DATA_FORCE) }`, nil); len(r.Errors) == 0 {
		t.Fatalf("DATA_FORCE with an undeletable blob: %s", r.Data)
	}
	var list struct{ Artifacts struct{ TotalCount int } }
	s.mustDo(t, `{ artifacts(project: "p") { totalCount } }`, nil, &list)
	for _, p := range []string{paths[0], paths[2]} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("a failed DATA_FORCE deleted %s", p)
		}
	}
	if list.Artifacts.TotalCount != 3 {
		t.Fatalf("a failed DATA_FORCE deleted versions: %d left", list.Artifacts.TotalCount)
	}
	os.Remove(paths[1])
	s.mustDo(t, `mutation { deleteArtifact(uri: "store://models/p/many:*", strategy: DATA_FORCE) }`, nil, nil)
	if files := blobFiles(t, s.dir); len(files) != 0 {
		t.Fatalf("left %v", files)
	}
}

// Hole 5: another project logging the same key into A's directory, a
// re-log to the same path, and concurrent logs replaced content.
func TestLogsNeverReplaceContent(t *testing.T) {
	s := newServer(t)
	aDir := s.dir + "/artifacts/a"
	s.mustDo(t, `mutation { upsertProject(input: {name: "a"}) { name } }`, nil, nil)
	s.mustDo(t, `mutation($d: String!) { upsertProject(input: {name: "b", artifactPath: $d}) { name } }`, map[string]any{"d": aDir}, nil)
	a := s.logBody(t, "a", "model", "A's bytes", "")
	b := s.logBody(t, "b", "model", "B's bytes", "")
	if a.TargetPath == b.TargetPath {
		t.Fatalf("both at %s", a.TargetPath)
	}
	if body, etag := s.download(t, a); body != "A's bytes" || etag != `"`+a.Hash+`"` || a.Hash != sha([]byte("A's bytes")) {
		t.Fatalf("A's download: %q %s", body, etag)
	}
	if body, _ := s.download(t, b); body != "B's bytes" {
		t.Fatalf("B's download: %q", body)
	}
	// A re-log of the key to the same path keeps the older version's content.
	a2 := s.logBody(t, "a", "model", "A's second bytes", "")
	if body, _ := s.download(t, a); body != "A's bytes" {
		t.Fatalf("the older version now serves %q", body)
	}
	if body, _ := s.download(t, a2); body != "A's second bytes" {
		t.Fatalf("the newer version serves %q", body)
	}
	// An identical retry is the same version, and leaves no second blob.
	before := len(blobFiles(t, s.dir))
	if again := s.logBody(t, "a", "model", "A's second bytes", ""); again.UID != a2.UID || again.TargetPath != a2.TargetPath {
		t.Fatalf("retry: %+v, first %+v", again, a2)
	}
	if after := len(blobFiles(t, s.dir)); after != before {
		t.Fatalf("the retry left a blob: %d files, then %d", before, after)
	}

	// Concurrent logs of one key: every version serves its own bytes, and
	// latest serves latest's.
	for round := 0; round < 4; round++ {
		key := fmt.Sprint("race", round)
		var wg sync.WaitGroup
		got := make([]logged, 32)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i] = s.logBody(t, "a", key, fmt.Sprintf("body %d of round %d", i, round), "")
			}()
		}
		wg.Wait()
		for i, l := range got {
			if body, etag := s.download(t, l); body != fmt.Sprintf("body %d of round %d", i, round) || etag != `"`+sha([]byte(body))+`"` || l.Hash != sha([]byte(body)) {
				t.Fatalf("round %d: version %d serves %q (etag %s, hash %s)", round, i, body, etag, l.Hash)
			}
		}
		var latest struct{ Artifact logged }
		s.mustDo(t, `query($u: String!) { artifact(uri: $u) { uid hash targetPath downloadUrl } }`, map[string]any{"u": "store://models/a/" + key}, &latest)
		if body, _ := s.download(t, latest.Artifact); sha([]byte(body)) != latest.Artifact.Hash {
			t.Fatalf("round %d: latest serves %q, not its own content", round, body)
		}
	}
}

// Hole 6: an upload whose client went away after 900 of 1,000,000 bytes
// renamed 900 bytes into place and answered 500.
func TestTruncatedUploadLeavesNothing(t *testing.T) {
	logs := newRecorded()
	s := newServer(t, func(o *api.Options, _ *lineage.Config, _ lineage.BlobRouter) {
		o.Logger = slog.New(logs)
		o.MaxUploadBytes = 2 << 20
	})
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	var ticket struct {
		CreateUpload struct{ URL, TargetPath string }
	}
	s.mustDo(t, `mutation { createUpload(input: {project: "p", key: "big", kind: MODEL, format: "bin"}) { url targetPath } }`, nil, &ticket)

	conn, err := net.Dial("tcp", s.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n", ticket.CreateUpload.URL, s.Listener.Addr())
	conn.Write(bytes.Repeat([]byte("x"), 900))
	conn.(*net.TCPConn).CloseWrite() // the client is done sending: the body ends short
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		Error struct{ Code, Message string }
	}
	json.Unmarshal(raw, &out)
	if resp.StatusCode != http.StatusBadRequest || out.Error.Code != "INVALID_ARGUMENT" ||
		out.Error.Message != "the body ended after 900 of 1000000 bytes" {
		t.Fatalf("truncated upload: %d %s", resp.StatusCode, raw)
	}
	var list struct{ Artifacts struct{ TotalCount int } }
	s.mustDo(t, `{ artifacts(project: "p") { totalCount } }`, nil, &list)
	if list.Artifacts.TotalCount != 0 || len(blobFiles(t, s.dir)) != 0 {
		t.Fatalf("left %d versions, files %v", list.Artifacts.TotalCount, blobFiles(t, s.dir))
	}
	if n := logs.count(slog.LevelInfo, "upload body ended early"); n != 1 || logs.count(slog.LevelError, "") != 0 {
		t.Fatalf("logged %d INFO records about it, %d ERROR records", n, logs.count(slog.LevelError, ""))
	}

	// A client that hangs up entirely leaves nothing either.
	logs.drain()
	conn2, _ := net.Dial("tcp", s.Listener.Addr().String())
	fmt.Fprintf(conn2, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000000\r\n\r\n", ticket.CreateUpload.URL, s.Listener.Addr())
	conn2.Write(bytes.Repeat([]byte("x"), 900))
	conn2.Close()
	select {
	case <-logs.served: // the server is done with the upload
	case <-time.After(30 * time.Second):
		t.Fatal("the server never finished the hung-up upload")
	}
	if files := blobFiles(t, s.dir); len(files) != 0 {
		t.Fatalf("a hung-up upload left %v", files)
	}

	// The ticket stays valid until it expires: the retry succeeds.
	status, res := put(t, s.URL+ticket.CreateUpload.URL, strings.NewReader(strings.Repeat("y", 1000)))
	if status != http.StatusCreated || res["size"].(float64) != 1000 {
		t.Fatalf("retry: %d %v", status, res)
	}
	// An announced body over the limit is refused before it is read.
	s.mustDo(t, `mutation { createUpload(input: {project: "p", key: "huge", kind: MODEL}) { url } }`, nil, &ticket)
	req, _ := http.NewRequest(http.MethodPut, s.URL+ticket.CreateUpload.URL, io.LimitReader(zeros{}, 3<<20))
	req.ContentLength = 3 << 20
	hresp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	hresp.Body.Close()
	if hresp.StatusCode != http.StatusRequestEntityTooLarge || hresp.Header.Get("X-Error-Code") != "LIMIT_EXCEEDED" {
		t.Fatalf("over-limit upload: %d", hresp.StatusCode)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// Hole 7: a log call, a project or a run could be as large as the request.
func TestRequestSizeLimits(t *testing.T) {
	s := newServer(t)
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	labels := func(n, keyLen, valueLen int) []map[string]any {
		var out []map[string]any
		for i := 0; i < n; i++ {
			out = append(out, map[string]any{"key": fmt.Sprintf("k%0*d", max(keyLen-1, 1), i), "value": strings.Repeat("v", valueLen)})
		}
		return out
	}
	const logQ = `mutation($l: [LabelInput!], $d: String, $e: JSON, $s: [String!]) { logArtifact(input: {project: "p", key: "k",
		kind: MODEL, body: "x", labels: $l, description: $d, extra: $e, sources: $s}) { uid } }`
	for name, c := range map[string]struct {
		code string
		vars map[string]any
	}{
		"101 labels":       {"LIMIT_EXCEEDED", map[string]any{"l": labels(101, 4, 1)}},
		"long label key":   {"INVALID_ARGUMENT", map[string]any{"l": labels(1, 254, 1)}},
		"long label value": {"LIMIT_EXCEEDED", map[string]any{"l": labels(1, 4, 1025)}},
		"long description": {"LIMIT_EXCEEDED", map[string]any{"d": strings.Repeat("d", 64<<10+1)}},
		"large extra":      {"LIMIT_EXCEEDED", map[string]any{"e": map[string]any{"x": strings.Repeat("e", 1<<20)}}},
		"1001 sources":     {"LIMIT_EXCEEDED", map[string]any{"s": strings.Split(strings.Repeat("https://x/y,", 1001), ",")[:1001]}},
	} {
		t.Run(name, func(t *testing.T) { s.wantCode(t, c.code, logQ, c.vars) })
	}
	s.mustDo(t, logQ, map[string]any{"l": labels(100, 253, 1024), "d": strings.Repeat("d", 64<<10)}, nil)
	s.wantCode(t, "LIMIT_EXCEEDED", `mutation($l: [LabelInput!]) { upsertProject(input: {name: "q", labels: $l}) { name } }`, map[string]any{"l": labels(101, 4, 1)})
	s.wantCode(t, "LIMIT_EXCEEDED", `mutation($d: String) { upsertProject(input: {name: "q", description: $d}) { name } }`, map[string]any{"d": strings.Repeat("d", 64<<10+1)})
	s.wantCode(t, "LIMIT_EXCEEDED", `mutation($l: [LabelInput!]) { startRun(input: {project: "p", name: "r", labels: $l}) { uid } }`, map[string]any{"l": labels(101, 4, 1)})
	s.wantCode(t, "LIMIT_EXCEEDED", `mutation($l: [LabelInput!]) { createUpload(input: {project: "p", key: "k", kind: MODEL, labels: $l}) { url } }`, map[string]any{"l": labels(101, 4, 1)})
}

// Hole 8: %00 in a path answered INTERNAL, and a project saved with one made
// every later log into it INTERNAL.
func TestNULInArtifactPath(t *testing.T) {
	s := newServer(t)
	nul := "file://" + s.dir + "/artifacts/x%00y"
	s.wantCode(t, "INVALID_ARGUMENT", `mutation($a: String!) { upsertProject(input: {name: "p", artifactPath: $a}) { name } }`, map[string]any{"a": nul})
	s.mustDo(t, `mutation { upsertProject(input: {name: "q"}) { name } }`, nil, nil)
	for _, a := range []string{nul, nul + "/{{project}}", "gs://bucket/a%0Ab", "file://" + s.dir + "/artifacts/%7f"} {
		s.wantCode(t, "INVALID_ARGUMENT", `mutation($a: String!) { logArtifact(input: {project: "q", key: "k", kind: MODEL, body: "x", artifactPath: $a}) { uid } }`, map[string]any{"a": a})
		s.wantCode(t, "INVALID_ARGUMENT", `mutation($a: String!) { logArtifact(input: {project: "q", key: "k", kind: MODEL, targetPath: $a}) { uid } }`, map[string]any{"a": a})
	}
	// A project saved before this check (straight into the store) answers
	// INVALID_ARGUMENT, not INTERNAL.
	if _, err := s.calls.Store.UpsertProject(context.Background(), lineage.Project{Name: "old", ArtifactPath: nul + "/{{project}}"}); err != nil {
		t.Fatal(err)
	}
	e := s.wantCode(t, "INVALID_ARGUMENT", `mutation { logArtifact(input: {project: "old", key: "k", kind: MODEL, body: "x"}) { uid } }`, nil)
	if !strings.Contains(e.Message, "control characters") {
		t.Fatalf("message %q", e.Message)
	}
}
