// Command scale loads the benchmark workload (bench/workload) into Artigraph
// through the Go Service in process and through the GraphQL API of a
// server it builds and starts, and into Google ML Metadata (bench/mlmd);
// then it times each query type on each, restarts the server on the loaded
// store, and prints one table (writing it as JSON too).
//
//	go run ./bench/scale -size small                 # embedded store, with MLMD
//	NEO4J_URI=bolt://… go run ./bench/scale -size medium -backend neo4j
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/artigraph/artigraph/bench/workload"
)

type options struct {
	size, backend, out, work string
	mlmd, keep, service      bool
	seed                     uint64
	clients, iterations      int
	budget                   time.Duration
	lineageLimit, impactLim  int
	rpsConns                 int
	rpsTime                  time.Duration
	bulkCalls                int
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.size, "size", "small", "workload size: small (≈10k versions), medium (≈100k), large (≈1M)")
	flag.StringVar(&o.backend, "backend", "embedded", "embedded, or neo4j (at NEO4J_URI; an empty database)")
	flag.BoolVar(&o.service, "service", true, "load and query through the Go Service in this process too (false: over HTTP only)")
	flag.BoolVar(&o.mlmd, "mlmd", true, "load and query ML Metadata too (bench/mlmd, in a cached venv)")
	flag.StringVar(&o.out, "out", "bench/results", "where <size>-<backend>.json is written")
	flag.StringVar(&o.work, "work", "", "work directory for the stores (default: a temporary one, removed after)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory")
	flag.Uint64Var(&o.seed, "seed", 1, "workload seed")
	flag.IntVar(&o.clients, "clients", 8, "concurrent clients of the multi-client ingest")
	flag.IntVar(&o.iterations, "n", 200, "iterations per query")
	flag.DurationVar(&o.budget, "budget", 5*time.Second, "time per query after 3 iterations; fewer iterations when spent")
	// The default complexity budget (50,000) refuses a lineage of 10,000 nodes
	// asking nodes and edges (5,000 passes), and an impact of 10,000 asking
	// artifacts and runs (9,999 passes).
	flag.IntVar(&o.lineageLimit, "lineage-limit", 5000, "node limit of the lineage queries")
	flag.IntVar(&o.impactLim, "impact-limit", 9999, "node limit of the impact queries")
	flag.IntVar(&o.rpsConns, "rps-conns", 32, "connections of the artifact(uri) throughput run")
	flag.DurationVar(&o.rpsTime, "rps-time", 10*time.Second, "length of the artifact(uri) and minimal-handler throughput runs; 0: none")
	flag.IntVar(&o.bulkCalls, "bulk-calls", 20, "logArtifacts calls of 1000 versions timed after the load; 0: none")
	flag.Parse()
	return o
}

func main() {
	log.SetFlags(log.Ltime)
	if addr := os.Getenv(minimalEnv); addr != "" {
		serveMinimal(addr) // the throughput baseline's process
	}
	o := parseFlags()
	if err := run(o); err != nil {
		log.Fatal(err)
	}
}

func run(o options) error {
	spec, err := workload.Sized(o.size, o.seed)
	if err != nil {
		return err
	}
	uri := ""
	if o.backend == "neo4j" {
		if uri = os.Getenv("NEO4J_URI"); uri == "" {
			return fmt.Errorf("-backend neo4j needs NEO4J_URI")
		}
	} else if o.backend != "embedded" {
		return fmt.Errorf("unknown backend %q", o.backend)
	}
	work, cleanup, err := workDir(o)
	if err != nil {
		return err
	}
	defer cleanup()
	r := Result{Size: o.size, Backend: o.backend, Seed: o.seed, Clients: o.clients,
		Started: time.Now().UTC().Format(time.RFC3339), Queries: queries(spec.Targets(), o.lineageLimit, o.impactLim)}
	log.Printf("%s workload on %s, %d CPUs, work in %s", o.size, o.backend, runtime.NumCPU(), work)
	if o.service {
		if err := r.inProcess(o, spec, filepath.Join(work, "service"), uri); err != nil {
			return fmt.Errorf("in process: %w", err)
		}
	}
	if err := r.overHTTP(o, spec, filepath.Join(work, "http"), uri); err != nil {
		return fmt.Errorf("over HTTP: %w", err)
	}
	if o.mlmd {
		if err := r.withMLMD(o, spec, filepath.Join(work, "mlmd")); err != nil {
			return fmt.Errorf("ml metadata: %w", err)
		}
	}
	r.printTable(os.Stdout)
	path, err := r.write(o.out)
	if err == nil {
		log.Printf("wrote %s", path)
	}
	return err
}

func workDir(o options) (string, func(), error) {
	dir := o.work
	var err error
	if dir == "" {
		dir, err = os.MkdirTemp("", "artigraph-scale-")
	} else {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return "", nil, err
	}
	dir, _ = filepath.Abs(dir)
	if o.keep || o.work != "" {
		return dir, func() {}, nil
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}
