package fs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/storage/fs"
)

func newStore(t *testing.T) (*fs.Store, string) {
	t.Helper()
	root := t.TempDir()
	s, err := fs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	return s, root
}

func TestPutOpenDelete(t *testing.T) {
	ctx := context.Background()
	s, root := newStore(t)
	content := []byte("a,b\n1,2\n")
	sum := sha256.Sum256(content)
	for _, loc := range []string{root + "/p/data.csv", "file://" + root + "/p/other.csv"} {
		info, err := s.Put(ctx, loc, bytes.NewReader(content), 0)
		if err != nil {
			t.Fatalf("Put(%s): %v", loc, err)
		}
		if info.Size != int64(len(content)) || info.Hash != "sha256:"+hex.EncodeToString(sum[:]) {
			t.Fatalf("Put(%s) = %+v", loc, info)
		}
		b, err := s.Open(ctx, loc)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(b)
		b.Close()
		if !bytes.Equal(got, content) || b.Size != int64(len(content)) || b.Seeker == nil {
			t.Fatalf("Open(%s) = %q size %d", loc, got, b.Size)
		}
		if err := s.Delete(ctx, loc); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Open(ctx, loc); lineage.ErrorCode(err) != lineage.ENOTFOUND {
			t.Fatalf("Open after Delete: %v", err)
		}
		if err := s.Delete(ctx, loc); lineage.ErrorCode(err) != lineage.ENOTFOUND {
			t.Fatalf("second Delete: %v", err)
		}
	}
}

func TestOverLimitLeavesNothing(t *testing.T) {
	ctx := context.Background()
	s, root := newStore(t)
	loc := root + "/big.bin"
	_, err := s.Put(ctx, loc, strings.NewReader(strings.Repeat("x", 101)), 100)
	if lineage.ErrorCode(err) != lineage.ELIMIT {
		t.Fatalf("Put over limit: %v", err)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 0 {
		t.Fatalf("files left behind: %v", entries)
	}
	if _, err := s.Put(ctx, loc, strings.NewReader(strings.Repeat("x", 100)), 100); err != nil {
		t.Fatalf("Put at limit: %v", err)
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n > 0 {
		f.n--
		return copy(p, "partial"), nil
	}
	return 0, errors.New("connection reset")
}

func TestFailedWriteKeepsOldContent(t *testing.T) {
	ctx := context.Background()
	s, root := newStore(t)
	loc := root + "/model.pkl"
	if _, err := s.Put(ctx, loc, strings.NewReader("v1"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, loc, &failingReader{n: 3}, 0); err == nil {
		t.Fatal("Put from a failing reader succeeded")
	}
	got, _ := os.ReadFile(loc)
	if string(got) != "v1" {
		t.Fatalf("content after failed write = %q, want v1", got)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
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
		root, // the root itself is a directory, never a blob
	} {
		if _, err := s.Put(ctx, loc, strings.NewReader("x"), 0); lineage.ErrorCode(err) != lineage.EFORBIDDEN {
			t.Errorf("Put(%s): %v, want EFORBIDDEN", loc, err)
		}
		if _, err := s.Open(ctx, loc); lineage.ErrorCode(err) != lineage.EFORBIDDEN {
			t.Errorf("Open(%s): %v, want EFORBIDDEN", loc, err)
		}
	}
	for _, loc := range []string{"relative/path", "gs://bucket/x", "file://host/x"} {
		if _, err := s.Put(ctx, loc, strings.NewReader("x"), 0); lineage.ErrorCode(err) != lineage.EINVALID {
			t.Errorf("Put(%s): %v, want EINVALID", loc, err)
		}
	}
	if _, err := os.Stat(outside); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a file was written outside the root")
	}
}

func TestOpenRangeAndList(t *testing.T) {
	ctx := context.Background()
	s, root := newStore(t)
	s.Put(ctx, root+"/p/a.txt", strings.NewReader("0123456789"), 0)
	s.Put(ctx, root+"/p/sub/b.txt", strings.NewReader("xy"), 0)
	for _, c := range []struct {
		off, n int64
		want   string
	}{{0, 3, "012"}, {7, -1, "789"}, {9, 5, "9"}, {10, -1, ""}} {
		r, err := s.OpenRange(ctx, root+"/p/a.txt", c.off, c.n)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(r)
		r.Close()
		if string(got) != c.want {
			t.Errorf("OpenRange(%d, %d) = %q, want %q", c.off, c.n, got, c.want)
		}
	}
	if _, err := s.OpenRange(ctx, root+"/p/a.txt", 11, 1); lineage.ErrorCode(err) != lineage.EINVALID {
		t.Errorf("range past the end: %v", err)
	}
	var got []string
	if err := s.List(ctx, root, func(e lineage.BlobEntry) error {
		got = append(got, strings.TrimPrefix(e.Location, root)+":"+fmt.Sprint(e.Size))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "/p/a.txt:10,/p/sub/b.txt:2" {
		t.Fatalf("List = %v", got)
	}
	got = nil
	s.List(ctx, "file://"+root+"/p/sub", func(e lineage.BlobEntry) error { got = append(got, e.Location); return nil })
	if len(got) != 1 || got[0] != "file://"+root+"/p/sub/b.txt" {
		t.Fatalf("List(file URL) = %v", got)
	}
	if err := s.List(ctx, root+"/missing", func(lineage.BlobEntry) error { return nil }); err != nil {
		t.Fatalf("List of a missing directory: %v", err)
	}
	if err := s.List(ctx, "/etc", func(lineage.BlobEntry) error { return nil }); lineage.ErrorCode(err) != lineage.EFORBIDDEN {
		t.Fatalf("List outside the roots: %v", err)
	}
}
