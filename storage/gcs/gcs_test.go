package gcs_test

// These tests run the store against fake-gcs-server, an implementation of
// the GCS JSON and XML APIs (resumable uploads, generation preconditions,
// range reads) started in process on a real TCP port, through the real
// client library. Nothing here is a hand-written fake.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/storage"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"google.golang.org/api/option"

	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/storage/gcs"
)

const bucket = "artigraph-test"

// testChunk is the smallest chunk the client library allows, so a few MiB
// already take a multi-chunk resumable upload.
const testChunk = 256 << 10

// newServer starts fake-gcs-server on 127.0.0.1 with one bucket. PublicHost
// "127.0.0.1" makes it route the client's XML-API reads
// (http://127.0.0.1:port/bucket/object, the library's default for downloads)
// as object downloads rather than as virtual-host bucket requests.
func newServer(tb testing.TB) *fakestorage.Server {
	tb.Helper()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		Scheme:     "http",
		Host:       "127.0.0.1",
		PublicHost: "127.0.0.1",
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(srv.Stop)
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket})
	return srv
}

// requestLog records the requests the client sends, to tell single-request
// uploads from resumable ones.
type requestLog struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []string // upload requests only: "multipart", "resumable start" or "resumable chunk"
}

func (l *requestLog) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Path, "/upload/") {
		kind := r.URL.Query().Get("uploadType")
		if kind == "resumable" {
			// The session URI the server hands back carries an upload_id;
			// the request that opens the session does not.
			kind += map[bool]string{true: " chunk", false: " start"}[r.URL.Query().Has("upload_id")]
		}
		l.mu.Lock()
		l.reqs = append(l.reqs, kind)
		l.mu.Unlock()
	}
	return l.next.RoundTrip(r)
}

// count returns how many logged upload requests were of kind.
func (l *requestLog) count(kind string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.reqs {
		if r == kind {
			n++
		}
	}
	return n
}

func (l *requestLog) reset() {
	l.mu.Lock()
	l.reqs = nil
	l.mu.Unlock()
}

type fixture struct {
	srv    *fakestorage.Server
	client *storage.Client
	store  *gcs.Store
	log    *requestLog
}

func newFixture(tb testing.TB, cfg gcs.Config) *fixture {
	tb.Helper()
	srv := newServer(tb)
	log := &requestLog{next: http.DefaultTransport}
	c, err := storage.NewClient(context.Background(),
		option.WithEndpoint(srv.URL()+"/storage/v1/"),
		option.WithHTTPClient(&http.Client{Transport: log}),
		option.WithoutAuthentication())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return &fixture{srv: srv, client: c, store: gcs.NewWithClient(c, cfg), log: log}
}

func loc(object string) string { return "gs://" + bucket + "/" + object }

