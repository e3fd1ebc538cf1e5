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

// GC finds blobs under the blob roots that no version points at
// (left by a crash between a blob write and its commit, or by a failed
// write) and removes those older than the grace period.
func (s *Service) GC(ctx context.Context, opts GCOptions) (GCReport, error) {
	var rep GCReport
	if err := s.requireAdmin(ctx); err != nil {
		return rep, err
	}
	roots, referenced, err := s.gcInventory(ctx)
	if err != nil {
		return rep, err
	}
	rep.Roots = roots
	cutoff := s.Now().Add(-opts.Grace)
	for _, root := range roots {
		err := s.blobs.List(ctx, root, func(e BlobEntry) error {
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
	// Under contentMu, each orphan is checked again: a log in place may have
	// pointed a version at it since the inventory.
	s.contentMu.Lock()
	defer s.contentMu.Unlock()
	projects, err := s.store.ListProjects(ctx)
	if err != nil {
		return rep, err
	}
	for _, e := range rep.Orphans {
		used, err := s.referencedElsewhere(ctx, projects, e.Location, nil)
		if err != nil {
			return rep, err
		}
		if used {
			continue
		}
		if err := s.blobs.Delete(ctx, e.Location); err != nil && ErrorCode(err) != ENOTFOUND {
			return rep, err
		}
		rep.Removed++
	}
	return rep, nil
}

// gcInventory lists the roots to scan and every location a version points
// at. The roots are the configured blob roots (Config.BlobRoots) and only
// those: never the artifact paths of projects or runs, which a request
// sets and which could otherwise point gc at the metadata store, and never
// the places data was logged in place, which belong to someone else.
func (s *Service) gcInventory(ctx context.Context) ([]string, map[string]bool, error) {
	referenced := map[string]bool{}
	projects, err := s.store.ListProjects(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range projects {
		vs, err := s.collect(ctx, p.Name, VersionFilter{}, 0)
		if err != nil {
			return nil, nil, err
		}
		for _, v := range vs {
			referenced[normalLocation(v.TargetPath)] = true
		}
	}
	return gcRoots(s.roots()), referenced, nil
}

// gcRoots sorts roots and drops those inside another, so no blob is listed
// twice.
func gcRoots(roots []string) []string {
	roots = slices.Clone(roots)
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
