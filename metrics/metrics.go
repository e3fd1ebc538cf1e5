// Package metrics exposes Artigraph's Prometheus metrics: requests by
// operation and outcome, store calls by method and backend, blob bytes in
// and out, lineage nodes visited, and build information. It wraps the
// domain's interfaces (lineage.Store, lineage.Blobs) rather than reaching
// into them, so the domain stays free of the dependency.
package metrics

import (
	"net/http"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds one server's collectors in its own registry, so that two
// servers in one process (tests) never share counts.
type Metrics struct {
	reg          *prometheus.Registry
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	storeCalls   *prometheus.HistogramVec
	blobBytes    *prometheus.CounterVec
	lineageNodes prometheus.Histogram
	events       *prometheus.CounterVec
}

// New registers the collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "artigraph_requests_total",
		Help: "Requests by operation (GraphQL operation name, or the HTTP route) and outcome code (OK or the error code).",
	}, []string{"operation", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "artigraph_request_duration_seconds",
		Help:    "Request latency by operation.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"operation"})
	m.storeCalls = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "artigraph_store_call_duration_seconds",
		Help:    "Metadata store call latency by method and backend.",
		Buckets: prometheus.ExponentialBuckets(0.00005, 2, 18),
	}, []string{"method", "backend"})
	m.blobBytes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "artigraph_blob_bytes_total",
		Help: "Content bytes written to (in) and read from (out) the blob stores, by scheme.",
	}, []string{"direction", "scheme"})
	m.lineageNodes = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "artigraph_lineage_nodes",
		Help:    "Nodes in each lineage or impact answer.",
		Buckets: prometheus.ExponentialBuckets(1, 4, 8),
	})
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "artigraph_openlineage_events_total",
		Help: "OpenLineage events received, by event type and result (accepted, or the error code).",
	}, []string{"type", "result"})
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "artigraph_build_info",
		Help: "The running build: its module version and Go version (always 1).",
	}, []string{"version", "goversion"})
	version, goVersion := "(devel)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		version, goVersion = bi.Main.Version, bi.GoVersion
	}
	info.WithLabelValues(version, goVersion).Set(1)
	m.reg.MustRegister(m.requests, m.duration, m.storeCalls, m.blobBytes, m.lineageNodes, m.events, info,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Request records one request's operation, outcome code and latency.
func (m *Metrics) Request(operation, code string, d time.Duration) {
	m.requests.WithLabelValues(operation, code).Inc()
	m.duration.WithLabelValues(operation).Observe(d.Seconds())
}

// OpenLineageEvent records one OpenLineage event and its result.
func (m *Metrics) OpenLineageEvent(eventType, result string) {
	m.events.WithLabelValues(eventType, result).Inc()
}