// objects lists the bucket as the server sees it, name → content.
func (f *fixture) objects(t *testing.T) map[string]string {
	t.Helper()
	objs, _, err := f.srv.ListObjectsWithOptions(bucket, fakestorage.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, o := range objs {
		full, err := f.srv.GetObject(bucket, o.Name)
		if err != nil {
			t.Fatal(err)
		}
		m[o.Name] = string(full.Content)
	}
	return m
}

// describe summarises objects for a failure message: names, sizes and the
// start of small contents.
func describe(objs map[string]string) string {
	var parts []string
	for name, content := range objs {
		if len(content) > 16 {
			content = content[:16] + "…"
		}
		parts = append(parts, fmt.Sprintf("%s (%d bytes %q)", name, len(objs[name]), content))
	}
	sort.Strings(parts)
	return "[" + strings.Join(parts, ", ") + "]"
}

func (f *fixture) read(t *testing.T, location string) string {
	t.Helper()
	b, err := f.store.Open(context.Background(), location)
	if err != nil {
		t.Fatalf("Open(%s): %v", location, err)
	}
	defer b.Close()
	got, err := io.ReadAll(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(got)
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPutOpenDelete(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, gcs.Config{})
	content := []byte(`{"a": [1, 2]}` + "\n")
	l := loc("p/run1/0/model.json")

	info, err := f.store.Put(ctx, l, bytes.NewReader(content), 0)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if info.Size != int64(len(content)) || info.Hash != hashOf(content) {
		t.Fatalf("Put = %+v, want size %d hash %s", info, len(content), hashOf(content))
	}
	b, err := f.store.Open(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(b)
	b.Close()
	if !bytes.Equal(got, content) || b.Size != int64(len(content)) || b.Seeker != nil {
		t.Fatalf("Open = %q size %d seeker %v", got, b.Size, b.Seeker)
	}
	attrs, err := f.client.Bucket(bucket).Object("p/run1/0/model.json").Attrs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if "sha256:"+attrs.Metadata[gcs.MetadataSHA256] != info.Hash {
		t.Errorf("metadata %v, want sha256 %s", attrs.Metadata, info.Hash)
	}
	if attrs.ContentType != "application/json" {
		t.Errorf("content type %q, want application/json", attrs.ContentType)
	}

	if err := f.store.Delete(ctx, l); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Open(ctx, l); lineage.ErrorCode(err) != lineage.ENOTFOUND {
		t.Fatalf("Open after Delete: %v", err)
	}
	if _, err := f.store.OpenRange(ctx, l, 0, 1); lineage.ErrorCode(err) != lineage.ENOTFOUND {
		t.Fatalf("OpenRange after Delete: %v", err)
	}
	if err := f.store.Delete(ctx, l); lineage.ErrorCode(err) != lineage.ENOTFOUND {
		t.Fatalf("second Delete: %v", err)
	}
	if objs := f.objects(t); len(objs) != 0 {
		t.Fatalf("bucket not empty: %s", describe(objs))
	}

	// An empty blob is a blob.
	info, err = f.store.Put(ctx, loc("empty"), strings.NewReader(""), 0)
	if err != nil || info.Size != 0 || info.Hash != hashOf(nil) {
		t.Fatalf("Put(empty) = %+v, %v", info, err)
	}
	if got := f.read(t, loc("empty")); got != "" {
		t.Fatalf("empty blob reads %q", got)
	}
}

func TestMissingBucket(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, gcs.Config{})
	l := "gs://no-such-bucket/x.txt"
	if _, err := f.store.Put(ctx, l, strings.NewReader("x"), 0); lineage.ErrorCode(err) != lineage.ENOTFOUND {
		t.Errorf("Put: %v", err)
	}
	if _, err := f.store.Open(ctx, l); lineage.ErrorCode(err) != lineage.ENOTFOUND {
		t.Errorf("Open: %v", err)
	}
	if err := f.store.List(ctx, "gs://no-such-bucket/p", func(lineage.BlobEntry) error { return nil }); lineage.ErrorCode(err) != lineage.ENOTFOUND {
		t.Errorf("List: %v", err)
	}
}

func TestOpenRange(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, gcs.Config{})
	l := loc("p/a.txt")
	if _, err := f.store.Put(ctx, l, strings.NewReader("0123456789"), 0); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		off, n int64
		want   string
	}{{0, 3, "012"}, {7, -1, "789"}, {9, 5, "9"}, {3, 0, ""}, {10, -1, ""}, {0, -1, "0123456789"}} {
		r, err := f.store.OpenRange(ctx, l, c.off, c.n)
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
		if _, err := f.store.OpenRange(ctx, l, off, 1); lineage.ErrorCode(err) != lineage.EINVALID {
			t.Errorf("OpenRange(%d, 1): %v, want EINVALID", off, err)
		}
	}
}

