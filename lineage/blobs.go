package lineage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/url"
	"path"
	"strings"
	"time"
)

// BlobInfo describes stored content.
type BlobInfo struct {
	// Location is where the content was stored: the location asked for, or
	// a fresh one beside it when that was taken (Put never replaces).
	Location string
	Size     int64
	Hash     string // "sha256:<hex>"
}

// Blob is open content: read it, then Close it. Seeker is non-nil when the
// backend can seek (local files), so HTTP range requests can be served.
type Blob struct {
	io.ReadCloser
	Size   int64
	Seeker io.ReadSeeker
}

// Blobs stores content at data-store URLs (file:///…, gs://…) or absolute
// local paths. Implementations normalise a missing object to ENOTFOUND.
type Blobs interface {
	// Put streams r to a new blob at location, hashing on the way. It never
	// replaces content: when location is taken, the blob is stored at a
	// fresh location beside it (same directory, a unique suffix before the
	// extension) and BlobInfo.Location says where. It fails with ELIMIT once
	// more than limit bytes arrive (limit <= 0: no limit); on any failure
	// (limit, short body, cancelled context, read error) it leaves nothing
	// new behind. It returns once the content is durable.
	Put(ctx context.Context, location string, r io.Reader, limit int64) (BlobInfo, error)
	Open(ctx context.Context, location string) (Blob, error)
	// OpenRange reads length bytes from offset (length < 0: to the end).
	OpenRange(ctx context.Context, location string, offset, length int64) (io.ReadCloser, error)
	Delete(ctx context.Context, location string) error
	// List calls fn for every blob whose location starts with prefix (a
	// directory-like location), including partial uploads a crash left
	// behind, so that garbage collection can find orphans.
	List(ctx context.Context, prefix string, fn func(BlobEntry) error) error
}

// FreshName returns a name for a blob beside name, for a Put whose location
// is taken: name with 8 crypto-random hex digits before its extension
// ("model.pkl" -> "model.3f9a1c2e.pkl", "README" -> "README.3f9a1c2e",
// ".env" -> ".env.3f9a1c2e"). name is the last path segment only; the
// extension is kept so that the content type still follows from it.
// Randomness, not a counter, so that writers in different processes do not
// pick the same names in turn; callers still publish without replacing and
// try again on a collision.
func FreshName(name string) string {
	var b [4]byte
	rand.Read(b[:]) // never fails (crypto/rand: a failure is fatal)
	suffix := hex.EncodeToString(b[:])
	ext := path.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	if stem == "" { // a dot file: the whole name is the stem
		return name + "." + suffix
	}
	return stem + "." + suffix + ext
}

// BlobEntry is one listed blob.
type BlobEntry struct {
	Location string
	Size     int64
	Updated  time.Time
}

// URLSigner is implemented by blob stores that can hand out time-limited
// URLs (GCS V4 signing), so clients fetch large content from the store
// directly.
type URLSigner interface {
	SignedURL(ctx context.Context, location string, expires time.Duration) (string, error)
}

// BlobRouter sends each location to the Blobs registered for its scheme;
// bare absolute paths count as "file".
type BlobRouter map[string]Blobs

var _ Blobs = BlobRouter(nil)

func (r BlobRouter) route(location string) (Blobs, error) {
	scheme := "file"
	if IsURL(location) {
		u, err := url.Parse(location)
		if err != nil {
			return nil, Errorf(EINVALID, "malformed location %q", location)
		}
		scheme = strings.ToLower(u.Scheme)
	}
	b, ok := r[scheme]
	if !ok {
		return nil, Errorf(EINVALID, "no blob store serves %s:// locations on this server", scheme)
	}
	return b, nil
}

// Serves reports whether some store handles location.
func (r BlobRouter) Serves(location string) bool {
	_, err := r.route(location)
	return err == nil
}

func (r BlobRouter) Put(ctx context.Context, location string, body io.Reader, limit int64) (BlobInfo, error) {
	b, err := r.route(location)
	if err != nil {
		return BlobInfo{}, err
	}
	return b.Put(ctx, location, body, limit)
}

func (r BlobRouter) Open(ctx context.Context, location string) (Blob, error) {
	b, err := r.route(location)
	if err != nil {
		return Blob{}, err
	}
	return b.Open(ctx, location)
}

func (r BlobRouter) OpenRange(ctx context.Context, location string, offset, length int64) (io.ReadCloser, error) {
	b, err := r.route(location)
	if err != nil {
		return nil, err
	}
	return b.OpenRange(ctx, location, offset, length)
}

func (r BlobRouter) List(ctx context.Context, prefix string, fn func(BlobEntry) error) error {
	b, err := r.route(prefix)
	if err != nil {
		return err
	}
	return b.List(ctx, prefix, fn)
}

// SignedURL signs location if its store can; ok is false when it cannot.
func (r BlobRouter) SignedURL(ctx context.Context, location string, expires time.Duration) (url string, ok bool, err error) {
	b, err := r.route(location)
	if err != nil {
		return "", false, nil
	}
	s, can := b.(URLSigner)
	if !can {
		return "", false, nil
	}
	url, err = s.SignedURL(ctx, location, expires)
	return url, err == nil, err
}

func (r BlobRouter) Delete(ctx context.Context, location string) error {
	b, err := r.route(location)
	if err != nil {
		return err
	}
	return b.Delete(ctx, location)
}

// ContextReader returns a reader that fails once ctx ends, so that a blob
// store's copy stops when the request that feeds it is cancelled.
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return ctxReader{ctx, r} }

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
