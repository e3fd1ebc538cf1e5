package lineage

import "context"

// TagArtifact gives the version uri names the tag, moving it from any other
// version of the same key and iteration.
func (s *Service) TagArtifact(ctx context.Context, uri, tag string) (Version, error) {
	if err := ValidateTag(tag); err != nil || tag == "*" {
		return Version{}, Errorf(EINVALID, "invalid tag %q", tag)
	}
	v, err := s.resolveToChange(ctx, uri)
	if err != nil {
		return Version{}, err
	}
	return s.store.TagVersion(ctx, v.UID, tag, s.now())
}

// UntagArtifact removes a tag from the version uri names.
func (s *Service) UntagArtifact(ctx context.Context, uri, tag string) (Version, error) {
	if err := ValidateTag(tag); err != nil || tag == "*" {
		return Version{}, Errorf(EINVALID, "invalid tag %q", tag)
	}
	v, err := s.resolveToChange(ctx, uri)
	if err != nil {
		return Version{}, err
	}
	return s.store.UntagVersion(ctx, v.UID, tag, s.now())
}

// LinkArtifacts records that from points to to with a relation ("chart", …).
func (s *Service) LinkArtifacts(ctx context.Context, from, to, relation string) (Version, error) {
	if err := validateName("link relation", relation); err != nil {
		return Version{}, err
	}
	f, err := s.resolveToChange(ctx, from)
	if err != nil {
		return Version{}, err
	}
	t, _, err := s.Resolve(ctx, to)
	if err != nil {
		return Version{}, inputError("link target", to, err)
	}
	return s.store.AddLink(ctx, f.UID, Link{Relation: relation, UID: t.UID}, s.now())
}

// resolveToChange finds the version uri names for a write: EFORBIDDEN
// first when the caller may not change its project, existing or not.
func (s *Service) resolveToChange(ctx context.Context, uri string) (Version, error) {
	u, err := ParseURI(uri)
	if err != nil {
		return Version{}, err
	}
	if err := s.canWrite(ctx, u.Project); err != nil {
		return Version{}, err
	}
	v, _, err := s.Resolve(ctx, uri)
	return v, err
}
