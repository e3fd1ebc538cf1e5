package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/artigraph/artigraph/lineage"
)

// Side is one way into Artigraph: its load and its query timings.
type Side struct {
	Ingest  Ingest            `json:"ingest"`
	Queries map[string]Timing `json:"queries"`
	Bulk    *Bulk             `json:"bulk,omitempty"`
}

// Result is everything one run measured; it is written as JSON.
type Result struct {
	Size      string      `json:"size"`
	Backend   string      `json:"backend"`
	Seed      uint64      `json:"seed"`
	Clients   int         `json:"clients"`
	Started   string      `json:"started"`
	Queries   []Query     `json:"queries"`
	Service   Side        `json:"service"`
	HTTP      Side        `json:"http"`
	Start     StartTimes  `json:"start"`
	ServerRSS ServerRSS   `json:"server_rss"`
	MLMD      *MLMDResult `json:"mlmd,omitempty"`
	// Throughput is artifact(uri) under load against a minimal handler.
	Throughput *Throughput `json:"throughput,omitempty"`
}

// StartTimes is the restart on the loaded store: until /healthz and /readyz answer 200.
type StartTimes struct {
	HealthzMs float64 `json:"healthz_ms"`
	ReadyzMs  float64 `json:"readyz_ms"`
}

// ServerRSS is the server's peak resident memory (VmHWM) after the load and
// the queries, and its resident memory once ready after the restart.
type ServerRSS struct {
	PeakKiB         int64   `json:"peak_kib"`
	PerVersionBytes float64 `json:"peak_bytes_per_version"`
	RestartedKiB    int64   `json:"restarted_ready_kib"`
}

func (r Result) write(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, r.Size+"-"+r.Backend+".json")
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	return path, os.WriteFile(path, append(b, '\n'), 0o644)
}

// printTable prints the queries, then ingest, start and memory.
func (r Result) printTable(out io.Writer) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintf(w, "query\tin process p50 / p99 ms\tHTTP p50 / p99 ms\tMLMD p50 / p99 ms\tMLMD/HTTP (p50)\tanswer size svc / http / mlmd\t\n")
	for _, q := range r.Queries {
		h := r.HTTP.Queries[q.Name]
		svc, svcItems := "-", "-"
		if s, ok := r.Service.Queries[q.Name]; ok {
			svc, svcItems = pair(s), fmt.Sprint(s.Items)
		}
		m, ok := r.mlmdTiming(q.Name)
		mlmd, ratio, items := "-", "-", "-"
		if ok {
			mlmd, ratio, items = pair(m), fmt.Sprintf("%.1f×", m.P50ms/h.P50ms), fmt.Sprint(m.Items)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s / %d / %s\t\n", q.Name, svc, pair(h), mlmd, ratio, svcItems, h.Items, items)
	}
	w.Flush()
	r.printIngest(out)
}

// mlmdTiming answers MLMD's timing of a query, if MLMD ran it.
func (r Result) mlmdTiming(name string) (Timing, bool) {
	if r.MLMD == nil {
		return Timing{}, false
	}
	t, ok := r.MLMD.Queries[name]
	return t, ok
}

func (r Result) printIngest(out io.Writer) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	s, h := r.Service.Ingest, r.HTTP.Ingest
	fmt.Fprintf(w, "\nwhat\tin process\tHTTP\tMLMD\t\n")
	mlmdRate, mlmdLoad := "-", "-"
	if r.MLMD != nil {
		mlmdRate = fmt.Sprintf("%.0f (batched, one client)", r.MLMD.Ingest.VersionsPerS)
		mlmdLoad = fmt.Sprintf("%.1f (file %.0f MB)", r.MLMD.Ingest.Seconds, float64(r.MLMD.Ingest.FileBytes)/1e6)
	}
	// In process is "-" when that side did not run (-service=false).
	svc := func(format string, v float64) string {
		if s.Versions == 0 {
			return "-"
		}
		return fmt.Sprintf(format, v)
	}
	fmt.Fprintf(w, "ingest versions/s, 1 client\t%s\t%.0f\t%s\t\n", svc("%.0f", s.OneClientPerS), h.OneClientPerS, mlmdRate)
	fmt.Fprintf(w, "ingest versions/s, %d clients\t%s\t%.0f\t-\t\n", r.Clients, svc("%.0f", s.ManyClientPerS), h.ManyClientPerS)
	if hb := r.HTTP.Bulk; hb != nil {
		sb := "-"
		if r.Service.Bulk != nil {
			sb = fmt.Sprintf("%.0f", r.Service.Bulk.PerS)
		}
		fmt.Fprintf(w, "logArtifacts, %d a call, versions/s (%d calls)\t%s\t%.0f\t-\t\n", lineage.MaxLogBatch, hb.Calls, sb, hb.PerS)
	}
	fmt.Fprintf(w, "whole load, s (%d versions, %d runs)\t%s\t%.1f\t%s\t\n", h.Versions, h.Runs, svc("%.1f", s.Seconds), h.Seconds, mlmdLoad)
	fmt.Fprintf(w, "restart: /healthz 200 after, ms\t-\t%.0f\t-\t\n", r.Start.HealthzMs)
	fmt.Fprintf(w, "restart: /readyz 200 after, ms\t-\t%.0f\t-\t\n", r.Start.ReadyzMs)
	fmt.Fprintf(w, "server peak RSS (VmHWM), MiB\t-\t%.0f (%.0f B/version)\t-\t\n",
		float64(r.ServerRSS.PeakKiB)/1024, r.ServerRSS.PerVersionBytes)
	fmt.Fprintf(w, "server RSS once ready after restart, MiB\t-\t%.0f\t-\t\n", float64(r.ServerRSS.RestartedKiB)/1024)
	if t := r.Throughput; t != nil {
		fmt.Fprintf(w, "artifact(uri) req/s, %d connections (p99 ms)\t-\t%.0f (%.2f)\t-\t\n", t.Artifact.Conns, t.Artifact.PerSecond, t.Artifact.P99Ms)
		fmt.Fprintf(w, "minimal net/http JSON handler req/s (p99 ms)\t-\t%.0f (%.2f)\t-\t\n", t.Minimal.PerSecond, t.Minimal.P99Ms)
		fmt.Fprintf(w, "artifact(uri) / minimal handler\t-\t%.0f%%\t-\t\n", 100*t.Ratio)
	}
	w.Flush()
}

func pair(t Timing) string { return fmt.Sprintf("%.2f / %.2f", t.P50ms, t.P99ms) }
