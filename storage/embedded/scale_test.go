package embedded

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

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
