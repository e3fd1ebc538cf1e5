package lineage

import "context"

// UpsertProject creates or updates a project.
func (s *Service) UpsertProject(ctx context.Context, p Project) (Project, error) {
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
	p, err := s.store.GetProject(ctx, name)
	if ErrorCode(err) == ENOTFOUND {
		return Project{}, Errorf(ENOTFOUND, "project %q does not exist", name)
	}
	return p, err
}

// ListProjects returns every project, by name.
func (s *Service) ListProjects(ctx context.Context) ([]Project, error) {
	return s.store.ListProjects(ctx)
}
