package main

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/artigraph/artigraph/bench/workload"
)

// Query is one query type the benchmark times, described neutrally so the
// Service, the GraphQL API and ML Metadata each run their equivalent.
type Query struct {
	Name      string       `json:"name"`
	Op        string       `json:"op"` // artifact, artifacts, lineage, impact, impact-counts
	Ref       workload.Ref `json:"ref,omitzero"`
	Project   string       `json:"project,omitempty"`
	Labels    []string     `json:"labels,omitempty"`
	TimeRange bool         `json:"timeRange,omitempty"` // the loader's TimeRangeWave window
	Direction string       `json:"direction,omitempty"` // UPSTREAM, DOWNSTREAM
	Depth     int          `json:"depth,omitempty"`
	Limit     int          `json:"limit,omitempty"` // node limit of lineage and impact
}

// pageSize is how many versions the list queries ask for.
const pageSize = 100

// queries lists the query types over the workload's targets.
func queries(t workload.Targets, lineageLimit, impactLimit int) []Query {
	qs := []Query{
		{Name: "artifact(uri)", Op: "artifact", Ref: t.Artifact},
		{Name: "artifacts 1 label", Op: "artifacts", Project: t.Project, Labels: t.OneLabel},
		{Name: "artifacts 2 labels", Op: "artifacts", Project: t.Project, Labels: t.TwoLabels},
		{Name: "artifacts time range", Op: "artifacts", Project: t.Project, TimeRange: true},
	}
	for _, dir := range []string{"UPSTREAM", "DOWNSTREAM"} {
		for _, depth := range []int{1, 3, 10} {
			qs = append(qs, Query{Name: fmt.Sprintf("lineage %s %d", dir[:len(dir)-6], depth), Op: "lineage",
				Ref: t.MidChain, Direction: dir, Depth: depth, Limit: lineageLimit})
		}
	}
	for _, imp := range []struct {
		name string
		ref  workload.Ref
	}{{"hub", t.Hub}, {"mid-chain", t.MidChain}, {"leaf", t.Leaf}} {
		qs = append(qs, Query{Name: "impact " + imp.name, Op: "impact", Ref: imp.ref, Depth: 10, Limit: impactLimit})
	}
	// The counts of everything downstream of the hub, without the listing
	// (limit 1 lists nothing but the start); ML Metadata's answer is its
	// whole subgraph, as for "impact hub".
	return append(qs, Query{Name: "impact hub counts", Op: "impact-counts", Ref: t.Hub, Depth: 10, Limit: 1})
}

// Timing is a query's latency over its iterations, and the size of its
// answer (versions, or nodes) so that sides can be checked alike.
type Timing struct {
	P50ms float64 `json:"p50_ms"`
	P99ms float64 `json:"p99_ms"`
	N     int     `json:"n"`
	Items int     `json:"items"`
}

// timeQuery runs f n times, stopping early (after at least 3) once budget
// is spent, so that a slow query does not hold the run for minutes.
func timeQuery(n int, budget time.Duration, f func() (int, error)) (Timing, error) {
	var ds []time.Duration
	items := 0
	start := time.Now()
	for i := 0; i < n && (i < 3 || time.Since(start) < budget); i++ {
		t := time.Now()
		got, err := f()
		if err != nil {
			return Timing{}, err
		}
		ds = append(ds, time.Since(t))
		items = got
	}
	return Timing{P50ms: ms(percentile(ds, 50)), P99ms: ms(percentile(ds, 99)), N: len(ds), Items: items}, nil
}

func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// timeAll times every query with the runner a side gives.
func timeAll(qs []Query, n int, budget time.Duration, run func(Query) func() (int, error)) (map[string]Timing, error) {
	out := map[string]Timing{}
	for _, q := range qs {
		t, err := timeQuery(n, budget, run(q))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q.Name, err)
		}
		out[q.Name] = t
	}
	return out, nil
}
