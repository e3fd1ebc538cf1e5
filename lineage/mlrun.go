package lineage

import (
	"context"
	"fmt"
	"path"
	"strings"
)

// The rules MLRun's REST API needs beyond Artigraph's own (mlrunapi/ is the
// only caller). MLRun's client writes content itself, into the artifact path
// the server gave it, and then stores the artifact's document: so a version
// logged this way is data in place, and MLRun's deletion strategies must be
// able to remove that file when it lies in the project's own artifact path.

// MLRunLog is one store_artifact call: a version whose content the client
// already wrote (TargetPath), or an inline body, and MLRun's tree (the run
// uid when a run logged it, any producer id otherwise).
type MLRunLog struct {
	LogRequest
	Tree string
}

// LogMLRunArtifact records an artifact MLRun's client stored. A tree that
// names a run of the project makes that run the producer (PRODUCED); any
// other tree is kept as the version's tree, so MLRun's tree filters and
// @tree URIs still find it.
func (s *Service) LogMLRunArtifact(ctx context.Context, req MLRunLog) (Version, error) {
	if req.Tree != "" {
		if err := validateName("tree", req.Tree); err != nil {
			return Version{}, err
		}
		if len(req.Tree) > MaxTreeLen {
			return Version{}, Errorf(EINVALID, "tree may be at most %d characters", MaxTreeLen)
		}
		if _, err := s.Run(ctx, RunKey{Project: req.Project, UID: req.Tree}); err == nil {
			req.RunUID = req.Tree
		} else if ErrorCode(err) != ENOTFOUND {
			return Version{}, err
		}
	}
	p, err := s.prepareLog(ctx, req.LogRequest)
	if err != nil {
		return Version{}, err
	}
	if p.version.Run == nil {
		p.version.Tree = req.Tree
	}
	return s.commitLog(ctx, p)
}

// ParseMLRunDeletionStrategy reads MLRun's names for deletion strategies
// ("metadata-only", "data-optional", "data-force"); "" is metadata-only,
// MLRun's default.
func ParseMLRunDeletionStrategy(s string) (DeletionStrategy, error) {
	switch strings.ToLower(s) {
	case "", "metadata-only":
		return MetadataOnly, nil
	case "data-optional":
		return DataOptional, nil
	case "data-force":
		return DataForce, nil
	}
	return "", Errorf(EINVALID, "unknown deletion strategy %q (metadata-only, data-optional, data-force)", s)
}

// projectDataPath is the directory the project's own artifact path names
// (project's, else server's, else default), cut before any template that
// only a run fills in; "" when none applies.
func (s *Service) projectDataPath(proj Project) string {
	p := firstOf(proj.ArtifactPath, firstOf(s.Config.ServerArtifactPath, s.Config.DefaultArtifactPath))
	p = strings.NewReplacer("{{project}}", proj.Name, "{{run.project}}", proj.Name).Replace(p)
	if i := strings.Index(p, "{{"); i >= 0 {
		p = p[:strings.LastIndex(p[:i], "/")+1]
	}
	return normalRoot(p)
}

// inProjectPath reports whether location lies strictly inside the project's
// own artifact path and the blob roots: the only data in place an MLRun
// deletion may remove, since there the client wrote it at the server's
// direction.
func (s *Service) inProjectPath(proj Project, location string) bool {
	dir := s.projectDataPath(proj)
	if dir == "" || !s.InRoots(location) {
		return false
	}
	loc := normalLocation(location)
	if !IsURL(loc) {
		loc = path.Clean(loc)
	}
	return strings.HasPrefix(loc, dir) && len(loc) > len(dir)
}

