package embedded

import (
	"context"
	"fmt"

	"github.com/artigraph/artigraph/lineage"
)

// Options tune Start. The zero value is what Open uses.
type Options struct {
	// BeforeLoad, when set, runs in the loading goroutine before it reads
	// the file: tests hold the load with it to see the store while loading.
	BeforeLoad func()
	// NoGroupCommit gives every mutation its own transaction and fsync, as
	// before group commit: the baseline its benchmark compares against.
	NoGroupCommit bool
}

// errLoading is Ping's answer until the load has ended.
var errLoading = lineage.Errorf(lineage.EUNAVAILABLE, "the embedded store is loading its file into memory")

// loadInBackground loads the file, then opens the store to calls.
func (s *Store) loadInBackground(path string, before func()) {
	defer close(s.loaded)
	if before != nil {
		before()
	}
	if err := s.load(); err != nil {
		s.loadErr = fmt.Errorf("embedded: open %s: %w", path, err)
		return
	}
	s.group.start()
	s.isLoaded.Store(true)
}

// Loaded is closed when the load has ended; LoadErr then says whether it
// failed.
func (s *Store) Loaded() <-chan struct{} { return s.loaded }

// LoadErr is why the load failed: nil while it runs and once it succeeded.
func (s *Store) LoadErr() error {
	select {
	case <-s.loaded:
		return s.loadErr
	default:
		return nil
	}
}

// waitLoaded waits for the load, or for ctx to end.
func (s *Store) waitLoaded(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.isLoaded.Load() {
		return nil
	}
	select {
	case <-s.loaded:
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := s.loadErr; err != nil {
		return lineage.Errorf(lineage.EUNAVAILABLE, "the embedded store could not load its file: %v", err)
	}
	return nil
}
