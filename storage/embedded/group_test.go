package embedded

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

var groupT0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// groupWrite is a new version i of project p; a source names an earlier one.
func groupWrite(i int, sources ...string) lineage.VersionWrite {
	at := groupT0.Add(time.Duration(i) * time.Second)
	return lineage.VersionWrite{Version: lineage.Version{
		UID: fmt.Sprintf("v%06d", i), Project: "p", Key: fmt.Sprintf("k%d", i%5), Kind: lineage.KindDataset,
		TargetPath: "file:///x", CreatedAt: at, UpdatedAt: at,
	}, Tags: []string{"prod"}, Sources: sources}
}

func openWithProject(t testing.TB, path string, o Options) *Store {
	t.Helper()
	s, err := Start(path, o)
	if err != nil {
		t.Fatal(err)
	}
	<-s.Loaded()
	if err := s.LoadErr(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpsertProject(context.Background(), lineage.Project{Name: "p"}); err != nil {
		t.Fatal(err)
	}
	return s
}

// Concurrent PutVersion calls queued while a group is written share the next
// transaction: with the first group held until every other call has queued,
// n calls take two transactions. Calls that fail their checks (a missing
// source) fail alone, and every acknowledged version is there after a reopen.
func TestConcurrentPutVersionsShareTransactions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "artigraph.db")
	s := openWithProject(t, path, Options{})
	const n, invalid = 32, 8
	held, release, allQueued := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var holdOnce sync.Once
	queued := 0
	s.group.mu.Lock()
	s.group.beforeWrite = func() { holdOnce.Do(func() { close(held); <-release }) }
	s.group.queued = func(int) {
		if queued++; queued == n {
			close(allQueued)
		}
	}
	s.group.mu.Unlock()
	before := s.txs.Load()

	errs := make([]error, n+invalid)
	var wg sync.WaitGroup
	put := func(i int, w lineage.VersionWrite) {
		wg.Go(func() { _, _, errs[i] = s.PutVersion(context.Background(), w) })
	}
	for i := range n {
		put(i, groupWrite(i))
	}
	<-held
	<-allQueued
	// While the groups are pending, calls failing their checks fail alone
	// (once the pending changes they saw are durable).
	for i := n; i < n+invalid; i++ {
		put(i, groupWrite(i, "missing"))
	}
	close(release)
	wg.Wait()

	for i, err := range errs {
		if i < n && err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		if i >= n && lineage.ErrorCode(err) != lineage.ENOTFOUND {
			t.Fatalf("write %d with a missing source: %v, want ENOTFOUND", i, err)
		}
	}
	if got := s.txs.Load() - before; got != 2 {
		t.Fatalf("%d calls took %d transactions, want 2 (the held group and the rest)", n, got)
	}
	// One tag, one holder: the last write in the queue's order took it.
	page, err := s.ListVersions(context.Background(), "p", lineage.VersionFilter{Tag: "prod"}, lineage.Page{})
	if err != nil || page.Total != 5 {
		t.Fatalf("holders of prod (one per key): %d, %v", page.Total, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertVersionsAfterReopen(t, path, n)
}

func assertVersionsAfterReopen(t *testing.T, path string, n int) {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	page, err := s.ListVersions(context.Background(), "p", lineage.VersionFilter{}, lineage.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != n {
		t.Fatalf("after reopen: %d versions, want %d", page.Total, n)
	}
	tagged, err := s.ListVersions(context.Background(), "p", lineage.VersionFilter{Tag: "prod"}, lineage.Page{})
	if err != nil || tagged.Total != min(n, 5) {
		t.Fatalf("after reopen: %d holders of prod, %v", tagged.Total, err)
	}
}

// Readers get in under a steady stream of writes: the read lock, held while
// changes are pending, is let go at least every two groups, as no change
// joins the queue once two groups were started under one hold.
func TestReadsPassSteadyWrites(t *testing.T) {
	s := openWithProject(t, filepath.Join(t.TempDir(), "artigraph.db"), Options{})
	defer s.Close()
	var late atomic.Int64
	s.group.mu.Lock()
	s.group.queued = func(int) {
		if s.group.groups >= 2 {
			late.Add(1)
		}
	}
	s.group.mu.Unlock()
	var stop atomic.Bool
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for !stop.Load() {
				if _, _, err := s.PutVersion(context.Background(), groupWrite(int(next.Add(1)))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for range 200 {
		if _, err := s.ListVersions(context.Background(), "p", lineage.VersionFilter{}, lineage.Page{First: 1}); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if n := late.Load(); n > 0 {
		t.Fatalf("%d changes joined a hold that had started two groups: readers could wait without end", n)
	}
}

// A write that bbolt refuses (here the file was closed under the store) fails
// its call and stops the store: later calls, reads included, get UNAVAILABLE
// and never see the change memory took ahead of the file; a reopen finds
// exactly the acknowledged writes.
func TestFailedGroupStopsTheStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "artigraph.db")
	s := openWithProject(t, path, Options{})
	ctx := context.Background()
	if _, _, err := s.PutVersion(ctx, groupWrite(0)); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutVersion(ctx, groupWrite(1, "v000000")); err == nil {
		t.Fatal("a write to a closed file succeeded")
	}
	if _, err := s.GetVersions(ctx, []string{"v000001"}); lineage.ErrorCode(err) != lineage.EUNAVAILABLE {
		t.Fatalf("a read after the failed write: %v, want UNAVAILABLE", err)
	}
	if _, _, err := s.PutVersion(ctx, groupWrite(2)); lineage.ErrorCode(err) != lineage.EUNAVAILABLE {
		t.Fatalf("a write after the failed write: %v, want UNAVAILABLE", err)
	}
	if err := s.Ping(ctx); lineage.ErrorCode(err) != lineage.EUNAVAILABLE {
		t.Fatalf("Ping after the failed write: %v, want UNAVAILABLE", err)
	}
	s.Close()
	assertVersionsAfterReopen(t, path, 1)
}

// BenchmarkGroupCommit: 8 writers log new versions at once, each version one
// PutVersion call, with one fsync per call (the baseline) and with group
// commit; "grouped" reports its speed-up over the baseline of the same run.
//
//	go test ./storage/embedded -run '^$' -bench GroupCommit -benchtime 2000x
func BenchmarkGroupCommit(b *testing.B) {
	var baseline float64 // ns per version, one fsync each
	for _, mode := range []struct {
		name    string
		noGroup bool
	}{{"one-fsync-each", true}, {"grouped", false}} {
		b.Run(mode.name, func(b *testing.B) {
			s := openWithProject(b, filepath.Join(b.TempDir(), "artigraph.db"), Options{NoGroupCommit: mode.noGroup})
			defer s.Close()
			before := s.txs.Load()
			var next atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					for i := int(next.Add(1)); i <= b.N; i = int(next.Add(1)) {
						if _, _, err := s.PutVersion(context.Background(), groupWrite(i)); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(1e9/perOp, "versions/s")
			b.ReportMetric(float64(s.txs.Load()-before)/float64(b.N), "tx/op")
			if mode.noGroup {
				baseline = perOp
			} else if baseline > 0 {
				b.ReportMetric(baseline/perOp, "x-baseline")
			}
		})
	}
}
