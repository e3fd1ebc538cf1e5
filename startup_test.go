package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/artigraph/artigraph/storage/embedded"
)

// While the embedded store loads (held here by its BeforeLoad hook), the
// server already answers: /healthz 200, /readyz 503 with a reason, GraphQL
// and REST 503 UNAVAILABLE. Once the load ends, all of them answer.
func TestServerAnswersWhileTheStoreLoads(t *testing.T) {
	holding, release := make(chan struct{}), make(chan struct{})
	var releaseOnce sync.Once
	letGo := func() { releaseOnce.Do(func() { close(release) }) }
	cfg, err := parseConfig([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	cfg.embedded.BeforeLoad = func() { close(holding); <-release }
	m := runHeld(t, cfg, letGo)
	<-holding
	base := "http://" + m.Addr()

	if resp, body := httpGet(t, base+"/healthz", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz while loading: %s %s", resp.Status, body)
	}
	if resp, body := httpGet(t, base+"/readyz", ""); resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "loading") {
		t.Fatalf("/readyz while loading: %s %q, want 503 saying it is loading", resp.Status, body)
	}
	resp, body := gqlPost(t, base, "", `{ projects { name } }`)
	if resp.StatusCode != http.StatusServiceUnavailable || graphQLCode(t, body) != "UNAVAILABLE" {
		t.Fatalf("GraphQL while loading: %s %s, want 503 UNAVAILABLE", resp.Status, body)
	}
	if resp, body := httpGet(t, base+"/api/v1/projects", ""); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("MLRun API while loading: %s %s, want 503", resp.Status, body)
	}

	letGo()
	<-m.Loaded()
	if resp, body := httpGet(t, base+"/readyz", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz once loaded: %s %s", resp.Status, body)
	}
	resp, body = gqlPost(t, base, "", `mutation { upsertProject(input: {name: "after-load"}) { name } }`)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"after-load"`) {
		t.Fatalf("GraphQL once loaded: %s %s", resp.Status, body)
	}
}

// runHeld opens and runs a Main whose store load the test holds; at the end
// it lets the load go (Close waits for it), stops Run and closes the Main.
func runHeld(t *testing.T, cfg Config, letGo func()) *Main {
	t.Helper()
	m, err := Open(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		letGo()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		letGo()
		cancel()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Run: %v", err)
		}
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return m
}

func graphQLCode(t *testing.T, body []byte) string {
	t.Helper()
	var r struct {
		Errors []struct{ Extensions struct{ Code string } }
	}
	if err := json.Unmarshal(body, &r); err != nil || len(r.Errors) == 0 {
		t.Fatalf("not a GraphQL error: %s (%v)", body, err)
	}
	return r.Errors[0].Extensions.Code
}

// A file whose lock and format are fine but whose records are damaged opens
// (the listener is up at once), and Run then stops with the load's error.
func TestRunStopsWhenTheStoreFailsToLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "artigraph.db")
	s, err := embedded.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("versions")).Put([]byte("v1"), []byte("{not json"))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	cfg, err := parseConfig([]string{"--addr", "127.0.0.1:0", "--data-dir", dir}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Open(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	err = m.Run(context.Background())
	if err == nil || errors.Is(err, http.ErrServerClosed) || !strings.Contains(err.Error(), "artifact version") {
		t.Fatalf("Run on a damaged store: %v, want the load's error", err)
	}
}
