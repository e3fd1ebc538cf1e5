// Package bench compares the store backends on the same data, written and
// measured the same way. See README.md.
package bench

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/lineage/storetest"
	"github.com/artigraph/artigraph/storage/embedded"
	neo4jstore "github.com/artigraph/artigraph/storage/neo4j"
)

// versions returns how many versions to seed: ARTIGRAPH_BENCH_VERSIONS, or
// 100000.
func versions() int {
	if n, err := strconv.Atoi(os.Getenv("ARTIGRAPH_BENCH_VERSIONS")); err == nil && n > 0 {
		return n
	}
	return 100000
}

// rootUID is the uid storetest.Seed gives its first version, the root of
// its tree; a reused store is checked to hold it.
const rootUID = "v0000000"

// BenchmarkImpact10Hops times the impact query: the lineage 10 hops
// downstream of the root of a tree of n versions that storetest.Seed writes
// through CreateRun and PutVersion (fan-out 3, every other hop through a run,
// so about half the runs' and versions' depth), at most 10000 nodes. It runs
// on each backend: Lineage, and on Neo4j also lineage.Traverse over Edges,
// the plain way to the same answer, for comparison. Every answer must be
// the same; the log gives the ratio neo4j/embedded of Lineage.
func BenchmarkImpact10Hops(b *testing.B) {
	n := versions()
	q := lineage.LineageQuery{
		Start:     lineage.NodeRef{Type: lineage.NodeArtifact, Project: storetest.BenchProject, UID: rootUID},
		Direction: lineage.Downstream, Depth: 10, Limit: 10000,
	}
	var (
		answer lineage.Graph
		perOp  = map[string]time.Duration{}
	)
	measure := func(name string, lineageOf func(context.Context, lineage.LineageQuery) (lineage.Graph, error)) func(*testing.B) {
		return func(b *testing.B) {
			var g lineage.Graph
			for b.Loop() {
				var err error
				if g, err = lineageOf(b.Context(), q); err != nil {
					b.Fatalf("Lineage: %v", err)
				}
			}
			perOp[name] = b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(len(g.Nodes)), "nodes")
			b.ReportMetric(float64(len(g.Edges)), "edges")
			if e, n := perOp["embedded"], perOp["neo4j"]; name == "neo4j" && e > 0 {
				b.Logf("%d versions; impact query: embedded %s, neo4j %s per op; neo4j/embedded = %.1f",
					versions(), e.Round(time.Microsecond), n.Round(time.Microsecond), float64(n)/float64(e))
			}
			if answer.Nodes == nil {
				answer = g
			} else if !reflect.DeepEqual(g, answer) {
				b.Fatalf("%s answers differently: %d nodes, %d edges, truncated %v; the first answer %d, %d, %v",
					name, len(g.Nodes), len(g.Edges), g.Truncated, len(answer.Nodes), len(answer.Edges), answer.Truncated)
			}
		}
	}

	b.Run("embedded", func(b *testing.B) {
		s := openEmbedded(b, n)
		b.Run("Lineage", measure("embedded", s.Lineage))
	})
	b.Run("neo4j", func(b *testing.B) {
		s := openNeo4j(b, n)
		b.Run("Lineage", measure("neo4j", s.Lineage))
		b.Run("TraverseOverEdges", measure("neo4j, Traverse over Edges", func(ctx context.Context, q lineage.LineageQuery) (lineage.Graph, error) {
			return lineage.Traverse(ctx, s.Edges, q)
		}))
	})
}

