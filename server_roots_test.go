package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/artigraph/artigraph/lineage"
)

// Security issue #8: blob roots come from configuration, and none may hold
// the metadata store.

func TestBlobRootsFlag(t *testing.T) {
	env := map[string]string{"ARTIGRAPH_BLOB_ROOTS": "/srv/a, file:///srv/b/,gs://bucket/prefix"}
	c, err := parseConfig(nil, func(k string) string { return env[k] })
	if err != nil || !slices.Equal(c.BlobRoots, []string{"/srv/a", "file:///srv/b/", "gs://bucket/prefix"}) {
		t.Fatalf("%v %v", c.BlobRoots, err)
	}
	for _, bad := range []string{"relative", "/a/../b", "/", "file:///", "gs://", "/x/{{project}}", "file:///x/%00"} {
		if _, err := parseConfig([]string{"--blob-roots", bad}, func(string) string { return "" }); err == nil {
			t.Errorf("--blob-roots %q accepted", bad)
		}
	}
}

func TestRefusesBlobRootsHoldingTheMetadataStore(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	link := filepath.Join(dir, "link")
	os.MkdirAll(data, 0o755)
	os.Symlink(data, link)
	for _, args := range [][]string{
		{"--blob-roots", data},
		{"--blob-roots", dir},
		{"--blob-roots", data + "/other"},
		{"--blob-roots", link},
		{"--artifact-path", "file://" + data + "/{{project}}"},
		{"--artifact-path", data},
	} {
		cfg, err := parseConfig(append([]string{"--addr", "127.0.0.1:0", "--data-dir", data}, args...), func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		m, err := Open(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err == nil {
			m.HTTP.Close()
			m.Close()
			t.Errorf("%v: started", args)
			continue
		}
		if !strings.Contains(err.Error(), "would contain the metadata store") {
			t.Errorf("%v: unclear error %v", args, err)
		}
	}
	// Inside the data dir's blob folder, or elsewhere, is fine.
	cfg, _ := parseConfig([]string{"--addr", "127.0.0.1:0", "--data-dir", data, "--blob-roots",
		data + "/artifacts/shared," + filepath.Join(dir, "elsewhere")}, func(string) string { return "" })
	m, err := Open(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
}

// The server as it starts: the data dir is no blob root, --blob-roots is.
func TestServerNeverWritesOrServesTheDataDir(t *testing.T) {
	dir := t.TempDir()
	data, extra := filepath.Join(dir, "data"), filepath.Join(dir, "extra")
	base := serve(t, "--data-dir", data, "--blob-roots", extra).URL
	db := filepath.Join(data, "artigraph.db")
	before, _ := os.ReadFile(db)

	postGraphQL(t, base, `mutation { upsertProject(input: {name: "evil"}) { name } }`)
	if _, code := postGraphQL(t, base, `mutation { logArtifact(input: {project: "evil", key: "artigraph", kind: ARTIFACT,
		format: "db", artifactPath: "`+data+`", body: "x"}) { targetPath } }`); code != "PERMISSION_DENIED" {
		t.Fatalf("log into the data dir: %s", code)
	}
	if after, _ := os.ReadFile(db); len(after) < len(before) || string(after) == "x" {
		t.Fatal("the metadata store was replaced")
	}
	got, code := postGraphQL(t, base, `mutation { logArtifact(input: {project: "evil", key: "db", kind: ARTIFACT, targetPath: "`+db+`"}) { uid downloadUrl } }`)
	var out struct {
		LogArtifact struct {
			UID         string
			DownloadURL *string
		}
	}
	if err := json.Unmarshal([]byte(got), &out); err != nil || code != "" || out.LogArtifact.DownloadURL != nil {
		t.Fatalf("in-place log of the store: %s %s", got, code)
	}
	resp, err := http.Get(base + "/api/v1/artifacts/evil/" + out.LogArtifact.UID + "/content")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("download of the store: %d", resp.StatusCode)
	}

	// A configured root takes logs and serves them.
	got, code = postGraphQL(t, base, `mutation { logArtifact(input: {project: "evil", key: "ok", kind: ARTIFACT,
		artifactPath: "`+extra+`/evil", body: "fine"}) { targetPath downloadUrl } }`)
	if code != "" || !strings.Contains(got, extra+"/evil/ok") {
		t.Fatalf("log into --blob-roots: %s %s", got, code)
	}
}

// Hole 4: a project whose artifact path is the data dir (saved before paths
// were checked) widened gc's roots, and gc removed the database.
func TestGCCommandLeavesTheDataDirAlone(t *testing.T) {
	data := t.TempDir()
	cfg, _ := parseConfig([]string{"--data-dir", data}, func(string) string { return "" })
	m, err := openStores(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Store.UpsertProject(context.Background(), lineage.Project{Name: "evil", ArtifactPath: data + "/{{project}}"}); err != nil {
		t.Fatal(err)
	}
	m.Close()
	stray := filepath.Join(data, "evil", "notes.txt")
	os.MkdirAll(filepath.Dir(stray), 0o755)
	os.WriteFile(stray, []byte("x"), 0o644)
	if code := runGC([]string{"--data-dir", data, "--grace=0s"}); code != 0 {
		t.Fatalf("gc exit %d", code)
	}
	for _, p := range []string{filepath.Join(data, "artigraph.db"), stray} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("gc removed %s", p)
		}
	}
	m, err = openStores(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Store.GetProject(context.Background(), "evil"); err != nil {
		t.Fatal(err)
	}
}
