package embedded

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/artigraph/artigraph/lineage"
)

// While Start's load is held, the store has its file locked, Ping says
// UNAVAILABLE at once, and other calls wait for the load (or their context)
// instead of reading a half-built memory; once released, they answer.
func TestStartAnswersOnlyOnceLoaded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "artigraph.db")
	s := openWithProject(t, path, Options{})
	s.Close()

	holding, release := make(chan struct{}), make(chan struct{})
	s, err := Start(path, Options{BeforeLoad: func() { close(holding); <-release }})
	if err != nil {
		t.Fatal(err)
	}
	<-holding
	if _, err := Open(path); err == nil {
		t.Fatal("a second Open of a loading store succeeded: the file is not locked")
	}
	if err := s.Ping(context.Background()); lineage.ErrorCode(err) != lineage.EUNAVAILABLE {
		t.Fatalf("Ping while loading: %v, want UNAVAILABLE", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.GetProject(ctx, "p"); !errors.Is(err, context.Canceled) {
		t.Fatalf("a call while loading, its context ended: %v", err)
	}
	close(release)
	if _, err := s.GetProject(context.Background(), "p"); err != nil {
		t.Fatalf("a call once released: %v", err)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping once loaded: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
