package lineage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
)

// The rules OpenLineage ingestion (package openlineage) needs beyond the
// GraphQL ones: runs whose times come from the events, in whatever order the
// events arrive; dataset keys derived from a dataset's (namespace, name); and
// the version of a dataset current at a point in time. The translation of
// events lives in package openlineage; what may be written, and how, here.

// DatasetKey is the artifact key of an OpenLineage dataset (namespace, name):
// a readable slug of both, then '-' and 12 hex digits of the sha256 of the
// pair, so the same pair always gives the same key and different pairs
// (even ones that slug alike) give different keys. It is always a valid key.
func DatasetKey(namespace, name string) string {
	sum := sha256.Sum256([]byte(namespace + "\x00" + name))
	suffix := hex.EncodeToString(sum[:6])
	slug := Slug(namespace+"."+name, MaxKeyLen-len(suffix)-1, "._-")
	if slug == "" {
		return "ds-" + suffix
	}
	return slug + "-" + suffix
}

// Slug keeps the letters, digits and the characters of keep of s, turns
// every other run of characters into one '-', trims what is not a letter or
// digit from both ends and cuts the result to at most max bytes.
func Slug(s string, max int, keep string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		ok := r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(keep, r))
		if !ok {
			dash = true
			continue
		}
		if dash && b.Len() > 0 {
			b.WriteByte('-')
		}
		dash = false
		b.WriteRune(r)
	}
	out := b.String()
	if len(out) > max {
		out = out[:max]
	}
	out = strings.TrimFunc(out, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
	for strings.Contains(out, "..") {
		out = strings.ReplaceAll(out, "..", ".")
	}
	return out
}

// DatasetLocation is the target path recorded for an OpenLineage dataset:
// "<namespace>/<name>" when the namespace is a URL (s3://bucket,
// postgres://host:5432) that is a valid artifact path outside this server's
// blob roots, else openlineage://dataset/<namespace>/<name> with both
// escaped. The data is never read: it is someone else's.
func (s *Service) DatasetLocation(namespace, name string) string {
	if IsURL(namespace) {
		loc := strings.TrimRight(namespace, "/") + "/" + strings.TrimLeft(name, "/")
		if ValidateArtifactPath(loc) == nil && !s.InRoots(loc) {
			return loc
		}
	}
	esc := func(p string) string {
		e := url.PathEscape(p)
		if e == "." || e == ".." {
			e = "_" + e // never a directory, even decoded
		}
		return e
	}
	return "openlineage://dataset/" + esc(namespace) + "/" + esc(name)
}

// EnsureProject creates the project when it does not exist (with this
// description) and returns it. Creating needs write access to it, as
// UpsertProject does; an existing project needs read access only.
func (s *Service) EnsureProject(ctx context.Context, name, description string) (Project, error) {
	if err := ValidateProjectName(name); err != nil {
		return Project{}, err
	}
	if err := s.canWrite(ctx, name); err != nil {
		return Project{}, err
	}
	p, err := s.store.GetProject(ctx, name)
	if ErrorCode(err) != ENOTFOUND {
		return p, err
	}
	return s.UpsertProject(ctx, Project{Name: name, Description: description})
}
