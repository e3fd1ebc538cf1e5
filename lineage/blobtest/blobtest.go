// Package blobtest is a conformance suite for lineage.Blobs: every backend
// runs it, so that what the contract promises (immutable content, nothing
// left behind by a failed Put, ENOTFOUND for missing content) holds the same
// way on each.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// Run checks the Blobs that open returns against the lineage.Blobs
// contract. open is called once per subtest and returns an empty store and
// root, a directory-like location prefix it may write under (a temporary
// directory's path, gs://bucket/prefix, …) with no trailing slash. Content
// of a few MiB is used, so that backends that upload in chunks should be
// configured with small ones to take their multi-chunk paths.
func Run(t *testing.T, open func(t *testing.T) (blobs lineage.Blobs, root string)) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, lineage.Blobs, string)
	}{
		{"PutOpenDelete", testPutOpenDelete},
		{"NotFound", testNotFound},
		{"Hash", testHash},
		{"OpenRange", testOpenRange},
		{"List", testList},
		{"OverLimitLeavesNothing", testOverLimit},
		{"FailingReaderLeavesNothing", testFailingReader},
		{"UnexpectedEOFLeavesNothing", testUnexpectedEOF},
		{"CancelledContextLeavesNothing", testCancelled},
		{"TakenLocation", testTakenLocation},
		{"ConcurrentPuts", testConcurrentPuts},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, root := open(t)
			c.fn(t, b, strings.TrimSuffix(root, "/"))
		})
	}
}

// bigSize is a few MiB: past HashCopy's 1 MiB chunks and a small resumable
// upload chunk.
const bigSize = 3<<20 + 123

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func randomBytes(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 42))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func put(t *testing.T, b lineage.Blobs, loc string, content []byte) lineage.BlobInfo {
	t.Helper()
	info, err := b.Put(context.Background(), loc, bytes.NewReader(content), 0)
	if err != nil {
		t.Fatalf("Put(%s): %v", loc, err)
	}
	if info.Size != int64(len(content)) || info.Hash != hashOf(content) {
		t.Fatalf("Put(%s) = size %d hash %s, want %d %s", loc, info.Size, info.Hash, len(content), hashOf(content))
	}
	return info
}

// read returns the content at loc, checking that Open's Size agrees.
func read(t *testing.T, b lineage.Blobs, loc string) []byte {
	t.Helper()
	blob, err := b.Open(context.Background(), loc)
	if err != nil {
		t.Fatalf("Open(%s): %v", loc, err)
	}
	defer blob.Close()
	got, err := io.ReadAll(blob)
	if err != nil {
		t.Fatalf("reading %s: %v", loc, err)
	}
	if blob.Size != int64(len(got)) {
		t.Fatalf("Open(%s) says %d bytes, read %d", loc, blob.Size, len(got))
	}
	return got
}

func expectContent(t *testing.T, b lineage.Blobs, loc string, want []byte) {
	t.Helper()
	if got := read(t, b, loc); !bytes.Equal(got, want) {
		t.Fatalf("%s holds %d bytes (%.16q…), want %d (%.16q…)", loc, len(got), got, len(want), want)
	}
}

// list returns the locations under prefix, relative to root, with sizes,
// sorted: "p/a.txt:10".
func list(t *testing.T, b lineage.Blobs, root, prefix string) []string {
	t.Helper()
	got := []string{}
	err := b.List(context.Background(), prefix, func(e lineage.BlobEntry) error {
		rel, ok := strings.CutPrefix(e.Location, root+"/")
		if !ok {
			t.Errorf("List(%s) reported %s, outside %s", prefix, e.Location, root)
		}
		if e.Updated.IsZero() || time.Since(e.Updated) > time.Hour {
			t.Errorf("%s updated %v", e.Location, e.Updated)
		}
		got = append(got, rel+":"+strconv.FormatInt(e.Size, 10))
		return nil
	})
	if err != nil {
		t.Fatalf("List(%s): %v", prefix, err)
	}
	slices.Sort(got)
	return got
}

func expectCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if lineage.ErrorCode(err) != code {
		t.Errorf("%s: %v (code %q), want %s", what, err, lineage.ErrorCode(err), code)
	}
}

