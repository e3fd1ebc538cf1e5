package lineage

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"
)

// GCOptions tune a garbage collection.
type GCOptions struct {
	// Grace spares blobs younger than this: a log writes its blob before it
	// commits the version, so a young unreferenced blob may be one in flight.
	Grace  time.Duration
	DryRun bool
}

// GCReport says what a collection found and did.
type GCReport struct {
	Roots   []string
	Scanned int
	Orphans []BlobEntry
	Removed int
}

// DefaultGCGrace is the grace period when none is given.
const DefaultGCGrace = time.Hour

// GC finds blobs under the artifact paths in use that no version points at
// (left by a crash between a blob write and its commit, or by a failed
// write) and removes those older than the grace period.
func (s *Service) GC(ctx context.Context, opts GCOptions) (GCReport, error) {
	var rep GCReport
	roots, referenced, err := s.gcInventory(ctx)
	if err != nil {
		return rep, err
	}
	rep.Roots = roots
	cutoff := s.Now().Add(-opts.Grace)
	for _, root := range roots {
		err := s.Blobs.List(ctx, root, func(e BlobEntry) error {
			rep.Scanned++
			if referenced[normalLocation(e.Location)] || e.Updated.After(cutoff) {
				return nil
			}
			rep.Orphans = append(rep.Orphans, e)
			return nil
		})
		switch ErrorCode(err) {
		case "":
		case EINVALID, EFORBIDDEN, ENOTFOUND:
			// A root no blob store here serves, or one this server may not
			// touch: nothing of ours can be there.
		default:
			return rep, err
		}
	}
	if opts.DryRun {
		return rep, nil
	}
	for _, e := range rep.Orphans {
		if err := s.Blobs.Delete(ctx, e.Location); err != nil && ErrorCode(err) != ENOTFOUND {
			return rep, err
		}
		rep.Removed++
	}
	return rep, nil
}

// gcInventory lists the roots blobs are written under and every location a
// version points at. Roots are the artifact paths configured for Artigraph
// (default, server, projects, runs), never the places data was logged in
// place with targetPath: those belong to someone else.
func (s *Service) gcInventory(ctx context.Context) ([]string, map[string]bool, error) {
	paths := []string{s.Config.DefaultArtifactPath, s.Config.ServerArtifactPath}
	referenced := map[string]bool{}
	projects, err := s.Store.ListProjects(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range projects {
		paths = append(paths, p.ArtifactPath)
		for page := (Page{First: 1000}); ; {
			rp, err := s.Store.ListRuns(ctx, p.Name, page)
			if err != nil {
				return nil, nil, err
			}
			for _, r := range rp.Runs {
				paths = append(paths, r.ArtifactPath)
			}
			if !rp.HasNext {
				break
			}
			page.After = rp.EndCursor
		}
		vs, err := s.collect(ctx, p.Name, VersionFilter{}, 0)
		if err != nil {
			return nil, nil, err
		}
		for _, v := range vs {
			referenced[normalLocation(v.TargetPath)] = true
		}
	}
	return gcRoots(paths), referenced, nil
}

// gcRoots turns artifact paths into the directories to scan: each cut at its
// first template and last slash, without ones inside another.
func gcRoots(paths []string) []string {
	var roots []string
	for _, p := range paths {
		if i := strings.Index(p, "{{"); i >= 0 {
			p = p[:i]
		}
		p = p[:strings.LastIndex(p, "/")+1]
		if p == "" || p == "/" || strings.HasSuffix(p, "://") || strings.HasSuffix(p, ":///") {
			continue // never sweep a whole filesystem or bucket list
		}
		roots = append(roots, normalLocation(p))
	}
	slices.Sort(roots)
	roots = slices.Compact(roots)
	var out []string
	for _, r := range roots {
		if len(out) > 0 && strings.HasPrefix(r, out[len(out)-1]) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// normalLocation writes file:///x as /x, so both spellings compare equal.
func normalLocation(loc string) string {
	if strings.HasPrefix(loc, "file://") {
		if u, err := url.Parse(loc); err == nil && u.Host == "" {
			if strings.HasSuffix(loc, "/") && !strings.HasSuffix(u.Path, "/") {
				return u.Path + "/"
			}
			return u.Path
		}
	}
	return loc
}
