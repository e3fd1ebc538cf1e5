package lineage_test

// Security issue #8 at the Service: blob roots, gc's reach, deletion's
// reference checks, upload tickets.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/storage/fs"
)

func str(s string) *string { return &s }

// Hole 4: a project (or run) whose artifact path is the data dir widened
// gc's roots, and gc deleted the database as an orphan.
func TestGCWalksOnlyBlobRoots(t *testing.T) {
	ctx := context.Background()
	svc, store, dir := newService(t)
	// Saved before artifact paths were checked against the roots.
	if _, err := store.UpsertProject(ctx, lineage.Project{Name: "evil", ArtifactPath: dir + "/x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateRun(ctx, lineage.Run{Project: "evil", UID: "r", Name: "r", State: lineage.RunRunning,
		ArtifactPath: dir, StartedAt: time.Now()}, nil); err != nil {
		t.Fatal(err)
	}
	stray := dir + "/x/stray.bin"
	os.MkdirAll(filepath.Dir(stray), 0o755)
	os.WriteFile(stray, []byte("not ours"), 0o644)
	svc.Now = func() time.Time { return time.Now().Add(48 * time.Hour) }
	rep, err := svc.GC(lineage.AsOperator(ctx), lineage.GCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Roots, []string{dir + "/artifacts/"}) {
		t.Fatalf("gc roots %v", rep.Roots)
	}
	for _, p := range []string{filepath.Join(dir, "db"), stray} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("gc removed %s", p)
		}
	}
	// The store still answers.
	if _, err := svc.Project(ctx, "evil"); err != nil {
		t.Fatal(err)
	}
}

// Hole 2: artifact paths may point inside the configured roots, never
// outside them.
func TestArtifactPathsStayInsideBlobRoots(t *testing.T) {
	ctx := context.Background()
	svc, _, dir := newService(t)
	svc.Config.BlobRoots = []string{dir + "/artifacts", "file://" + dir + "/extra/"}
	for _, ok := range []string{dir + "/artifacts/{{project}}", "file://" + dir + "/extra/{{project}}/{{run.uid}}", dir + "/extra"} {
		if _, err := svc.UpsertProject(ctx, lineage.Project{Name: "p", ArtifactPath: ok}); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{dir, dir + "/{{project}}", dir + "/artifactsX/p", "/etc", "file:///", dir + "/extra/../db"} {
		_, err := svc.UpsertProject(ctx, lineage.Project{Name: "p", ArtifactPath: bad})
		if c := lineage.ErrorCode(err); c != lineage.EFORBIDDEN && c != lineage.EINVALID {
			t.Errorf("%s: %v", bad, err)
		}
		_, err = svc.LogArtifact(ctx, lineage.LogRequest{Project: "p", Key: "db", Kind: lineage.KindArtifact, ArtifactPath: bad, Body: str("x")})
		if c := lineage.ErrorCode(err); c != lineage.EFORBIDDEN && c != lineage.EINVALID {
			t.Errorf("log to %s: %v", bad, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "db")); string(b) == "x" {
		t.Fatal("the store was replaced")
	}
	for _, c := range []struct {
		path, want string
	}{
		{"/data/artifacts/{{project}}", "/data/artifacts/"},
		{"file:///data/p-{{project}}/x", "/data/"},
		{"gs://bucket/{{project}}", "gs://bucket/"},
		{"gs://bucket", "gs://bucket/"},
		{"/srv/blobs", "/srv/blobs/"},
		{"/{{project}}", ""},
		{"gs://{{project}}", ""},
	} {
		if got := lineage.BlobRootOf(c.path); got != c.want {
			t.Errorf("BlobRootOf(%q) = %q, want %q", c.path, got, c.want)
		}
	}
}

// Hole 3: deletions check references in every project, under a lock shared
// with logs in place, so a blob another version points at survives.
func TestDeletionRacesNoInPlaceReference(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t)
	if _, err := svc.UpsertProject(ctx, lineage.Project{Name: "b"}); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 20; round++ {
		a, err := svc.LogArtifact(ctx, lineage.LogRequest{Project: "p", Key: "a", Kind: lineage.KindModel, Body: str(fmt.Sprint("round ", round))})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var b lineage.Version
		var berr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			b, berr = svc.LogArtifact(ctx, lineage.LogRequest{Project: "b", Key: fmt.Sprint("b", round), Kind: lineage.KindModel, TargetPath: a.TargetPath})
		}()
		go func() {
			defer wg.Done()
			svc.DeleteArtifact(ctx, "store://models/p/a^"+a.UID, lineage.DataForce)
		}()
		wg.Wait()
		if lineage.ErrorCode(berr) == lineage.ENOTFOUND {
			continue // the deletion came first: B was refused, not left dangling
		}
		if berr != nil {
			t.Fatal(berr)
		}
		if _, err := os.Stat(b.TargetPath); err != nil {
			t.Fatalf("round %d: B points at %s, which a deletion removed", round, b.TargetPath)
		}
	}
}