func testPutOpenDelete(t *testing.T, b lineage.Blobs, root string) {
	ctx := context.Background()
	content := []byte("id,amount\n1,9.5\n2,120\n")
	l := root + "/p/run1/0/data.csv"
	if info := put(t, b, l, content); info.Location != l {
		t.Fatalf("Put to a free location stored at %s, want %s", info.Location, l)
	}
	expectContent(t, b, l, content)
	if err := b.Delete(ctx, l); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err := b.Open(ctx, l)
	expectCode(t, "Open after Delete", err, lineage.ENOTFOUND)
	_, err = b.OpenRange(ctx, l, 0, 1)
	expectCode(t, "OpenRange after Delete", err, lineage.ENOTFOUND)
	expectCode(t, "second Delete", b.Delete(ctx, l), lineage.ENOTFOUND)
	if got := list(t, b, root, root); len(got) != 0 {
		t.Fatalf("left after Delete: %v", got)
	}
	// After a Delete the location is free again.
	if info := put(t, b, l, []byte("again")); info.Location != l {
		t.Fatalf("Put after Delete stored at %s, want %s", info.Location, l)
	}
	// An empty blob is a blob.
	if info := put(t, b, root+"/empty", nil); info.Location != root+"/empty" {
		t.Fatalf("Put(empty) stored at %s", info.Location)
	}
	expectContent(t, b, root+"/empty", nil)
}

func testNotFound(t *testing.T, b lineage.Blobs, root string) {
	ctx := context.Background()
	for _, l := range []string{root + "/never-written.bin", root + "/no/such/dir/x.bin"} {
		_, err := b.Open(ctx, l)
		expectCode(t, "Open("+l+")", err, lineage.ENOTFOUND)
		_, err = b.OpenRange(ctx, l, 0, -1)
		expectCode(t, "OpenRange("+l+")", err, lineage.ENOTFOUND)
		expectCode(t, "Delete("+l+")", b.Delete(ctx, l), lineage.ENOTFOUND)
	}
	// A blob's location is not a directory of others.
	put(t, b, root+"/file.txt", []byte("x"))
	_, err := b.Open(ctx, root+"/file.txt/inner")
	expectCode(t, "Open under a blob", err, lineage.ENOTFOUND)
}

func testHash(t *testing.T, b lineage.Blobs, root string) {
	content := randomBytes(1, bigSize)
	// A reader that returns short reads, and the last ones with io.EOF.
	info, err := b.Put(context.Background(), root+"/big.bin", iotest.DataErrReader(iotest.HalfReader(bytes.NewReader(content))), bigSize)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != bigSize || info.Hash != hashOf(content) {
		t.Fatalf("Put = %+v, want size %d hash %s", info, bigSize, hashOf(content))
	}
	expectContent(t, b, root+"/big.bin", content)
}

func testOpenRange(t *testing.T, b lineage.Blobs, root string) {
	ctx := context.Background()
	l := root + "/p/a.txt"
	put(t, b, l, []byte("0123456789"))
	for _, c := range []struct {
		off, n int64
		want   string
	}{{0, 3, "012"}, {7, -1, "789"}, {9, 5, "9"}, {3, 0, ""}, {10, -1, ""}, {0, -1, "0123456789"}} {
		r, err := b.OpenRange(ctx, l, c.off, c.n)
		if err != nil {
			t.Fatalf("OpenRange(%d, %d): %v", c.off, c.n, err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || string(got) != c.want {
			t.Errorf("OpenRange(%d, %d) = %q, %v, want %q", c.off, c.n, got, err, c.want)
		}
	}
	for _, off := range []int64{11, -1} {
		_, err := b.OpenRange(ctx, l, off, 1)
		expectCode(t, fmt.Sprintf("OpenRange(%d, 1)", off), err, lineage.EINVALID)
	}
	big := randomBytes(2, bigSize)
	put(t, b, root+"/big.bin", big)
	r, err := b.OpenRange(ctx, root+"/big.bin", 1<<20, 1000)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, big[1<<20:1<<20+1000]) {
		t.Fatal("range of a large blob differs")
	}
}

func testList(t *testing.T, b lineage.Blobs, root string) {
	ctx := context.Background()
	for name, content := range map[string]string{
		"p/a.txt":     "0123456789",
		"p/sub/b.txt": "xy",
		"p10/c.txt":   "not under p/",
		"q/d.txt":     "d",
	} {
		put(t, b, root+"/"+name, []byte(content))
	}
	for prefix, want := range map[string]string{
		root + "/p":       "p/a.txt:10,p/sub/b.txt:2",
		root + "/p/":      "p/a.txt:10,p/sub/b.txt:2",
		root + "/p/sub":   "p/sub/b.txt:2",
		root:              "p/a.txt:10,p/sub/b.txt:2,p10/c.txt:12,q/d.txt:1",
		root + "/":        "p/a.txt:10,p/sub/b.txt:2,p10/c.txt:12,q/d.txt:1",
		root + "/missing": "",
		root + "/p/a.txt": "", // a blob is not a directory
	} {
		if got := strings.Join(list(t, b, root, prefix), ","); got != want {
			t.Errorf("List(%s) = %s, want %s", prefix, got, want)
		}
	}
	// fn's error stops the listing and comes back unchanged.
	stop := errors.New("stop")
	calls := 0
	err := b.List(ctx, root, func(lineage.BlobEntry) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Fatalf("List with failing fn = %v after %d calls", err, calls)
	}
}

// failure is one way for a Put to fail midway.
type failure struct {
	name string
	// body returns the reader to Put from and the context to Put with.
	body func(t *testing.T) (io.Reader, context.Context)
	// check says whether Put's error is the expected one.
	check func(err error) bool
}

// leavesNothing makes a Put fail in each of the failures' ways, to a free location
// and to a taken one, and checks that each fails and leaves the store as it
// was: no new blob, no partial or temporary one, the old content intact.
func leavesNothing(t *testing.T, b lineage.Blobs, root string, failures []failure) {
	old := []byte("v1")
	put(t, b, root+"/taken/model.pkl", old)
	before := list(t, b, root, root)
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			for _, l := range []string{root + "/taken/model.pkl", root + "/free/model.pkl"} {
				r, ctx := f.body(t)
				info, err := b.Put(ctx, l, r, 0)
				if err == nil {
					t.Fatalf("Put(%s) succeeded: %+v", l, info)
				}
				if !f.check(err) {
					t.Fatalf("Put(%s): unexpected error %v", l, err)
				}
				if after := list(t, b, root, root); !slices.Equal(after, before) {
					t.Fatalf("after a failed Put(%s) the store holds %v, before %v", l, after, before)
				}
			}
			expectContent(t, b, root+"/taken/model.pkl", old)
			_, err := b.Open(context.Background(), root+"/free/model.pkl")
			expectCode(t, "Open of the failed new blob", err, lineage.ENOTFOUND)
		})
	}
}

