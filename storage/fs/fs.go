// Package fs stores blobs on the local filesystem, confined to a set of root
// directories so that a client-chosen artifact path cannot reach the rest of
// the server's disk.
//
// Confinement is os.Root's, not a string prefix check: every open, create,
// link, remove, stat and walk goes through the *os.Root of the directory the
// location falls under, so a symbolic link inside a root that points outside
// it (or a ".." that a lexical check missed) cannot be followed, whoever
// planted it and whenever. Symbolic links inside a root that stay inside it
// may be read through; Delete and List never act on a link itself.
//
// Content is immutable: Put never replaces a file. It writes a temporary
// file, fsyncs it and publishes it with a hard link, which fails instead of
// replacing when the name is taken; then it links to a fresh name beside it.
package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"unicode"

	"github.com/artigraph/artigraph/lineage"
)

// publishAttempts bounds the fresh names Put tries when the ones it picked
// are taken; with 32 random bits each, running out means something is wrong.
const publishAttempts = 8

// Store keeps blobs as files under its roots.
type Store struct {
	roots []root
}

// root is one configured directory, opened once.
type root struct {
	dir string // absolute and clean, as locations spell it
	r   *os.Root
}

var _ lineage.Blobs = (*Store)(nil)

// New returns a Store that reads and writes only under the given
// directories, creating any that are missing. Close releases them.
func New(roots ...string) (*Store, error) {
	s := &Store{}
	for _, d := range roots {
		abs, err := filepath.Abs(d)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("blob root %q: %w", d, err)
		}
		abs = filepath.Clean(abs)
		if err := os.MkdirAll(abs, 0o755); err != nil {
			s.Close()
			return nil, fmt.Errorf("blob root: %w", err)
		}
		r, err := os.OpenRoot(abs)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("blob root: %w", err)
		}
		s.roots = append(s.roots, root{dir: abs, r: r})
	}
	if len(s.roots) == 0 {
		return nil, errors.New("fs blob store needs at least one root")
	}
	return s, nil
}

// Close releases the root directories.
func (s *Store) Close() error {
	var errs []error
	for _, r := range s.roots {
		errs = append(errs, r.r.Close())
	}
	return errors.Join(errs...)
}

// target is a location resolved to a root and a path inside it.
type target struct {
	root *root
	rel  string   // slash-separated, clean, relative to root.dir; "." is the root
	url  *url.URL // the parsed location when it was a file:// URL
	loc  string   // the location as the caller wrote it, for messages
}

// resolve turns a location (an absolute path or a file:/// URL) into a path
// inside the most specific root containing it. The check here is lexical and
// only picks the root; os.Root enforces the confinement.
func (s *Store) resolve(location string) (target, error) {
	t := target{loc: location}
	if hasControl(location) {
		return t, lineage.Errorf(lineage.EINVALID, "location %q contains control characters", location)
	}
	p := location
	if lineage.IsURL(location) {
		u, err := url.Parse(location)
		if err != nil || !strings.EqualFold(u.Scheme, "file") || u.Host != "" || u.User != nil || u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" {
			return t, lineage.Errorf(lineage.EINVALID, "%q is not a local file location", location)
		}
		t.url = u
		p = u.Path
		// Percent-decoding may have produced them (file:///a%00b).
		if hasControl(p) {
			return t, lineage.Errorf(lineage.EINVALID, "location %q contains control characters", location)
		}
	}
	if !filepath.IsAbs(p) {
		return t, lineage.Errorf(lineage.EINVALID, "%q is not an absolute path", location)
	}
	clean := filepath.Clean(p)
	for i := range s.roots {
		r := &s.roots[i]
		rel, ok := strings.CutPrefix(clean, r.dir)
		switch {
		case !ok:
			continue
		case rel == "":
			rel = "."
		case rel[0] == filepath.Separator:
			rel = rel[1:]
		case r.dir == string(filepath.Separator): // the root is "/"
		default:
			continue // /data2 is not under /data
		}
		if t.root == nil || len(r.dir) > len(t.root.dir) {
			t.root, t.rel = r, filepath.ToSlash(rel)
		}
	}
	if t.root == nil {
		return t, lineage.Errorf(lineage.EFORBIDDEN, "%q is outside the directories this server may use for blobs", location)
	}
	return t, nil
}

// resolveBlob is resolve for a blob: the root itself is a directory, never a
// blob.
func (s *Store) resolveBlob(location string) (target, error) {
	t, err := s.resolve(location)
	if err == nil && t.rel == "." {
		err = lineage.Errorf(lineage.EFORBIDDEN, "%q is a blob root directory, not a blob", location)
	}
	return t, err
}

func hasControl(s string) bool { return strings.IndexFunc(s, unicode.IsControl) >= 0 }

