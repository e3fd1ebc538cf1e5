package lineage

import (
	"context"
	"io"
	"path"
	"strings"
	"time"
)

// Blob roots are the locations Artigraph writes, serves, deletes and
// collects content under. They come from configuration only (the server's
// data-dir blob folder, --artifact-path, --blob-roots): an artifact path or
// targetPath in a request may point inside them, never widen them, so no
// request can reach the metadata store or the rest of the disk.

// BlobRootOf is the root a configured artifact path stands for: the path
// cut at its first template ("{{project}}") and then at its last slash, or
// the whole path when it has no template. "" when nothing is left that
// could be a root (a bare "/" or a bucket list).
func BlobRootOf(artifactPath string) string {
	p := artifactPath
	if i := strings.Index(p, "{{"); i >= 0 {
		p = p[:strings.LastIndex(p[:i], "/")+1]
	}
	r := normalRoot(p)
	if r == "" || r == "/" || strings.HasSuffix(r, "://") {
		return ""
	}
	return r
}

// ValidateBlobRoot checks one configured root: an absolute directory, a
// file:/// URL or a store URL with a bucket (gs://bucket[/prefix]).
func ValidateBlobRoot(root string) error {
	if err := ValidateArtifactPath(root); err != nil {
		return err
	}
	if strings.Contains(root, "{{") {
		return Errorf(EINVALID, "blob root %q must not contain templates", root)
	}
	if BlobRootOf(root) == "" {
		return Errorf(EINVALID, "blob root %q would cover a whole filesystem or store", root)
	}
	return nil
}

// normalRoot writes a root as a location prefix ending in "/": file:///x
// and /x both become /x/, local paths are cleaned.
func normalRoot(r string) string {
	if r == "" {
		return ""
	}
	r = normalLocation(r)
	if !IsURL(r) {
		r = path.Clean(r)
	}
	if !strings.HasSuffix(r, "/") {
		r += "/"
	}
	return r
}