// Hole 3: the answer says which content was kept, and why.
func TestDeleteNotices(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t)
	v, err := svc.LogArtifact(ctx, lineage.LogRequest{Project: "p", Key: "lake", Kind: lineage.KindDataset, TargetPath: "s3://lake/x"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.DeleteArtifactVersions(ctx, "store://datasets/p/lake", lineage.DataForce)
	want := "the content of " + lineage.CanonicalURI(v, "") + " was logged in place and was kept"
	if err != nil || res.Removed != 1 || !slices.Equal(res.Notices, []string{want}) {
		t.Fatalf("%+v %v", res, err)
	}
}

// Hole 5: a commit that writes no new version takes its blob back.
func TestIdenticalRetryLeavesOneBlob(t *testing.T) {
	ctx := context.Background()
	svc, cs, dir := newService(t)
	req := lineage.LogRequest{Project: "p", Key: "m", Kind: lineage.KindModel, Body: str("same"), Format: "bin"}
	first, err := svc.LogArtifact(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		again, err := svc.LogArtifact(ctx, req)
		if err != nil || again.UID != first.UID || again.TargetPath != first.TargetPath {
			t.Fatalf("retry %d: %+v %v", i, again, err)
		}
	}
	cs.crash = true
	if _, err := svc.LogArtifact(ctx, lineage.LogRequest{Project: "p", Key: "m", Kind: lineage.KindModel, Body: str("other"), Format: "bin"}); err == nil {
		t.Fatal("logged through a failed commit")
	}
	cs.crash = false
	entries, _ := os.ReadDir(dir + "/artifacts/p")
	if len(entries) != 1 {
		t.Fatalf("blobs: %v", entries)
	}
}

// Hole 7: upload tickets hold nothing in memory; they are signed, bounded
// in lifetime and size, and good on any server with the same key.
func TestUploadTickets(t *testing.T) {
	ctx := context.Background()
	svc, store, dir := newService(t)
	now := time.Now()
	svc.Now = func() time.Time { return now }
	req := lineage.LogRequest{Project: "p", Key: "k", Kind: lineage.KindModel}
	tk, err := svc.CreateUpload(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Add(lineage.UploadTTL).Truncate(time.Second); !tk.ExpiresAt.Equal(want) || lineage.UploadTTL > 15*time.Minute {
		t.Fatalf("ticket lifetime: expires %v, want %v", tk.ExpiresAt, want)
	}
	// Another server over the same store, blobs and key (a replica)
	// completes it; one with another key does not know it.
	blobs, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := lineage.DefaultConfig()
	cfg.DefaultArtifactPath = dir + "/artifacts/{{project}}"
	replica := lineage.NewService(store, lineage.BlobRouter{"file": blobs}, cfg)
	cfg.ServerKey = []byte("another key, another server......")
	stranger := lineage.NewService(store, lineage.BlobRouter{"file": blobs}, cfg)
	if _, err := stranger.CompleteUpload(ctx, tk.ID, strings.NewReader("x")); lineage.ErrorCode(err) != lineage.ENOTFOUND {
		t.Fatalf("a server with another key: %v", err)
	}
	v1, err := replica.CompleteUpload(ctx, tk.ID, strings.NewReader("first"))
	if err != nil || v1.Key != "k" || *v1.Size != 5 {
		t.Fatalf("the replica completes it: %+v %v", v1, err)
	}
	// Like a presigned URL, it serves until it expires.
	v2, err := svc.CompleteUpload(ctx, tk.ID, strings.NewReader("second"))
	if err != nil || v2.UID == v1.UID {
		t.Fatalf("a second upload: %+v %v", v2, err)
	}
	// A ticket altered anywhere is unknown.
	for _, at := range []int{0, len(tk.ID) / 2, len(tk.ID) - 1} {
		forged := []byte(tk.ID)
		forged[at] ^= 1
		if _, err := svc.CompleteUpload(ctx, string(forged), strings.NewReader("x")); lineage.ErrorCode(err) != lineage.ENOTFOUND {
			t.Fatalf("ticket altered at byte %d: %v", at, err)
		}
	}
	now = now.Add(lineage.UploadTTL + time.Second)
	if _, err := svc.CompleteUpload(ctx, tk.ID, strings.NewReader("x")); lineage.ErrorCode(err) != lineage.ENOTFOUND {
		t.Fatalf("expired ticket: %v", err)
	}
	// Labels large enough to matter are refused, by the log call's limits
	// or by the ticket's size.
	var many []lineage.Label
	for i := 0; i < 50000; i++ {
		many = append(many, lineage.Label{Key: fmt.Sprint("k", i)})
	}
	if _, err := svc.CreateUpload(ctx, lineage.LogRequest{Project: "p", Key: "k", Kind: lineage.KindModel, Labels: many}); lineage.ErrorCode(err) != lineage.ELIMIT {
		t.Fatalf("50k labels: %v", err)
	}
	var noise []lineage.Label
	for i := 0; i < 60; i++ {
		v := lineage.NewUID() + lineage.NewUID() + lineage.NewUID() + lineage.NewUID() + lineage.NewUID() + lineage.NewUID()
		noise = append(noise, lineage.Label{Key: fmt.Sprint("n", i), Value: &v})
	}
	_, err = svc.CreateUpload(ctx, lineage.LogRequest{Project: "p", Key: "k", Kind: lineage.KindModel, Labels: noise})
	if lineage.ErrorCode(err) != lineage.ELIMIT || !strings.Contains(err.Error(), "too large for an upload ticket") {
		t.Fatalf("a ticket over %d bytes: %v", lineage.MaxTicketBytes, err)
	}
}

// Hole 8: NUL and other control characters, raw or percent-encoded.
func TestArtifactPathControlCharacters(t *testing.T) {
	for _, p := range []string{"file:///x/%00", "/x/\x00", "gs://b/%0a", "file:///x/%7F/y", "s3://b/\x01"} {
		if err := lineage.ValidateArtifactPath(p); lineage.ErrorCode(err) != lineage.EINVALID {
			t.Errorf("ValidateArtifactPath(%q) = %v", p, err)
		}
	}
	_, err := lineage.ArtifactPathChoice{Project: "file:///x/%00/{{project}}"}.Resolve("p", "")
	if lineage.ErrorCode(err) != lineage.EINVALID {
		t.Fatalf("filled template: %v", err)
	}
}

// Hole 3: a version logged in place keeps its location even when it is
// deleted together with the stored version it points at.
func TestDeletingBothKeepsContentLoggedInPlace(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t)
	a, err := svc.LogArtifact(ctx, lineage.LogRequest{Project: "p", Key: "m", Kind: lineage.KindModel, Body: str("a")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.LogArtifact(ctx, lineage.LogRequest{Project: "p", Key: "m", Kind: lineage.KindModel, TargetPath: a.TargetPath}); err != nil {
		t.Fatal(err)
	}
	res, err := svc.DeleteArtifactVersions(ctx, "store://models/p/m:*", lineage.DataForce)
	if err != nil || res.Removed != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := os.Stat(a.TargetPath); err != nil {
		t.Fatalf("content logged in place was deleted (notices %v)", res.Notices)
	}
}
