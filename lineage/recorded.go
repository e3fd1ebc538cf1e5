package lineage

import (
	"context"
	"encoding/json"
	"slices"
	"time"
)

// Runs and datasets as an event stream (OpenLineage) reports them, in
// whatever order the reports arrive and however often. What is recorded is
// what the reports, taken in time order, say:
//
//   - a run starts at its earliest report and ends with its latest final
//     one (RecordRun);
//   - a run reads, of each input dataset, the newest real version created
//     no later than its start (or, asked for by a DatasetVersionLabel, the
//     newest holding it), never one it wrote itself;
//   - when there is none, it reads a placeholder: a version recorded for
//     the input, created at the earliest start of the runs reading it, and
//     removed once no run reads it;
//   - a run's outputs derive from what it reads;
//   - latest names a dataset's newest version.
//
// A report that changes what was current (an earlier start, a version
// older than its readers) re-resolves the readers of the dataset: see
// reconcile. Only runs RecordRun recorded (labelled RecordedRunLabel) are
// re-resolved; a run started through the API read what it named.

// RecordedRunLabel marks the runs RecordRun records.
const RecordedRunLabel = "openlineage"

// DatasetVersionLabel is the label naming a dataset's own version; an input
// that asks for one reads the version holding it, and keeps reading it.
const DatasetVersionLabel = "datasetVersion"

// placeholderField marks a placeholder in its Extra, with its kind: one
// standing for an input no report had shown, or a dataset a job declares.
const (
	placeholderField    = "placeholder"
	placeholderInput    = "input"
	placeholderDeclared = "declared"
)

// RecordRunRequest is a run as an event reports it: its state at At.
type RecordRunRequest struct {
	Project, UID, Name, Pipeline, User string
	Labels                             []Label
	State                              RunState
	At                                 time.Time
	Inputs                             []DatasetInput
}

// DatasetInput is a dataset a run read.
type DatasetInput struct {
	Key string
	// Version, when not empty, is the DatasetVersionLabel value of the
	// version read.
	Version string
	// Placeholder is what to record when no version is found; its Project,
	// Key and At are set by RecordRun.
	Placeholder RecordDatasetRequest
}

// RecordRun records what an event says about a run:
//   - a run seen for the first time is created with StartedAt = At and,
//     when the state is a final one, finished at At; an earlier report
//     moves StartedAt back;
//   - a final state finishes a RUNNING run at At; between two final states
//     the one with the later At wins (a tie keeps the one recorded);
//   - RUNNING never reopens a finished run;
//   - every input is read as the package comment says.
func (s *Service) RecordRun(ctx context.Context, req RecordRunRequest) (Run, error) {
	if !req.State.Valid() {
		return Run{}, Errorf(EINVALID, "unknown run state %q", req.State)
	}
	if err := s.canWrite(ctx, req.Project); err != nil {
		return Run{}, err
	}
	proj, err := s.Project(ctx, req.Project)
	if err != nil {
		return Run{}, err
	}
	if err := (StartRunRequest{Project: req.Project, Name: req.Name, UID: req.UID, User: req.User,
		Pipeline: req.Pipeline, Labels: req.Labels}).Validate(); err != nil {
		return Run{}, err
	}
	if len(req.Inputs) > MaxSources {
		return Run{}, Errorf(ELIMIT, "at most %d inputs may be given, not %d", MaxSources, len(req.Inputs))
	}
	for _, in := range req.Inputs {
		if err := ValidateKey(in.Key); err != nil {
			return Run{}, err
		}
		if len(in.Version) > MaxLabelValueLen { // it names a label's value
			return Run{}, Errorf(ELIMIT, "an input's version may be at most %d bytes", MaxLabelValueLen)
		}
	}
	s.recordMu.Lock()
	defer s.recordMu.Unlock()
	run, moved, err := s.recordRunState(ctx, proj, req)
	if err != nil {
		return Run{}, err
	}
	keys, err := s.readInputs(ctx, run, req.Inputs)
	if err != nil {
		return Run{}, err
	}
	if moved { // what the run read may have changed
		if keys, err = s.inputKeys(ctx, run, keys); err != nil {
			return Run{}, err
		}
	}
	for _, k := range keys {
		if err := s.reconcile(ctx, run.Project, k); err != nil {
			return Run{}, err
		}
	}
	return s.Run(ctx, run.Key())
}

// recordRunState creates the run or applies the event's state and time to
// it; moved tells that its start moved back.
func (s *Service) recordRunState(ctx context.Context, proj Project, req RecordRunRequest) (r Run, moved bool, err error) {
	at := req.At.UTC().Truncate(time.Microsecond)
	key := RunKey{Project: proj.Name, UID: req.UID}
	old, err := s.Run(ctx, key)
	switch ErrorCode(err) {
	case "":
		return s.advanceRun(ctx, old, req.Name, req.State, at)
	case ENOTFOUND:
	default:
		return Run{}, false, err
	}
	path, err := ArtifactPathChoice{Project: proj.ArtifactPath, Server: s.Config.ServerArtifactPath,
		Default: s.Config.DefaultArtifactPath}.Resolve(proj.Name, req.UID)
	if err != nil {
		return Run{}, false, err
	}
	labels := slices.Clone(req.Labels)
	if !slices.ContainsFunc(labels, func(l Label) bool { return l.Key == RecordedRunLabel }) {
		labels = append(labels, Label{Key: RecordedRunLabel})
	}
	r = Run{Project: proj.Name, UID: req.UID, Name: req.Name, State: req.State, User: req.User,
		Pipeline: req.Pipeline, ArtifactPath: path, Labels: labels, StartedAt: at}
	if req.State != RunRunning {
		r.FinishedAt = &at
	}
	created, err := s.store.CreateRun(ctx, r, nil)
	if ErrorCode(err) == ECONFLICT { // recorded meanwhile, through another route
		if old, gerr := s.Run(ctx, key); gerr == nil {
			return s.advanceRun(ctx, old, req.Name, req.State, at)
		}
	}
	return created, false, err
}

