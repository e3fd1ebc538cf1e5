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
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"cloud.google.com/go/storage"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"google.golang.org/api/option"

	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/lineage/blobtest"
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

// The contract, with chunks small enough that the suite's few-MiB blobs
// take multi-chunk resumable uploads.
func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) (lineage.Blobs, string) {
		return newFixture(t, gcs.Config{ChunkSize: testChunk}).store, loc("suite")
	})
}

// Put labels the object with its sha256 and a content type from the
// extension, keeps both on a fresh name, and Open cannot seek.
func TestMetadataAndContentType(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, gcs.Config{})
	content := []byte(`{"a": [1, 2]}` + "\n")
	for _, want := range []string{"p/run1/0/model.json", ""} {
		info, err := f.store.Put(ctx, loc("p/run1/0/model.json"), bytes.NewReader(content), 0)
		if err != nil {
			t.Fatalf("Put: %v", err)
		}
		object := strings.TrimPrefix(info.Location, loc(""))
		if want != "" && object != want {
			t.Fatalf("Put stored at %s, want %s", object, want)
		}
		attrs, err := f.client.Bucket(bucket).Object(object).Attrs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if "sha256:"+attrs.Metadata[gcs.MetadataSHA256] != info.Hash || info.Hash != hashOf(content) {
			t.Errorf("%s: metadata %v, want sha256 %s", object, attrs.Metadata, hashOf(content))
		}
		if attrs.ContentType != "application/json" {
			t.Errorf("%s: content type %q, want application/json", object, attrs.ContentType)
		}
		b, err := f.store.Open(ctx, info.Location)
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
		if b.Seeker != nil {
			t.Fatal("a GCS blob claims to seek")
		}
	}
	if objs := f.objects(t); len(objs) != 2 {
		t.Fatalf("bucket holds %s, want the blob and its fresh sibling", describe(objs))
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

// The suite lists under a prefix; a bare bucket is a prefix too.
func TestListWholeBucket(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, gcs.Config{})
	for _, name := range []string{"p/a.txt", "q/b.txt"} {
		if _, err := f.store.Put(ctx, loc(name), strings.NewReader("x"), 0); err != nil {
			t.Fatal(err)
		}
	}
	for _, prefix := range []string{"gs://" + bucket, "gs://" + bucket + "/"} {
		var got []string
		if err := f.store.List(ctx, prefix, func(e lineage.BlobEntry) error { got = append(got, e.Location); return nil }); err != nil {
			t.Fatal(err)
		}
		sort.Strings(got)
		if strings.Join(got, ",") != loc("p/a.txt")+","+loc("q/b.txt") {
			t.Errorf("List(%s) = %v", prefix, got)
		}
	}
}

// The suite checks that an over-limit Put leaves nothing; this checks that
// it does so when the limit trips inside an open resumable session, with
// chunks already on the server.
func TestOverLimitInResumableUpload(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, gcs.Config{ChunkSize: testChunk})
	// The limit falls in the third chunk. HashCopy reads 1 MiB at a time, so
	// the body is large enough that whole chunks go up before it trips.
	const limit = 5*testChunk + 1000
	_, err := f.store.Put(ctx, loc("big.bin"), bytes.NewReader(randomBytes(t, 8*testChunk)), limit)
	if lineage.ErrorCode(err) != lineage.ELIMIT {
		t.Fatalf("Put over limit: %v", err)
	}
	if n := f.log.count("resumable chunk"); n < 1 {
		t.Fatalf("no chunk was uploaded before the limit tripped (%d); the test does not test the resumable path", n)
	}
	if objs := f.objects(t); len(objs) != 0 {
		t.Fatalf("objects left behind: %s", describe(objs))
	}
}

// failingReader yields n bytes, then io.EOF; followed by an error reader it
// fails like a dropped client connection.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, io.EOF
	}
	p = p[:min(len(p), f.n)]
	for i := range p {
		p[i] = 'p'
	}
	f.n -= len(p)
	return len(p), nil
}