// roots are the configured blob roots, normalised; without any configured
// (a Service built by hand), those of the default and server artifact paths.
func (s *Service) roots() []string {
	paths := s.Config.BlobRoots
	if len(paths) == 0 {
		paths = []string{s.Config.DefaultArtifactPath, s.Config.ServerArtifactPath}
	}
	var out []string
	for _, p := range paths {
		if r := BlobRootOf(p); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// InRoots reports whether location lies strictly inside a blob root.
func (s *Service) InRoots(location string) bool {
	if ValidateArtifactPath(location) != nil {
		return false
	}
	loc := normalLocation(location)
	if !IsURL(loc) {
		loc = path.Clean(loc)
	}
	for _, r := range s.roots() {
		if strings.HasPrefix(loc, r) && len(loc) > len(r) {
			return true
		}
	}
	return false
}

// checkWritable refuses a location content is about to be written to when
// no blob store serves it (EINVALID) or it is outside the roots (EFORBIDDEN).
func (s *Service) checkWritable(location string) error {
	if r, ok := s.blobs.(BlobRouter); ok {
		if _, err := r.route(location); err != nil {
			return err
		}
	}
	if !s.InRoots(location) {
		return Errorf(EFORBIDDEN, "%s is outside the blob roots this server writes to", location)
	}
	return nil
}

// checkArtifactPath refuses a project's or run's artifact path that points
// outside the roots, so the mistake shows when it is set, not at each log.
// Paths no blob store here serves are refused as a log would refuse them.
func (s *Service) checkArtifactPath(p string) error {
	filled, err := FillArtifactPath(p, "project", "uid")
	if err != nil {
		return err
	}
	if err := ValidateArtifactPath(filled); err != nil {
		return err
	}
	err = s.checkWritable(strings.TrimRight(filled, "/") + "/key")
	if ErrorCode(err) == EFORBIDDEN {
		return Errorf(EFORBIDDEN, "artifact path %s is outside the blob roots this server writes to", p)
	}
	return err
}

// ContentLocation is where v's content is served from: its target path,
// or for a model whose target path is a directory (as MLRun logs models),
// the model file inside it (see contentLocation).
func (s *Service) ContentLocation(v Version) string { return contentLocation(v) }

// CanServe reports whether this server hands out v's content: it must be
// inside the blob roots and served by a blob store here.
func (s *Service) CanServe(v Version) bool {
	loc := contentLocation(v)
	if !s.InRoots(loc) {
		return false
	}
	if r, ok := s.blobs.(BlobRouter); ok {
		return r.Serves(loc)
	}
	return true
}

// VersionIn returns the version uid of project, or ENOTFOUND.
func (s *Service) VersionIn(ctx context.Context, project, uid string) (Version, error) {
	// Who asks comes first, so that an unauthenticated caller cannot tell
	// an existing version from a missing one.
	if _, err := s.caller(ctx); err != nil {
		return Version{}, err
	}
	vs, err := s.store.GetVersions(ctx, []string{uid})
	if err != nil {
		return Version{}, err
	}
	if len(vs) == 0 || vs[0].Project != project {
		return Version{}, Errorf(ENOTFOUND, "no artifact version %s in project %q", uid, project)
	}
	if err := s.readsVersion(ctx, vs[0]); err != nil {
		return Version{}, err
	}
	return vs[0], nil
}

// errNotServed is the answer for content outside the roots: it may be
// anybody's file (logged in place with targetPath), so it is never read.
func errNotServed(v Version) error {
	return Errorf(EFORBIDDEN, "the content of %s is not stored under this server's blob roots; fetch it from %s", CanonicalURI(v, ""), v.TargetPath)
}

// OpenContent opens v's content for download, refusing content outside the
// blob roots. It is the only way the HTTP layer reads content.
func (s *Service) OpenContent(ctx context.Context, v Version) (Blob, error) {
	if err := s.readsVersion(ctx, v); err != nil {
		return Blob{}, err
	}
	if !s.CanServe(v) {
		return Blob{}, errNotServed(v)
	}
	return s.blobs.Open(ctx, contentLocation(v))
}

// OpenContentRange reads length bytes of v's content from offset.
func (s *Service) OpenContentRange(ctx context.Context, v Version, offset, length int64) (io.ReadCloser, error) {
	if err := s.readsVersion(ctx, v); err != nil {
		return nil, err
	}
	if !s.CanServe(v) {
		return nil, errNotServed(v)
	}
	return s.blobs.OpenRange(ctx, contentLocation(v), offset, length)
}

// VerifyContent reads v's content once and checks it against the recorded
// hash: ECONFLICT when it no longer matches.
func (s *Service) VerifyContent(ctx context.Context, v Version) error {
	if !s.CanServe(v) {
		return errNotServed(v)
	}
	if v.Hash == "" {
		return Errorf(EINVALID, "this version has no recorded hash to verify against")
	}
	b, err := s.OpenContent(ctx, v)
	if err != nil {
		return err
	}
	defer b.Close()
	got, err := hashOf(b)
	if err != nil {
		return err
	}
	if got != v.Hash {
		return Errorf(ECONFLICT, "the content at %s no longer matches the recorded hash %s", contentLocation(v), v.Hash)
	}
	return nil
}

// SignedURL is a link, valid for ttl, at which the blob store holding v's
// content serves it directly; ok is false when that store cannot sign (the
// content then comes through this server).
func (s *Service) SignedURL(ctx context.Context, v Version, ttl time.Duration) (url string, ok bool, err error) {
	if err := s.readsVersion(ctx, v); err != nil {
		return "", false, err
	}
	if !s.CanServe(v) {
		return "", false, errNotServed(v)
	}
	switch b := s.blobs.(type) {
	case BlobRouter:
		return b.SignedURL(ctx, contentLocation(v), ttl)
	case URLSigner:
		url, err = b.SignedURL(ctx, contentLocation(v), ttl)
		return url, err == nil, err
	}
	return "", false, nil
}