func TestList(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, gcs.Config{})
	for name, content := range map[string]string{
		"p/a.txt":     "0123456789",
		"p/sub/b.txt": "xy",
		"p10/c.txt":   "not under p/",
		"q/d.txt":     "d",
	} {
		if _, err := f.store.Put(ctx, loc(name), strings.NewReader(content), 0); err != nil {
			t.Fatal(err)
		}
	}
	list := func(prefix string) []string {
		t.Helper()
		var got []string
		err := f.store.List(ctx, prefix, func(e lineage.BlobEntry) error {
			if e.Updated.IsZero() || time.Since(e.Updated) > time.Hour {
				t.Errorf("%s updated %v", e.Location, e.Updated)
			}
			got = append(got, strings.TrimPrefix(e.Location, loc(""))+":"+strconv.FormatInt(e.Size, 10))
			return nil
		})
		if err != nil {
			t.Fatalf("List(%s): %v", prefix, err)
		}
		sort.Strings(got)
		return got
	}
	for prefix, want := range map[string]string{
		loc("p"):               "p/a.txt:10,p/sub/b.txt:2",
		loc("p/"):              "p/a.txt:10,p/sub/b.txt:2",
		loc("p/sub"):           "p/sub/b.txt:2",
		"gs://" + bucket:       "p/a.txt:10,p/sub/b.txt:2,p10/c.txt:12,q/d.txt:1",
		"gs://" + bucket + "/": "p/a.txt:10,p/sub/b.txt:2,p10/c.txt:12,q/d.txt:1",
		loc("missing"):         "",
		loc("p/a.txt"):         "", // an object is not a directory
	} {
		if got := strings.Join(list(prefix), ","); got != want {
			t.Errorf("List(%s) = %s, want %s", prefix, got, want)
		}
	}
	// fn's error stops the listing and comes back unchanged.
	stop := errors.New("stop")
	calls := 0
	err := f.store.List(ctx, "gs://"+bucket, func(lineage.BlobEntry) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Fatalf("List with failing fn = %v after %d calls", err, calls)
	}
}

func TestOverLimitLeavesNothing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, gcs.Config{ChunkSize: testChunk})
	t.Run("single request", func(t *testing.T) {
		_, err := f.store.Put(ctx, loc("big.bin"), strings.NewReader(strings.Repeat("x", 101)), 100)
		if lineage.ErrorCode(err) != lineage.ELIMIT {
			t.Fatalf("Put over limit: %v", err)
		}
		if objs := f.objects(t); len(objs) != 0 {
			t.Fatalf("objects left behind: %s", describe(objs))
		}
		if _, err := f.store.Put(ctx, loc("big.bin"), strings.NewReader(strings.Repeat("x", 100)), 100); err != nil {
			t.Fatalf("Put at limit: %v", err)
		}
		f.store.Delete(ctx, loc("big.bin"))
	})
	t.Run("resumable", func(t *testing.T) {
		// The limit falls in the third chunk: two chunks are already on the
		// server in an open resumable session when the limit trips.
		f.log.reset()
		const limit = 2*testChunk + 1000
		_, err := f.store.Put(ctx, loc("big.bin"), bytes.NewReader(randomBytes(t, 4*testChunk)), limit)
		if lineage.ErrorCode(err) != lineage.ELIMIT {
			t.Fatalf("Put over limit: %v", err)
		}
		if n := f.log.count("resumable chunk"); n < 1 {
			t.Fatalf("no chunk was uploaded before the limit tripped (%d); the test does not test the resumable path", n)
		}
		if objs := f.objects(t); len(objs) != 0 {
			t.Fatalf("objects left behind: %s", describe(objs))
		}
	})
}

// failingReader yields n bytes, then fails like a dropped client connection.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection reset")
	}
	p = p[:min(len(p), f.n)]
	for i := range p {
		p[i] = 'p'
	}
	f.n -= len(p)
	return len(p), nil
}

