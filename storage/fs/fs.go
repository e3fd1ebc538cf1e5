// Package fs stores blobs on the local filesystem, confined to a set of root
// directories so that a client-chosen artifact path cannot reach the rest of
// the server's disk.
package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/artigraph/artigraph/lineage"
)

// Store keeps blobs as files under Roots.
type Store struct {
	roots []string
}

var _ lineage.Blobs = (*Store)(nil)

// New returns a Store that reads and writes only under the given directories.
func New(roots ...string) (*Store, error) {
	s := &Store{}
	for _, r := range roots {
		abs, err := filepath.Abs(r)
		if err != nil {
			return nil, fmt.Errorf("blob root %q: %w", r, err)
		}
		s.roots = append(s.roots, filepath.Clean(abs))
	}
	if len(s.roots) == 0 {
		return nil, errors.New("fs blob store needs at least one root")
	}
	return s, nil
}

// LocalPath turns a location (an absolute path or a file:/// URL) into a
// path under one of the roots.
func (s *Store) LocalPath(location string) (string, error) {
	p := location
	if lineage.IsURL(location) {
		u, err := url.Parse(location)
		if err != nil || u.Scheme != "file" || u.Host != "" {
			return "", lineage.Errorf(lineage.EINVALID, "%q is not a local file location", location)
		}
		p = u.Path
	}
	if !filepath.IsAbs(p) {
		return "", lineage.Errorf(lineage.EINVALID, "%q is not an absolute path", location)
	}
	clean := filepath.Clean(p)
	for _, r := range s.roots {
		if clean != r && strings.HasPrefix(clean, r+string(filepath.Separator)) {
			return clean, nil
		}
	}
	return "", lineage.Errorf(lineage.EFORBIDDEN, "%q is outside the directories this server may use for blobs", location)
}

// Put writes to a temporary file beside the target, fsyncs it, renames it
// into place and fsyncs the directory: readers see the old content or the
// whole new content, and an acknowledged write survives a crash.
func (s *Store) Put(ctx context.Context, location string, r io.Reader, limit int64) (info lineage.BlobInfo, err error) {
	path, err := s.LocalPath(location)
	if err != nil {
		return info, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return info, err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return info, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, hash, err := lineage.HashCopy(tmp, lineage.ContextReader(ctx, r), limit)
	if err != nil {
		return info, err
	}
	if err = tmp.Sync(); err != nil {
		return info, err
	}
	if err = tmp.Close(); err != nil {
		return info, err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return info, err
	}
	if err = syncDir(dir); err != nil {
		return info, err
	}
	return lineage.BlobInfo{Location: location, Size: n, Hash: hash}, nil
}

func (s *Store) Open(ctx context.Context, location string) (lineage.Blob, error) {
	path, err := s.LocalPath(location)
	if err != nil {
		return lineage.Blob{}, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return lineage.Blob{}, lineage.Errorf(lineage.ENOTFOUND, "no content at %s", location)
	} else if err != nil {
		return lineage.Blob{}, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return lineage.Blob{}, err
	}
	if st.IsDir() {
		f.Close()
		return lineage.Blob{}, lineage.Errorf(lineage.EINVALID, "%s is a directory", location)
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
		return nil, err
	}
	if length < 0 {
		return b, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(b, length), b}, nil
}

// List walks the files under prefix (a directory), temporary files of
// interrupted writes included. A missing directory lists nothing.
func (s *Store) List(ctx context.Context, prefix string, fn func(lineage.BlobEntry) error) error {
	dir, err := s.LocalPath(strings.TrimRight(prefix, "/") + "/.")
	if err != nil {
		// The prefix may be a root itself, which LocalPath refuses as a blob.
		dir, err = s.rootPath(prefix)
		if err != nil {
			return err
		}
	}
	asURL := strings.HasPrefix(prefix, "file://")
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil // removed while we walked
		}
		loc := p
		if asURL {
			loc = "file://" + p
		}
		return fn(lineage.BlobEntry{Location: loc, Size: info.Size(), Updated: info.ModTime()})
	})
	return err
}

// rootPath accepts exactly one of the roots.
func (s *Store) rootPath(location string) (string, error) {
	p := strings.TrimPrefix(location, "file://")
	clean := filepath.Clean(p)
	for _, r := range s.roots {
		if clean == r {
			return clean, nil
		}
	}
	return "", lineage.Errorf(lineage.EFORBIDDEN, "%q is outside the directories this server may use for blobs", location)
}

func (s *Store) Delete(ctx context.Context, location string) error {
	path, err := s.LocalPath(location)
	if err != nil {
		return err
	}
	err = os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return lineage.Errorf(lineage.ENOTFOUND, "no content at %s", location)
	}
	if err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