// sibling is the location of name in the same directory as t, spelled the
// way the caller spelled t (path or file:// URL).
func (t target) sibling(name string) string {
	p := filepath.Join(t.root.dir, filepath.FromSlash(path.Join(path.Dir(t.rel), name)))
	if t.url == nil {
		return p
	}
	return (&url.URL{Scheme: t.url.Scheme, Path: filepath.ToSlash(p)}).String()
}

// LocalPath turns a location into the absolute path of a file under one of
// the roots. It is lexical: the file may still be unreachable through a
// symbolic link that leaves the root, which Open and Put refuse.
func (s *Store) LocalPath(location string) (string, error) {
	t, err := s.resolveBlob(location)
	if err != nil {
		return "", err
	}
	return filepath.Join(t.root.dir, filepath.FromSlash(t.rel)), nil
}

// fsError turns an error of an os.Root operation on t into a lineage error
// that names the caller's location only; unexpected errors are wrapped with
// the location and no server path, for the logs.
func fsError(err error, t target) error {
	switch {
	case err == nil:
		return nil
	case isEscape(err), errors.Is(err, syscall.ELOOP):
		return lineage.Errorf(lineage.EFORBIDDEN, "%s leads outside the directories this server may use for blobs (through a symbolic link)", t.loc)
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		// ENOTDIR: a file where the location needs a directory.
		return lineage.Errorf(lineage.ENOTFOUND, "no content at %s", t.loc)
	case errors.Is(err, fs.ErrPermission):
		return lineage.Errorf(lineage.EFORBIDDEN, "this server has no access to %s", t.loc)
	case errors.Is(err, syscall.ENAMETOOLONG):
		return lineage.Errorf(lineage.EINVALID, "%q is too long a path", t.loc)
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return lineage.Errorf(lineage.EUNAVAILABLE, "no space left to store %s", t.loc)
	}
	return fmt.Errorf("blob %s: %w", t.loc, err)
}

// isEscape reports os.Root's refusal of a path that leaves the root. The
// os package does not export that error, so it is recognised by its text;
// TestSymlinkEscape fails if a Go release changes it.
func isEscape(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if e.Error() == "path escapes from parent" {
			return true
		}
	}
	return false
}

// Put writes a temporary file in the target's directory, fsyncs it, links it
// to the target name (or, when that is taken, to a fresh name beside it),
// removes the temporary name and fsyncs the directory: readers see no file
// or the whole content, an existing file is never replaced, and an
// acknowledged write survives a crash. On any failure it removes the
// temporary file. Only a crash can leave one behind, as a dot file named
// after the target that List reports for garbage collection.
func (s *Store) Put(ctx context.Context, location string, r io.Reader, limit int64) (info lineage.BlobInfo, err error) {
	t, err := s.resolveBlob(location)
	if err != nil {
		return info, err
	}
	root := t.root.r
	dir, base := path.Split(t.rel)
	dir = path.Clean(dir) // "." for the root itself
	// Refuse what can never be published before reading the body.
	if fi, err := root.Lstat(t.rel); err == nil {
		if err := notAFile(fi, t); err != nil {
			return info, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return info, putDirError(err, t)
	}
	if dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return info, putDirError(err, t)
		}
	}
	tmpName := path.Join(dir, "."+lineage.FreshName(base)+".tmp")
	tmp, err := root.OpenFile(tmpName, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return info, fsError(err, t)
	}
	defer func() {
		if tmp != nil {
			tmp.Close()
			root.Remove(tmpName)
		}
	}()
	w := &writeErrRecorder{w: tmp}
	n, hash, err := lineage.HashCopy(w, lineage.ContextReader(ctx, r), limit)
	if err != nil {
		if w.err != nil {
			return info, fsError(w.err, t) // the disk failed
		}
		return info, err // the body failed, ran over the limit, or ctx ended
	}
	// The request may have ended after the last byte: do not publish then.
	if err := ctx.Err(); err != nil {
		return info, err
	}
	if err := tmp.Sync(); err != nil {
		return info, fsError(err, t)
	}
	err = tmp.Close()
	tmp = nil // closed: the deferred cleanup only removes the name now
	if err != nil {
		root.Remove(tmpName)
		return info, fsError(err, t)
	}
	name, err := publish(root, tmpName, t)
	if rerr := root.Remove(tmpName); err == nil && rerr != nil {
		// A second name for the content would outlive a failed Put.
		root.Remove(name)
		err = fsError(rerr, t)
	}
	if err != nil {
		return info, err
	}
	if err := syncDir(root, dir); err != nil {
		root.Remove(name)
		return info, fsError(err, t)
	}
	info = lineage.BlobInfo{Location: location, Size: n, Hash: hash}
	if name != t.rel {
		info.Location = t.sibling(path.Base(name))
	}
	return info, nil
}