func TestFailedWriteKeepsOldContent(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, gcs.Config{ChunkSize: testChunk})
	if _, err := f.store.Put(ctx, loc("model.pkl"), strings.NewReader("v1"), 0); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		n    int
	}{{"within the first chunk", 21}, {"after chunks went up", 3*testChunk + 5}} {
		t.Run(c.name, func(t *testing.T) {
			f.log.reset()
			for _, name := range []string{"model.pkl", "new.pkl"} {
				_, err := f.store.Put(ctx, loc(name), &failingReader{n: c.n}, 0)
				if err == nil || !strings.Contains(err.Error(), "connection reset") {
					t.Fatalf("Put(%s) from a failing reader: %v", name, err)
				}
			}
			if c.n > testChunk && f.log.count("resumable chunk") < 2 {
				t.Fatalf("chunks uploaded: %d, want some from each Put", f.log.count("resumable chunk"))
			}
			if objs := f.objects(t); len(objs) != 1 || objs["model.pkl"] != "v1" {
				t.Fatalf("bucket after failed writes = %s, want only model.pkl = v1", describe(objs))
			}
		})
	}
	t.Run("cancelled request", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		r := io.MultiReader(bytes.NewReader(randomBytes(t, 2*testChunk)), readerFunc(func([]byte) (int, error) {
			cancel()
			return 0, nil
		}), bytes.NewReader(randomBytes(t, testChunk)))
		if _, err := f.store.Put(cctx, loc("model.pkl"), r, 0); !errors.Is(err, context.Canceled) {
			t.Fatalf("Put with a cancelled context: %v", err)
		}
		if got := f.read(t, loc("model.pkl")); got != "v1" {
			t.Fatalf("content after cancelled write = %q, want v1", got)
		}
	})
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func TestResumableUpload(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, gcs.Config{ChunkSize: testChunk})
	content := randomBytes(t, 3<<20+123)
	info, err := f.store.Put(ctx, loc("data/big.parquet"), bytes.NewReader(content), 4<<20)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(len(content)) || info.Hash != hashOf(content) {
		t.Fatalf("Put = %+v", info)
	}
	// One request opens the session, then one request per 256 KiB chunk,
	// the last one (or an empty one after it) finalising the object.
	chunks := (len(content) + testChunk - 1) / testChunk
	if open, puts := f.log.count("resumable start"), f.log.count("resumable chunk"); open != 1 || puts < chunks {
		t.Fatalf("upload requests: %d session starts, %d chunks; want 1 and >= %d (log %v)", open, puts, chunks, f.log.reqs)
	}
	if got := f.read(t, loc("data/big.parquet")); got != string(content) {
		t.Fatal("content read back differs")
	}
	r, err := f.store.OpenRange(ctx, loc("data/big.parquet"), 1<<20, 1000)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, content[1<<20:1<<20+1000]) {
		t.Fatal("range read differs")
	}

	// Content that fits in one chunk goes up in a single request.
	f.log.reset()
	if _, err := f.store.Put(ctx, loc("data/small.csv"), strings.NewReader("a,b\n"), 0); err != nil {
		t.Fatal(err)
	}
	if f.log.count("multipart") != 1 || f.log.count("resumable start") != 0 {
		t.Fatalf("small upload requests: %v", f.log.reqs)
	}
}

// gatedReader yields first, tells started, waits for release, then yields
// rest.
type gatedReader struct {
	first, rest io.Reader
	started     chan struct{}
	release     chan struct{}
	once        sync.Once
}

func (g *gatedReader) Read(p []byte) (int, error) {
	if n, err := g.first.Read(p); err != io.EOF {
		return n, err
	}
	g.once.Do(func() {
		close(g.started)
		<-g.release
	})
	return g.rest.Read(p)
}

