package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/storage"
	"github.com/artigraph/artigraph/api"
	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/storage/embedded"
	"github.com/artigraph/artigraph/storage/fs"
	"github.com/artigraph/artigraph/storage/gcs"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"google.golang.org/api/option"
)

// testServer is a real Artigraph handler over the embedded store and local
// blobs in a temporary directory.
type testServer struct {
	*httptest.Server
	dir   string
	svc   *lineage.Service
	calls *countingStore
}

type serverOption func(*api.Options, *lineage.Config, lineage.BlobRouter)

func newServer(t testing.TB, opts ...serverOption) *testServer {
	t.Helper()
	return newServerOver(t, nil, opts...)
}

// newServerOver is newServer with the store wrapped by wrap (nil: as is),
// for tests that need a store that fails or stalls. The wrapper is given
// to the Service when it is made: nothing is swapped on a live server.
func newServerOver(t testing.TB, wrap func(*countingStore) lineage.Store, opts ...serverOption) *testServer {
	t.Helper()
	dir := t.TempDir()
	store, err := embedded.Open(filepath.Join(dir, "artigraph.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return newServerOn(t, dir, store, wrap, opts...)
}

// newServerOn is a server over store (wrapped by wrap, when not nil), with
// local blobs in dir.
func newServerOn(t testing.TB, dir string, store lineage.Store, wrap func(*countingStore) lineage.Store, opts ...serverOption) *testServer {
	t.Helper()
	counting := &countingStore{Store: store}
	blobs, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := lineage.DefaultConfig()
	cfg.DefaultArtifactPath = dir + "/artifacts/{{project}}"
	o := api.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxQueryDepth: 10,
		MaxComplexity: 50000, MaxUploadBytes: 1 << 20, RequestTimeout: 30 * time.Second}
	router := lineage.BlobRouter{"file": blobs}
	for _, opt := range opts {
		opt(&o, &cfg, router)
	}
	cfg.MaxUploadBytes = o.MaxUploadBytes
	var backend lineage.Store = counting
	if wrap != nil {
		backend = wrap(counting)
	}
	svc := lineage.NewService(backend, router, cfg)
	o.Service = svc
	srv := httptest.NewServer(api.New(o))
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, dir: dir, svc: svc, calls: counting}
}

// gqlError is one entry of a GraphQL response's errors.
type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

func (e gqlError) code() string { c, _ := e.Extensions["code"].(string); return c }

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// do posts a GraphQL request and returns the decoded response.
func (s *testServer) do(t *testing.T, query string, vars map[string]any) gqlResponse {
	t.Helper()
	return s.doAs(t, "", query, vars)
}

// doAs posts a GraphQL request with a bearer token ("" for none).
func (s *testServer) doAs(t *testing.T, token, query string, vars map[string]any) gqlResponse {
	t.Helper()
	header := ""
	if token != "" {
		header = "Bearer " + token
	}
	_, out := s.post(t, header, query, vars)
	return out
}

// post posts a GraphQL request with an Authorization header ("" for none)
// and returns the HTTP status and the decoded response.
func (s *testServer) post(t *testing.T, authorization, query string, vars map[string]any) (int, gqlResponse) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out gqlResponse
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("response is not JSON (%d): %s", resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// mustDo runs a request that must succeed and decodes its data into out.
func (s *testServer) mustDo(t *testing.T, query string, vars map[string]any, out any) {
	t.Helper()
	r := s.do(t, query, vars)
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %+v\nquery: %s", r.Errors, query)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			t.Fatalf("decode %s: %v", r.Data, err)
		}
	}
}

// wantCode runs a request that must fail with the given extensions.code.
func (s *testServer) wantCode(t *testing.T, code, query string, vars map[string]any) gqlError {
	t.Helper()
	r := s.do(t, query, vars)
	if len(r.Errors) == 0 {
		t.Fatalf("want error %s, got data %s\nquery: %s", code, r.Data, query)
	}
	if r.Errors[0].code() != code {
		t.Fatalf("want code %s, got %+v", code, r.Errors)
	}
	return r.Errors[0]
}

// upload sends a GraphQL multipart request with one file as $file.
func (s *testServer) upload(t *testing.T, query string, vars map[string]any, content io.Reader) gqlResponse {
	t.Helper()
	vars["file"] = nil
	ops, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		mw.WriteField("operations", string(ops))
		mw.WriteField("map", `{"0":["variables.file"]}`)
		fw, _ := mw.CreateFormFile("0", "upload.bin")
		io.Copy(fw, content)
		mw.Close()
		pw.Close()
	}()
	resp, err := http.Post(s.URL+"/graphql", mw.FormDataContentType(), pr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out gqlResponse
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("response is not JSON (%d): %s", resp.StatusCode, raw)
	}
	return out
}

func (s *testServer) get(t *testing.T, path string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// countingStore counts store calls, to check that dataloaders batch.
type countingStore struct {
	lineage.Store
	n        atomic.Int64
	mu       sync.Mutex
	byMethod map[string]int64
}

// Unwrap lets lineage find the store's optional abilities (a
// lineage.GraphReader) as the server's metrics wrapper does.
func (c *countingStore) Unwrap() lineage.Store { return c.Store }

func (c *countingStore) reset() int64 {
	c.mu.Lock()
	c.byMethod = nil
	c.mu.Unlock()
	return c.n.Swap(0)
}

// count records one call of a method.
func (c *countingStore) count(method string) {
	c.n.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byMethod == nil {
		c.byMethod = map[string]int64{}
	}
	c.byMethod[method]++
}

// calls returns the calls of each method since the last reset.
func (c *countingStore) calls() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.byMethod)
}

