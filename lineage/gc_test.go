package lineage_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/storage/embedded"
	"github.com/artigraph/artigraph/storage/fs"
)

// crashingStore fails PutVersion on demand, as a crash between the blob
// write and the metadata commit would.
type crashingStore struct {
	lineage.Store
	crash bool
}

func (c *crashingStore) PutVersion(ctx context.Context, w lineage.VersionWrite) (lineage.Version, bool, error) {
	if c.crash {
		return lineage.Version{}, false, errors.New("simulated crash before commit")
	}
	return c.Store.PutVersion(ctx, w)
}

func newService(t *testing.T) (*lineage.Service, *crashingStore, string) {
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
	cs := &crashingStore{Store: store}
	cfg := lineage.DefaultConfig()
	cfg.DefaultArtifactPath = dir + "/artifacts/{{project}}"
	svc := lineage.NewService(cs, lineage.BlobRouter{"file": blobs}, cfg)
	if _, err := svc.UpsertProject(context.Background(), lineage.Project{Name: "p"}); err != nil {
		t.Fatal(err)
	}
	return svc, cs, dir
}

// checkNoMissingBlobs is the invariant: every version whose content
// Artigraph stored can be opened.
func checkNoMissingBlobs(t *testing.T, svc *lineage.Service) {
	t.Helper()
	ctx := context.Background()
	page, err := svc.Store.ListVersions(ctx, "p", lineage.VersionFilter{}, lineage.Page{First: 10000})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range page.Versions {
		if !v.Stored {
			continue
		}
		b, err := svc.Blobs.Open(ctx, v.TargetPath)
		if err != nil {
			t.Fatalf("version %s (%s) points at missing content %s: %v", v.UID, v.Key, v.TargetPath, err)
		}
		b.Close()
	}
}

func TestCrashBeforeCommitLeavesOnlyAnOrphanThatGCRemoves(t *testing.T) {
	ctx := context.Background()
	svc, cs, dir := newService(t)
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
	checkNoMissingBlobs(t, svc)

	// Young orphans are spared: they may belong to a log in flight.
	rep, err := svc.GC(ctx, lineage.GCOptions{Grace: time.Hour})
	if err != nil || len(rep.Orphans) != 0 || rep.Scanned != 2 {
		t.Fatalf("gc with grace: %+v %v", rep, err)
	}
	svc.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	rep, err = svc.GC(ctx, lineage.GCOptions{Grace: time.Hour, DryRun: true})
	if err != nil || len(rep.Orphans) != 1 || rep.Orphans[0].Location != orphan || rep.Removed != 0 {
		t.Fatalf("dry run: %+v %v", rep, err)
	}
	if _, err := os.Stat(orphan); err != nil {
		t.Fatal("dry run removed the orphan")
	}
	rep, err = svc.GC(ctx, lineage.GCOptions{Grace: time.Hour})
	if err != nil || rep.Removed != 1 {
		t.Fatalf("gc: %+v %v", rep, err)
	}
	if _, err := os.Stat(orphan); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the orphan survived gc")
	}
	checkNoMissingBlobs(t, svc)
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
	if _, err := svc.GC(ctx, lineage.GCOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{inPlace, stray} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("gc removed %s, which is not under an artifact path", p)
		}
	}
}

// TestNoVersionPointsAtMissingContent mixes logs, crashes, deletions with
// every strategy and collections, checking the invariant after each step.
func TestNoVersionPointsAtMissingContent(t *testing.T) {
	ctx := context.Background()
	svc, cs, _ := newService(t)
	rng := rand.New(rand.NewPCG(1, 2))
	strategies := []lineage.DeletionStrategy{lineage.MetadataOnly, lineage.DataOptional, lineage.DataForce}
	for step := 0; step < 300; step++ {
		key := fmt.Sprintf("k%d", rng.IntN(6))
		switch op := rng.IntN(10); {
		case op < 5:
			cs.crash = rng.IntN(5) == 0
			b := strings.Repeat("x", rng.IntN(3)) + fmt.Sprint(rng.IntN(4))
			svc.LogArtifact(ctx, lineage.LogRequest{Project: "p", Key: key, Kind: lineage.KindArtifact, Body: &b})
			cs.crash = false
		case op < 8:
			uri := "store://artifacts/p/" + key
			if rng.IntN(2) == 0 {
				uri += ":*"
			}
			svc.DeleteArtifact(ctx, uri, strategies[rng.IntN(3)])
		default:
			if _, err := svc.GC(ctx, lineage.GCOptions{Grace: 0}); err != nil {
				t.Fatal(err)
			}
		}
		checkNoMissingBlobs(t, svc)
	}
}