func TestConcurrentWriterConflict(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, gcs.Config{ChunkSize: testChunk})
	for _, c := range []struct {
		name     string
		existing bool
	}{{"new object", false}, {"existing object", true}} {
		t.Run(c.name, func(t *testing.T) {
			name := strings.ReplaceAll(c.name, " ", "-") + ".bin"
			if c.existing {
				if _, err := f.store.Put(ctx, loc(name), strings.NewReader("old"), 0); err != nil {
					t.Fatal(err)
				}
			}
			f.log.reset()
			// A: a big upload whose client stalls after two chunks.
			a := &gatedReader{
				first:   bytes.NewReader(randomBytes(t, 2*testChunk+100)),
				rest:    bytes.NewReader(randomBytes(t, testChunk)),
				started: make(chan struct{}),
				release: make(chan struct{}),
			}
			errA := make(chan error, 1)
			go func() {
				_, err := f.store.Put(ctx, loc(name), a, 0)
				errA <- err
			}()
			<-a.started
			waitFor(t, func() bool { return f.log.count("resumable chunk") >= 1 })

			// B: writes the same object from start to finish meanwhile.
			if _, err := f.store.Put(ctx, loc(name), strings.NewReader("written by B"), 0); err != nil {
				t.Fatalf("Put B: %v", err)
			}
			close(a.release)
			err := <-errA
			if lineage.ErrorCode(err) != lineage.ECONFLICT || !strings.Contains(err.Error(), "another writer") {
				t.Fatalf("Put A after B finished: %v, want ECONFLICT", err)
			}
			if got := f.read(t, loc(name)); got != "written by B" {
				t.Fatalf("content = %q, want B's", got)
			}
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestInvalidLocations(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, gcs.Config{})
	signer, err := f.store.WithSigning(gcs.SigningConfig{Email: "s@p.iam.gserviceaccount.com", PrivateKey: rsaKeyPEM(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{
		"gs://", "gs:///x", "gs://" + bucket, "gs://" + bucket + "/",
		loc("a/../b"), loc("../b"), loc("./a"), loc("a//b"), loc("dir/"), loc("a\nb"),
		"gs://Upper_Case/x", "gs://ab/x", "gs://-bkt/x", "gs://bkt!/x",
		"s3://" + bucket + "/x", "/abs/path", "file:///x", "relative/x",
	} {
		if _, err := f.store.Put(ctx, l, strings.NewReader("x"), 0); lineage.ErrorCode(err) != lineage.EINVALID {
			t.Errorf("Put(%q): %v, want EINVALID", l, err)
		}
		if _, err := f.store.Open(ctx, l); lineage.ErrorCode(err) != lineage.EINVALID {
			t.Errorf("Open(%q): %v, want EINVALID", l, err)
		}
		if _, err := f.store.OpenRange(ctx, l, 0, 1); lineage.ErrorCode(err) != lineage.EINVALID {
			t.Errorf("OpenRange(%q): %v, want EINVALID", l, err)
		}
		if err := f.store.Delete(ctx, l); lineage.ErrorCode(err) != lineage.EINVALID {
			t.Errorf("Delete(%q): %v, want EINVALID", l, err)
		}
		if _, err := signer.SignedURL(ctx, l, time.Minute); lineage.ErrorCode(err) != lineage.EINVALID {
			t.Errorf("SignedURL(%q): %v, want EINVALID", l, err)
		}
	}
	for _, p := range []string{loc("a/.."), loc("a//b"), "gs://", "s3://" + bucket, "/abs"} {
		if err := f.store.List(ctx, p, func(lineage.BlobEntry) error { return nil }); lineage.ErrorCode(err) != lineage.EINVALID {
			t.Errorf("List(%q): %v, want EINVALID", p, err)
		}
	}
	if objs := f.objects(t); len(objs) != 0 {
		t.Fatalf("objects written: %s", describe(objs))
	}
}

// rsaKeyPEM generates a 2048-bit key, PKCS#8 PEM encoded like the
// private_key of a service account key file.
func rsaKeyPEM(t *testing.T, out **rsa.PrivateKey) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		*out = key
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// fake-gcs-server does not check URL signatures, so this test checks the
// URL's form and verifies its signature itself against the public key,
// following the V4 signing process (canonical request → string to sign →
// RSA-SHA256).
func TestSignedURL(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, gcs.Config{})
	const email = "artigraph@proj.iam.gserviceaccount.com"
	var key *rsa.PrivateKey
	signer, err := f.store.WithSigning(gcs.SigningConfig{Email: email, PrivateKey: rsaKeyPEM(t, &key)})
	if err != nil {
		t.Fatal(err)
	}

	// Only the signing store claims to sign, so the router offers signed
	// URLs exactly when a key is configured.
	if _, ok := lineage.Blobs(f.store).(lineage.URLSigner); ok {
		t.Fatal("a Store without a key implements URLSigner")
	}
	router := lineage.BlobRouter{"gs": signer}
	raw, ok, err := router.SignedURL(ctx, loc("p/run 1/model.pkl"), 15*time.Minute)
	if err != nil || !ok {
		t.Fatalf("SignedURL = %q, %v, %v", raw, ok, err)
	}
	if _, ok, _ := (lineage.BlobRouter{"gs": f.store}).SignedURL(ctx, loc("x"), time.Minute); ok {
		t.Fatal("router signed through a Store without a key")
	}

	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Path != "/"+bucket+"/p/run 1/model.pkl" || !strings.Contains(u.RawPath+u.EscapedPath(), "run%201") {
		t.Errorf("path %q (escaped %q)", u.Path, u.EscapedPath())
	}
	if q.Get("X-Goog-Algorithm") != "GOOG4-RSA-SHA256" {
		t.Errorf("algorithm %q", q.Get("X-Goog-Algorithm"))
	}
	if q.Get("X-Goog-Expires") != "900" {
		t.Errorf("expires %q, want 900", q.Get("X-Goog-Expires"))
	}
	if !strings.HasPrefix(q.Get("X-Goog-Credential"), email+"/") {
		t.Errorf("credential %q", q.Get("X-Goog-Credential"))
	}
	signed, err := time.Parse("20060102T150405Z", q.Get("X-Goog-Date"))
	if err != nil || time.Since(signed) > time.Minute {
		t.Errorf("date %q: %v", q.Get("X-Goog-Date"), err)
	}

	// Verify the signature.
	var pairs []string
	for _, kv := range strings.Split(u.RawQuery, "&") {
		if !strings.HasPrefix(kv, "X-Goog-Signature=") {
			pairs = append(pairs, kv)
		}
	}
	slices.Sort(pairs)
	canonical := strings.Join([]string{
		"GET", u.EscapedPath(), strings.Join(pairs, "&"),
		"host:" + u.Hostname() + "\n", q.Get("X-Goog-SignedHeaders"), "UNSIGNED-PAYLOAD",
	}, "\n")
	scope := strings.TrimPrefix(q.Get("X-Goog-Credential"), email+"/")
	crh := sha256.Sum256([]byte(canonical))
	toSign := fmt.Sprintf("GOOG4-RSA-SHA256\n%s\n%s\n%x", q.Get("X-Goog-Date"), scope, crh)
	sig, err := hex.DecodeString(q.Get("X-Goog-Signature"))
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte(toSign))
	if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
		t.Errorf("signature does not verify: %v\ncanonical request:\n%s", err, canonical)
	}

	for _, d := range []time.Duration{0, -time.Second, 8 * 24 * time.Hour} {
		if _, err := signer.SignedURL(ctx, loc("x"), d); lineage.ErrorCode(err) != lineage.EINVALID {
			t.Errorf("SignedURL(expires %v): %v, want EINVALID", d, err)
		}
	}
	for _, cfg := range []gcs.SigningConfig{
		{Email: "", PrivateKey: rsaKeyPEM(t, nil)},
		{Email: email, PrivateKey: []byte("not a key")},
		{Email: email, PrivateKey: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("junk")})},
	} {
		if _, err := f.store.WithSigning(cfg); err == nil {
			t.Errorf("WithSigning(%q, %.20q) accepted", cfg.Email, cfg.PrivateKey)
		}
	}
}