func testOverLimit(t *testing.T, b lineage.Blobs, root string) {
	ctx := context.Background()
	isLimit := func(err error) bool { return lineage.ErrorCode(err) == lineage.ELIMIT }
	old := []byte("v1")
	put(t, b, root+"/taken/model.pkl", old)
	before := list(t, b, root, root)
	for _, c := range []struct {
		name  string
		size  int
		limit int64
	}{{"small", 101, 100}, {"large", bigSize, 2<<20 + 1000}} {
		t.Run(c.name, func(t *testing.T) {
			for _, l := range []string{root + "/taken/model.pkl", root + "/free/model.pkl"} {
				_, err := b.Put(ctx, l, bytes.NewReader(randomBytes(3, c.size)), c.limit)
				if !isLimit(err) {
					t.Fatalf("Put(%s) of %d bytes with limit %d: %v, want ELIMIT", l, c.size, c.limit, err)
				}
				if after := list(t, b, root, root); !slices.Equal(after, before) {
					t.Fatalf("after Put(%s) over the limit the store holds %v, before %v", l, after, before)
				}
			}
			expectContent(t, b, root+"/taken/model.pkl", old)
		})
	}
	// Exactly at the limit is within it.
	content := randomBytes(4, 100)
	info, err := b.Put(ctx, root+"/at-limit.bin", bytes.NewReader(content), 100)
	if err != nil || info.Size != 100 || info.Hash != hashOf(content) {
		t.Fatalf("Put at the limit = %+v, %v", info, err)
	}
}

var errReset = errors.New("connection reset by peer")

// cutReader yields n bytes of content, then fails with err.
func cutReader(n int, err error) io.Reader {
	return io.MultiReader(bytes.NewReader(randomBytes(5, n)), iotest.ErrReader(err))
}

func testFailingReader(t *testing.T, b lineage.Blobs, root string) {
	is := func(err error) bool { return errors.Is(err, errReset) }
	leavesNothing(t, b, root, []failure{
		{"small", func(*testing.T) (io.Reader, context.Context) { return cutReader(21, errReset), context.Background() }, is},
		{"large", func(*testing.T) (io.Reader, context.Context) {
			return cutReader(bigSize, errReset), context.Background()
		}, is},
		{"at once", func(*testing.T) (io.Reader, context.Context) { return iotest.ErrReader(errReset), context.Background() }, is},
	})
}

