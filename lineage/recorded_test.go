package lineage_test

import (
	"context"
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// report is one event of the daily scenario: a run's report or a dataset's.
type report func(ctx context.Context, svc *lineage.Service) error

var day0 = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

func hour(h int) time.Time { return day0.Add(time.Duration(h) * time.Hour) }

func input(key, version string) lineage.DatasetInput {
	return lineage.DatasetInput{Key: key, Version: version, Placeholder: lineage.RecordDatasetRequest{
		Location: "s3://lake/" + key, Extra: []byte(`{"seen":"as input"}`)}}
}

func runReport(uid, name string, state lineage.RunState, h int, inputs ...lineage.DatasetInput) report {
	return func(ctx context.Context, svc *lineage.Service) error {
		_, err := svc.RecordRun(ctx, lineage.RecordRunRequest{Project: "ol", UID: uid, Name: name, State: state, At: hour(h), Inputs: inputs})
		return err
	}
}

func outputReport(uid, name string, h int, key, version string, inputs ...lineage.DatasetInput) report {
	done := runReport(uid, name, lineage.RunCompleted, h, inputs...)
	return func(ctx context.Context, svc *lineage.Service) error {
		if err := done(ctx, svc); err != nil {
			return err
		}
		req := lineage.RecordDatasetRequest{Project: "ol", Key: key, Location: "s3://lake/" + key, RunUID: uid, At: hour(h),
			Extra: []byte(`{"written":"` + uid + `"}`)}
		if version != "" {
			req.Labels = []lineage.Label{{Key: lineage.DatasetVersionLabel, Value: &version}}
		}
		_, err := svc.RecordDataset(ctx, req)
		return err
	}
}

func declaredReport(key string, h int) report {
	return func(ctx context.Context, svc *lineage.Service) error {
		_, err := svc.RecordDataset(ctx, lineage.RecordDatasetRequest{Project: "ol", Key: key, Location: "s3://lake/" + key,
			At: hour(h), Declared: true, Extra: []byte(`{"declared":true}`)})
		return err
	}
}

// dailyReports: two days of a producer writing "orders" (versions 1 and 2)
// and readers of it: by time, by version, before any version exists; a
// dataset nobody produces read twice; a run reading a version by its
// label and by time; a reader of a version nobody writes sharing its
// placeholder with a reader of a written one; a reader that starts before the
// only version of its input is written and reads it again after; a declared
// dataset that gets a producer and one that does not.
func dailyReports() []report {
	return []report{
		runReport("p1", "produce", lineage.RunRunning, 1),
		outputReport("p1", "produce", 2, "orders", "1"),
		runReport("c1", "report", lineage.RunRunning, 3, input("orders", "")),
		outputReport("c1", "report", 4, "summary", "", input("orders", "")),
		runReport("p2", "produce", lineage.RunRunning, 5),
		outputReport("p2", "produce", 6, "orders", "2"),
		runReport("c2", "report", lineage.RunRunning, 7, input("orders", "")),
		outputReport("c2", "report", 8, "summary", "", input("orders", "")),
		runReport("c3", "backfill", lineage.RunRunning, 9, input("orders", "1")),
		runReport("c0", "early", lineage.RunRunning, 0, input("orders", "")),
		runReport("e1", "ext", lineage.RunCompleted, 3, input("external", "")),
		runReport("e2", "ext", lineage.RunCompleted, 4, input("external", "")),
		runReport("p3", "make", lineage.RunRunning, 10),
		outputReport("p3", "make", 11, "fresh", ""),
		runReport("c5", "late", lineage.RunRunning, 10, input("fresh", "")),
		runReport("c5", "late", lineage.RunCompleted, 12, input("fresh", "")),
		runReport("c7", "both", lineage.RunRunning, 7, input("orders", "2")),
		runReport("c7", "both", lineage.RunCompleted, 8, input("orders", "")),
		outputReport("gp", "gold", 2, "gold", ""),
		runReport("g1", "read", lineage.RunRunning, 3, input("gold", "")),
		runReport("g2", "read", lineage.RunRunning, 5, input("gold", "9")),
		declaredReport("summary", 1),
		declaredReport("planned", 2),
	}
}

// recorded is what a user checks: for each run, its start and what it
// read (key@writer, or key@placeholder with its time); for each dataset
// key, its versions (writer, time, tags) and what each derives from.
func recorded(t *testing.T, ctx context.Context, svc *lineage.Service) string {
	t.Helper()
	runs, err := svc.ListRuns(ctx, "ol", lineage.Page{First: 100})
	if err != nil {
		t.Fatal(err)
	}
	vp, err := svc.ListArtifacts(ctx, "ol", lineage.VersionFilter{}, lineage.Page{First: 100})
	if err != nil {
		t.Fatal(err)
	}
	name := map[string]string{}
	var nodes []lineage.NodeRef
	var lines []string
	for _, v := range vp.Versions {
		who := "placeholder"
		if v.Run != nil {
			who = v.Run.UID
		} else if strings.Contains(string(v.Extra), "declared") {
			who = "declared"
		}
		name[v.UID] = fmt.Sprintf("%s@%s", v.Key, who)
		nodes = append(nodes, lineage.VersionNode(v))
		lines = append(lines, fmt.Sprintf("version %s at %s updated %s tags %v", name[v.UID], v.CreatedAt.Format("15h"), v.UpdatedAt.Format("15h"), v.Tags))
	}
	for _, r := range runs.Runs {
		nodes = append(nodes, lineage.RunNode(r.Key()))
		lines = append(lines, fmt.Sprintf("run %s %s started %s", r.UID, r.State, r.StartedAt.Format("15h")))
	}
	edges, err := svc.Edges(ctx, nodes, lineage.Outgoing, lineage.RelConsumed, lineage.RelDerivedFrom)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range edges {
		from := e.From.UID
		if e.From.Type == lineage.NodeArtifact {
			from = name[e.From.UID]
		}
		lines = append(lines, fmt.Sprintf("%s %s %s %s", from, e.Relation, name[e.To.UID], e.Name))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestRecordedReportsInAnyOrder(t *testing.T) {
	apply := func(t *testing.T, reports []report) string {
		svc, admin := newOLService(t)
		if _, err := svc.EnsureProject(admin, "ol", ""); err != nil {
			t.Fatal(err)
		}
		for _, r := range reports {
			if err := r(admin, svc); err != nil {
				t.Fatal(err)
			}
		}
		return recorded(t, admin, svc)
	}
	reports := dailyReports()
	inOrder := apply(t, reports)
	// What the reports say, taken in time order.
	wantLines := []string{
		"c0 CONSUMED orders@placeholder ",
		"c1 CONSUMED orders@p1 ",
		"c2 CONSUMED orders@p2 ",
		"c3 CONSUMED orders@p1 datasetVersion=1",
		"c5 CONSUMED fresh@placeholder ",
		"c7 CONSUMED orders@p2 datasetVersion=2",
		"g1 CONSUMED gold@gp ",
		"g2 CONSUMED gold@placeholder datasetVersion=9",
		"e1 CONSUMED external@placeholder ",
		"e2 CONSUMED external@placeholder ",
		"run c0 RUNNING started 00h",
		"run c1 COMPLETED started 03h",
		"run c2 COMPLETED started 07h",
		"run c3 RUNNING started 09h",
		"run c5 COMPLETED started 10h",
		"run c7 COMPLETED started 07h",
		"run g1 RUNNING started 03h",
		"run g2 RUNNING started 05h",
		"run gp COMPLETED started 02h",
		"run e1 COMPLETED started 03h",
		"run e2 COMPLETED started 04h",
		"run p1 COMPLETED started 01h",
		"run p2 COMPLETED started 05h",
		"run p3 COMPLETED started 10h",
		"summary@c1 DERIVED_FROM orders@p1 ",
		"summary@c2 DERIVED_FROM orders@p2 ",
		"version external@placeholder at 03h updated 03h tags [latest]",
		"version fresh@p3 at 11h updated 11h tags [latest]",
		"version fresh@placeholder at 10h updated 10h tags []",
		"version gold@gp at 02h updated 02h tags []",
		"version gold@placeholder at 05h updated 05h tags [latest]",
		"version orders@p1 at 02h updated 02h tags []",
		"version orders@p2 at 06h updated 06h tags [latest]",
		"version orders@placeholder at 00h updated 00h tags []",
		"version planned@declared at 02h updated 02h tags [latest]",
		"version summary@c1 at 04h updated 04h tags []",
		"version summary@c2 at 08h updated 08h tags [latest]",
	}
	sort.Strings(wantLines)
	want := strings.Join(wantLines, "\n")
	if inOrder != want {
		t.Fatalf("in time order:\n%s\nwant\n%s", inOrder, want)
	}
	t.Run("reversed", func(t *testing.T) {
		if got := apply(t, reversed(reports)); got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	})
	for seed := range int64(25) {
		t.Run(fmt.Sprintf("shuffled-%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			stream := slices.Clone(reports)
			stream = append(stream, stream[rng.Intn(len(stream))], stream[rng.Intn(len(stream))])
			rng.Shuffle(len(stream), func(i, j int) { stream[i], stream[j] = stream[j], stream[i] })
			if got := apply(t, stream); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func reversed(rs []report) []report {
	out := slices.Clone(rs)
	slices.Reverse(out)
	return out
}

func TestRecordedReportsLeaveNamedInputsAlone(t *testing.T) {
	svc, admin := newOLService(t)
	if _, err := svc.EnsureProject(admin, "ol", ""); err != nil {
		t.Fatal(err)
	}
	if err := outputReport("p1", "produce", 2, "orders", "")(admin, svc); err != nil {
		t.Fatal(err)
	}
	first, _, err := svc.Resolve(admin, "store://datasets/ol/orders")
	if err != nil {
		t.Fatal(err)
	}
	// A run started through the API names the version it reads; it starts
	// now, after the version reported next.
	named, err := svc.StartRun(admin, lineage.StartRunRequest{Project: "ol", Name: "api", Inputs: []string{lineage.CanonicalURI(first, "")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := outputReport("p2", "produce", 6, "orders", "")(admin, svc); err != nil {
		t.Fatal(err)
	}
	edges, err := svc.Edges(admin, []lineage.NodeRef{lineage.RunNode(named.Key())}, lineage.Outgoing, lineage.RelConsumed)
	if err != nil {
		t.Fatal(err)
	}
	if len(edges) != 1 || edges[0].To.UID != first.UID {
		t.Errorf("the API run reads %v, want only %s", edges, first.UID)
	}
}

func TestRecordRunRefusesAnOversizedInputVersionBeforeWriting(t *testing.T) {
	svc, admin := newOLService(t)
	if _, err := svc.EnsureProject(admin, "ol", ""); err != nil {
		t.Fatal(err)
	}
	err := runReport("r1", "job", lineage.RunRunning, 1, input("orders", strings.Repeat("v", lineage.MaxLabelValueLen+1)))(admin, svc)
	wantCode(t, "an input version over the label limit", err, lineage.ELIMIT)
	if _, err := svc.Run(admin, lineage.RunKey{Project: "ol", UID: "r1"}); lineage.ErrorCode(err) != lineage.ENOTFOUND {
		t.Errorf("the refused run was recorded: %v", err)
	}
}