// advanceRun applies a reported state and time to a recorded run (see
// RecordRun).
func (s *Service) advanceRun(ctx context.Context, r Run, name string, state RunState, at time.Time) (Run, bool, error) {
	if r.Name != name {
		return Run{}, false, Errorf(ECONFLICT, "run %s/%s already exists with another name (%q)", r.Project, r.UID, r.Name)
	}
	moved := at.Before(r.StartedAt)
	if moved {
		if err := s.store.Amend(ctx, Amendment{RunStarts: []RunStart{{Run: r.Key(), At: at}}}); err != nil {
			return Run{}, false, err
		}
		r.StartedAt = at
	}
	switch {
	case state == RunRunning:
	case r.State == RunRunning, r.FinishedAt == nil, at.After(*r.FinishedAt):
		if r.State != state || r.FinishedAt == nil || !r.FinishedAt.Equal(at) {
			fin, err := s.store.FinishRun(ctx, r.Key(), state, at)
			return fin, moved, err
		}
	}
	return r, moved, nil
}

// readInputs records that run read each input (a placeholder when no
// version is found) and returns the inputs' keys.
func (s *Service) readInputs(ctx context.Context, run Run, inputs []DatasetInput) ([]string, error) {
	var keys []string
	for _, in := range inputs {
		vs, err := s.datasetVersions(ctx, run.Project, in.Key)
		if err != nil {
			return nil, err
		}
		v, found := readBy(vs, run, in.Version)
		if !found {
			p := in.Placeholder
			p.Project, p.Key, p.At, p.RunUID = run.Project, in.Key, run.StartedAt, ""
			if v, err = s.recordDataset(ctx, p, placeholderInput); err != nil {
				return nil, err
			}
		}
		read := Edge{From: RunNode(run.Key()), To: VersionNode(v), Relation: RelConsumed}
		if in.Version != "" {
			read.Name = DatasetVersionLabel + "=" + in.Version
		}
		if err := s.store.Amend(ctx, Amendment{Add: []Edge{read}}); err != nil {
			return nil, err
		}
		keys = append(keys, in.Key)
	}
	return Dedupe(keys), nil
}

// inputKeys adds to keys those of every dataset run reads.
func (s *Service) inputKeys(ctx context.Context, run Run, keys []string) ([]string, error) {
	edges, err := s.store.Edges(ctx, []NodeRef{RunNode(run.Key())}, Outgoing, RelConsumed)
	if err != nil {
		return nil, err
	}
	var uids []string
	for _, e := range edges {
		uids = append(uids, e.To.UID)
	}
	vs, err := s.store.GetVersions(ctx, uids)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if v.Kind == KindDataset && v.Project == run.Project {
			keys = append(keys, v.Key)
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys), nil
}

// datasetVersions returns every DATASET version of (project, key).
func (s *Service) datasetVersions(ctx context.Context, project, key string) ([]Version, error) {
	return s.collect(ctx, project, VersionFilter{Kind: KindDataset, Key: key}, 0)
}

// readBy picks, among vs, the version run reads: the newest real version
// holding DatasetVersionLabel=version, or, without a version, the newest
// real one created no later than the run's start; never one the run
// produced. found is false when there is none.
func readBy(vs []Version, run Run, version string) (v Version, found bool) {
	for _, c := range vs {
		if isPlaceholder(c) || (c.Run != nil && *c.Run == run.Key()) {
			continue
		}
		if version != "" && labelValue(c.Labels, DatasetVersionLabel) != version ||
			version == "" && c.CreatedAt.After(run.StartedAt) {
			continue
		}
		if !found || newer(c, v) {
			v, found = c, true
		}
	}
	return v, found
}

// newer orders versions by (CreatedAt, UID).
func newer(a, b Version) bool {
	return a.CreatedAt.After(b.CreatedAt) || a.CreatedAt.Equal(b.CreatedAt) && a.UID > b.UID
}

// labelValue is the value of the first label with key k, "" if none.
func labelValue(ls []Label, k string) string {
	for _, l := range ls {
		if l.Key == k {
			if l.Value == nil {
				return ""
			}
			return *l.Value
		}
	}
	return ""
}

// isPlaceholder tells a version recorded only because a run read a dataset
// no report had shown yet, or a job declared it.
func isPlaceholder(v Version) bool { return placeholderKind(v) != "" }

func placeholderKind(v Version) string {
	var extra map[string]json.RawMessage
	var kind string
	if v.Run == nil && json.Unmarshal(v.Extra, &extra) == nil && json.Unmarshal(extra[placeholderField], &kind) == nil {
		return kind
	}
	return ""
}
