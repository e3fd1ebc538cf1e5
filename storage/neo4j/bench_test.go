package neo4j

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/artigraph/artigraph/bench/workload"
	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/storage/embedded"
)

// Store-level benchmarks against a real Neo4j (NEO4J_URI, as the tests), each
// with its baseline in the same run, as the machine is shared and noisy:
//
//	NEO4J_URI=... go test ./storage/neo4j -run '^$' -bench . -benchtime 5x

// benchVersion is a version as the scale benchmark logs one: a run's output,
// derived from a raw dataset, with a team, a stage and an environment.
func benchVersion(project string, run *lineage.RunKey, i int, source string) lineage.VersionWrite {
	stages := []string{"etl", "etl", "etl", "feature", "train"}
	at := time.Unix(1_700_000_000, 0).Add(time.Duration(i) * time.Second)
	labels := []lineage.Label{
		{Key: "team", Value: new(fmt.Sprintf("t%d", i%8))},
		{Key: "stage", Value: new(stages[i%len(stages)])},
		{Key: "env", Value: new([]string{"prod", "dev"}[i%2])},
	}
	w := lineage.VersionWrite{Version: lineage.Version{
		UID: fmt.Sprintf("%s-%s-%07d", project, run.UID, i), Project: project, Key: fmt.Sprintf("%s-k%07d", run.UID, i),
		Kind: lineage.KindDataset, Run: run, Labels: labels, CreatedAt: at, UpdatedAt: at,
		TargetPath: fmt.Sprintf("s3://bucket/%s/%d", project, i),
	}}
	if source != "" {
		w.Sources = []string{source}
	}
	return w
}

// benchRun creates a run and the raw dataset its outputs derive from.
func benchRun(tb testing.TB, s lineage.Store, project, uid string) (*lineage.RunKey, string) {
	tb.Helper()
	ctx := context.Background()
	r := lineage.Run{Project: project, UID: uid, Name: "etl", State: lineage.RunRunning, StartedAt: time.Unix(1_700_000_000, 0)}
	if _, err := s.CreateRun(ctx, r, nil); err != nil {
		tb.Fatalf("CreateRun: %v", err)
	}
	raw := lineage.VersionWrite{Version: lineage.Version{UID: project + "-raw-" + uid, Project: project, Key: "raw-" + uid,
		Kind: lineage.KindDataset, CreatedAt: time.Unix(1_600_000_000, 0)}}
	if _, _, err := s.PutVersion(ctx, raw); err != nil {
		tb.Fatalf("PutVersion: %v", err)
	}
	k := r.Key()
	return &k, raw.Version.UID
}

