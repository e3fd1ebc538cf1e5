package main

import (
	"log"
	"os"
	"path/filepath"

	"github.com/artigraph/artigraph/bench/workload"
	"github.com/artigraph/artigraph/lineage"
)

// inProcess loads and queries the workload through a Service in this process.
func (r *Result) inProcess(o options, s workload.Spec, dir, neo4jURI string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	p, err := openService(o.backend, dir, neo4jURI)
	if err != nil {
		return err
	}
	defer p.Close()
	log.Printf("in process: loading")
	if err := p.load(s, o.clients); err != nil {
		return err
	}
	r.Service.Ingest = p.ing
	log.Printf("in process: loaded in %.1fs; timing queries", p.ing.Seconds)
	if r.Service.Queries, err = timeAll(r.Queries, o.iterations, o.budget, p.run); err != nil || o.bulkCalls == 0 {
		return err
	}
	log.Printf("in process: %d logArtifacts calls of %d versions", o.bulkCalls, lineage.MaxLogBatch)
	b, err := p.bulk(o.bulkCalls)
	r.Service.Bulk = &b
	return err
}

// overHTTP loads and queries the workload through a server process, reads
// its peak memory, then restarts it on the loaded store.
func (r *Result) overHTTP(o options, s workload.Spec, dir, neo4jURI string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	bin, err := buildServer(dir)
	if err != nil {
		return err
	}
	srv, err := newServer(bin, filepath.Join(dir, "data"), neo4jURI, o.clients)
	if err != nil {
		return err
	}
	defer srv.stop()
	if _, _, err := srv.start(); err != nil {
		return err
	}
	h := newOverHTTP(srv, "")
	log.Printf("over HTTP: loading with %d clients", o.clients)
	if err := h.load(s, o.clients); err != nil {
		return err
	}
	r.HTTP.Ingest = h.ing
	log.Printf("over HTTP: loaded in %.1fs; timing queries", h.ing.Seconds)
	if r.HTTP.Queries, err = timeAll(r.Queries, o.iterations, o.budget, h.run); err != nil {
		return err
	}
	if o.rpsTime > 0 {
		if err := r.loadArtifact(srv, h, o); err != nil {
			return err
		}
	}
	versions := h.ing.Versions
	if o.bulkCalls > 0 {
		log.Printf("over HTTP: %d logArtifacts calls of %d versions", o.bulkCalls, lineage.MaxLogBatch)
		b, err := h.bulk(o.bulkCalls)
		if err != nil {
			return err
		}
		r.HTTP.Bulk, versions = &b, versions+b.Versions
	}
	return r.restart(srv, versions)
}

// restart reads the server's peak memory, stops it and starts it again on
// the same store, timing /healthz and /readyz.
func (r *Result) restart(srv *server, versions int) error {
	peak, err := srv.procKiB("VmHWM")
	if err != nil {
		return err
	}
	r.ServerRSS.PeakKiB, r.ServerRSS.PerVersionBytes = peak, float64(peak*1024)/float64(versions)
	if err := srv.stop(); err != nil {
		return err
	}
	healthz, readyz, err := srv.start()
	if err != nil {
		return err
	}
	r.Start = StartTimes{HealthzMs: ms(healthz), ReadyzMs: ms(readyz)}
	r.ServerRSS.RestartedKiB, err = srv.procKiB("VmRSS")
	log.Printf("restart: /healthz after %.0f ms, /readyz after %.0f ms", r.Start.HealthzMs, r.Start.ReadyzMs)
	return err
}

// withMLMD runs the ML Metadata script on the same workload and queries.
func (r *Result) withMLMD(o options, s workload.Spec, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	log.Printf("ml metadata: loading and timing queries")
	m, err := runMLMD(root, dir, s, r.Queries, o.iterations, o.budget)
	if err != nil {
		return err
	}
	r.MLMD = &m
	log.Printf("ml metadata: loaded in %.1fs", m.Ingest.Seconds)
	return nil
}

// loadArtifact measures artifact(uri) of the first artifact query under load.
func (r *Result) loadArtifact(srv *server, h *overHTTP, o options) error {
	for _, q := range r.Queries {
		if q.Op == "artifact" {
			log.Printf("over HTTP: artifact(uri) and a minimal handler, %d connections, %s each", o.rpsConns, o.rpsTime)
			t, err := throughput(srv, h.uri(q.Ref), o.rpsConns, o.rpsTime)
			r.Throughput = &t
			return err
		}
	}
	return nil
}