// A body that fails after chunks went up abandons the resumable session:
// no object, neither at the taken location nor at a fresh name beside it.
func TestFailedResumableUploadLeavesNothing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, gcs.Config{ChunkSize: testChunk})
	if _, err := f.store.Put(ctx, loc("model.pkl"), strings.NewReader("v1"), 0); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		err  error
	}{{"connection reset", errors.New("connection reset")}, {"client hung up", io.ErrUnexpectedEOF}} {
		t.Run(c.name, func(t *testing.T) {
			f.log.reset()
			for _, name := range []string{"model.pkl", "new.pkl"} {
				r := io.MultiReader(&failingReader{n: 5*testChunk + 5}, iotest.ErrReader(c.err))
				if _, err := f.store.Put(ctx, loc(name), r, 0); !errors.Is(err, c.err) && !strings.Contains(fmt.Sprint(err), "connection reset") {
					t.Fatalf("Put(%s) from a failing reader: %v", name, err)
				}
			}
			if n := f.log.count("resumable chunk"); n < 2 {
				t.Fatalf("chunks uploaded: %d, want some from each Put", n)
			}
			if objs := f.objects(t); len(objs) != 1 || objs["model.pkl"] != "v1" {
				t.Fatalf("bucket after failed writes = %s, want only model.pkl = v1", describe(objs))
			}
		})
	}
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

// Two Stores stand for two server processes writing one new location: B
// checks the name while A's upload is under way (A's object does not exist
// yet), finishes first, and A's finalising request then fails its
// DoesNotExist precondition. A's body is consumed, so A cannot move to a
// fresh name: ECONFLICT, and B's content stays. One Store instead gives the
// second Put a fresh name at once.
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, gcs.Config{ChunkSize: testChunk})
	other := gcs.NewWithClient(f.client, gcs.Config{ChunkSize: testChunk})
	for _, c := range []struct {
		name     string
		b        *gcs.Store
		conflict bool
	}{{"other process", other, true}, {"same store", f.store, false}} {
		t.Run(c.name, func(t *testing.T) {
			name := strings.ReplaceAll(c.name, " ", "-") + ".bin"
			f.log.reset()
			// A: a big upload whose client stalls after 1 MiB and a bit (Put
			// hands the writer whole 1 MiB buffers), so chunks are up.
			aFirst, aRest := randomBytes(t, 4*testChunk+100), randomBytes(t, testChunk)
			a := &gatedReader{
				first:   bytes.NewReader(aFirst),
				rest:    bytes.NewReader(aRest),
				started: make(chan struct{}),
				release: make(chan struct{}),
			}
			type result struct {
				info lineage.BlobInfo
				err  error
			}
			resA := make(chan result, 1)
			go func() {
				info, err := f.store.Put(ctx, loc(name), a, 0)
				resA <- result{info, err}
			}()
			<-a.started
			waitFor(t, func() bool { return f.log.count("resumable chunk") >= 1 })

			// B: writes the same location from start to finish meanwhile.
			infoB, err := c.b.Put(ctx, loc(name), strings.NewReader("written by B"), 0)
			if err != nil {
				t.Fatalf("Put B: %v", err)
			}
			close(a.release)
			ra := <-resA
			if c.conflict {
				if infoB.Location != loc(name) {
					t.Fatalf("B stored at %s, want %s", infoB.Location, loc(name))
				}
				if lineage.ErrorCode(ra.err) != lineage.ECONFLICT || !strings.Contains(ra.err.Error(), "another writer") {
					t.Fatalf("Put A after B finished: %+v, %v, want ECONFLICT", ra.info, ra.err)
				}
				if got := f.read(t, loc(name)); got != "written by B" {
					t.Fatalf("content = %q, want B's", got)
				}
				return
			}
			if ra.err != nil {
				t.Fatalf("Put A: %v", ra.err)
			}
			if ra.info.Location != loc(name) || infoB.Location == loc(name) {
				t.Fatalf("A stored at %s, B at %s; want A at %s and B beside it", ra.info.Location, infoB.Location, loc(name))
			}
			if got := f.read(t, ra.info.Location); got != string(aFirst)+string(aRest) {
				t.Fatal("A's content differs")
			}
			if got := f.read(t, infoB.Location); got != "written by B" {
				t.Fatalf("B's content = %q", got)
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