// BenchmarkPutVersions writes a run's 1000 outputs per iteration: in one
// PutVersions call, against PutVersion one by one (what LogArtifacts did,
// from 8 writers) as the baseline.
func BenchmarkPutVersions(b *testing.B) {
	s := mustOpen(b, testConfig(b))
	ctx := context.Background()
	const n = lineage.MaxLogBatch
	runs := 0 // unique across the sub-benchmarks' repeated calls
	next := func() string { runs++; return fmt.Sprintf("r%d", runs) }
	b.Run("batch", func(b *testing.B) {
		for range b.N {
			run, raw := benchRun(b, s, "pb", next())
			ws := make([]lineage.VersionWrite, n)
			for i := range ws {
				ws[i] = benchVersion("pb", run, i, raw)
			}
			if _, err := s.PutVersions(ctx, ws); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "versions/s")
	})
	b.Run("one-by-one-8-writers", func(b *testing.B) {
		for range b.N {
			run, raw := benchRun(b, s, "ps", next())
			work := make(chan int)
			errs := make(chan error, 8)
			for range 8 {
				go func() {
					var err error
					for i := range work {
						if err == nil {
							_, _, err = s.PutVersion(ctx, benchVersion("ps", run, i, raw))
						}
					}
					errs <- err
				}()
			}
			for i := range n {
				work <- i
			}
			close(work)
			for range 8 {
				if err := <-errs; err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "versions/s")
	})
	b.Run("CreateRun+FinishRun", func(b *testing.B) {
		for range b.N {
			r := lineage.Run{Project: "pr", UID: next(), Name: "etl", State: lineage.RunRunning, StartedAt: time.Unix(1_700_000_000, 0)}
			if _, err := s.CreateRun(ctx, r, []string{"pb-raw-r1"}); err != nil {
				b.Fatal(err)
			}
			if _, err := s.FinishRun(ctx, r.Key(), lineage.RunCompleted, time.Unix(1_700_000_100, 0)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLabelFilter lists the first 100 versions of a project of 10000
// (and another project as big beside it) with one label and with two, on
// Neo4j and on the embedded store holding the same data.
func BenchmarkLabelFilter(b *testing.B) {
	neo := mustOpen(b, testConfig(b))
	emb, err := embedded.Open(filepath.Join(b.TempDir(), "store.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { emb.Close() })
	ctx := context.Background()
	for _, s := range []lineage.Store{neo, emb} {
		for _, p := range []string{"p03", "p04"} {
			for r := range 10 {
				run, raw := benchRun(b, s, p, fmt.Sprintf("r%d", r))
				ws := make([]lineage.VersionWrite, 1000)
				for i := range ws {
					ws[i] = benchVersion(p, run, r*1000+i, raw)
				}
				if _, err := s.PutVersions(ctx, ws); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	for _, c := range []struct {
		name   string
		labels []string
	}{
		{"1-label", []string{"team=t3"}},
		{"2-labels", []string{"team=t3", "stage=etl"}},
		{"key-only", []string{"team", "stage=feature"}},
	} {
		for _, s := range []struct {
			name string
			s    lineage.Store
		}{{"embedded", emb}, {"neo4j", neo}} {
			b.Run(c.name+"/"+s.name, func(b *testing.B) {
				for range b.N {
					page, err := s.s.ListVersions(ctx, "p03", lineage.VersionFilter{Labels: c.labels}, lineage.Page{First: 100})
					if err != nil {
						b.Fatal(err)
					}
					if len(page.Versions) != 100 || page.Total == 0 {
						b.Fatalf("%d versions of %d", len(page.Versions), page.Total)
					}
				}
			})
		}
	}
}

// benchSize is the scale workload's size the query benchmarks load
// (ARTIGRAPH_BENCH_SIZE: small, medium or large; small by default).
func benchSize() string { return cmp.Or(os.Getenv("ARTIGRAPH_BENCH_SIZE"), "small") }

func refUID(r workload.Ref) string { return r.Project + "/" + r.Kind + "/" + r.Key }

// loadWorkload writes the scale benchmark's graph (bench/workload) into s
// the way LogArtifacts will: per unit, CreateRun, one PutVersions per batch
// of the unit's versions, FinishRun; the units of a wave from 8 writers.
func loadWorkload(tb testing.TB, s lineage.Store, spec workload.Spec) (versions int, took time.Duration) {
	tb.Helper()
	ctx := context.Background()
	clock := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); clock = clock.Add(time.Millisecond); return clock }
	logUnit := func(u workload.Unit) error {
		var run *lineage.RunKey
		if r := u.Run; r != nil {
			inputs := make([]string, len(r.Inputs))
			for i, in := range r.Inputs {
				inputs[i] = refUID(in)
			}
			created, err := s.CreateRun(ctx, lineage.Run{Project: r.Project, UID: r.UID, Name: r.Name, Pipeline: r.Pipeline,
				State: lineage.RunRunning, StartedAt: now()}, inputs)
			if err != nil {
				return fmt.Errorf("CreateRun %s: %w", r.UID, err)
			}
			k := created.Key()
			run = &k
		}
		var batch []lineage.VersionWrite
		in := map[string]bool{}
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			_, err := s.PutVersions(ctx, batch)
			batch, in = nil, map[string]bool{}
			return err
		}
		for _, v := range u.Versions {
			w := lineage.VersionWrite{Version: lineage.Version{UID: refUID(v.Ref), Project: v.Project, Key: v.Key,
				Kind: lineage.Kind(v.Kind), Run: run, TargetPath: v.TargetPath, ExternalSources: v.External}}
			for _, l := range v.Labels {
				w.Version.Labels = append(w.Version.Labels, lineage.Label{Key: l.Key, Value: new(l.Value)})
			}
			fresh := false
			for _, src := range v.Sources {
				w.Sources = append(w.Sources, refUID(src))
				fresh = fresh || in[refUID(src)]
			}
			for _, l := range v.Links {
				w.Links = append(w.Links, lineage.Link{Relation: l.Relation, UID: refUID(l.To)})
				fresh = fresh || in[refUID(l.To)]
			}
			if fresh {
				if err := flush(); err != nil {
					return err
				}
			}
			w.Version.CreatedAt = now()
			batch = append(batch, w)
			in[w.Version.UID] = true
		}
		if err := flush(); err != nil {
			return fmt.Errorf("PutVersions: %w", err)
		}
		if run != nil {
			if _, err := s.FinishRun(ctx, *run, lineage.RunCompleted, now()); err != nil {
				return fmt.Errorf("FinishRun: %w", err)
			}
		}
		return nil
	}
	start := time.Now()
	var wave []workload.Unit
	flushWave := func() error {
		work := make(chan workload.Unit)
		errs := make(chan error, 8)
		for range 8 {
			go func() {
				var err error
				for u := range work {
					if err == nil {
						err = logUnit(u)
					}
				}
				errs <- err
			}()
		}
		for _, u := range wave {
			work <- u
		}
		close(work)
		var err error
		for range 8 {
			err = cmp.Or(err, <-errs)
		}
		wave = nil
		return err
	}
	err := spec.Generate(func(u workload.Unit) error {
		versions += len(u.Versions)
		if len(wave) > 0 && wave[0].Wave != u.Wave {
			if err := flushWave(); err != nil {
				return err
			}
		}
		wave = append(wave, u)
		return nil
	})
	if err == nil {
		err = flushWave()
	}
	if err != nil {
		tb.Fatalf("load: %v", err)
	}
	return versions, time.Since(start)
}

// BenchmarkScaleQueries loads the scale workload (benchSize) into Neo4j and
// the embedded store, and times the scale benchmark's label and lineage
// queries on both.
func BenchmarkScaleQueries(b *testing.B) {
	spec, err := workload.Sized(benchSize(), 1)
	if err != nil {
		b.Fatal(err)
	}
	neo := mustOpen(b, testConfig(b))
	emb, err := embedded.Open(filepath.Join(b.TempDir(), "store.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { emb.Close() })
	for _, s := range []struct {
		name string
		s    lineage.Store
	}{{"embedded", emb}, {"neo4j", neo}} {
		n, took := loadWorkload(b, s.s, spec)
		b.Logf("%s: loaded %d versions in %s (%.0f versions/s, runs included)", s.name, n, took.Round(time.Millisecond), float64(n)/took.Seconds())
	}
	t := spec.Targets()
	ctx := context.Background()
	type query struct {
		name string
		run  func(lineage.Store) (int, error)
	}
	var qs []query
	for _, labels := range [][]string{t.OneLabel, t.TwoLabels} {
		qs = append(qs, query{fmt.Sprintf("labels-%d", len(labels)), func(s lineage.Store) (int, error) {
			p, err := s.ListVersions(ctx, t.Project, lineage.VersionFilter{Labels: labels}, lineage.Page{First: 100})
			return len(p.Versions), err
		}})
	}
	for _, dir := range []lineage.Direction{lineage.Upstream, lineage.Downstream} {
		for _, depth := range []int{3, 10} {
			qs = append(qs, query{fmt.Sprintf("lineage-%s-%d", dir, depth), func(s lineage.Store) (int, error) {
				g, err := s.Lineage(ctx, lineage.LineageQuery{Start: lineage.NodeRef{Type: lineage.NodeArtifact, Project: t.MidChain.Project, UID: refUID(t.MidChain)},
					Direction: dir, Depth: depth, Limit: 5000})
				return len(g.Nodes), err
			}})
		}
	}
	qs = append(qs, query{"impact-hub", func(s lineage.Store) (int, error) {
		g, err := s.Lineage(ctx, lineage.LineageQuery{Start: lineage.NodeRef{Type: lineage.NodeArtifact, Project: t.Hub.Project, UID: refUID(t.Hub)},
			Direction: lineage.Downstream, Depth: 10, Limit: 9999})
		return len(g.Nodes), err
	}})
	for _, q := range qs {
		for _, s := range []struct {
			name string
			s    lineage.Store
		}{{"embedded", emb}, {"neo4j", neo}} {
			b.Run(q.name+"/"+s.name, func(b *testing.B) {
				var lat []time.Duration
				items := 0
				for range b.N {
					began := time.Now()
					n, err := q.run(s.s)
					lat = append(lat, time.Since(began))
					if err != nil {
						b.Fatal(err)
					}
					items = n
				}
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
				b.ReportMetric(float64(items), "items")
			})
		}
	}
}
