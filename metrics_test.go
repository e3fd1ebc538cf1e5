package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func gqlPost(t *testing.T, url, token, query string) (*http.Response, []byte) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func httpGet(t *testing.T, url, token string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// /metrics counts what an operator watches: operations by outcome, store
// calls by method and backend, blob bytes, lineage sizes, the build.
func TestMetricsCountRequestsStoreCallsAndBlobBytes(t *testing.T) {
	s := serve(t)
	gqlPost(t, s.URL, "", `mutation { upsertProject(input: {name: "p"}) { name } }`)
	_, b := gqlPost(t, s.URL, "", `mutation { logArtifact(input: {project: "p", key: "k", kind: MODEL, body: "12345"}) { uri downloadUrl } }`)
	var out struct {
		Data struct {
			LogArtifact struct{ URI, DownloadURL string }
		}
	}
	if err := json.Unmarshal(b, &out); err != nil || out.Data.LogArtifact.URI == "" {
		t.Fatalf("log: %s", b)
	}
	if resp, body := httpGet(t, s.URL+out.Data.LogArtifact.DownloadURL, ""); resp.StatusCode != 200 || body != "12345" {
		t.Fatalf("download %d %q", resp.StatusCode, body)
	}
	gqlPost(t, s.URL, "", `{ lineage(uri: "`+out.Data.LogArtifact.URI+`", direction: UPSTREAM) { nodes { id } } }`)
	gqlPost(t, s.URL, "", `{ project(name: "p") { nope } }`)
	event := `{"eventType": "START", "eventTime": "2026-12-01T10:00:00Z", "producer": "https://example.com/job",
		"schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent",
		"run": {"runId": "0190f7a4-5b1e-7c3a-9d2e-1f0a2b3c4d5e"}, "job": {"namespace": "p", "name": "etl"}}`
	olReq, _ := http.NewRequest(http.MethodPost, s.URL+"/api/v1/lineage", strings.NewReader(event))
	olReq.Header.Set("Content-Type", "application/json")
	olResp, err := http.DefaultClient.Do(olReq)
	if err != nil {
		t.Fatal(err)
	}
	olResp.Body.Close()
	if olResp.StatusCode != http.StatusCreated {
		t.Fatalf("OpenLineage event: %d", olResp.StatusCode)
	}
	resp, m := httpGet(t, s.URL+"/metrics", "")
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics %d: %s", resp.StatusCode, m)
	}
	for _, want := range []string{
		`artigraph_requests_total{code="OK",operation="mutation logArtifact"} 1`,
		`artigraph_requests_total{code="OK",operation="query lineage"} 1`,
		`artigraph_requests_total{code="OK",operation="http GET /api/v1/artifacts/{project}/{uid}/content"} 1`,
		`artigraph_request_duration_seconds_count{operation="mutation upsertProject"} 1`,
		`artigraph_store_call_duration_seconds_count{backend="embedded",method="PutVersion"} 1`,
		`artigraph_blob_bytes_total{direction="in",scheme="file"} 5`,
		`artigraph_blob_bytes_total{direction="out",scheme="file"} 5`,
		`artigraph_lineage_nodes_count 1`,
		`artigraph_build_info{`,
		`artigraph_openlineage_events_total{result="accepted",type="RunEvent"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// A query that fails validation never reaches an operation: it is not
	// counted under a name the client chose.
	if strings.Contains(m, "nope") {
		t.Error("a client's field name reached a metric label")
	}
}

func TestMetricsNeedATokenUnlessOpen(t *testing.T) {
	s := serve(t, "--auth", "token", "--admin-token", "metrics-admin")
	if resp, _ := httpGet(t, s.URL+"/metrics", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("/metrics without a token: %d", resp.StatusCode)
	}
	_, b := gqlPost(t, s.URL, "metrics-admin", `mutation { createToken(input: {name: "prom", role: VIEWER, projects: ["p"]}) { token } }`)
	var out struct {
		Data struct{ CreateToken struct{ Token string } }
	}
	json.Unmarshal(b, &out)
	if resp, body := httpGet(t, s.URL+"/metrics", out.Data.CreateToken.Token); resp.StatusCode != 200 || !strings.Contains(body, "artigraph_build_info") {
		t.Fatalf("/metrics with a VIEWER token: %d", resp.StatusCode)
	}
	open := serve(t, "--auth", "token", "--metrics-open")
	if resp, _ := httpGet(t, open.URL+"/metrics", ""); resp.StatusCode != 200 {
		t.Fatalf("/metrics with --metrics-open: %d", resp.StatusCode)
	}
}

// Every answer carries a request id; an incoming traceparent gives it.
func TestRequestIDs(t *testing.T) {
	s := serve(t)
	resp, _ := httpGet(t, s.URL+"/healthz", "")
	if id := resp.Header.Get("X-Request-Id"); len(id) != 32 {
		t.Fatalf("X-Request-Id %q", id)
	}
	const trace = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/healthz", nil)
	req.Header.Set("traceparent", "00-"+trace+"-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if id := resp.Header.Get("X-Request-Id"); id != trace {
		t.Fatalf("X-Request-Id %q, want the traceparent's trace id", id)
	}
	req.Header.Set("traceparent", "00-zz-bad")
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if id := resp.Header.Get("X-Request-Id"); len(id) != 32 || id == trace {
		t.Fatalf("X-Request-Id %q for a malformed traceparent", id)
	}
}
