package lineage

import "context"

// StartRunRequest is what a job sends when it starts.
type StartRunRequest struct {
	Project, Name, UID, User, Pipeline, ArtifactPath string
	Labels                                           []Label
	Inputs                                           []string // store URIs
}

// Validate checks what a starting run says about itself: its name, uid
// (when given), pipeline, labels, user and the number of its inputs.
func (req StartRunRequest) Validate() error {
	if err := validateName("run name", req.Name); err != nil {
		return err
	}
	if req.UID != "" {
		if err := validateName("run uid", req.UID); err != nil {
			return err
		}
	}
	if req.Pipeline != "" {
		if err := validateName("pipeline", req.Pipeline); err != nil {
			return err
		}
	}
	if err := validateLabels(req.Labels); err != nil {
		return err
	}
	if len(req.User) > MaxLabelValueLen {
		return Errorf(ELIMIT, "the run's user may be at most %d bytes", MaxLabelValueLen)
	}
	if len(req.Inputs) > MaxSources {
		return Errorf(ELIMIT, "at most %d inputs may be given, not %d", MaxSources, len(req.Inputs))
	}
	return validatePathLen("artifactPath", req.ArtifactPath)
}

// StartRun records a run and what it consumes. Starting a run again with the
// same uid and name returns the recorded run, so a job may retry.
func (s *Service) StartRun(ctx context.Context, req StartRunRequest) (Run, error) {
	if err := s.canWrite(ctx, req.Project); err != nil {
		return Run{}, err
	}
	proj, err := s.Project(ctx, req.Project)
	if err != nil {
		return Run{}, err
	}
	if err := req.Validate(); err != nil {
		return Run{}, err
	}
	if req.UID == "" {
		req.UID = NewUID()
	}
	if req.ArtifactPath != "" {
		if err := s.checkArtifactPath(req.ArtifactPath); err != nil {
			return Run{}, err
		}
	}
	inputs := make([]string, 0, len(req.Inputs))
	for _, in := range req.Inputs {
		v, _, err := s.Resolve(ctx, in)
		if err != nil {
			return Run{}, inputError("input", in, err)
		}
		inputs = append(inputs, v.UID)
	}
	path, err := ArtifactPathChoice{Call: req.ArtifactPath, Project: proj.ArtifactPath,
		Server: s.Config.ServerArtifactPath, Default: s.Config.DefaultArtifactPath}.Resolve(proj.Name, req.UID)
	if err != nil {
		return Run{}, err
	}
	r := Run{Project: proj.Name, UID: req.UID, Name: req.Name, State: RunRunning, User: req.User,
		Pipeline: req.Pipeline, ArtifactPath: path, Labels: req.Labels, StartedAt: s.now()}
	created, err := s.store.CreateRun(ctx, r, Dedupe(inputs))
	if ErrorCode(err) == ECONFLICT {
		old, gerr := s.Run(ctx, r.Key())
		if gerr == nil && old.Name == r.Name {
			return old, nil
		}
		return Run{}, Errorf(ECONFLICT, "run %s/%s already exists with another name", r.Project, r.UID)
	}
	return created, err
}

// Run returns one run or ENOTFOUND.
func (s *Service) Run(ctx context.Context, key RunKey) (Run, error) {
	if err := s.canRead(ctx, key.Project); err != nil {
		return Run{}, err
	}
	rs, err := s.store.GetRuns(ctx, []RunKey{key})
	if err != nil {
		return Run{}, err
	}
	if len(rs) == 0 {
		return Run{}, Errorf(ENOTFOUND, "run %s/%s does not exist", key.Project, key.UID)
	}
	return rs[0], nil
}

// FinishRun ends a run. Finishing it again in the same state is a no-op; a
// finished run cannot change state.
func (s *Service) FinishRun(ctx context.Context, key RunKey, state RunState) (Run, error) {
	if !state.Valid() || state == RunRunning {
		return Run{}, Errorf(EINVALID, "a run finishes as COMPLETED, FAILED or ABORTED, not %q", state)
	}
	if err := s.canWrite(ctx, key.Project); err != nil {
		return Run{}, err
	}
	r, err := s.Run(ctx, key)
	if err != nil {
		return Run{}, err
	}
	if r.State == state {
		return r, nil
	}
	if r.State != RunRunning {
		return Run{}, Errorf(ECONFLICT, "run %s/%s already finished as %s", key.Project, key.UID, r.State)
	}
	return s.store.FinishRun(ctx, key, state, s.now())
}

// ListRuns pages through a project's runs, newest first.
func (s *Service) ListRuns(ctx context.Context, project string, page Page) (RunPage, error) {
	if _, err := s.Project(ctx, project); err != nil {
		return RunPage{}, err
	}
	page, err := s.page(page)
	if err != nil {
		return RunPage{}, err
	}
	return s.store.ListRuns(ctx, project, page)
}
