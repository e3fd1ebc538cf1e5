// Package gcs stores blobs in Google Cloud Storage at gs://bucket/object
// locations.
//
// Credentials come from the standard Google environment (Application Default
// Credentials: GOOGLE_APPLICATION_CREDENTIALS, gcloud's user credentials, or
// the metadata server on GCE, GKE and Cloud Run). When STORAGE_EMULATOR_HOST
// is set (e.g. "localhost:4443" for fake-gcs-server), storage.NewClient itself
// sends every request to that emulator without authentication; this package
// adds nothing for it.
//
// A Store does not sign URLs. WithSigning turns it into a SigningStore, which
// also implements lineage.URLSigner (V4 signed GET URLs), with a service
// account key; the blob router offers signed downloads only for stores that
// implement it, so the capability follows the configuration.
//
// Content is immutable: Put never replaces an object. Every upload is
// conditional on the object not existing (DoesNotExist), and when the
// location is taken Put picks a fresh name beside it (lineage.FreshName) and
// says so in BlobInfo.Location. Concurrent Puts of one Store to one location
// each get their own name, because a name another Put of this Store is
// uploading to counts as taken. A writer in another process can still claim
// the same name between Put's check and the end of its upload; the
// precondition then fails when the upload is finalised, after the body has
// been consumed, so Put cannot try a fresh name and returns ECONFLICT: the
// caller retries with the body, and no content was replaced.
package gcs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"

	"github.com/artigraph/artigraph/lineage"
)

// DefaultChunkSize is the resumable upload chunk size when Config leaves it
// zero: the client library's own default. Each Put holds one chunk in memory.
const DefaultChunkSize = 16 << 20

// MetadataSHA256 is the custom metadata key under which Put records the
// hex sha256 of the content.
const MetadataSHA256 = "sha256"

// Config tunes a Store.
type Config struct {
	// ChunkSize is the resumable upload chunk size in bytes (rounded up by
	// the client library to a multiple of 256 KiB). Content up to one chunk
	// goes up in a single request; larger content in a resumable upload of
	// several. Zero means DefaultChunkSize. Each Put buffers one chunk, which
	// is what lets the library retry a chunk after a transient error.
	ChunkSize int
}

// Store keeps blobs as GCS objects. It does not sign URLs; see WithSigning.
type Store struct {
	client    *storage.Client
	ownClient bool
	chunkSize int

	mu        sync.Mutex
	uploading map[location]bool // names Puts of this Store are uploading to
}

var _ lineage.Blobs = (*Store)(nil)

// New creates a GCS client from opts and the standard Google environment
// (Application Default Credentials, or STORAGE_EMULATOR_HOST) and returns a
// Store that uses it. Close releases the client.
func New(ctx context.Context, cfg Config, opts ...option.ClientOption) (*Store, error) {
	c, err := storage.NewClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("gcs client: %w", err)
	}
	s := NewWithClient(c, cfg)
	s.ownClient = true
	return s, nil
}

// NewWithClient returns a Store on an existing client, which the caller
// keeps and closes.
func NewWithClient(c *storage.Client, cfg Config) *Store {
	cs := cfg.ChunkSize
	if cs <= 0 {
		cs = DefaultChunkSize
	}
	return &Store{client: c, chunkSize: cs}
}

// Close closes the client if New created it.
func (s *Store) Close() error {
	if s.ownClient {
		return s.client.Close()
	}
	return nil
}

// location is a parsed gs://bucket/object.
type location struct {
	bucket, object string
}

func (l location) String() string { return "gs://" + l.bucket + "/" + l.object }

// parseLocation accepts gs://bucket/object with a valid bucket name and an
// object name made of non-empty segments other than "." and "..": locations
// are built by joining path segments, so anything else is a mistake, not a
// name someone meant.
func parseLocation(loc string) (location, error) {
	bucket, object, err := splitLocation(loc)
	if err != nil {
		return location{}, err
	}
	if object == "" {
		return location{}, lineage.Errorf(lineage.EINVALID, "%q names a bucket, not an object: want gs://bucket/object", loc)
	}
	if err := checkObjectName(loc, object); err != nil {
		return location{}, err
	}
	return location{bucket: bucket, object: object}, nil
}

