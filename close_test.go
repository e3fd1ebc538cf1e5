package main

import (
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/artigraph/artigraph/storage/embedded"
)

// reopenDataDir fails the test unless the embedded store in dir can be
// opened, which its file lock allows only once its last user closed it (a
// second open fails after a second).
func reopenDataDir(t *testing.T, dir string) {
	t.Helper()
	s, err := embedded.Open(filepath.Join(dir, "artigraph.db"))
	if err != nil {
		t.Fatalf("the embedded store is still open: %v", err)
	}
	s.Close()
}

func TestCloseClosesTheMetadataStore(t *testing.T) {
	dir := t.TempDir()
	cfg, err := parseConfig([]string{"--addr", "127.0.0.1:0", "--data-dir", dir}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Open(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
	reopenDataDir(t, dir)
	// Close also released the address, which Run never served.
	ln, err := net.Listen("tcp", m.Addr())
	if err != nil {
		t.Fatalf("the listener is still open: %v", err)
	}
	ln.Close()
}

// When Open fails midway, what it had opened is closed.
func TestOpenFailingMidwayClosesWhatItOpened(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		err  string
	}{
		{"address in use", []string{"--addr", busy.Addr().String()}, "address already in use"},
		{"blob root holding the data dir", []string{"--blob-roots", filepath.Dir(dir)}, "would contain the metadata store"},
		{"signing key that cannot be read", []string{"--artifact-path", "gs://bucket/{{project}}",
			"--gcs-signer-key", filepath.Join(dir, "missing.pem")}, "--gcs-signer-key"},
	} {
		name, args := tc.name, tc.args
		t.Run(name, func(t *testing.T) {
			if strings.HasPrefix(name, "signing") {
				t.Setenv("STORAGE_EMULATOR_HOST", "127.0.0.1:1") // a GCS client without credentials; never dialled
			}
			cfg, err := parseConfig(append([]string{"--addr", "127.0.0.1:0", "--data-dir", dir}, args...), noEnv)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Open(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err == nil {
				m.Close()
				t.Fatal("opened")
			}
			if !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("failed for another reason: %v", err)
			}
			reopenDataDir(t, dir)
		})
	}
}

// Main keeps the GCS store it opened, and Close closes its client. (What
// closing changes is not visible from here: the client library's Close
// cannot even drop its idle connections, as its otelhttp transport does not
// pass CloseIdleConnections on; so this checks the handle, and that Close
// succeeds once GCS was used, and again.)
func TestCloseClosesTheGCSClient(t *testing.T) {
	fake, err := fakestorage.NewServerWithOptions(fakestorage.Options{NoListener: true})
	if err != nil {
		t.Fatal(err)
	}
	fake.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "artifacts"})
	gs := httptest.NewServer(fake.HTTPHandler())
	defer gs.Close()
	t.Setenv("STORAGE_EMULATOR_HOST", gs.Listener.Addr().String())

	cfg, err := parseConfig([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(),
		"--artifact-path", "gs://artifacts/{{project}}"}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	s := mustRunMain(t, cfg)
	if s.gcs == nil {
		t.Fatal("Main does not keep the GCS store it opened")
	}
	postGraphQL(t, s.URL, `mutation { upsertProject(input: {name: "p"}) { name } }`)
	if data, code := postGraphQL(t, s.URL, `mutation { logArtifact(input: {project: "p", key: "k", kind: MODEL, body: "x"}) { targetPath } }`); code != "" ||
		!strings.Contains(data, "gs://artifacts/p/") {
		t.Fatalf("log to GCS: %s %s", data, code)
	}
	if objs, _, err := fake.ListObjectsWithOptions("artifacts", fakestorage.ListOptions{}); err != nil || len(objs) != 1 {
		t.Fatalf("objects in the bucket: %v %v", objs, err)
	}
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
