package lineage

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// DeletionStrategy says what happens to content when versions are deleted.
type DeletionStrategy string

const (
	MetadataOnly DeletionStrategy = "METADATA_ONLY" // keep the blob
	DataOptional DeletionStrategy = "DATA_OPTIONAL" // try to delete the blob
	DataForce    DeletionStrategy = "DATA_FORCE"    // delete the blob or fail and keep the record
)

// DeleteArtifact deletes the versions uri names: one version, every version
// of a tree (@tree without tag or uid), or every version of the key (:*).
// It returns how many were removed.
func (s *Service) DeleteArtifact(ctx context.Context, uri string, strategy DeletionStrategy) (int, error) {
	res, err := s.DeleteArtifactVersions(ctx, uri, strategy)
	return res.Removed, err
}

// DeleteResult says what a deletion did: how many versions it removed, and
// notices for the caller about content it kept or could not remove.
type DeleteResult struct {
	Removed int
	Notices []string
}

// DeleteArtifactVersions is DeleteArtifact with notices. Content is deleted
// only when Artigraph stored it, inside the blob roots, and no surviving
// version of any project points at it; data logged in place is always kept
// (METADATA_ONLY, whatever the strategy). Everything is checked before
// anything is deleted, then the versions' records go first and their blobs
// after: a failure leaves either every version, or no version pointing at
// missing content (a blob that could not be removed is an orphan gc
// collects).
func (s *Service) DeleteArtifactVersions(ctx context.Context, uri string, strategy DeletionStrategy) (DeleteResult, error) {
	if strategy == "" {
		strategy = MetadataOnly
	}
	if strategy != MetadataOnly && strategy != DataOptional && strategy != DataForce {
		return DeleteResult{}, Errorf(EINVALID, "unknown deletion strategy %q", strategy)
	}
	u, err := ParseURI(uri)
	if err != nil {
		return DeleteResult{}, err
	}
	if err := s.canWrite(ctx, u.Project); err != nil {
		return DeleteResult{}, err
	}
	s.contentMu.Lock()
	defer s.contentMu.Unlock()
	vs, err := s.versionsToDelete(ctx, u, uri)
	if err != nil {
		return DeleteResult{}, err
	}
	uids := make([]string, 0, len(vs))
	for _, v := range vs {
		uids = append(uids, v.UID)
	}
	var res DeleteResult
	var blobs []string
	if strategy != MetadataOnly {
		blobs, res.Notices, err = s.blobsToDelete(ctx, vs, strategy)
		if err != nil {
			return DeleteResult{}, err
		}
	}
	res.Removed, err = s.store.DeleteVersions(ctx, uids)
	if err != nil {
		return DeleteResult{}, err
	}
	for _, loc := range blobs {
		if err := s.blobs.Delete(context.WithoutCancel(ctx), loc); err != nil && ErrorCode(err) != ENOTFOUND {
			res.Notices = append(res.Notices, fmt.Sprintf("the content at %s could not be deleted; garbage collection will remove it", loc))
		}
	}
	return res, nil
}

// blobsToDelete decides, before anything is deleted, which blobs of vs go:
// those Artigraph stored, inside the roots, that no other version of any
// project points at (data in place counts, even if deleted now). With DataForce, a blob that cannot be
// deleted fails the whole deletion, so nothing is deleted.
func (s *Service) blobsToDelete(ctx context.Context, vs []Version, strategy DeletionStrategy) (locs, notices []string, err error) {
	projects, err := s.store.ListProjects(ctx)
	if err != nil {
		return nil, nil, err
	}
	// Versions logged in place keep their location even while they are
	// deleted with it: only stored versions being deleted give a blob up.
	var stored []string
	for _, v := range vs {
		if v.Stored {
			stored = append(stored, v.UID)
		}
	}
	seen := map[string]bool{}
	for _, v := range vs {
		if !v.Stored {
			notices = append(notices, fmt.Sprintf("the content of %s was logged in place and was kept", CanonicalURI(v, "")))
			continue
		}
		loc := normalLocation(v.TargetPath)
		if seen[loc] {
			continue
		}
		seen[loc] = true
		if !s.InRoots(v.TargetPath) {
			if strategy == DataForce {
				return nil, nil, Errorf(EFORBIDDEN, "the content of %s is outside the blob roots this server may delete from; nothing was deleted", CanonicalURI(v, ""))
			}
			notices = append(notices, fmt.Sprintf("the content of %s is outside the blob roots and was kept", CanonicalURI(v, "")))
			continue
		}
		shared, err := s.referencedElsewhere(ctx, projects, v.TargetPath, stored)
		if err != nil {
			return nil, nil, err
		}
		if shared {
			notices = append(notices, fmt.Sprintf("the content of %s is still used by another version and was kept", CanonicalURI(v, "")))
			continue
		}
		if strategy == DataForce {
			// Deletable means present and readable here; anything else stops
			// the deletion before it starts.
			b, err := s.blobs.Open(ctx, v.TargetPath)
			switch ErrorCode(err) {
			case "":
				b.Close()
			case ENOTFOUND:
			case EINTERNAL:
				return nil, nil, Errorf(EUNAVAILABLE, "could not reach the content of %s; nothing was deleted", CanonicalURI(v, ""))
			default:
				return nil, nil, err
			}
		}
		locs = append(locs, v.TargetPath)
	}
	return locs, notices, nil
}

// referencedElsewhere reports whether a version not in deleting, in any
// project, points at location (in either spelling, /x or file:///x).
func (s *Service) referencedElsewhere(ctx context.Context, projects []Project, location string, deleting []string) (bool, error) {
	spellings := []string{location}
	if n := normalLocation(location); n != location {
		spellings = append(spellings, n)
	} else if strings.HasPrefix(location, "/") {
		spellings = append(spellings, "file://"+location)
	}
	for _, p := range projects {
		for _, loc := range spellings {
			others, err := s.collect(ctx, p.Name, VersionFilter{TargetPath: loc}, 0)
			if err != nil {
				return false, err
			}
			if slices.ContainsFunc(others, func(o Version) bool { return !slices.Contains(deleting, o.UID) }) {
				return true, nil
			}
		}
	}
	return false, nil
}

// versionsToDelete lists the versions a deletion's URI names: one version,
// every version of a tree (@tree without tag or uid), or every version of
// the key (:*); ENOTFOUND when none. contentMu is held.
func (s *Service) versionsToDelete(ctx context.Context, u URI, uri string) ([]Version, error) {
	max := 1
	if u.Tag == TagAll || (u.Tree != "" && u.Tag == "" && u.UID == "") {
		max = 0
	}
	vs, err := s.resolve(ctx, u, max)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, Errorf(ENOTFOUND, "no artifact version matches %s", uri)
	}
	return vs, nil
}