// publish links tmpName to t's name or, when that is taken, to fresh names
// beside it, and returns the name it linked. A hard link never replaces an
// existing name, which is what makes concurrent Puts to one location safe.
func publish(root *os.Root, tmpName string, t target) (string, error) {
	dir, base := path.Split(t.rel)
	name := t.rel
	for range publishAttempts {
		err := root.Link(tmpName, name)
		if err == nil {
			return name, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fsError(err, t)
		}
		if name == t.rel {
			// Taken: by a file (a fresh name then) or by what Put may not
			// write beside, which the early check can have missed in a race.
			if fi, err := root.Lstat(t.rel); err == nil {
				if err := notAFile(fi, t); err != nil {
					return "", err
				}
			}
		}
		name = path.Join(dir, lineage.FreshName(base))
	}
	return "", lineage.Errorf(lineage.ECONFLICT, "could not find a free name beside %s; retry", t.loc)
}

// putDirError is fsError for Put's checks of the target's directory, where a
// file in the way is the caller's mistake rather than missing content.
func putDirError(err error, t target) error {
	if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrExist) {
		return lineage.Errorf(lineage.EINVALID, "a blob is in the way of the directory of %s", t.loc)
	}
	return fsError(err, t)
}

// notAFile refuses a directory entry that a blob location may not be.
func notAFile(fi fs.FileInfo, t target) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return lineage.Errorf(lineage.EFORBIDDEN, "%s is a symbolic link; this server does not follow links for blobs", t.loc)
	case fi.IsDir():
		return lineage.Errorf(lineage.EINVALID, "%s is a directory", t.loc)
	}
	return nil
}

// writeErrRecorder remembers a write error, so that Put can tell a failing
// disk (mapped to a lineage error) from a failing body (returned as is).
type writeErrRecorder struct {
	w   io.Writer
	err error
}

func (e *writeErrRecorder) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}

// Open opens the file for reading. The Blob's Seeker is the file itself, so
// downloads can use http.ServeContent (range requests, sendfile).
func (s *Store) Open(ctx context.Context, location string) (lineage.Blob, error) {
	t, err := s.resolveBlob(location)
	if err != nil {
		return lineage.Blob{}, err
	}
	f, err := t.root.r.Open(t.rel)
	if err != nil {
		return lineage.Blob{}, fsError(err, t)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return lineage.Blob{}, fsError(err, t)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		if st.IsDir() {
			return lineage.Blob{}, lineage.Errorf(lineage.EINVALID, "%s is a directory", location)
		}
		return lineage.Blob{}, lineage.Errorf(lineage.EINVALID, "%s is not a regular file", location)
	}
	return lineage.Blob{ReadCloser: f, Size: st.Size(), Seeker: f}, nil
}

func (s *Store) OpenRange(ctx context.Context, location string, offset, length int64) (io.ReadCloser, error) {
	b, err := s.Open(ctx, location)
	if err != nil {
		return nil, err
	}
	if offset < 0 || offset > b.Size {
		b.Close()
		return nil, lineage.Errorf(lineage.EINVALID, "range starts at %d, outside %d bytes", offset, b.Size)
	}
	if _, err := b.Seeker.Seek(offset, io.SeekStart); err != nil {
		b.Close()
		return nil, fmt.Errorf("blob %s: %w", location, err)
	}
	if length < 0 {
		return b, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(b, length), b}, nil
}

// List walks the regular files under prefix (a directory, or a root
// itself), temporary files of interrupted writes included. It does not
// follow symbolic links, nor report them. A missing directory lists nothing.
func (s *Store) List(ctx context.Context, prefix string, fn func(lineage.BlobEntry) error) error {
	t, err := s.resolve(prefix) // the root itself is fine here
	if err != nil {
		return err
	}
	root := t.root.r
	switch fi, err := root.Lstat(t.rel); {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return nil
	case err != nil:
		return fsError(err, t)
	case !fi.IsDir():
		return nil // a file or a link is not a directory to list
	}
	return fs.WalkDir(root.FS(), t.rel, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while we walked
			}
			return fsError(err, t)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// WalkDir reports a link as a link and does not descend into it.
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil // removed while we walked
		}
		full := filepath.Join(t.root.dir, filepath.FromSlash(p))
		loc := full
		if t.url != nil {
			loc = (&url.URL{Scheme: "file", Path: filepath.ToSlash(full)}).String()
		}
		return fn(lineage.BlobEntry{Location: loc, Size: info.Size(), Updated: info.ModTime()})
	})
}

// Delete removes the file. It refuses a symbolic link rather than remove
// the link and leave the caller believing the content it pointed at is gone.
func (s *Store) Delete(ctx context.Context, location string) error {
	t, err := s.resolveBlob(location)
	if err != nil {
		return err
	}
	root := t.root.r
	fi, err := root.Lstat(t.rel)
	if err != nil {
		return fsError(err, t)
	}
	if err := notAFile(fi, t); err != nil {
		return err
	}
	// Remove acts on the name itself and never follows a link there.
	if err := root.Remove(t.rel); err != nil {
		return fsError(err, t)
	}
	return fsError(syncDir(root, path.Dir(t.rel)), t)
}

// syncDir makes a directory's entries durable.
func syncDir(root *os.Root, dir string) error {
	d, err := root.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