// DeleteMLRunArtifact deletes the versions uri names with MLRun's deletion
// semantics: DeleteArtifactVersions' rules, except that data in place inside
// the project's own artifact path (a file MLRun's client wrote there) is
// removed too when no surviving version points at it. With DataForce, such
// a file that cannot be read here fails the whole deletion.
func (s *Service) DeleteMLRunArtifact(ctx context.Context, uri string, strategy DeletionStrategy) (DeleteResult, error) {
	if strategy == MetadataOnly || strategy == "" {
		return s.DeleteArtifactVersions(ctx, uri, MetadataOnly)
	}
	if strategy != DataOptional && strategy != DataForce {
		return DeleteResult{}, Errorf(EINVALID, "unknown deletion strategy %q", strategy)
	}
	u, err := ParseURI(uri)
	if err != nil {
		return DeleteResult{}, err
	}
	if err := s.canWrite(ctx, u.Project); err != nil {
		return DeleteResult{}, err
	}
	proj, err := s.Project(ctx, u.Project)
	if err != nil {
		return DeleteResult{}, err
	}
	s.contentMu.Lock()
	defer s.contentMu.Unlock()
	vs, err := s.versionsToDelete(ctx, u, uri)
	if err != nil {
		return DeleteResult{}, err
	}
	uids := make([]string, 0, len(vs))
	var stored, inPlace []Version
	for _, v := range vs {
		uids = append(uids, v.UID)
		if v.Stored {
			stored = append(stored, v)
		} else {
			inPlace = append(inPlace, v)
		}
	}
	var res DeleteResult
	blobs, notices, err := s.blobsToDelete(ctx, stored, strategy)
	if err != nil {
		return DeleteResult{}, err
	}
	res.Notices = notices
	projects, err := s.store.ListProjects(ctx)
	if err != nil {
		return DeleteResult{}, err
	}
	seen := map[string]bool{}
	for _, v := range inPlace {
		loc := normalLocation(v.TargetPath)
		if seen[loc] {
			continue
		}
		seen[loc] = true
		if !s.inProjectPath(proj, v.TargetPath) {
			res.Notices = append(res.Notices, fmt.Sprintf("the content of %s is outside the project's artifact path and was kept", CanonicalURI(v, "")))
			continue
		}
		shared, err := s.referencedElsewhere(ctx, projects, v.TargetPath, uids)
		if err != nil {
			return DeleteResult{}, err
		}
		if shared {
			res.Notices = append(res.Notices, fmt.Sprintf("the content of %s is still used by another version and was kept", CanonicalURI(v, "")))
			continue
		}
		if strategy == DataForce {
			b, err := s.blobs.Open(ctx, v.TargetPath)
			switch ErrorCode(err) {
			case "":
				b.Close()
			case ENOTFOUND:
			case EINTERNAL:
				return DeleteResult{}, Errorf(EUNAVAILABLE, "could not reach the content of %s; nothing was deleted", CanonicalURI(v, ""))
			default:
				return DeleteResult{}, err
			}
		}
		blobs = append(blobs, v.TargetPath)
	}
	res.Removed, err = s.store.DeleteVersions(ctx, uids)
	if err != nil {
		return DeleteResult{}, err
	}
	for _, loc := range blobs {
		if err := s.blobs.Delete(context.WithoutCancel(ctx), loc); err != nil && ErrorCode(err) != ENOTFOUND {
			if strategy == DataForce {
				res.Notices = append(res.Notices, fmt.Sprintf("the content at %s could not be deleted", loc))
			}
		}
	}
	return res, nil
}

// MLRunCategory says whether v belongs to MLRun's artifact category
// ("model", "dataset", "document", "other"; "" matches everything).
func MLRunCategory(category string, v Version) (bool, error) {
	switch strings.ToLower(category) {
	case "":
		return true, nil
	case "model":
		return v.Kind == KindModel, nil
	case "dataset":
		return v.Kind == KindDataset, nil
	case "document":
		return v.Kind == KindDocument, nil
	case "other":
		return v.Kind != KindModel && v.Kind != KindDataset && v.Kind != KindDocument, nil
	}
	return false, Errorf(EINVALID, "unknown artifact category %q (model, dataset, document, other)", category)
}

// ListMLRunArtifacts is ListArtifacts with MLRun's filters that Artigraph's
// store does not index: a category, and best_iteration (the parent
// iteration, 0, which is the best one whenever a run had a single
// iteration). A page may hold fewer items than asked while HasNext is
// true: filtering happens after the store's page, so no cursor skips a
// version.
func (s *Service) ListMLRunArtifacts(ctx context.Context, project string, f VersionFilter, category string, bestIteration bool, page Page) (VersionPage, error) {
	if _, err := MLRunCategory(category, Version{}); err != nil {
		return VersionPage{}, err
	}
	if bestIteration {
		if f.Iteration != nil {
			return VersionPage{}, Errorf(EINVALID, "best-iteration and iter cannot be used together")
		}
		zero := 0
		f.Iteration = &zero
	}
	p, err := s.ListArtifacts(ctx, project, f, page)
	if err != nil {
		return VersionPage{}, err
	}
	kept := p.Versions[:0]
	for _, v := range p.Versions {
		if ok, _ := MLRunCategory(category, v); ok && !(bestIteration && v.Kind == KindLink) {
			kept = append(kept, v)
		}
	}
	p.Versions = kept
	return p, nil
}
