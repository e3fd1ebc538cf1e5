package lineage

import (
	"context"
	"slices"
)

// UpsertProject creates or updates a project.
func (s *Service) UpsertProject(ctx context.Context, p Project) (Project, error) {
	if err := s.canWrite(ctx, p.Name); err != nil {
		return Project{}, err
	}
	if err := p.Validate(); err != nil {
		return Project{}, err
	}
	if p.ArtifactPath != "" {
		if err := s.checkArtifactPath(p.ArtifactPath); err != nil {
			return Project{}, err
		}
	}
	p.CreatedAt = s.now()
	return s.store.UpsertProject(ctx, p)
}

// Project returns the named project or ENOTFOUND.
func (s *Service) Project(ctx context.Context, name string) (Project, error) {
	if err := ValidateProjectName(name); err != nil {
		return Project{}, err
	}
	if err := s.canRead(ctx, name); err != nil {
		return Project{}, err
	}
	p, err := s.store.GetProject(ctx, name)
	if ErrorCode(err) == ENOTFOUND {
		return Project{}, errProjectAbsent(name)
	}
	return p, err
}

// ListProjects returns every project the caller may see, by name.
func (s *Service) ListProjects(ctx context.Context) ([]Project, error) {
	visible, err := s.readable(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := s.store.ListProjects(ctx)
	return slices.DeleteFunc(ps, func(p Project) bool { return !visible(p.Name) }), err
}
