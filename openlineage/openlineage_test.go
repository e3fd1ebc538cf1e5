package openlineage_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/artigraph/artigraph/internal/servicetest"
	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/openlineage"
)

// rig is the handler over a fresh Service, called as the operator.
type rig struct {
	svc *lineage.Service
	h   http.Handler
	ctx context.Context
}

func newRig(t *testing.T) *rig {
	t.Helper()
	svc := servicetest.New(t).Service
	return &rig{svc: svc, h: openlineage.New(svc, nil, 1<<20, nil), ctx: lineage.AsOperator(context.Background())}
}

func (r *rig) post(t *testing.T, body []byte, header ...string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/lineage", bytes.NewReader(body)).WithContext(r.ctx)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	r.h.ServeHTTP(w, req)
	return w.Code, w.Body.String()
}

func (r *rig) mustPost(t *testing.T, body []byte) {
	t.Helper()
	if code, msg := r.post(t, body); code != http.StatusCreated {
		t.Fatalf("POST: %d %s\n%s", code, msg, body)
	}
}

// event builds a RunEvent of the chain's shape.
type ds struct {
	ns, name string
	facets   map[string]any
}

func runEvent(typ, runID, job string, at time.Time, parent string, in, out []ds) map[string]any {
	e := map[string]any{
		"eventType": typ, "eventTime": at.Format(time.RFC3339Nano),
		"producer": "https://example.com/test", "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
		"run": map[string]any{"runId": runID, "facets": map[string]any{}},
		"job": map[string]any{"namespace": "fraud", "name": job, "facets": map[string]any{}},
	}
	if parent != "" {
		e["run"].(map[string]any)["facets"] = map[string]any{"parent": map[string]any{
			"_producer": "x", "_schemaURL": "y",
			"run": map[string]any{"runId": "3f5e83fa-3480-44ff-99c5-ff943904e5e8"},
			"job": map[string]any{"namespace": "fraud", "name": parent}}}
	}
	list := func(ds []ds) []any {
		out := []any{}
		for _, d := range ds {
			out = append(out, map[string]any{"namespace": d.ns, "name": d.name, "facets": d.facets})
		}
		return out
	}
	e["inputs"], e["outputs"] = list(in), list(out)
	return e
}

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

const (
	extractID   = "0190a1b2-0000-7000-8000-000000000001"
	transformID = "0190a1b2-0000-7000-8000-000000000002"
	trainID     = "0190a1b2-0000-7000-8000-000000000003"
)

// chain is extract → transform → train, START and COMPLETE each.
func chain() []map[string]any {
	schema := map[string]any{"schema": map[string]any{"_producer": "x", "_schemaURL": "y",
		"fields": []any{map[string]any{"name": "id", "type": "INTEGER"}, map[string]any{"name": "amount", "type": "DOUBLE"}}}}
	src := ds{"postgres://db:5432", "public.transactions", map[string]any{
		"dataSource": map[string]any{"_producer": "x", "_schemaURL": "y", "name": "db", "uri": "postgres://db:5432/shop"}}}
	raw := ds{"s3://lake", "raw/transactions", schema}
	feat := ds{"s3://lake", "features/transactions", map[string]any{
		"ownership": map[string]any{"_producer": "x", "_schemaURL": "y", "owners": []any{map[string]any{"name": "team:fraud"}}},
		"columnLineage": map[string]any{"_producer": "x", "_schemaURL": "y", "fields": map[string]any{
			"amount": map[string]any{"inputFields": []any{map[string]any{"namespace": "s3://lake", "name": "raw/transactions", "field": "amount"}}}}}}}
	model := ds{"s3://lake", "models/fraud", nil}
	m := func(m time.Duration) time.Time { return t0.Add(m * time.Minute) }
	return []map[string]any{
		runEvent("START", extractID, "extract", m(0), "nightly", []ds{src}, nil),
		runEvent("COMPLETE", extractID, "extract", m(1), "nightly", []ds{src}, []ds{raw}),
		runEvent("START", transformID, "transform", m(2), "nightly", []ds{raw}, nil),
		runEvent("COMPLETE", transformID, "transform", m(3), "nightly", []ds{raw}, []ds{feat}),
		runEvent("START", trainID, "train", m(4), "nightly", []ds{feat}, nil),
		runEvent("COMPLETE", trainID, "train", m(5), "nightly", []ds{feat}, []ds{model}),
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// snapshot describes everything a project holds: runs, versions, edges.
func (r *rig) snapshot(t *testing.T, project string) string {
	t.Helper()
	var lines []string
	rp, err := r.svc.ListRuns(r.ctx, project, lineage.Page{First: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var nodes []lineage.NodeRef
	for _, run := range rp.Runs {
		lines = append(lines, fmt.Sprintf("run %s %s %s pipeline=%s start=%s finish=%v labels=%v", run.UID, run.Name, run.State, run.Pipeline, run.StartedAt, run.FinishedAt, labels(run.Labels)))
		nodes = append(nodes, lineage.RunNode(run.Key()))
	}
	vp, err := r.svc.ListArtifacts(r.ctx, project, lineage.VersionFilter{}, lineage.Page{First: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vp.Versions {
		lines = append(lines, fmt.Sprintf("version %s %s %s tree=%s owner=%s at=%v updated=%v tags=%v src=%v labels=%v extra=%s",
			v.Key, v.UID, v.TargetPath, v.Tree, v.Owner, v.CreatedAt, v.UpdatedAt, v.Tags, v.ExternalSources, labels(v.Labels), v.Extra))
		nodes = append(nodes, lineage.VersionNode(v))
	}
	edges, err := r.svc.Edges(r.ctx, nodes, lineage.Outgoing)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range edges {
		lines = append(lines, fmt.Sprintf("edge %s/%s -%s-> %s/%s", e.From.Type, e.From.UID, e.Relation, e.To.Type, e.To.UID))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func labels(ls []lineage.Label) []string {
	var out []string
	for _, l := range ls {
		if l.Value != nil {
			out = append(out, l.Key+"="+*l.Value)
		} else {
			out = append(out, l.Key)
		}
	}
	return out
}

func TestChainMapping(t *testing.T) {
	r := newRig(t)
	for _, e := range chain() {
		r.mustPost(t, mustJSON(t, e))
	}
	train, err := r.svc.Run(r.ctx, lineage.RunKey{Project: "fraud", UID: trainID})
	if err != nil {
		t.Fatal(err)
	}
	if train.Name != "train" || train.State != lineage.RunCompleted || train.Pipeline != "nightly" ||
		!train.StartedAt.Equal(t0.Add(4*time.Minute)) || !train.FinishedAt.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("train run = %+v", train)
	}
	model, _, err := r.svc.Resolve(r.ctx, "store://datasets/fraud/"+lineage.DatasetKey("s3://lake", "models/fraud"))
	if err != nil {
		t.Fatal(err)
	}
	if model.Kind != lineage.KindDataset || model.Run == nil || model.Run.UID != trainID || model.TargetPath != "s3://lake/models/fraud" {
		t.Errorf("model = %+v", model)
	}
	// Upstream from the model reaches the source table through every run.
	depth := 10
	g, err := r.svc.Lineage(r.ctx, lineage.CanonicalURI(model, ""), lineage.Upstream, &depth, nil)
	if err != nil {
		t.Fatal(err)
	}
	runs := map[string]bool{}
	for _, n := range g.Nodes {
		if n.Ref.Type == lineage.NodeRun {
			runs[n.Ref.UID] = true
		}
	}
	if !runs[extractID] || !runs[transformID] || !runs[trainID] {
		t.Errorf("upstream runs %v", runs)
	}
	feat, _, err := r.svc.Resolve(r.ctx, "store://datasets/fraud/"+lineage.DatasetKey("s3://lake", "features/transactions"))
	if err != nil {
		t.Fatal(err)
	}
	if feat.Owner != "team:fraud" || !strings.Contains(string(feat.Extra), `"columnLineage"`) {
		t.Errorf("features: owner %q extra %s", feat.Owner, feat.Extra)
	}
	raw, _, err := r.svc.Resolve(r.ctx, "store://datasets/fraud/"+lineage.DatasetKey("s3://lake", "raw/transactions"))
	if err != nil {
		t.Fatal(err)
	}
	if raw.Dataset == nil || !slices.Equal(raw.Dataset.Header, []string{"id", "amount"}) || !strings.Contains(string(raw.Dataset.Schema), `"DOUBLE"`) {
		t.Errorf("raw dataset info %+v", raw.Dataset)
	}
	src, _, err := r.svc.Resolve(r.ctx, "store://datasets/fraud/"+lineage.DatasetKey("postgres://db:5432", "public.transactions"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(src.ExternalSources, "postgres://db:5432/shop") || src.Run != nil {
		t.Errorf("source: external %v run %v", src.ExternalSources, src.Run)
	}
}

func TestOrderAndRepeatsGiveTheSameResult(t *testing.T) {
	events := chain()
	want := func() string {
		r := newRig(t)
		for _, e := range events {
			r.mustPost(t, mustJSON(t, e))
		}
		return r.snapshot(t, "fraud")
	}()
	t.Run("one batch, shuffled and repeated", func(t *testing.T) {
		r := newRig(t)
		batch := append(slices.Clone(events), events...)
		rand.New(rand.NewSource(1)).Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
		r.mustPost(t, mustJSON(t, batch))
		if got := r.snapshot(t, "fraud"); got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	})
	t.Run("each COMPLETE before its START, each event twice", func(t *testing.T) {
		r := newRig(t)
		for i := 0; i < len(events); i += 2 {
			for _, e := range []map[string]any{events[i+1], events[i], events[i+1], events[i]} {
				r.mustPost(t, mustJSON(t, e))
			}
		}
		if got := r.snapshot(t, "fraud"); got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	})
	t.Run("consumers before producers: the stream reversed", func(t *testing.T) {
		r := newRig(t)
		for _, e := range slices.Backward(events) {
			r.mustPost(t, mustJSON(t, e))
		}
		if got := r.snapshot(t, "fraud"); got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	})
	t.Run("one request per event, shuffled, some repeated", func(t *testing.T) {
		for seed := range int64(20) {
			r := newRig(t)
			rng := rand.New(rand.NewSource(seed))
			stream := append(slices.Clone(events), events[rng.Intn(len(events))], events[rng.Intn(len(events))])
			rng.Shuffle(len(stream), func(i, j int) { stream[i], stream[j] = stream[j], stream[i] })
			for _, e := range stream {
				r.mustPost(t, mustJSON(t, e))
			}
			if got := r.snapshot(t, "fraud"); got != want {
				t.Fatalf("seed %d: got\n%s\nwant\n%s", seed, got, want)
			}
		}
	})
	t.Run("the whole stream again", func(t *testing.T) {
		r := newRig(t)
		for range 2 {
			for _, e := range events {
				r.mustPost(t, mustJSON(t, e))
			}
		}
		if got := r.snapshot(t, "fraud"); got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	})
}

func TestMalformedBatchWritesNothing(t *testing.T) {
	r := newRig(t)
	events := chain()
	bad := mustJSON(t, events[1])
	var e map[string]any
	json.Unmarshal(bad, &e)
	delete(e["run"].(map[string]any), "runId")
	code, msg := r.post(t, mustJSON(t, []any{events[0], e, events[2]}))
	if code != http.StatusBadRequest || !strings.Contains(msg, "events[1].run.runId") {
		t.Fatalf("got %d %s", code, msg)
	}
	ps, err := r.svc.ListProjects(r.ctx)
	if err != nil || len(ps) != 0 {
		t.Fatalf("projects after a refused batch: %v %v", ps, err)
	}
}

func TestValidationNamesTheField(t *testing.T) {
	r := newRig(t)
	base := func() map[string]any { return chain()[1] }
	cases := []struct {
		name, field string
		edit        func(e map[string]any)
	}{
		{"no eventTime", "eventTime", func(e map[string]any) { delete(e, "eventTime") }},
		{"bad eventTime", "eventTime", func(e map[string]any) { e["eventTime"] = "yesterday" }},
		{"no producer", "producer", func(e map[string]any) { delete(e, "producer") }},
		{"no schemaURL", "schemaURL", func(e map[string]any) { delete(e, "schemaURL") }},
		{"runId not a UUID", "run.runId", func(e map[string]any) { e["run"].(map[string]any)["runId"] = "run-1" }},
		{"runId a number", "run.runId", func(e map[string]any) { e["run"].(map[string]any)["runId"] = 7 }},
		{"no job", "job", func(e map[string]any) { delete(e, "job") }},
		{"no job namespace", "job.namespace", func(e map[string]any) { delete(e["job"].(map[string]any), "namespace") }},
		{"no job name", "job.name", func(e map[string]any) { delete(e["job"].(map[string]any), "name") }},
		{"bad eventType", "eventType", func(e map[string]any) { e["eventType"] = "DONE" }},
		{"output without name", "outputs[0].name", func(e map[string]any) {
			delete(e["outputs"].([]any)[0].(map[string]any), "name")
		}},
		{"input version too long", "inputs[0].facets.version.datasetVersion", func(e map[string]any) {
			e["inputs"].([]any)[0].(map[string]any)["facets"] = map[string]any{"version": map[string]any{
				"_producer": "x", "_schemaURL": "y", "datasetVersion": strings.Repeat("v", lineage.MaxLabelValueLen+1)}}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := base()
			c.edit(e)
			code, msg := r.post(t, mustJSON(t, e))
			if code != http.StatusBadRequest || !strings.Contains(msg, c.field) {
				t.Errorf("got %d %s, want 400 naming %s", code, msg, c.field)
			}
		})
	}
	for _, body := range []string{"", "{", "[]", "42", `[{"eventTime": 1}]`} {
		if code, msg := r.post(t, []byte(body)); code != http.StatusBadRequest {
			t.Errorf("%q: got %d %s, want 400", body, code, msg)
		}
	}
	// eventType is optional for a RunEvent.
	e := base()
	delete(e, "eventType")
	if code, msg := r.post(t, mustJSON(t, e)); code != http.StatusCreated {
		t.Errorf("no eventType: %d %s", code, msg)
	}
}

func gz(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGzipAndLimits(t *testing.T) {
	r := newRig(t)
	code, msg := r.post(t, gz(t, mustJSON(t, chain())), "Content-Encoding", "gzip")
	if code != http.StatusCreated {
		t.Fatalf("gzip batch: %d %s", code, msg)
	}
	if _, err := r.svc.Run(r.ctx, lineage.RunKey{Project: "fraud", UID: trainID}); err != nil {
		t.Fatal(err)
	}
	// A small gzip of a body larger than the cap (1 MiB here) stops at the cap.
	bomb := gz(t, append([]byte(`[`), bytes.Repeat([]byte(" "), 8<<20)...))
	if code, msg := r.post(t, bomb, "Content-Encoding", "gzip"); code != http.StatusRequestEntityTooLarge {
		t.Errorf("gzip bomb: %d %s", code, msg)
	}
	if code, msg := r.post(t, bytes.Repeat([]byte(" "), 2<<20)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("large body: %d %s", code, msg)
	}
	if code, msg := r.post(t, []byte("not gzip"), "Content-Encoding", "gzip"); code != http.StatusBadRequest {
		t.Errorf("bad gzip: %d %s", code, msg)
	}
	if code, msg := r.post(t, []byte("{}"), "Content-Encoding", "br"); code != http.StatusUnsupportedMediaType {
		t.Errorf("br: %d %s", code, msg)
	}
}

func TestReplaySpecExamples(t *testing.T) {
	r := newRig(t)
	data, err := os.ReadFile("testdata/spec-examples.json")
	if err != nil {
		t.Fatal(err)
	}
	r.mustPost(t, data)
	first := r.snapshot(t, "my-scheduler-namespace")
	// One by one, then again, it gives the same.
	var events []json.RawMessage
	json.Unmarshal(data, &events)
	r2 := newRig(t)
	for range 2 {
		for _, e := range events {
			r2.mustPost(t, e)
		}
	}
	if again := r2.snapshot(t, "my-scheduler-namespace"); again != first {
		t.Errorf("one by one, twice:\n%s\nwant\n%s", again, first)
	}
	run, err := r.svc.Run(r.ctx, lineage.RunKey{Project: "my-scheduler-namespace", UID: "ea041791-68bc-4ae1-bd89-4c8106a157e4"})
	if err != nil {
		t.Fatal(err)
	}
	if run.State != lineage.RunCompleted || run.Name != "myjob.mytask" || run.Pipeline != "myjob.mytask" ||
		run.StartedAt.Format(time.RFC3339Nano) != "2020-12-28T19:50:01.641Z" || run.FinishedAt.Format(time.RFC3339Nano) != "2020-12-28T19:51:01.641Z" {
		t.Errorf("run = %+v", run)
	}
	if _, err := r.svc.Run(r.ctx, lineage.RunKey{Project: "openlineage", UID: "69f4acab-b87d-4fc0-b27b-8ea950370ff3"}); err != nil {
		t.Errorf("the zone-less START: %v", err)
	}
	out, _, err := r.svc.Resolve(r.ctx, "store://datasets/my-scheduler-namespace/"+lineage.DatasetKey("my-datasource-namespace", "instance.schema.table"))
	if err != nil {
		t.Fatal(err)
	}
	if out.Run == nil || !strings.Contains(string(out.Extra), "outputStatistics") || out.Dataset == nil || out.Dataset.Header[0] != "column1" {
		t.Errorf("output = %+v extra %s", out, out.Extra)
	}
	other, _, err := r.svc.Resolve(r.ctx, "store://datasets/my-datasource-namespace/"+lineage.DatasetKey("my-datasource-namespace", "instance.schema.other"))
	if err != nil {
		t.Fatal(err)
	}
	if v := other.Labels; len(v) != 1 || *v[0].Value != "2" {
		t.Errorf("DatasetEvent's version label: %+v", v)
	}
	view, _, err := r.svc.Resolve(r.ctx, "store://datasets/my-scheduler-namespace/"+lineage.DatasetKey("my-datasource-namespace", "instance.schema.view"))
	if err != nil || !strings.Contains(string(view.Extra), "CUSTOMERS_ID") {
		t.Errorf("JobEvent's output: %v %s", err, view.Extra)
	}
}

func TestNameMapping(t *testing.T) {
	for _, ns := range []string{"fraud", "My_Namespace", "spark://host:7077", "airflow-prod"} {
		p := openlineage.ProjectName(ns)
		if err := lineage.ValidateProjectName(p); err != nil {
			t.Errorf("ProjectName(%q) = %q: %v", ns, p, err)
		}
		if lineage.ValidateProjectName(ns) == nil && p != ns {
			t.Errorf("ProjectName(%q) = %q, want itself", ns, p)
		}
	}
	if openlineage.ProjectName("A") == openlineage.ProjectName("a") {
		t.Error("A and a share a project")
	}
	for _, job := range []string{"dag.task", "my dag/task", "spark_app.execute_insert"} {
		n := openlineage.RunName(job)
		if err := (lineage.StartRunRequest{Name: n}).Validate(); err != nil {
			t.Errorf("RunName(%q) = %q: %v", job, n, err)
		}
	}
	r := newRig(t)
	e := chain()[0]
	e["job"].(map[string]any)["namespace"] = "Airflow_Prod"
	r.mustPost(t, mustJSON(t, e))
	if _, err := r.svc.Run(r.ctx, lineage.RunKey{Project: openlineage.ProjectName("Airflow_Prod"), UID: extractID}); err != nil {
		t.Error(err)
	}
}
