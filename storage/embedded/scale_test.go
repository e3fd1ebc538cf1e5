package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/artigraph/artigraph/bench/workload"
	"github.com/artigraph/artigraph/lineage"
)

// BenchmarkScale measures the store at the size it is designed for. Writing a
// million versions through PutVersion, one fsync each, takes long, so the
// file is written here directly, in big unsynced transactions, in the shape
// storetest.Seed gives (a tree of fan-out 3, every other hop through a run).
// It runs only when ARTIGRAPH_SCALE_VERSIONS is set:
//
//	ARTIGRAPH_SCALE_VERSIONS=1000000 go test ./storage/embedded -run '^$' -bench Scale -benchtime 50x
func BenchmarkScale(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("ARTIGRAPH_SCALE_VERSIONS"))
	if n <= 0 {
		b.Skip("set ARTIGRAPH_SCALE_VERSIONS to run")
	}
	// ARTIGRAPH_SCALE_FILE keeps the file for the next run.
	path := os.Getenv("ARTIGRAPH_SCALE_FILE")
	if path == "" {
		path = filepath.Join(b.TempDir(), "artigraph.db")
	}
	if _, err := os.Stat(path); err != nil {
		start := time.Now()
		writeScaleFile(b, path, n)
		b.Logf("wrote %d versions directly in %s", n, time.Since(start).Round(time.Millisecond))
	}
	info, _ := os.Stat(path)
	b.Logf("file: %d MB", info.Size()>>20)
	start := time.Now()

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start = time.Now()
	s, err := Start(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	opened := time.Since(start) // what the server waits for before it listens
	<-s.Loaded()
	if err := s.LoadErr(); err != nil {
		b.Fatal(err)
	}
	loaded := time.Since(start)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	heap := after.HeapAlloc - before.HeapAlloc
	b.Logf("Start returned in %s; loaded (ready) in %s; heap %d MB (%d bytes a version); %s",
		opened.Round(time.Microsecond), loaded.Round(time.Millisecond), heap>>20, heap/uint64(n), residentMemory())

	root := lineage.NodeRef{Type: lineage.NodeArtifact, Project: "bench", UID: scaleUID(0)}
	leaf := lineage.NodeRef{Type: lineage.NodeArtifact, Project: "bench", UID: scaleUID(n - 1)}
	b.Run("Lineage/Downstream10HopsLimit1000", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Lineage(b.Context(), lineage.LineageQuery{Start: root, Direction: lineage.Downstream, Depth: 10, Limit: 1000}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Lineage/Upstream10Hops", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Lineage(b.Context(), lineage.LineageQuery{Start: leaf, Direction: lineage.Upstream, Depth: 10, Limit: 1000}); err != nil {
				b.Fatal(err)
			}
		}
	})
	epoch := time.Unix(0, 0)
	for _, c := range []struct {
		name string
		f    lineage.VersionFilter
	}{
		{"Label", lineage.VersionFilter{Labels: []string{"team=t3"}}},
		{"TwoLabels", lineage.VersionFilter{Labels: []string{"team=t3", "gold"}}},
		{"TwoLabelsRare", lineage.VersionFilter{Labels: []string{"gold", "shard=s14"}}},
		{"ThreeLabels", lineage.VersionFilter{Labels: []string{"team", "gold", "shard=s14"}}},
		// The same through the walk that counts every match (a Since before
		// every version takes it): the way two labels were listed before.
		{"TwoLabelsWalked", lineage.VersionFilter{Labels: []string{"team=t3", "gold"}, Since: &epoch}},
		{"ThreeLabelsWalked", lineage.VersionFilter{Labels: []string{"team", "gold", "shard=s14"}, Since: &epoch}},
		{"KeyContains", lineage.VersionFilter{KeyContains: "Y-4"}},
		{"All", lineage.VersionFilter{}},
	} {
		b.Run("ListVersions/"+c.name+"/First100", func(b *testing.B) {
			var total int
			for b.Loop() {
				p, err := s.ListVersions(b.Context(), "bench", c.f, lineage.Page{First: 100})
				if err != nil {
					b.Fatal(err)
				}
				if p, err = s.ListVersions(b.Context(), "bench", c.f, lineage.Page{First: 100, After: p.EndCursor}); err != nil {
					b.Fatal(err)
				}
				total = p.Total
			}
			b.ReportMetric(float64(total), "matches")
		})
	}
	b.Run("TagVersion", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			if _, err := s.TagVersion(b.Context(), scaleUID(i*7919%n), "bench", time.Unix(2e9+int64(i), 0)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// residentMemory is the process's resident set, from /proc (Linux).
func residentMemory() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "resident memory unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return "resident " + strings.TrimSpace(rest)
		}
	}
	return "resident memory unknown"
}