// STORAGE_EMULATOR_HOST is all New needs to talk to an emulator: the client
// library routes every request there and skips authentication.
func TestEmulatorHost(t *testing.T) {
	srv := newServer(t)
	t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(srv.URL(), "http://"))
	ctx := context.Background()
	s, err := gcs.New(ctx, gcs.Config{ChunkSize: testChunk})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	content := randomBytes(t, testChunk+10) // resumable, two chunks
	info, err := s.Put(ctx, loc("emu/x.bin"), bytes.NewReader(content), 0)
	if err != nil || info.Hash != hashOf(content) {
		t.Fatalf("Put = %+v, %v", info, err)
	}
	obj, err := srv.GetObject(bucket, "emu/x.bin")
	if err != nil || !bytes.Equal(obj.Content, content) {
		t.Fatalf("the emulator holds %d bytes, %v", len(obj.Content), err)
	}
	b, err := s.Open(ctx, loc("emu/x.bin"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(b)
	b.Close()
	if !bytes.Equal(got, content) {
		t.Fatal("read back differs")
	}
}

// BenchmarkPutGet writes and reads back a 64 MiB object through
// fake-gcs-server over loopback with the default 16 MiB chunks. MB/s counts
// the object once per round trip; put-MB/s and get-MB/s split it.
func BenchmarkPutGet(b *testing.B) {
	const size = 64 << 20
	ctx := context.Background()
	f := newFixture(b, gcs.Config{})
	content := randomBytes(b, size)
	b.SetBytes(size)
	var put, get time.Duration
	i := 0
	for ; b.Loop(); i++ {
		l := loc(fmt.Sprintf("bench/%d.bin", i))
		start := time.Now()
		if _, err := f.store.Put(ctx, l, bytes.NewReader(content), 0); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		blob, err := f.store.Open(ctx, l)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, blob)
		blob.Close()
		if err != nil || n != size {
			b.Fatalf("read %d bytes: %v", n, err)
		}
		put += mid.Sub(start)
		get += time.Since(mid)
		b.StopTimer()
		f.store.Delete(ctx, l) // keep the in-memory server small
		b.StartTimer()
	}
	b.ReportMetric(float64(i)*size/1e6/put.Seconds(), "put-MB/s")
	b.ReportMetric(float64(i)*size/1e6/get.Seconds(), "get-MB/s")
}
