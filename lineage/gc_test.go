package lineage_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/storage/embedded"
	"github.com/artigraph/artigraph/storage/fs"
)

// crashingStore fails PutVersion on demand, as a crash between the blob
// write and the metadata commit would, and DeleteVersions on demand, as a
// metadata store that goes away mid-deletion would.
type crashingStore struct {
	lineage.Store
	crash      bool
	failDelete bool
}

func (c *crashingStore) PutVersion(ctx context.Context, w lineage.VersionWrite) (lineage.Version, bool, error) {
	if c.crash {
		return lineage.Version{}, false, errors.New("simulated crash before commit")
	}
	return c.Store.PutVersion(ctx, w)
}

func (c *crashingStore) DeleteVersions(ctx context.Context, uids []string) (int, error) {
	if c.failDelete {
		return 0, errors.New("simulated metadata store failure")
	}
	return c.Store.DeleteVersions(ctx, uids)
}

// faultyBlobs fails Delete (a blob store refusing to remove an object) or
// Open (a blob store that cannot be reached) on demand.
type faultyBlobs struct {
	lineage.Blobs
	failDelete bool
	failOpen   bool
}

func (f *faultyBlobs) Delete(ctx context.Context, location string) error {
	if f.failDelete {
		return errors.New("simulated blob delete failure")
	}
	return f.Blobs.Delete(ctx, location)
}

func (f *faultyBlobs) Open(ctx context.Context, location string) (lineage.Blob, error) {
	if f.failOpen {
		return lineage.Blob{}, errors.New("simulated unreachable blob store")
	}
	return f.Blobs.Open(ctx, location)
}

// rig is a Service with the parts it was built from, so that tests inject
// failures into them and read the store and blobs directly, never through
// the Service.
type rig struct {
	svc   *lineage.Service
	store *crashingStore // the Service's Store
	blobs *faultyBlobs   // where the Service's BlobRouter sends file locations
	fs    *fs.Store      // the blobs underneath, without injected failures
	dir   string         // the data dir; the blob root is dir/artifacts
}

func newRig(t *testing.T) *rig {
	t.Helper()
	dir := t.TempDir()
	store, err := embedded.Open(filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	blobs, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	cs := &crashingStore{Store: store}
	fb := &faultyBlobs{Blobs: blobs}
	cfg := lineage.DefaultConfig()
	cfg.DefaultArtifactPath = dir + "/artifacts/{{project}}"
	svc := lineage.NewService(cs, lineage.BlobRouter{"file": fb}, cfg)
	if _, err := svc.UpsertProject(context.Background(), lineage.Project{Name: "p"}); err != nil {
		t.Fatal(err)
	}
	return &rig{svc: svc, store: cs, blobs: fb, fs: blobs, dir: dir}
}

// newService is newRig for tests that need only the Service, the store (to
// crash it) and the data dir.
func newService(t *testing.T) (*lineage.Service, *crashingStore, string) {
	t.Helper()
	r := newRig(t)
	return r.svc, r.store, r.dir
}

// checkNoMissingBlobs is the invariant: every version of every project
// whose content Artigraph stored can be opened. It reads store and blobs
// directly, not through a Service.
func checkNoMissingBlobs(t *testing.T, store lineage.Store, blobs lineage.Blobs) {
	t.Helper()
	ctx := context.Background()
	projects, err := store.ListProjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range projects {
		page, err := store.ListVersions(ctx, p.Name, lineage.VersionFilter{}, lineage.Page{First: 10000})
		if err != nil {
			t.Fatal(err)
		}
		if page.HasNext {
			t.Fatalf("project %s has more versions than one page", p.Name)
		}
		for _, v := range page.Versions {
			if !v.Stored {
				continue
			}
			b, err := blobs.Open(ctx, v.TargetPath)
			if err != nil {
				t.Fatalf("version %s (%s/%s) points at missing content %s: %v", v.UID, v.Project, v.Key, v.TargetPath, err)
			}
			b.Close()
		}
	}
}

func TestCrashBeforeCommitLeavesOnlyAnOrphanThatGCRemoves(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	svc, cs, dir := r.svc, r.store, r.dir
	body := func(s string) *string { return &s }
	if _, err := svc.LogArtifact(ctx, lineage.LogRequest{Project: "p", Key: "kept", Kind: lineage.KindModel, Body: body("k")}); err != nil {
		t.Fatal(err)
	}
	cs.crash = true
	if _, err := svc.LogArtifact(ctx, lineage.LogRequest{Project: "p", Key: "lost", Kind: lineage.KindModel, Body: body("l")}); err == nil {
		t.Fatal("log succeeded through a crash")
	}
	cs.crash = false
	// A commit that fails takes its blob back; only a process dying between
	// the blob write and the commit leaves an orphan, as written here.
	orphan := dir + "/artifacts/p/lost"
	if _, err := os.Stat(orphan); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a failed commit left its blob behind: %v", err)
	}
	if err := os.WriteFile(orphan, []byte("l"), 0o644); err != nil {
		t.Fatal(err)
	}
	checkNoMissingBlobs(t, r.store, r.fs)

	// Young orphans are spared: they may belong to a log in flight.
	rep, err := svc.GC(lineage.AsOperator(ctx), lineage.GCOptions{Grace: time.Hour})
	if err != nil || len(rep.Orphans) != 0 || rep.Scanned != 2 {
		t.Fatalf("gc with grace: %+v %v", rep, err)
	}
	svc.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	rep, err = svc.GC(lineage.AsOperator(ctx), lineage.GCOptions{Grace: time.Hour, DryRun: true})
	if err != nil || len(rep.Orphans) != 1 || rep.Orphans[0].Location != orphan || rep.Removed != 0 {
		t.Fatalf("dry run: %+v %v", rep, err)
	}
	if _, err := os.Stat(orphan); err != nil {
		t.Fatal("dry run removed the orphan")
	}
	rep, err = svc.GC(lineage.AsOperator(ctx), lineage.GCOptions{Grace: time.Hour})
	if err != nil || rep.Removed != 1 {
		t.Fatalf("gc: %+v %v", rep, err)
	}
	if _, err := os.Stat(orphan); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the orphan survived gc")
	}
	checkNoMissingBlobs(t, r.store, r.fs)
}

func TestGCLeavesDataInPlaceAlone(t *testing.T) {
	ctx := context.Background()
	svc, _, dir := newService(t)
	inPlace := dir + "/lake/events.parquet"
	os.MkdirAll(filepath.Dir(inPlace), 0o755)
	os.WriteFile(inPlace, []byte("data"), 0o644)
	stray := dir + "/lake/not-logged.parquet"
	os.WriteFile(stray, []byte("someone else's"), 0o644)
	if _, err := svc.LogArtifact(ctx, lineage.LogRequest{Project: "p", Key: "events", Kind: lineage.KindDataset, TargetPath: inPlace}); err != nil {
		t.Fatal(err)
	}
	svc.Now = func() time.Time { return time.Now().Add(48 * time.Hour) }
	if _, err := svc.GC(lineage.AsOperator(ctx), lineage.GCOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{inPlace, stray} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("gc removed %s, which is not under an artifact path", p)
		}
	}
}
