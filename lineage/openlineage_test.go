package lineage_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/artigraph/artigraph/internal/servicetest"
	"github.com/artigraph/artigraph/lineage"
)

func newOLService(t *testing.T) (*lineage.Service, context.Context) {
	t.Helper()
	svc := servicetest.New(t, servicetest.WithTokens).Service
	admin, err := svc.Authenticate(context.Background(), servicetest.AdminToken)
	if err != nil {
		t.Fatal(err)
	}
	return svc, admin
}

func TestDatasetKey(t *testing.T) {
	pairs := [][2]string{
		{"postgres://db:5432", "public.orders"}, {"postgres://db:5432", "public.orders2"},
		{"postgres://db:5433", "public.orders"}, {"s3://bucket", "a/b"}, {"s3://bucket", "a-b"},
		{"s3://bucket/a", "b"}, {"a.b", "c"}, {"a", "b.c"}, {"..", ".."}, {"ünïcode", "表"},
		{"x", string(make([]byte, 3000))},
	}
	seen := map[string][2]string{}
	for _, p := range pairs {
		k := lineage.DatasetKey(p[0], p[1])
		if err := lineage.ValidateKey(k); err != nil {
			t.Errorf("DatasetKey(%q, %q) = %q: %v", p[0], p[1], k, err)
		}
		if k != lineage.DatasetKey(p[0], p[1]) {
			t.Errorf("DatasetKey(%q, %q) is not deterministic", p[0], p[1])
		}
		if o, ok := seen[k]; ok {
			t.Errorf("%v and %v share key %q", o, p, k)
		}
		seen[k] = p
	}
	if k := lineage.DatasetKey("postgres://db:5432", "public.orders"); k[:len("postgres-db-5432.public.orders-")] != "postgres-db-5432.public.orders-" {
		t.Errorf("key %q is not readable", k)
	}
}

func TestRecordRunInAnyOrder(t *testing.T) {
	svc, admin := newOLService(t)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	start := lineage.RecordRunRequest{Project: "ol", UID: "u1", Name: "job", State: lineage.RunRunning, At: t0}
	done := start
	done.State, done.At = lineage.RunCompleted, t0.Add(time.Minute)
	if _, err := svc.EnsureProject(admin, "ol", ""); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		reqs []lineage.RecordRunRequest
	}{
		{"in order", []lineage.RecordRunRequest{start, done}},
		{"complete first", []lineage.RecordRunRequest{done, start}},
		{"repeated", []lineage.RecordRunRequest{start, start, done, done, start}},
		{"complete repeated", []lineage.RecordRunRequest{done, done}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r lineage.Run
			for _, req := range c.reqs {
				req.Project, req.UID = "ol", fmt.Sprintf("run%d", i)
				var err error
				if r, err = svc.RecordRun(admin, req); err != nil {
					t.Fatal(err)
				}
			}
			if r.State != lineage.RunCompleted || r.FinishedAt == nil || !r.FinishedAt.Equal(done.At) {
				t.Fatalf("run = %+v, want COMPLETED at %v", r, done.At)
			}
			earliest := slices.MinFunc(c.reqs, func(a, b lineage.RecordRunRequest) int { return a.At.Compare(b.At) }).At
			if !r.StartedAt.Equal(earliest) {
				t.Errorf("started at %v, want the earliest event's time %v", r.StartedAt, earliest)
			}
		})
	}
}

func TestRecordRunFinalStatesLaterWins(t *testing.T) {
	svc, admin := newOLService(t)
	if _, err := svc.EnsureProject(admin, "ol", ""); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	fail := lineage.RecordRunRequest{Project: "ol", UID: "u1", Name: "job", State: lineage.RunFailed, At: t0}
	done := fail
	done.State, done.At = lineage.RunCompleted, t0.Add(time.Second)
	for _, order := range [][]lineage.RecordRunRequest{{fail, done}, {done, fail}} {
		uid := "u" + string(order[0].State)
		var r lineage.Run
		for _, req := range order {
			req.UID = uid
			var err error
			if r, err = svc.RecordRun(admin, req); err != nil {
				t.Fatal(err)
			}
		}
		if r.State != lineage.RunCompleted {
			t.Errorf("order %s first: state %s, want COMPLETED (the later event)", order[0].State, r.State)
		}
	}
	other := fail
	other.UID, other.Name = "uFAILED", "another"
	_, err := svc.RecordRun(admin, other)
	wantCode(t, "same uid, another name", err, lineage.ECONFLICT)
}

func TestRecordDatasetAgainKeepsUIDAndEarliestTime(t *testing.T) {
	svc, admin := newOLService(t)
	if _, err := svc.EnsureProject(admin, "ol", ""); err != nil {
		t.Fatal(err)
	}
	key := lineage.DatasetKey("s3://b", "raw")
	loc := svc.DatasetLocation("s3://b", "raw")
	if loc != "s3://b/raw" {
		t.Errorf("location %q", loc)
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	req := lineage.RecordDatasetRequest{Project: "ol", Key: key, Location: loc, At: t0.Add(time.Hour), Extra: []byte(`{"n":1}`)}
	v1, err := svc.RecordDataset(admin, req)
	if err != nil {
		t.Fatal(err)
	}
	if !v1.CreatedAt.Equal(req.At) {
		t.Errorf("CreatedAt %v, want the event's time %v", v1.CreatedAt, req.At)
	}
	req.At = t0
	again, err := svc.RecordDataset(admin, req)
	if err != nil || again.UID != v1.UID {
		t.Fatalf("again: %v %v, want %s", again.UID, err, v1.UID)
	}
	if !again.CreatedAt.Equal(t0) || !again.UpdatedAt.Equal(t0) {
		t.Errorf("reported again earlier: created %v updated %v, want both %v", again.CreatedAt, again.UpdatedAt, t0)
	}
	req.At = t0.Add(2 * time.Hour)
	if later, err := svc.RecordDataset(admin, req); err != nil || !later.CreatedAt.Equal(t0) {
		t.Errorf("reported again later: %v %v, want created at %v", later.CreatedAt, err, t0)
	}
	for _, p := range [][2]string{{"..", ".."}, {"file", "/tmp/x"}, {"ns", "a b/c"}} {
		if loc := svc.DatasetLocation(p[0], p[1]); lineage.ValidateArtifactPath(loc) != nil || svc.InRoots(loc) {
			t.Errorf("DatasetLocation(%q, %q) = %q", p[0], p[1], loc)
		}
	}
}

func TestEnsureProjectNeedsWrite(t *testing.T) {
	svc, admin := newOLService(t)
	secret, _, err := svc.CreateToken(admin, lineage.TokenInput{Name: "v", Role: lineage.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	viewer, err := svc.Authenticate(context.Background(), secret)
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.EnsureProject(viewer, "ol", "")
	wantCode(t, "viewer creates a project", err, lineage.EFORBIDDEN)
	_, err = svc.EnsureProject(admin, "Not_Valid", "")
	wantCode(t, "invalid name", err, lineage.EINVALID)
}