// BenchmarkImpactHub times impact on the hub of the scale benchmark's
// workload (bench/workload: one dataset consumed by half the runs), 10 hops
// and 9,999 nodes as bench/scale asks, with its complete counts: through
// the Service on this store (a lineage.GraphReader), and on the same store
// seen only as a lineage.Store (Edges, and the versions and runs read for
// the counts), the way every other backend is walked. Both answers must be
// the same. ARTIGRAPH_IMPACT_SIZE picks the size (small by default, medium,
// large) and ARTIGRAPH_IMPACT_FILE keeps the file for the next run:
//
//	ARTIGRAPH_IMPACT_SIZE=medium go test ./storage/embedded -run '^$' -bench ImpactHub
func BenchmarkImpactHub(b *testing.B) {
	size := os.Getenv("ARTIGRAPH_IMPACT_SIZE")
	if size == "" {
		size = "small"
	}
	spec, err := workload.Sized(size, 1)
	if err != nil {
		b.Fatal(err)
	}
	path := os.Getenv("ARTIGRAPH_IMPACT_FILE")
	if path == "" {
		path = filepath.Join(b.TempDir(), "artigraph.db")
	}
	if _, err := os.Stat(path); err != nil {
		start := time.Now()
		writeWorkloadFile(b, path, spec)
		b.Logf("wrote the %s workload directly in %s", size, time.Since(start).Round(time.Millisecond))
	}
	s, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := lineage.AsOperator(b.Context())
	hub := spec.Targets().Hub
	uri := fmt.Sprintf("store://%s/%s/%s", lineage.Kind(hub.Kind).Prefix(), hub.Project, hub.Key)
	depth, limit := 10, 9999
	type answer struct {
		Impact lineage.Impact
		Counts lineage.ImpactCounts
	}
	var first *answer
	for _, c := range []struct {
		name  string
		store lineage.Store
	}{
		{"GraphReader", s},
		{"Edges", struct{ lineage.Store }{s}}, // hides ReadGraph
	} {
		svc := lineage.NewService(c.store, lineage.BlobRouter{}, lineage.DefaultConfig())
		b.Run(c.name+"/Listing", func(b *testing.B) {
			for b.Loop() {
				if _, err := svc.Impact(ctx, uri, &depth, &limit); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/ListingAndCounts", func(b *testing.B) {
			var a answer
			for b.Loop() {
				im, err := svc.Impact(ctx, uri, &depth, &limit)
				if err != nil {
					b.Fatal(err)
				}
				counts, err := svc.ImpactCounts(ctx, im)
				if err != nil {
					b.Fatal(err)
				}
				a = answer{im, counts}
			}
			b.ReportMetric(float64(a.Counts.Artifacts+a.Counts.Runs), "downstream")
			b.ReportMetric(float64(len(a.Impact.Versions)+len(a.Impact.Runs)), "listed")
			a.Impact = lineage.Impact{Versions: a.Impact.Versions, Runs: a.Impact.Runs, Pipelines: a.Impact.Pipelines,
				Truncated: a.Impact.Truncated, Hidden: a.Impact.Hidden} // the answer, not how it was found
			if first == nil {
				first = &a
			} else if !reflect.DeepEqual(a, *first) {
				b.Fatalf("%s answers %+v; GraphReader answered %+v", c.name, a.Counts, first.Counts)
			}
		})
	}
}

func scaleUID(i int) string { return fmt.Sprintf("v%07d", i) }

// writeScaleFile writes n versions, their runs and edges straight into a new
// store file.
func writeScaleFile(b *testing.B, path string, n int) {
	s, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	s.Close()
	db, err := bolt.Open(path, 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	latest := map[string]string{} // key → uid holding latest
	const batch = 20000
	for lo := 0; lo < n; lo += batch {
		err := db.Update(func(tx *bolt.Tx) error {
			vb, rb, eb := tx.Bucket(bucketVersions), tx.Bucket(bucketRuns), tx.Bucket(bucketEdges)
			for i := lo; i < min(n, lo+batch); i++ {
				uid := scaleUID(i)
				v := lineage.Version{
					UID: uid, Project: "bench", Key: fmt.Sprintf("key-%02d", i%100), Kind: lineage.KindDataset,
					CreatedAt: t0.Add(time.Duration(i) * time.Second), UpdatedAt: t0.Add(time.Duration(i) * time.Second),
					TargetPath: "file:///data/bench/" + uid, Producer: lineage.Producer{Kind: "project", Name: "bench"},
					Labels: []lineage.Label{{Key: "team", Value: ptr(fmt.Sprintf("t%d", i%10))}, {Key: "shard", Value: ptr(fmt.Sprintf("s%d", i%100))}},
					Tags:   []string{lineage.TagLatest},
				}
				if i%7 == 0 {
					v.Labels = append(v.Labels, lineage.Label{Key: "gold"})
				}
				node := lineage.VersionNode(v)
				var edges []lineage.Edge
				if i > 0 {
					parent := lineage.NodeRef{Type: lineage.NodeArtifact, Project: "bench", UID: scaleUID((i - 1) / 3)}
					if i%2 == 1 {
						edges = append(edges, lineage.Edge{From: node, To: parent, Relation: lineage.RelDerivedFrom})
					} else {
						r := lineage.Run{Project: "bench", UID: fmt.Sprintf("r%07d", i), Name: "step", State: lineage.RunCompleted, StartedAt: v.CreatedAt}
						k := r.Key()
						v.Run, v.Tree = &k, r.UID
						v.Producer = lineage.Producer{Kind: "run", Name: "step", URI: "bench/" + r.UID}
						if err := rb.Put(runKey(k), mustJSON(r)); err != nil {
							return err
						}
						edges = append(edges,
							lineage.Edge{From: lineage.RunNode(k), To: parent, Relation: lineage.RelConsumed},
							lineage.Edge{From: lineage.RunNode(k), To: node, Relation: lineage.RelProduced})
					}
				}
				for _, e := range edges {
					if err := eb.Put(edgeKey(e), []byte{}); err != nil {
						return err
					}
				}
				// latest moves: rewrite the previous holder without it.
				if prev, ok := latest[v.Key]; ok {
					var pv lineage.Version
					if old := vb.Get([]byte(prev)); old != nil {
						if err := json.Unmarshal(old, &pv); err != nil {
							return err
						}
						pv.Tags = nil
						if err := vb.Put([]byte(prev), mustJSON(pv)); err != nil {
							return err
						}
					}
				}
				latest[v.Key] = uid
				if err := vb.Put([]byte(uid), mustJSON(v)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func ptr[T any](v T) *T { return &v }

// writeWorkloadFile writes the graph spec generates (bench/workload) straight
// into a new store file, as the Service would have logged it: every
// version holding "latest", its run's PRODUCED edge, DERIVED_FROM its
// sources and LINKS_TO its links; every run finished, CONSUMED its inputs.
func writeWorkloadFile(tb testing.TB, path string, spec workload.Spec) {
	s, err := Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	s.Close()
	db, err := bolt.Open(path, 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	nodes := map[workload.Ref]lineage.NodeRef{}
	var units []workload.Unit
	flush := func() error {
		err := db.Update(func(tx *bolt.Tx) error {
			vb, rb, eb := tx.Bucket(bucketVersions), tx.Bucket(bucketRuns), tx.Bucket(bucketEdges)
			put := func(e lineage.Edge) error { return eb.Put(edgeKey(e), []byte{}) }
			for _, u := range units {
				var run *lineage.RunKey
				if r := u.Run; r != nil {
					at := t0.Add(time.Duration(len(nodes)) * time.Second)
					lr := lineage.Run{Project: r.Project, UID: r.UID, Name: r.Name, Pipeline: r.Pipeline,
						State: lineage.RunCompleted, StartedAt: at, FinishedAt: &at}
					k := lr.Key()
					run = &k
					if err := rb.Put(runKey(k), mustJSON(lr)); err != nil {
						return err
					}
					for _, in := range r.Inputs {
						if err := put(lineage.Edge{From: lineage.RunNode(k), To: nodes[in], Relation: lineage.RelConsumed}); err != nil {
							return err
						}
					}
				}
				for _, wv := range u.Versions {
					at := t0.Add(time.Duration(len(nodes)) * time.Second)
					v := lineage.Version{UID: fmt.Sprintf("w%07d", len(nodes)), Project: wv.Project, Key: wv.Key,
						Kind: lineage.Kind(wv.Kind), Tags: []string{lineage.TagLatest}, CreatedAt: at, UpdatedAt: at,
						TargetPath: wv.TargetPath, ExternalSources: wv.External,
						Producer: lineage.Producer{Kind: "project", Name: wv.Project}}
					for _, l := range wv.Labels {
						v.Labels = append(v.Labels, lineage.Label{Key: l.Key, Value: ptr(l.Value)})
					}
					node := lineage.VersionNode(v)
					nodes[wv.Ref] = node
					if run != nil {
						v.Run, v.Tree = run, run.UID
						v.Producer = lineage.Producer{Kind: "run", Name: u.Run.Name}
						if err := put(lineage.Edge{From: lineage.RunNode(*run), To: node, Relation: lineage.RelProduced}); err != nil {
							return err
						}
					}
					for _, src := range wv.Sources {
						if err := put(lineage.Edge{From: node, To: nodes[src], Relation: lineage.RelDerivedFrom}); err != nil {
							return err
						}
					}
					for _, l := range wv.Links {
						if err := put(lineage.Edge{From: node, To: nodes[l.To], Relation: lineage.RelLinksTo, Name: l.Relation}); err != nil {
							return err
						}
					}
					if err := vb.Put([]byte(v.UID), mustJSON(v)); err != nil {
						return err
					}
				}
			}
			return nil
		})
		units = units[:0]
		return err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for i := range spec.Projects {
			p := lineage.Project{Name: fmt.Sprintf("p%02d", i), CreatedAt: t0}
			if err := tx.Bucket(bucketProjects).Put([]byte(p.Name), mustJSON(p)); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = spec.Generate(func(u workload.Unit) error {
			if units = append(units, u); len(units) == 2000 {
				return flush()
			}
			return nil
		})
	}
	if err == nil {
		err = flush()
	}
	if err != nil {
		tb.Fatal(err)
	}
}

// Impact through ReadGraph (lineage.GraphReader) answers exactly as through
// Edges and the versions and runs read back, on the small workload: from
// the hub, the chain and a leaf, at several depths and limits, as the
// operator and as a viewer of some projects only, and again once a run is
// added and versions are deleted (the cached records follow both).
func TestImpactOnGraphReaderMatchesEdges(t *testing.T) {
	spec, err := workload.Sized("small", 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "artigraph.db")
	writeWorkloadFile(t, path, spec)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fast := lineage.NewService(s, lineage.BlobRouter{}, lineage.DefaultConfig())
	plain := lineage.NewService(struct{ lineage.Store }{s}, lineage.BlobRouter{}, lineage.DefaultConfig())
	operator := lineage.AsOperator(t.Context())
	viewer := lineage.WithCaller(t.Context(), lineage.Caller{TokenID: "t", Name: "v", Role: lineage.RoleViewer, Projects: []string{"p00", "p02", "p05"}})
	tg := spec.Targets()
	uri := func(r workload.Ref) string {
		return fmt.Sprintf("store://%s/%s/%s", lineage.Kind(r.Kind).Prefix(), r.Project, r.Key)
	}
	hub, _, err := fast.Resolve(operator, uri(tg.Hub))
	if err != nil {
		t.Fatal(err)
	}
	compare := func(when string) (listed, counted int) {
		for _, ref := range []workload.Ref{tg.Hub, tg.MidChain, tg.Leaf, tg.Artifact} {
			for _, ctx := range []context.Context{operator, viewer} {
				for _, depth := range []int{0, 1, 3, 10} {
					for _, limit := range []int{1, 10, 500, 9999} {
						got, gotCounts, err := impactWithCounts(ctx, fast, uri(ref), depth, limit)
						want, wantCounts, err2 := impactWithCounts(ctx, plain, uri(ref), depth, limit)
						if (err == nil) != (err2 == nil) {
							t.Fatalf("%s, %s depth %d limit %d: errors %v and %v", when, ref.Key, depth, limit, err, err2)
						}
						if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotCounts, wantCounts) {
							t.Fatalf("%s, %s depth %d limit %d:\nReadGraph %+v\n%+v\nEdges %+v\n%+v", when, ref.Key, depth, limit, got, gotCounts, want, wantCounts)
						}
						listed += len(got.Versions) + len(got.Runs)
						counted += gotCounts.Artifacts + gotCounts.Runs
					}
				}
			}
		}
		return listed, counted
	}
	before, counted := compare("as loaded")
	if before == 0 || counted <= before {
		t.Fatalf("%d listed and %d counted: the cases do not exercise the listing's limit", before, counted)
	}

	run := lineage.Run{Project: "p01", UID: "late-run", Name: "late", Pipeline: "late-pipeline", State: lineage.RunRunning, StartedAt: time.Now()}
	if _, err := s.CreateRun(operator, run, []string{hub.UID}); err != nil {
		t.Fatal(err)
	}
	im, err := fast.Impact(operator, uri(tg.Hub), ptr(1), ptr(10))
	if err != nil {
		t.Fatal(err)
	}
	deleted := im.Versions
	if n, err := s.DeleteVersions(operator, deleted); err != nil || n != len(deleted) || n == 0 {
		t.Fatalf("DeleteVersions(%v) = %d, %v", deleted, n, err)
	}
	compare("after a run added and versions deleted")
	c, err := fast.ImpactCounts(operator, mustImpact(t, fast, operator, uri(tg.Hub)))
	if err != nil {
		t.Fatal(err)
	}
	if c.Pipelines != spec.Pipelines+1 {
		t.Errorf("the hub's pipelines: %d, want the %d of the workload and the late run's", c.Pipelines, spec.Pipelines)
	}

	// Walks share the cached records while runs are added (for -race).
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for range 10 {
				if _, _, err := impactWithCounts(operator, fast, uri(tg.Hub), 10, 500); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for i := range 10 {
		r := lineage.Run{Project: "p01", UID: fmt.Sprintf("racing-%d", i), Name: "late", State: lineage.RunRunning, StartedAt: time.Now()}
		if _, err := s.CreateRun(operator, r, []string{hub.UID}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	after, err := fast.ImpactCounts(operator, mustImpact(t, fast, operator, uri(tg.Hub)))
	if err != nil || after.ByDepth[0].Runs != c.ByDepth[0].Runs+10 {
		t.Errorf("the hub's runs at depth 1: %+v (%v), want 10 more than %+v", after.ByDepth, err, c.ByDepth)
	}
}

func impactWithCounts(ctx context.Context, svc *lineage.Service, uri string, depth, limit int) (lineage.Impact, lineage.ImpactCounts, error) {
	im, err := svc.Impact(ctx, uri, &depth, &limit)
	if err != nil {
		return lineage.Impact{}, lineage.ImpactCounts{}, err
	}
	c, err := svc.ImpactCounts(ctx, im)
	// The answer, not how it was found.
	return lineage.Impact{Versions: im.Versions, Runs: im.Runs, Pipelines: im.Pipelines, Truncated: im.Truncated, Hidden: im.Hidden}, c, err
}

func mustImpact(t *testing.T, svc *lineage.Service, ctx context.Context, uri string) lineage.Impact {
	im, err := svc.Impact(ctx, uri, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return im
}

// countingReader counts the store's ReadGraph calls.
type countingReader struct {
	*Store
	reads int
}

func (c *countingReader) ReadGraph(ctx context.Context, read func(lineage.GraphSnapshot) error) error {
	c.reads++
	return c.Store.ReadGraph(ctx, read)
}

// wrapped hides a store's methods beyond lineage.Store, as a wrapper timing
// calls does, but unwraps to it.
type wrapped struct {
	lineage.Store
	inner lineage.Store
}

func (w wrapped) Unwrap() lineage.Store { return w.inner }

// Impact finds the GraphReader under a wrapper that unwraps to it.
func TestImpactFindsTheGraphReaderUnderAWrapper(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "artigraph.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := lineage.AsOperator(t.Context())
	c := &countingReader{Store: s}
	svc := lineage.NewService(wrapped{Store: struct{ lineage.Store }{s}, inner: c}, lineage.BlobRouter{}, lineage.DefaultConfig())
	if _, err := svc.UpsertProject(ctx, lineage.Project{Name: "p"}); err != nil {
		t.Fatal(err)
	}
	v, _, err := s.PutVersion(ctx, lineage.VersionWrite{Version: lineage.Version{UID: "u1", Project: "p", Key: "k", Kind: lineage.KindDataset,
		TargetPath: "file:///d", CreatedAt: time.Now(), UpdatedAt: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Impact(ctx, lineage.CanonicalURI(v, ""), nil, nil); err != nil || c.reads != 1 {
		t.Fatalf("Impact: %v; %d ReadGraph calls, want 1", err, c.reads)
	}
}