// seed writes n versions with storetest.Seed, unless reuse says the store
// holds them already.
func seed(b *testing.B, s lineage.Store, n int, reuse bool) {
	if reuse {
		if vs, err := s.GetVersions(b.Context(), []string{rootUID}); err == nil && len(vs) == 1 {
			b.Logf("reusing the %d versions seeded before", n)
			return
		}
		b.Fatalf("the store holds %d versions, but not the root %s: delete it", n, rootUID)
	}
	start := time.Now()
	seeded := storetest.Seed(b, s, n)
	if seeded.Root.UID != rootUID {
		b.Fatalf("storetest.Seed's root is %s, not %s: update rootUID", seeded.Root.UID, rootUID)
	}
	b.Logf("seeded %d versions and %d runs through CreateRun and PutVersion in %s",
		seeded.Versions, seeded.Runs, time.Since(start).Round(time.Millisecond))
}

// openEmbedded returns an embedded store holding the seeded versions. With
// ARTIGRAPH_BENCH_DIR set, its file is kept there and reused.
func openEmbedded(b *testing.B, n int) lineage.Store {
	dir := os.Getenv("ARTIGRAPH_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	path := filepath.Join(dir, "embedded-"+strconv.Itoa(n)+".db")
	_, statErr := os.Stat(path)
	s, err := embedded.Open(path)
	if err != nil {
		b.Fatalf("embedded.Open: %v", err)
	}
	b.Cleanup(func() { s.Close() })
	seeded := false
	defer func() {
		if !seeded { // an interrupted seeding is not to be reused
			s.Close()
			os.Remove(path)
		}
	}()
	seed(b, s, n, statErr == nil)
	seeded = true
	return s
}

// openNeo4j returns a store on the database at NEO4J_URI holding the seeded
// versions, or skips when NEO4J_URI is unset. A database holding exactly
// what Seed writes is reused; any other is emptied first.
func openNeo4j(b *testing.B, n int) lineage.Store {
	uri := os.Getenv("NEO4J_URI")
	if uri == "" {
		if os.Getenv("ARTIGRAPH_REQUIRE_NEO4J") != "" {
			b.Fatal("ARTIGRAPH_REQUIRE_NEO4J is set but NEO4J_URI is not")
		}
		b.Skip("NEO4J_URI is not set: scripts/neo4j start runs a server and prints it")
	}
	cfg := neo4jstore.Config{URI: uri, User: os.Getenv("NEO4J_USER"), Password: os.Getenv("NEO4J_PASSWORD"), Database: os.Getenv("NEO4J_DATABASE")}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := neo4jstore.Open(ctx, cfg)
	if err != nil {
		b.Fatalf("neo4j.Open: %v", err)
	}
	b.Cleanup(func() { s.Close() })
	runs := max(0, (n-1)/2) // Seed's: one per even version but the root
	reuse := count(b, cfg, "MATCH (v:Version) RETURN count(v)") == int64(n) &&
		count(b, cfg, "MATCH (v:Version {project: $p}) RETURN count(v)") == int64(n) &&
		count(b, cfg, "MATCH (r:Run) RETURN count(r)") == int64(runs)
	if !reuse {
		count(b, cfg, "MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS RETURN count(*)")
	}
	seed(b, s, n, reuse)
	return s
}

// count runs a query returning one number in an auto-commit transaction
// (which CALL ... IN TRANSACTIONS needs); $p is the seeded project.
func count(b *testing.B, cfg neo4jstore.Config, q string) int64 {
	ctx := b.Context()
	auth := neo.NoAuth()
	if cfg.User != "" {
		auth = neo.BasicAuth(cfg.User, cfg.Password, "")
	}
	d, err := neo.NewDriverWithContext(cfg.URI, auth)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close(ctx)
	sess := d.NewSession(ctx, neo.SessionConfig{DatabaseName: cfg.Database})
	defer sess.Close(ctx)
	res, err := sess.Run(ctx, q, map[string]any{"p": storetest.BenchProject})
	if err != nil {
		b.Fatalf("%s: %v", q, err)
	}
	var n int64
	if res.Next(ctx) {
		n, _ = res.Record().Values[0].(int64)
	}
	if err := res.Err(); err != nil {
		b.Fatalf("%s: %v", q, err)
	}
	return n
}