// io.ErrUnexpectedEOF is what net/http's request body returns when the
// client hangs up before Content-Length bytes: a truncated upload, never a
// clean end.
func testUnexpectedEOF(t *testing.T, b lineage.Blobs, root string) {
	is := func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }
	eof := io.ErrUnexpectedEOF
	leavesNothing(t, b, root, []failure{
		{"small", func(*testing.T) (io.Reader, context.Context) { return cutReader(900, eof), context.Background() }, is},
		{"large", func(*testing.T) (io.Reader, context.Context) { return cutReader(bigSize, eof), context.Background() }, is},
		{"with the last data", func(*testing.T) (io.Reader, context.Context) {
			return iotest.DataErrReader(cutReader(900, eof)), context.Background()
		}, is},
	})
}

func testCancelled(t *testing.T, b lineage.Blobs, root string) {
	is := func(err error) bool { return errors.Is(err, context.Canceled) }
	// midway cancels the context after n bytes, then keeps yielding data as
	// a client would: only the context says the request is over.
	midway := func(n int) func(*testing.T) (io.Reader, context.Context) {
		return func(t *testing.T) (io.Reader, context.Context) {
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			return io.MultiReader(bytes.NewReader(randomBytes(6, n)), readerFunc(func([]byte) (int, error) {
				cancel()
				return 0, io.EOF
			}), bytes.NewReader(randomBytes(7, bigSize))), ctx
		}
	}
	leavesNothing(t, b, root, []failure{
		{"before", func(t *testing.T) (io.Reader, context.Context) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return bytes.NewReader([]byte("content")), ctx
		}, is},
		{"small", midway(100), is},
		{"large", midway(2 << 20), is},
	})
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// checkSibling checks that got is a fresh location beside want: same
// directory, same extension, and a name made from want's.
func checkSibling(t *testing.T, want, got string) {
	t.Helper()
	i := strings.LastIndex(want, "/")
	dir, base := want[:i+1], want[i+1:]
	ext := path.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	name, ok := strings.CutPrefix(got, dir)
	if !ok || got == want || strings.Contains(name, "/") || len(name) <= len(base)+1 ||
		!strings.HasPrefix(name, stem+".") || !strings.HasSuffix(name, ext) {
		t.Fatalf("Put to taken %s stored at %s, want a fresh name beside it with the same extension", want, got)
	}
}

func testTakenLocation(t *testing.T, b lineage.Blobs, root string) {
	l := root + "/p/model.pkl"
	v1, v2, v3 := []byte("version 1"), randomBytes(8, bigSize), []byte("version 3")
	put(t, b, l, v1)
	info2 := put(t, b, l, v2)
	checkSibling(t, l, info2.Location)
	info3 := put(t, b, l, v3)
	checkSibling(t, l, info3.Location)
	if info3.Location == info2.Location {
		t.Fatalf("two Puts to taken %s both stored at %s", l, info2.Location)
	}
	expectContent(t, b, l, v1)
	expectContent(t, b, info2.Location, v2)
	expectContent(t, b, info3.Location, v3)
	if got := list(t, b, root, root+"/p"); len(got) != 3 {
		t.Fatalf("List = %v, want the 3 blobs", got)
	}
	// A location without an extension gets a fresh name too.
	put(t, b, root+"/p/README", v1)
	info := put(t, b, root+"/p/README", v3)
	checkSibling(t, root+"/p/README", info.Location)
	expectContent(t, b, info.Location, v3)
}

func testConcurrentPuts(t *testing.T, b lineage.Blobs, root string) {
	const n = 32
	l := root + "/p/model.pkl"
	contents := make([][]byte, n)
	infos := make([]lineage.BlobInfo, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		contents[i] = randomBytes(uint64(100+i), 10<<10+i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			infos[i], errs[i] = b.Put(context.Background(), l, bytes.NewReader(contents[i]), 0)
		}()
	}
	close(start)
	wg.Wait()
	seen := map[string]int{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Put %d: %v", i, errs[i])
		}
		if infos[i].Hash != hashOf(contents[i]) || infos[i].Size != int64(len(contents[i])) {
			t.Fatalf("Put %d = %+v, want its own size and hash", i, infos[i])
		}
		if j, dup := seen[infos[i].Location]; dup {
			t.Fatalf("Puts %d and %d both stored at %s", j, i, infos[i].Location)
		}
		seen[infos[i].Location] = i
		if infos[i].Location != l {
			checkSibling(t, l, infos[i].Location)
		}
	}
	if _, ok := seen[l]; !ok {
		t.Errorf("no Put got the free location %s itself", l)
	}
	for i := range n {
		expectContent(t, b, infos[i].Location, contents[i])
	}
	if got := list(t, b, root, root); len(got) != n {
		t.Fatalf("List holds %d blobs, want %d: %v", len(got), n, got)
	}
}