// parsePrefix accepts gs://bucket, gs://bucket/ and gs://bucket/dir[/] and
// returns the bucket and the object-name prefix, which is "" for the whole
// bucket and ends with "/" otherwise: a prefix is a directory, so
// gs://b/run1 lists gs://b/run1/… but not gs://b/run10/….
func parsePrefix(loc string) (bucket, prefix string, err error) {
	bucket, dir, err := splitLocation(loc)
	if err != nil {
		return "", "", err
	}
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		return bucket, "", nil
	}
	if err := checkObjectName(loc, dir); err != nil {
		return "", "", err
	}
	return bucket, dir + "/", nil
}

func splitLocation(loc string) (bucket, rest string, err error) {
	scheme, tail, ok := strings.Cut(loc, "://")
	if !ok || !strings.EqualFold(scheme, "gs") {
		return "", "", lineage.Errorf(lineage.EINVALID, "%q is not a gs://bucket/object location", loc)
	}
	bucket, rest, _ = strings.Cut(tail, "/")
	if !validBucket(bucket) {
		return "", "", lineage.Errorf(lineage.EINVALID, "%q does not name a valid GCS bucket", loc)
	}
	return bucket, rest, nil
}

// validBucket applies GCS's bucket naming rules: 3–63 characters (up to 222
// when dotted), lowercase letters, digits, '-', '_' and '.', starting and
// ending with a letter or digit.
func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 222 || (len(b) > 63 && !strings.Contains(b, ".")) {
		return false
	}
	for i, r := range b {
		alnum := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		if (i == 0 || i == len(b)-1) && !alnum {
			return false
		}
		if !alnum && r != '-' && r != '_' && r != '.' {
			return false
		}
	}
	return true
}

func checkObjectName(loc, name string) error {
	if len(name) > 1024 || !utf8.ValidString(name) {
		return lineage.Errorf(lineage.EINVALID, "%q is not a valid GCS object name", loc)
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return lineage.Errorf(lineage.EINVALID, "%q contains control characters", loc)
	}
	for _, seg := range strings.Split(name, "/") {
		switch seg {
		case "":
			return lineage.Errorf(lineage.EINVALID, "%q has an empty path segment", loc)
		case ".", "..":
			return lineage.Errorf(lineage.EINVALID, "%q has a %q path segment", loc, seg)
		}
	}
	return nil
}

func (s *Store) object(l location) *storage.ObjectHandle {
	return s.client.Bucket(l.bucket).Object(l.object)
}

// freshAttempts bounds the names Put checks before giving up; with 32
// random bits each, running out means something is wrong.
const freshAttempts = 8

// Put streams r into a new object through a resumable upload, hashing on the
// way. Nothing appears until the upload is finalised, which happens only
// after r reached io.EOF within the limit: on a read error (io.ErrUnexpectedEOF
// included), an exceeded limit or a cancelled ctx the upload is abandoned and
// nothing is left. It never replaces an object: see the package comment for
// how it picks the name and when it returns ECONFLICT.
func (s *Store) Put(ctx context.Context, loc string, r io.Reader, limit int64) (lineage.BlobInfo, error) {
	want, err := parseLocation(loc)
	if err != nil {
		return lineage.BlobInfo{}, err
	}
	l, err := s.reserve(ctx, want)
	if err != nil {
		return lineage.BlobInfo{}, err
	}
	defer s.release(l)
	obj := s.object(l)

	// Cancelling wctx (and closing the writer with an error) before Close
	// abandons the upload: the library never sends the finalising request.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := obj.If(storage.Conditions{DoesNotExist: true}).NewWriter(wctx)
	w.ChunkSize = s.chunkSize
	w.ContentType = mime.TypeByExtension(path.Ext(l.object))
	abort := func(cause error) {
		cancel()
		// Cancelling alone closes the upload's pipe from a goroutine, later;
		// closing it with an error here, first, makes sure the Close below
		// (which waits for the upload goroutine to end) cannot deliver EOF
		// and so finalise a partial object. Hence the deprecated call.
		//lint:ignore SA1019 see above
		w.CloseWithError(cause)
		w.Close()
	}

	// HashCopy ends only at io.EOF from the body and hashes on another
	// goroutine while the next chunk goes up.
	src := &readErrRecorder{r: lineage.ContextReader(ctx, r)}
	n, sum, err := lineage.HashCopy(w, src, limit)
	if err != nil {
		abort(err)
		switch {
		case src.err != nil:
			return lineage.BlobInfo{}, src.err // the body failed or ctx ended
		case lineage.ErrorCode(err) == lineage.ELIMIT:
			return lineage.BlobInfo{}, err
		}
		return lineage.BlobInfo{}, closeError(err, l)
	}
	// The request may have ended after the last byte: do not finalise then.
	if err := ctx.Err(); err != nil {
		abort(err)
		return lineage.BlobInfo{}, err
	}
	if err := w.Close(); err != nil {
		return lineage.BlobInfo{}, closeError(err, l)
	}

	// Custom metadata must be sent before the first byte, when the hash is
	// not known yet, so it is patched onto the generation just written. The
	// blob is durable already: a failed patch does not undo the Put, it only
	// leaves the object without the sha256 label.
	if attrs := w.Attrs(); attrs != nil {
		_, _ = obj.If(storage.Conditions{GenerationMatch: attrs.Generation}).
			Update(ctx, storage.ObjectAttrsToUpdate{Metadata: map[string]string{MetadataSHA256: strings.TrimPrefix(sum, "sha256:")}})
	}
	info := lineage.BlobInfo{Location: loc, Size: n, Hash: sum}
	if l != want {
		// Keep the caller's spelling of everything but the name.
		info.Location = strings.TrimSuffix(loc, want.object) + l.object
	}
	return info, nil
}

// reserve picks the name Put uploads to: want when it is free, a fresh name
// beside it otherwise. A name counts as taken when an object has it or
// another Put of this Store is uploading to it; the caller releases it.
func (s *Store) reserve(ctx context.Context, want location) (location, error) {
	dir, base := path.Split(want.object)
	l := want
	for range freshAttempts {
		s.mu.Lock()
		busy := s.uploading[l]
		if !busy {
			if s.uploading == nil {
				s.uploading = map[location]bool{}
			}
			s.uploading[l] = true
		}
		s.mu.Unlock()
		if !busy {
			_, err := s.object(l).Attrs(ctx)
			if errors.Is(err, storage.ErrObjectNotExist) {
				return l, nil
			}
			s.release(l)
			if err != nil {
				return location{}, mapError(err, l)
			}
		}
		l = location{bucket: want.bucket, object: dir + lineage.FreshName(base)}
		if len(l.object) > 1024 {
			return location{}, lineage.Errorf(lineage.EINVALID, "%s is taken and too long a name to store a blob beside it", want)
		}
	}
	return location{}, lineage.Errorf(lineage.ECONFLICT, "could not find a free name beside %s; retry", want)
}

func (s *Store) release(l location) {
	s.mu.Lock()
	delete(s.uploading, l)
	s.mu.Unlock()
}

// closeError maps an upload's failure: 412 means that another writer
// created the object after reserve checked the name.
func closeError(err error, l location) error {
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		switch gerr.Code {
		case http.StatusNotFound:
			// An upload creates the object, so only the bucket can be missing.
			return lineage.Errorf(lineage.ENOTFOUND, "bucket %s does not exist", l.bucket)
		case http.StatusPreconditionFailed:
			return lineage.Errorf(lineage.ECONFLICT, "another writer created %s while this upload was in progress; nothing was replaced, retry the upload", l)
		}
	}
	return mapError(err, l)
}

// Open reads the whole object. GCS readers cannot seek, so Seeker is nil.
func (s *Store) Open(ctx context.Context, loc string) (lineage.Blob, error) {
	l, err := parseLocation(loc)
	if err != nil {
		return lineage.Blob{}, err
	}
	rd, err := s.object(l).NewReader(ctx)
	if err != nil {
		return lineage.Blob{}, mapError(err, l)
	}
	return lineage.Blob{ReadCloser: rd, Size: rd.Attrs.Size}, nil
}