func (c *countingStore) GetVersions(ctx context.Context, uids []string) ([]lineage.Version, error) {
	c.count("GetVersions")
	if debugCalls {
		fmt.Println("GetVersions", len(uids))
	}
	return c.Store.GetVersions(ctx, uids)
}
func (c *countingStore) GetRuns(ctx context.Context, keys []lineage.RunKey) ([]lineage.Run, error) {
	c.count("GetRuns")
	if debugCalls {
		fmt.Println("GetRuns", len(keys))
	}
	return c.Store.GetRuns(ctx, keys)
}
func (c *countingStore) Edges(ctx context.Context, nodes []lineage.NodeRef, dir lineage.EdgeDirection, rels ...lineage.Relation) ([]lineage.Edge, error) {
	c.count("Edges")
	if debugCalls {
		fmt.Println("Edges", len(nodes), dir, rels)
	}
	return c.Store.Edges(ctx, nodes, dir, rels...)
}
func (c *countingStore) ListVersions(ctx context.Context, p string, f lineage.VersionFilter, pg lineage.Page) (lineage.VersionPage, error) {
	c.count("ListVersions")
	return c.Store.ListVersions(ctx, p, f, pg)
}
func (c *countingStore) GetProject(ctx context.Context, name string) (lineage.Project, error) {
	c.count("GetProject")
	return c.Store.GetProject(ctx, name)
}

// seed logs the walkthrough's story: a raw dataset, a training run that
// reads it and logs a chart and a model pointing at the chart.
type story struct {
	Dataset, Chart, Model string // canonical uris
	DatasetUID, ModelUID  string
}

func (s *testServer) seed(t *testing.T) story {
	t.Helper()
	var st story
	s.mustDo(t, `mutation { upsertProject(input: {name: "fraud", description: "fraud detection"}) { name } }`, nil, nil)
	var ds struct{ LogArtifact struct{ URI, UID string } }
	s.mustDo(t, `mutation($body: String!) { logArtifact(input: {project: "fraud", key: "transactions", kind: DATASET,
		body: $body, format: "csv", labels: [{key: "env", value: "prod"}, {key: "gold"}],
		dataset: {header: ["id", "amount"], length: 2, preview: [[1, 9.5], [2, 120]]}}) { uri uid } }`,
		map[string]any{"body": "id,amount\n1,9.5\n2,120\n"}, &ds)
	st.Dataset, st.DatasetUID = ds.LogArtifact.URI, ds.LogArtifact.UID
	s.mustDo(t, `mutation { startRun(input: {project: "fraud", name: "train", uid: "run1", user: "ana",
		pipeline: "nightly", inputs: ["store://datasets/fraud/transactions"]}) { uid } }`, nil, nil)
	var chart struct{ LogArtifact struct{ URI string } }
	s.mustDo(t, `mutation { logArtifact(input: {project: "fraud", key: "roc", kind: PLOT, runUid: "run1",
		body: "<svg xmlns='http://www.w3.org/2000/svg'/>", format: "svg"}) { uri } }`, nil, &chart)
	st.Chart = chart.LogArtifact.URI
	var model struct{ LogArtifact struct{ URI, UID string } }
	s.mustDo(t, `mutation { logArtifact(input: {project: "fraud", key: "classifier", kind: MODEL, runUid: "run1",
		body: "weights", format: "pkl", tag: "v1", sources: ["store://datasets/fraud/transactions"],
		links: [{relation: "chart", uri: "store://artifacts/fraud/roc"}],
		model: {framework: "sklearn", algorithm: "RandomForest", metrics: {auc: 0.91}, parameters: {trees: 100}}}) { uri uid } }`,
		nil, &model)
	st.Model, st.ModelUID = model.LogArtifact.URI, model.LogArtifact.UID
	s.mustDo(t, `mutation { finishRun(project: "fraud", uid: "run1", state: COMPLETED) { state } }`, nil, nil)
	return st
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var _ = strings.Contains

var debugCalls = os.Getenv("DEBUG_CALLS") != ""

// onGCS puts the server artifact path in a bucket of a real GCS API
// implementation (fake-gcs-server, in process), with small resumable chunks.
func onGCS(t testing.TB, srv **fakestorage.Server) serverOption {
	return func(o *api.Options, c *lineage.Config, r lineage.BlobRouter) {
		fake, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", PublicHost: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(fake.Stop)
		fake.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "artifacts"})
		client, err := storage.NewClient(context.Background(), option.WithEndpoint(fake.URL()+"/storage/v1/"),
			option.WithoutAuthentication())
		if err != nil {
			t.Fatal(err)
		}
		r["gs"] = gcs.NewWithClient(client, gcs.Config{ChunkSize: 256 << 10})
		c.ServerArtifactPath = "gs://artifacts/{{project}}"
		*srv = fake
	}
}

// objects lists the fake bucket's object names.
func objects(t testing.TB, fake *fakestorage.Server) []string {
	objs, _, err := fake.ListObjectsWithOptions("artifacts", fakestorage.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range objs {
		names = append(names, o.Name)
	}
	return names
}
