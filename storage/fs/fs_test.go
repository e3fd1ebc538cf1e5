package fs_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/lineage/blobtest"
	"github.com/artigraph/artigraph/storage/fs"
)

func newStore(t *testing.T) (*fs.Store, string) {
	t.Helper()
	root := t.TempDir()
	s, err := fs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, root
}

// The contract, with locations spelled as paths and as file:// URLs.
func TestConformance(t *testing.T) {
	t.Run("paths", func(t *testing.T) {
		blobtest.Run(t, func(t *testing.T) (lineage.Blobs, string) { return newStore(t) })
	})
	t.Run("file URLs", func(t *testing.T) {
		blobtest.Run(t, func(t *testing.T) (lineage.Blobs, string) {
			s, root := newStore(t)
			return s, "file://" + root
		})
	})
}

func TestNewCreatesMissingRoot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	s, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("root not created: %v", err)
	}
	if _, err := s.Put(context.Background(), dir+"/x", strings.NewReader("x"), 0); err != nil {
		t.Fatal(err)
	}
}

func TestConfinedToRoots(t *testing.T) {
	ctx := context.Background()
	s, root := newStore(t)
	outside := filepath.Join(filepath.Dir(root), "outside.txt")
	for _, loc := range []string{
		outside,
		root + "/../outside.txt",
		"file://" + root + "/../../etc/passwd",
		"/etc/passwd",
		root + "2/x", // a sibling whose name starts with the root's
		root,         // the root itself is a directory, never a blob
	} {
		if _, err := s.Put(ctx, loc, strings.NewReader("x"), 0); lineage.ErrorCode(err) != lineage.EFORBIDDEN {
			t.Errorf("Put(%s): %v, want EFORBIDDEN", loc, err)
		}
		if _, err := s.Open(ctx, loc); lineage.ErrorCode(err) != lineage.EFORBIDDEN {
			t.Errorf("Open(%s): %v, want EFORBIDDEN", loc, err)
		}
		if err := s.Delete(ctx, loc); lineage.ErrorCode(err) != lineage.EFORBIDDEN {
			t.Errorf("Delete(%s): %v, want EFORBIDDEN", loc, err)
		}
	}
	for _, loc := range []string{"relative/path", "gs://bucket/x", "file://host/x", "file:relative", "file://" + root + "/x?q=1"} {
		if _, err := s.Put(ctx, loc, strings.NewReader("x"), 0); lineage.ErrorCode(err) != lineage.EINVALID {
			t.Errorf("Put(%s): %v, want EINVALID", loc, err)
		}
	}
	for _, p := range []string{"/etc", filepath.Dir(root), "file:///"} {
		if err := s.List(ctx, p, func(lineage.BlobEntry) error { return nil }); lineage.ErrorCode(err) != lineage.EFORBIDDEN {
			t.Errorf("List(%s): %v, want EFORBIDDEN", p, err)
		}
	}
	if _, err := os.Stat(outside); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a file was written outside the root")
	}
}

// Control characters, NUL above all, are never part of a path someone
// meant; percent-decoding must not smuggle them in. They are EINVALID, not
// an internal error from the kernel.
func TestControlCharacters(t *testing.T) {
	ctx := context.Background()
	s, root := newStore(t)
	for _, loc := range []string{
		root + "/a\x00b.txt",
		root + "/a\nb.txt",
		"file://" + root + "/a%00b.txt",
		"file://" + root + "/a%0Ab.txt",
		"file://" + root + "/a%7Fb.txt",
		"file://" + root + "/dir%00/b.txt",
	} {
		if _, err := s.Put(ctx, loc, strings.NewReader("x"), 0); lineage.ErrorCode(err) != lineage.EINVALID {
			t.Errorf("Put(%q): %v, want EINVALID", loc, err)
		}
		if _, err := s.Open(ctx, loc); lineage.ErrorCode(err) != lineage.EINVALID {
			t.Errorf("Open(%q): %v, want EINVALID", loc, err)
		}
		if _, err := s.OpenRange(ctx, loc, 0, 1); lineage.ErrorCode(err) != lineage.EINVALID {
			t.Errorf("OpenRange(%q): %v, want EINVALID", loc, err)
		}
		if err := s.Delete(ctx, loc); lineage.ErrorCode(err) != lineage.EINVALID {
			t.Errorf("Delete(%q): %v, want EINVALID", loc, err)
		}
		if err := s.List(ctx, loc, func(lineage.BlobEntry) error { return nil }); lineage.ErrorCode(err) != lineage.EINVALID {
			t.Errorf("List(%q): %v, want EINVALID", loc, err)
		}
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Fatalf("files created: %v", entries)
	}
}

