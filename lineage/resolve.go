package lineage

import (
	"context"
	"slices"
)

// Resolve finds the version a store:// URI names. It returns the URI too,
// whose Tag is the tag asked for.
//
// As in MLRun's server, a ^uid (in feature-set and feature-vector URIs, the
// @uid) decides when given: the tag and tree beside it are informative, not
// filters, so a returned URI keeps naming its version after the tag moves.
// The project, key, kind (prefix) and #iteration must still match the
// version the uid names; a uid of another project or key is not found.
func (s *Service) Resolve(ctx context.Context, uri string) (Version, URI, error) {
	u, err := ParseURI(uri)
	if err != nil {
		return Version{}, URI{}, err
	}
	if u.Tag == TagAll && u.UID == "" {
		return Version{}, u, Errorf(EINVALID, "%q names every version; name one", uri)
	}
	if err := s.canRead(ctx, u.Project); ErrorCode(err) == ENOTFOUND {
		return Version{}, u, Errorf(ENOTFOUND, "no artifact version matches %s", uri)
	} else if err != nil {
		return Version{}, u, err
	}
	vs, err := s.resolve(ctx, u, 1)
	if err != nil {
		return Version{}, u, err
	}
	if len(vs) == 0 {
		return Version{}, u, Errorf(ENOTFOUND, "no artifact version matches %s", uri)
	}
	return vs[0], u, nil
}

// resolve lists up to max versions u names (max <= 0: all), newest first.
// With a uid that is at most the one version it names.
func (s *Service) resolve(ctx context.Context, u URI, max int) ([]Version, error) {
	if u.UID != "" {
		// The uid decides; what else the URI says about the version's
		// identity must agree with it. Tag and tree are not consulted.
		match := func(v Version) bool {
			return v.UID == u.UID && v.Project == u.Project && v.Key == u.Key && v.Kind.MatchesPrefix(u.Prefix) &&
				(u.Iteration == nil || v.Iteration == *u.Iteration)
		}
		vs, err := s.store.GetVersions(ctx, []string{u.UID})
		if err != nil {
			return nil, err
		}
		return slices.DeleteFunc(vs, func(v Version) bool { return !match(v) }), nil
	}
	f := VersionFilter{Key: u.Key, Tree: u.Tree, Tag: u.Tag, Iteration: u.Iteration}
	if u.Tag == "*" {
		f.Tag = ""
	} else if u.Tag == "" && u.Tree == "" {
		f.Tag = TagLatest
	}
	if u.Prefix != PrefixArtifacts {
		f.Kind = kindOfPrefix(u.Prefix)
	}
	if f.Iteration == nil && max == 1 {
		// Without #iteration, a URI names iteration 0 when it exists (MLRun's
		// parent iteration), else the newest match of any iteration.
		zero := 0
		f.Iteration = &zero
		vs, err := s.collect(ctx, u.Project, f, 1)
		if err != nil || len(vs) > 0 {
			return vs, err
		}
		f.Iteration = nil
	}
	return s.collect(ctx, u.Project, f, max)
}

func kindOfPrefix(p string) Kind {
	for _, k := range Kinds {
		if k.Prefix() == p {
			return k
		}
	}
	return ""
}

// collect pages through ListVersions until max versions (max <= 0: all).
func (s *Service) collect(ctx context.Context, project string, f VersionFilter, max int) ([]Version, error) {
	var out []Version
	page := Page{First: 1000}
	if max > 0 && max < page.First {
		page.First = max
	}
	for {
		p, err := s.store.ListVersions(ctx, project, f, page)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Versions...)
		if !p.HasNext || (max > 0 && len(out) >= max) {
			return out, nil
		}
		page.After = p.EndCursor
	}
}

// ListArtifacts pages through a project's versions matching f.
func (s *Service) ListArtifacts(ctx context.Context, project string, f VersionFilter, page Page) (VersionPage, error) {
	if _, err := s.Project(ctx, project); err != nil {
		return VersionPage{}, err
	}
	if err := f.Validate(); err != nil {
		return VersionPage{}, err
	}
	page, err := s.page(page)
	if err != nil {
		return VersionPage{}, err
	}
	return s.store.ListVersions(ctx, project, f, page)
}

func (s *Service) page(p Page) (Page, error) {
	switch {
	case p.First < 0:
		return p, p.Validate()
	case p.First == 0:
		p.First = s.Config.DefaultPageSize
	case s.Config.MaxPageSize > 0 && p.First > s.Config.MaxPageSize:
		return p, Errorf(ELIMIT, "first may be at most %d", s.Config.MaxPageSize)
	}
	if err := p.Validate(); err != nil {
		return p, err
	}
	return p, nil
}

// inputError says which argument named a missing version.
func inputError(what, uri string, err error) error {
	if ErrorCode(err) == ENOTFOUND {
		return Errorf(ENOTFOUND, "%s %s: no such artifact version", what, uri)
	}
	return err
}
