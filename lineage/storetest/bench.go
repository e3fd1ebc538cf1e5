package storetest

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// BenchProject is the project Seed writes.
const BenchProject = "bench"

// benchFanout is how many children each version of the seeded tree has.
const benchFanout = 3

// Seeded describes what Seed wrote.
type Seeded struct {
	Versions int             // versions written
	Runs     int             // runs written
	Root     lineage.NodeRef // the tree's root version
	Leaf     lineage.NodeRef // the last version written, a leaf deep in the tree
}

// Seed writes n versions of project BenchProject as a tree: version i's
// parent is version (i-1)/3; odd versions derive from their parent (one hop),
// even ones are produced by a run of their own that consumed the parent (two
// hops). Versions spread over 100 keys, so latest keeps moving, and carry the
// labels team=t<i%10>, shard=s<i%100> and, for every seventh, gold. Each
// level of the tree is written by 8 writers at once.
func Seed(tb testing.TB, s lineage.Store, n int) Seeded {
	tb.Helper()
	ctx := tb.Context()
	out := Seeded{Versions: n, Root: vnode(BenchProject, benchUID(0)), Leaf: vnode(BenchProject, benchUID(n-1))}
	write := func(i int) error {
		b := newVersion(BenchProject, fmt.Sprintf("key-%02d", i%100), benchUID(i), 0).
			labels(fmt.Sprintf("team=t%d", i%10), fmt.Sprintf("shard=s%d", i%100))
		b.w.Version.CreatedAt = t0.Add(time.Duration(i) * time.Second)
		b.w.Version.UpdatedAt = b.w.Version.CreatedAt
		if i%7 == 0 {
			b.labels("gold")
		}
		if i > 0 {
			parent := benchUID((i - 1) / benchFanout)
			if i%2 == 1 {
				b.sources(parent)
			} else {
				r, err := s.CreateRun(ctx, newRun(BenchProject, fmt.Sprintf("r%07d", i), "step", 0), []string{parent})
				if err != nil {
					return err
				}
				b.by(r)
			}
		}
		_, _, err := s.PutVersion(ctx, b.w)
		return err
	}
	// Level by level: a version's parent is always in an earlier level.
	for lo := 0; lo < n; lo = lo*benchFanout + 1 {
		hi := min(n, lo*benchFanout+1)
		if err := parallel(8, lo, hi, write); err != nil {
			tb.Fatalf("Seed: %v", err)
		}
	}
	for i := 2; i < n; i += 2 {
		out.Runs++
	}
	return out
}

func benchUID(i int) string { return fmt.Sprintf("v%07d", i) }

// parallel calls fn for every i in [lo, hi) from workers goroutines.
func parallel(workers, lo, hi int, fn func(i int) error) error {
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					errs <- err
					for range next {
					}
					return
				}
			}
		})
	}
	for i := lo; i < hi; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	return <-errs
}

// BenchVersions returns how many versions Bench seeds: 10000, or the value
// of STORETEST_BENCH_VERSIONS.
func BenchVersions() int {
	if n, err := strconv.Atoi(os.Getenv("STORETEST_BENCH_VERSIONS")); err == nil && n > 0 {
		return n
	}
	return 10000
}

// Bench seeds one store with BenchVersions versions (see Seed) and
// benchmarks reads on it, then a few writes: the figures to compare backends
// by.
func Bench(b *testing.B, open func(b *testing.B) lineage.Store) {
	s := open(b)
	n := BenchVersions()
	start := time.Now()
	seeded := Seed(b, s, n)
	b.Logf("seeded %d versions and %d runs in %s", seeded.Versions, seeded.Runs, time.Since(start).Round(time.Millisecond))
	runtime.GC() // the seeding's garbage, not the reads', should be collected now

	b.Run("Lineage/Downstream10Hops", func(b *testing.B) {
		benchLineage(b, s, lineage.LineageQuery{Start: seeded.Root, Direction: lineage.Downstream, Depth: 10, Limit: 100000})
	})
	b.Run("Lineage/Downstream10HopsLimit1000", func(b *testing.B) {
		benchLineage(b, s, lineage.LineageQuery{Start: seeded.Root, Direction: lineage.Downstream, Depth: 10, Limit: 1000})
	})
	b.Run("Lineage/Upstream10Hops", func(b *testing.B) {
		benchLineage(b, s, lineage.LineageQuery{Start: seeded.Leaf, Direction: lineage.Upstream, Depth: 10, Limit: 100000})
	})
	b.Run("ListVersions/Label/First100", func(b *testing.B) {
		benchList(b, s, lineage.VersionFilter{Labels: []string{"team=t3"}}, 2)
	})
	b.Run("ListVersions/TwoLabels/First100", func(b *testing.B) {
		benchList(b, s, lineage.VersionFilter{Labels: []string{"team=t3", "gold"}}, 2)
	})
	b.Run("ListVersions/LabelAndSince/First100", func(b *testing.B) {
		since := t0.Add(time.Duration(n/2) * time.Second)
		benchList(b, s, lineage.VersionFilter{Labels: []string{"team=t3"}, Since: &since}, 2)
	})
	b.Run("ListVersions/KeyContains/First100", func(b *testing.B) {
		benchList(b, s, lineage.VersionFilter{KeyContains: "Y-4"}, 2)
	})
	b.Run("ListVersions/All/First100", func(b *testing.B) {
		benchList(b, s, lineage.VersionFilter{}, 2)
	})
	b.Run("GetVersions/100", func(b *testing.B) {
		var uids []string
		for i := range 100 {
			uids = append(uids, benchUID(i*n/100))
		}
		for b.Loop() {
			vs, err := s.GetVersions(b.Context(), uids)
			if err != nil || len(vs) != 100 {
				b.Fatalf("GetVersions: %d, %v", len(vs), err)
			}
		}
	})
	b.Run("TagVersion", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			if _, err := s.TagVersion(b.Context(), benchUID(i%n), "bench", t0.Add(time.Duration(n+i)*time.Second)); err != nil {
				b.Fatalf("TagVersion: %v", err)
			}
		}
	})
	b.Run("PutVersion", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			uid := fmt.Sprintf("extra-%d", i)
			w := newVersion(BenchProject, "extra", uid, 0).labels("team=t1").sources(benchUID(i % n)).w
			w.Version.CreatedAt = t0.Add(time.Duration(2*n+i) * time.Second)
			w.Version.UpdatedAt = w.Version.CreatedAt
			if _, _, err := s.PutVersion(b.Context(), w); err != nil {
				b.Fatalf("PutVersion: %v", err)
			}
		}
	})
}

func benchLineage(b *testing.B, s lineage.Store, q lineage.LineageQuery) {
	var g lineage.Graph
	for b.Loop() {
		var err error
		if g, err = s.Lineage(b.Context(), q); err != nil {
			b.Fatalf("Lineage: %v", err)
		}
	}
	b.ReportMetric(float64(len(g.Nodes)), "nodes")
	b.ReportMetric(float64(len(g.Edges)), "edges")
}

// benchList lists pages of 100, pages at a time, walking on with the cursor.
func benchList(b *testing.B, s lineage.Store, f lineage.VersionFilter, pages int) {
	var total int
	for b.Loop() {
		page := lineage.Page{First: 100}
		for range pages {
			p, err := s.ListVersions(b.Context(), BenchProject, f, page)
			if err != nil {
				b.Fatalf("ListVersions: %v", err)
			}
			total = p.Total
			if !p.HasNext {
				break
			}
			page.After = p.EndCursor
		}
	}
	b.ReportMetric(float64(total), "matches")
	b.ReportMetric(float64(pages), "pages/op")
}