// A symbolic link inside a root that leads outside it cannot be followed
// for reading, writing or deleting, nor listed, however it is spelled: the
// lexical check passes these locations, os.Root must refuse them.
func TestSymlinkEscape(t *testing.T) {
	ctx := context.Background()
	s, root := newStore(t)
	outDir := t.TempDir()
	secret := filepath.Join(outDir, "secret.txt")
	if err := os.WriteFile(secret, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(root, secret)
	if err != nil {
		t.Fatal(err)
	}
	for name, dest := range map[string]string{
		"abs.txt": secret,    // absolute link to a file outside
		"rel.txt": rel,       // relative link, ../ up and out
		"dir":     outDir,    // a directory link: dir/secret.txt is outside
		"chain":   "abs.txt", // inside, to a link that leads outside
	} {
		if err := os.Symlink(dest, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	forbidden := func(err error) bool {
		c := lineage.ErrorCode(err)
		return c == lineage.EFORBIDDEN || c == lineage.EINVALID
	}
	for _, loc := range []string{
		root + "/abs.txt", root + "/rel.txt", root + "/dir/secret.txt", root + "/chain",
		"file://" + root + "/dir/secret.txt",
	} {
		if _, err := s.Open(ctx, loc); !forbidden(err) {
			t.Errorf("Open(%s): %v, want EFORBIDDEN or EINVALID", loc, err)
		}
		if _, err := s.OpenRange(ctx, loc, 0, 1); !forbidden(err) {
			t.Errorf("OpenRange(%s): %v, want EFORBIDDEN or EINVALID", loc, err)
		}
		if _, err := s.Put(ctx, loc, strings.NewReader("overwritten"), 0); !forbidden(err) {
			t.Errorf("Put(%s): %v, want EFORBIDDEN or EINVALID", loc, err)
		}
		if err := s.Delete(ctx, loc); !forbidden(err) {
			t.Errorf("Delete(%s): %v, want EFORBIDDEN or EINVALID", loc, err)
		}
	}
	// Nothing written, created or removed through the link.
	for _, loc := range []string{root + "/dir/new.txt", root + "/dir/sub/new.txt"} {
		if _, err := s.Put(ctx, loc, strings.NewReader("planted"), 0); !forbidden(err) {
			t.Errorf("Put(%s): %v, want EFORBIDDEN or EINVALID", loc, err)
		}
	}
	if got, err := os.ReadFile(secret); err != nil || string(got) != "secret" {
		t.Fatalf("the outside file is now %q, %v", got, err)
	}
	if entries, _ := os.ReadDir(outDir); len(entries) != 1 {
		t.Fatalf("the outside directory now holds %v", entries)
	}
	for _, name := range []string{"abs.txt", "rel.txt", "dir", "chain"} {
		if fi, err := os.Lstat(filepath.Join(root, name)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("link %s was replaced or removed: %v", name, err)
		}
	}
	// List reports no link and nothing behind one, not even through a
	// prefix that is a link.
	if err := os.WriteFile(filepath.Join(root, "real.txt"), []byte("r"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{root, root + "/dir"} {
		var got []string
		if err := s.List(ctx, prefix, func(e lineage.BlobEntry) error { got = append(got, e.Location); return nil }); err != nil && !forbidden(err) {
			t.Fatalf("List(%s): %v", prefix, err)
		}
		want := map[string]string{root: root + "/real.txt", root + "/dir": ""}[prefix]
		if strings.Join(got, ",") != want {
			t.Errorf("List(%s) = %v, want [%s]", prefix, got, want)
		}
	}
}

// Links that stay inside the root are os.Root's to allow, for reading; List
// still skips them and Delete refuses them, so that GC never acts on a
// link.
func TestSymlinkInsideRoot(t *testing.T) {
	ctx := context.Background()
	s, root := newStore(t)
	if _, err := s.Put(ctx, root+"/a.txt", strings.NewReader("a"), 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a.txt", filepath.Join(root, "link.txt")); err != nil {
		t.Fatal(err)
	}
	b, err := s.Open(ctx, root+"/link.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(b)
	b.Close()
	if string(got) != "a" {
		t.Fatalf("read %q through an inside link", got)
	}
	if err := s.Delete(ctx, root+"/link.txt"); lineage.ErrorCode(err) != lineage.EFORBIDDEN {
		t.Fatalf("Delete of a link: %v, want EFORBIDDEN", err)
	}
	if _, err := s.Put(ctx, root+"/link.txt", strings.NewReader("b"), 0); lineage.ErrorCode(err) != lineage.EFORBIDDEN {
		t.Fatalf("Put to a link: %v, want EFORBIDDEN", err)
	}
	var listed []string
	s.List(ctx, root, func(e lineage.BlobEntry) error { listed = append(listed, e.Location); return nil })
	if strings.Join(listed, ",") != root+"/a.txt" {
		t.Fatalf("List = %v", listed)
	}
}

func TestPutToDirectory(t *testing.T) {
	ctx := context.Background()
	s, root := newStore(t)
	if err := os.Mkdir(filepath.Join(root, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, root+"/d", strings.NewReader("x"), 0); lineage.ErrorCode(err) != lineage.EINVALID {
		t.Fatalf("Put to a directory: %v, want EINVALID", err)
	}
	if _, err := s.Open(ctx, root+"/d"); lineage.ErrorCode(err) != lineage.EINVALID {
		t.Fatalf("Open of a directory: %v, want EINVALID", err)
	}
	// A blob where Put needs a directory.
	if err := os.WriteFile(filepath.Join(root, "f"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, loc := range []string{root + "/f/x", root + "/f/y/z"} {
		if _, err := s.Put(ctx, loc, strings.NewReader("x"), 0); lineage.ErrorCode(err) != lineage.EINVALID {
			t.Fatalf("Put(%s) under a file: %v, want EINVALID", loc, err)
		}
	}
	if entries, _ := os.ReadDir(root); len(entries) != 2 {
		t.Fatalf("root holds %v", entries)
	}
}

// Two Stores on one directory stand for two server processes: the no-replace
// link keeps their Puts apart, where an in-process lock could not.
func TestPutAcrossStores(t *testing.T) {
	ctx := context.Background()
	a, root := newStore(t)
	b, err := fs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ia, err := a.Put(ctx, root+"/m.bin", strings.NewReader("from a"), 0)
	if err != nil {
		t.Fatal(err)
	}
	ib, err := b.Put(ctx, root+"/m.bin", strings.NewReader("from b"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if ia.Location == ib.Location {
		t.Fatalf("both stored at %s", ia.Location)
	}
	for loc, want := range map[string]string{ia.Location: "from a", ib.Location: "from b"} {
		if got, _ := os.ReadFile(loc); string(got) != want {
			t.Errorf("%s = %q, want %q", loc, got, want)
		}
	}
}

// Downloads serve local files with http.ServeContent, which needs the
// Seeker for range requests (and gets sendfile from the *os.File).
func TestOpenSeeksForServeContent(t *testing.T) {
	ctx := context.Background()
	s, root := newStore(t)
	if _, err := s.Put(ctx, root+"/a.txt", strings.NewReader("0123456789"), 0); err != nil {
		t.Fatal(err)
	}
	b, err := s.Open(ctx, root+"/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Seeker == nil {
		t.Fatal("Open of a local file has no Seeker")
	}
	if _, ok := b.Seeker.(*os.File); !ok {
		t.Errorf("Seeker is %T, want the *os.File (sendfile)", b.Seeker)
	}
	req := httptest.NewRequest("GET", "/a.txt", nil)
	req.Header.Set("Range", "bytes=3-5")
	rec := httptest.NewRecorder()
	http.ServeContent(rec, req, "a.txt", time.Time{}, b.Seeker)
	if rec.Code != http.StatusPartialContent || rec.Body.String() != "345" {
		t.Fatalf("ServeContent range = %d %q", rec.Code, rec.Body.String())
	}
}

// A failed Put leaves no temporary file, and a successful one none either;
// the suite checks this through List, this checks the directory itself.
func TestNoTemporaryFiles(t *testing.T) {
	ctx := context.Background()
	s, root := newStore(t)
	if _, err := s.Put(ctx, root+"/m.bin", strings.NewReader("ok"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, root+"/m.bin", io.MultiReader(strings.NewReader("part"), errReader{}), 0); err == nil {
		t.Fatal("Put from a failing reader succeeded")
	}
	if _, err := s.Put(ctx, root+"/m.bin", bytes.NewReader(make([]byte, 200)), 100); lineage.ErrorCode(err) != lineage.ELIMIT {
		t.Fatalf("Put over the limit: %v", err)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 || entries[0].Name() != "m.bin" {
		t.Fatalf("root holds %v, want only m.bin", entries)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }
