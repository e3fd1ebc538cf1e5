package lineage

import "context"

// Who may do what is decided here, once, from the caller in the context;
// every Service method that reads or changes a project asks one of these
// first. Reads of a project the caller may not see answer as if it did not
// exist (so that nothing tells it apart from an absent one); writes answer
// EFORBIDDEN, whether the project exists or not.

// OperatorID is the Caller.TokenID of AsOperator.
const OperatorID = "operator"

// AsOperator returns ctx acting as the server's operator: an ADMIN of every
// project. It is for commands run next to the store (artigraph gc) and for
// tests, never for requests.
func AsOperator(ctx context.Context) context.Context {
	return WithCaller(ctx, Caller{TokenID: OperatorID, Name: "operator", Role: RoleAdmin})
}

// errProjectAbsent is the answer for a project that does not exist, or
// that the caller may not see.
func errProjectAbsent(name string) error {
	return Errorf(ENOTFOUND, "project %q does not exist", name)
}

// canRead answers ENOTFOUND for a project the caller may not see.
func (s *Service) canRead(ctx context.Context, project string) error {
	c, err := s.caller(ctx)
	if err != nil {
		return err
	}
	if !c.CanRead(project) {
		return errProjectAbsent(project)
	}
	return nil
}

// canWrite answers EFORBIDDEN for a project the caller may not change.
func (s *Service) canWrite(ctx context.Context, project string) error {
	c, err := s.caller(ctx)
	if err != nil {
		return err
	}
	if !c.CanWrite(project) {
		return Errorf(EFORBIDDEN, "this token may not change project %q", project)
	}
	return nil
}

// readable returns a predicate telling which projects the caller may see.
func (s *Service) readable(ctx context.Context) (func(project string) bool, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	return c.CanRead, nil
}

// readsVersion answers ENOTFOUND unless the caller may see v: a reader of
// its project, or a signed link to v itself.
func (s *Service) readsVersion(ctx context.Context, v Version) error {
	c, err := s.caller(ctx)
	if err != nil {
		return err
	}
	if l := c.Link; l != nil && l.Project == v.Project && l.UID == v.UID {
		return nil
	}
	if !c.CanRead(v.Project) {
		return Errorf(ENOTFOUND, "no artifact version %s in project %q", v.UID, v.Project)
	}
	return nil
}

// CanReadMetrics lets any authenticated caller read the server's metrics:
// they count operations and time them, by names the schema bounds, and
// tell nothing of any project's content.
func (s *Service) CanReadMetrics(ctx context.Context) error {
	c, err := s.caller(ctx)
	if err != nil {
		return err
	}
	if c.Link != nil {
		return Errorf(EFORBIDDEN, "a download link does not open the metrics")
	}
	return nil
}
