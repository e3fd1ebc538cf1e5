package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	env := map[string]string{"ARTIGRAPH_ADDR": "127.0.0.1:9999", "ARTIGRAPH_ARTIFACT_PATH": "gs://bucket/{{project}}",
		"ARTIGRAPH_CORS_ORIGINS": "https://a.example, https://b.example", "ARTIGRAPH_MAX_QUERY_DEPTH": "7"}
	c, err := parseConfig([]string{"--data-dir", "/tmp/x"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9999" || c.DataDir != "/tmp/x" || c.ArtifactPath != "gs://bucket/{{project}}" ||
		len(c.CORSOrigins) != 2 || c.CORSOrigins[1] != "https://b.example" || c.MaxQueryDepth != 7 || c.MaxLineage != 10 {
		t.Fatalf("%+v", c)
	}
	// Flags win over the environment.
	c, _ = parseConfig([]string{"--addr", ":1"}, func(k string) string { return env[k] })
	if c.Addr != ":1" {
		t.Fatalf("flag lost to env: %s", c.Addr)
	}
	none, _ := parseConfig(nil, func(string) string { return "" })
	if len(none.CORSOrigins) != 0 || none.Addr != "127.0.0.1:8080" || none.DataDir != "./data" {
		t.Fatalf("defaults: %+v", none)
	}
	for _, bad := range [][]string{{"--artifact-path", "relative/dir"}, {"--artifact-path", "/a/../b"}, {"--max-query-depth", "0"}} {
		if _, err := parseConfig(bad, func(string) string { return "" }); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// slowBody lets a test hold a request in flight.
type slowBody struct {
	first   []byte
	release chan struct{}
	rest    []byte
	stage   int
}

func (b *slowBody) Read(p []byte) (int, error) {
	switch b.stage {
	case 0:
		b.stage++
		return copy(p, b.first), nil
	case 1:
		<-b.release
		b.stage++
		return copy(p, b.rest), nil
	}
	return 0, io.EOF
}

func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	cfg, _ := parseConfig([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, func(string) string { return "" })
	m, err := Open(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	base := "http://" + m.Addr()
	waitReady(t, base)
	if code := runHealthcheck([]string{"--addr", m.Addr()}); code != 0 {
		t.Fatalf("healthcheck: exit %d", code)
	}

	query, _ := json.Marshal(map[string]string{"query": `mutation { upsertProject(input: {name: "inflight"}) { name } }`})
	body := &slowBody{first: query[:10], rest: query[10:], release: make(chan struct{})}
	result := make(chan string, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, base+"/graphql", body)
		req.Header.Set("Content-Type", "application/json")
		req.ContentLength = int64(len(query))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			result <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		result <- string(b)
	}()
	time.Sleep(100 * time.Millisecond) // the request is now being read
	stop()                             // as SIGTERM does
	time.Sleep(100 * time.Millisecond)
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("new connections are still accepted after shutdown began")
	}
	if code := runHealthcheck([]string{"--addr", m.Addr()}); code != 1 {
		t.Errorf("healthcheck during shutdown: exit %d, want 1", code)
	}
	close(body.release)
	if got := <-result; !strings.Contains(got, `"name":"inflight"`) {
		t.Fatalf("in-flight request did not finish: %s", got)
	}
	if err := <-done; err != nil && err != http.ErrServerClosed {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	// The acknowledged write is there after a restart.
	m2, err := Open(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if _, err := m2.Store.GetProject(context.Background(), "inflight"); err != nil {
		t.Fatalf("project lost: %v", err)
	}
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("server never became ready")
}

func TestDefaultArtifactPathIsUnderDataDir(t *testing.T) {
	dir := t.TempDir()
	base := "http://" + serve(t, "--data-dir", dir).Addr()
	postGraphQL(t, base, `mutation { upsertProject(input: {name: "p"}) { name } }`)
	got, _ := postGraphQL(t, base, `mutation { logArtifact(input: {project: "p", key: "k", kind: MODEL, body: "x", format: "txt"}) { targetPath } }`)
	want := filepath.Join(dir, "artifacts", "p", "k.txt")
	if !strings.Contains(got, want) {
		t.Fatalf("%s does not name %s", got, want)
	}
}

func TestGCCommand(t *testing.T) {
	dir := t.TempDir()
	orphan := filepath.Join(dir, "artifacts", "p", "orphan.bin")
	os.MkdirAll(filepath.Dir(orphan), 0o755)
	os.WriteFile(orphan, []byte("x"), 0o644)
	if code := runGC([]string{"--data-dir", dir, "--dry-run", "--grace=0s"}); code != 0 {
		t.Fatalf("dry run exit %d", code)
	}
	if _, err := os.Stat(orphan); err != nil {
		t.Fatal("dry run removed the orphan")
	}
	// Both spellings of a flag's value work, as for every other flag.
	if code := runGC([]string{"--data-dir", dir, "--grace", "0s"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if _, err := os.Stat(orphan); err == nil {
		t.Fatal("orphan kept")
	}
	if code := runGC([]string{"--data-dir", dir, "--grace=soon"}); code != 2 {
		t.Fatalf("bad grace: exit %d", code)
	}
}

// postGraphQL sends a query to a running server and returns its data and
// the first error's extensions.code ("" when none).
func postGraphQL(t *testing.T, base, q string) (data, code string) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"query": q})
	resp, err := http.Post(base+"/graphql", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Data   json.RawMessage
		Errors []struct{ Extensions struct{ Code string } }
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	if len(r.Errors) > 0 {
		return string(r.Data), r.Errors[0].Extensions.Code
	}
	return string(r.Data), ""
}

// A number in the environment that does not parse stops the start with a
// message naming it, instead of silently starting with the default.
func TestEnvironmentNumbersMustParse(t *testing.T) {
	env := map[string]string{"ARTIGRAPH_MAX_UPLOAD_BYTES": "1GB"}
	_, err := parseConfig(nil, func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "ARTIGRAPH_MAX_UPLOAD_BYTES") {
		t.Fatalf("ARTIGRAPH_MAX_UPLOAD_BYTES=1GB: %v, want an error naming it", err)
	}
	env["ARTIGRAPH_MAX_UPLOAD_BYTES"] = "1073741824"
	c, err := parseConfig(nil, func(k string) string { return env[k] })
	if err != nil || c.MaxUploadBytes != 1<<30 {
		t.Fatalf("a whole number: %d, %v", c.MaxUploadBytes, err)
	}
	if code := runGC([]string{"--grace", "soon"}); code != 2 {
		t.Fatalf("gc --grace soon: exit %d, want 2", code)
	}
}
