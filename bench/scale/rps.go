package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"sync"
	"time"

	"github.com/artigraph/artigraph/bench/benchfile"
)

// The throughput baseline: a minimal net/http JSON handler, in a process of
// its own as the server is, under the same load generator. This command runs
// as that process when minimalEnv names the address.
const minimalEnv = "ARTIGRAPH_BENCH_MINIMAL_ADDR"

// RPS is one closed-loop load: conns connections sending requests back to
// back for a while.
type RPS struct {
	Conns     int     `json:"conns"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"`
	P50Ms     float64 `json:"p50_ms"`
	P99Ms     float64 `json:"p99_ms"`
}

// Throughput is artifact(uri) over HTTP against the minimal handler.
type Throughput struct {
	Artifact RPS     `json:"artifact_uri"`
	Minimal  RPS     `json:"minimal_net_http"`
	Ratio    float64 `json:"ratio"` // Artifact.PerSecond / Minimal.PerSecond
}

// serveMinimal answers every request with a small JSON object, as a
// server's fastest possible answer; it never returns.
func serveMinimal(addr string) {
	answer := []byte(`{"data":{"artifact":{"uri":"store://models/p/k","key":"k","kind":"MODEL"}}}`)
	log.Fatal(http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(answer)
	})))
}

// throughput loads the server with artifact(uri) of uri, then the minimal
// handler with the same requests, conns connections each, for d each.
func throughput(srv *server, uri string, conns int, d time.Duration) (Throughput, error) {
	body, _ := json.Marshal(map[string]any{"query": `query($u: String!) { artifact(uri: $u) { uri key kind } }`,
		"variables": map[string]any{"u": uri}})
	var t Throughput
	var err error
	if t.Artifact, err = closedLoop("http://"+srv.addr+"/graphql", body, conns, d); err != nil {
		return t, err
	}
	addr, err := benchfile.FreeAddr()
	if err != nil {
		return t, err
	}
	self, err := os.Executable()
	if err != nil {
		return t, err
	}
	cmd := exec.Command(self)
	cmd.Env, cmd.Stderr = append(os.Environ(), minimalEnv+"="+addr), os.Stderr
	if err := cmd.Start(); err != nil {
		return t, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	minimal := &server{addr: addr, c: newClient("http://"+addr, 1), exited: make(chan struct{}), log: os.Stderr}
	if _, err := minimal.until("/", time.Now()); err != nil {
		return t, err
	}
	if t.Minimal, err = closedLoop("http://"+addr+"/graphql", body, conns, d); err != nil {
		return t, err
	}
	t.Ratio = t.Artifact.PerSecond / t.Minimal.PerSecond
	return t, nil
}

// closedLoop posts body to url from conns connections, each sending its
// next request when the last is answered, for d; every answer must be 200.
func closedLoop(url string, body []byte, conns int, d time.Duration) (RPS, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	c := &http.Client{Transport: tr, Timeout: time.Minute}
	defer tr.CloseIdleConnections()
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(stop) {
				t0 := time.Now()
				resp, err := c.Post(url, "application/json", bytes.NewReader(body))
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("%s answered %s", url, resp.Status)
					}
				}
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if firstErr != nil {
		return RPS{}, firstErr
	}
	slices.Sort(lat)
	r := RPS{Conns: conns, Seconds: d.Seconds(), PerSecond: float64(len(lat)) / d.Seconds()}
	if n := len(lat); n > 0 {
		r.P50Ms, r.P99Ms = ms(lat[n/2]), ms(lat[n*99/100])
	}
	return r, nil
}