// OpenRange reads length bytes from offset (length < 0: to the end). A range
// starting exactly at the end is empty; one starting beyond it is EINVALID.
func (s *Store) OpenRange(ctx context.Context, loc string, offset, length int64) (io.ReadCloser, error) {
	l, err := parseLocation(loc)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, lineage.Errorf(lineage.EINVALID, "range starts at %d", offset)
	}
	obj := s.object(l)
	rd, err := obj.NewRangeReader(ctx, offset, length)
	if err == nil {
		return rd, nil
	}
	// GCS answers 416 for any range starting at or past the end; tell the
	// empty range at the end apart from one outside the object.
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) || gerr.Code != http.StatusRequestedRangeNotSatisfiable {
		return nil, mapError(err, l)
	}
	attrs, err := obj.Attrs(ctx)
	if err != nil {
		return nil, mapError(err, l)
	}
	if offset == attrs.Size {
		return io.NopCloser(strings.NewReader("")), nil
	}
	return nil, lineage.Errorf(lineage.EINVALID, "range starts at %d, outside %d bytes", offset, attrs.Size)
}

// Delete removes the object.
func (s *Store) Delete(ctx context.Context, loc string) error {
	l, err := parseLocation(loc)
	if err != nil {
		return err
	}
	if err := s.object(l).Delete(ctx); err != nil {
		return mapError(err, l)
	}
	return nil
}

// List calls fn for every object under prefix, a directory-like location
// (gs://bucket or gs://bucket/dir). GCS has no partial objects: an abandoned
// resumable upload is a session, not an object, and expires by itself, so
// there is nothing else to list.
func (s *Store) List(ctx context.Context, loc string, fn func(lineage.BlobEntry) error) error {
	bucket, prefix, err := parsePrefix(loc)
	if err != nil {
		return err
	}
	q := &storage.Query{Prefix: prefix}
	if err := q.SetAttrSelection([]string{"Name", "Size", "Updated"}); err != nil {
		return err
	}
	it := s.client.Bucket(bucket).Objects(ctx, q)
	for {
		attrs, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return nil
		}
		if err != nil {
			return mapError(err, location{bucket: bucket, object: prefix})
		}
		if err := fn(lineage.BlobEntry{
			Location: "gs://" + bucket + "/" + attrs.Name,
			Size:     attrs.Size,
			Updated:  attrs.Updated,
		}); err != nil {
			return err
		}
	}
}

// mapError turns client errors into lineage codes; the message names the
// location only, never the server's response.
func mapError(err error, l location) error {
	switch {
	case errors.Is(err, storage.ErrObjectNotExist):
		return lineage.Errorf(lineage.ENOTFOUND, "no content at %s", l)
	case errors.Is(err, storage.ErrBucketNotExist):
		return lineage.Errorf(lineage.ENOTFOUND, "bucket %s does not exist", l.bucket)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) {
		return fmt.Errorf("gcs %s: %w", l, err)
	}
	switch {
	case gerr.Code == http.StatusNotFound:
		return lineage.Errorf(lineage.ENOTFOUND, "no content at %s", l)
	case gerr.Code == http.StatusPreconditionFailed:
		return lineage.Errorf(lineage.ECONFLICT, "%s was changed by another writer; retry", l)
	case gerr.Code == http.StatusUnauthorized || gerr.Code == http.StatusForbidden:
		return lineage.Errorf(lineage.EFORBIDDEN, "this server has no access to %s", l)
	case gerr.Code == http.StatusTooManyRequests || gerr.Code >= 500:
		return lineage.Errorf(lineage.EUNAVAILABLE, "cloud storage is unavailable for %s; retry later", l)
	}
	return fmt.Errorf("gcs %s: %w", l, err)
}

// readErrRecorder remembers the error of its reader, so that Put can tell a
// failing client stream from a failing upload.
type readErrRecorder struct {
	r   io.Reader
	err error
}

func (e *readErrRecorder) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}
