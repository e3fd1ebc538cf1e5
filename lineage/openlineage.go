package lineage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The rules OpenLineage ingestion (package openlineage) needs beyond the
// GraphQL ones: runs whose times come from the events, in whatever order the
// events arrive; dataset keys derived from a dataset's (namespace, name); and
// the version of a dataset current at a point in time. The translation of
// events lives in package openlineage; what may be written, and how, here.

// DatasetKey is the artifact key of an OpenLineage dataset (namespace, name):
// a readable slug of both, then '-' and 12 hex digits of the sha256 of the
// pair, so the same pair always gives the same key and different pairs
// (even ones that slug alike) give different keys. It is always a valid key.
func DatasetKey(namespace, name string) string {
	sum := sha256.Sum256([]byte(namespace + "\x00" + name))
	suffix := hex.EncodeToString(sum[:6])
	slug := Slug(namespace+"."+name, MaxKeyLen-len(suffix)-1, "._-")
	if slug == "" {
		return "ds-" + suffix
	}
	return slug + "-" + suffix
}

// Slug keeps the letters, digits and the characters of keep of s, turns
// every other run of characters into one '-', trims what is not a letter or
// digit from both ends and cuts the result to at most max bytes.
func Slug(s string, max int, keep string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		ok := r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(keep, r))
		if !ok {
			dash = true
			continue
		}
		if dash && b.Len() > 0 {
			b.WriteByte('-')
		}
		dash = false
		b.WriteRune(r)
	}
	out := b.String()
	if len(out) > max {
		out = out[:max]
	}
	out = strings.TrimFunc(out, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
	for strings.Contains(out, "..") {
		out = strings.ReplaceAll(out, "..", ".")
	}
	return out
}

// DatasetLocation is the target path recorded for an OpenLineage dataset:
// "<namespace>/<name>" when the namespace is a URL (s3://bucket,
// postgres://host:5432) that is a valid artifact path outside this server's
// blob roots, else openlineage://dataset/<namespace>/<name> with both
// escaped. The data is never read: it is someone else's.
func (s *Service) DatasetLocation(namespace, name string) string {
	if IsURL(namespace) {
		loc := strings.TrimRight(namespace, "/") + "/" + strings.TrimLeft(name, "/")
		if ValidateArtifactPath(loc) == nil && !s.InRoots(loc) {
			return loc
		}
	}
	esc := func(p string) string {
		e := url.PathEscape(p)
		if e == "." || e == ".." {
			e = "_" + e // never a directory, even decoded
		}
		return e
	}
	return "openlineage://dataset/" + esc(namespace) + "/" + esc(name)
}

// EnsureProject creates the project when it does not exist (with this
// description) and returns it. Creating needs write access to it, as
// UpsertProject does; an existing project needs read access only.
func (s *Service) EnsureProject(ctx context.Context, name, description string) (Project, error) {
	if err := ValidateProjectName(name); err != nil {
		return Project{}, err
	}
	if err := s.canWrite(ctx, name); err != nil {
		return Project{}, err
	}
	p, err := s.store.GetProject(ctx, name)
	if ErrorCode(err) != ENOTFOUND {
		return p, err
	}
	return s.UpsertProject(ctx, Project{Name: name, Description: description})
}

// RecordRunRequest is a run as an event stream reports it: its state at At.
type RecordRunRequest struct {
	Project, UID, Name, Pipeline, User string
	Labels                             []Label
	State                              RunState
	At                                 time.Time
	// Inputs are the uids of the versions consumed (CONSUMED edges); they
	// are recorded when the run is first recorded.
	Inputs []string
}

// RecordRun records what an event says about a run, so that events may
// arrive in any order and more than once:
//   - a run seen for the first time is created with StartedAt = At, and,
//     when the state is a final one, finished at At;
//   - a final state finishes a RUNNING run at At; between two final states
//     the one with the later At wins (a tie keeps the one recorded), so the
//     answer does not depend on the order;
//   - RUNNING never reopens a finished run (a COMPLETE seen before its
//     START stays COMPLETED).
//
// The store keeps a run's StartedAt and CONSUMED edges from its creation:
// an event for a known run changes its state and finish time only.
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
	at := req.At.UTC().Truncate(time.Microsecond)
	key := RunKey{Project: proj.Name, UID: req.UID}
	old, err := s.Run(ctx, key)
	switch ErrorCode(err) {
	case "":
		return s.advanceRun(ctx, old, req.Name, req.State, at)
	case ENOTFOUND:
	default:
		return Run{}, err
	}
	path, err := ArtifactPathChoice{Project: proj.ArtifactPath, Server: s.Config.ServerArtifactPath,
		Default: s.Config.DefaultArtifactPath}.Resolve(proj.Name, req.UID)
	if err != nil {
		return Run{}, err
	}
	r := Run{Project: proj.Name, UID: req.UID, Name: req.Name, State: req.State, User: req.User,
		Pipeline: req.Pipeline, ArtifactPath: path, Labels: req.Labels, StartedAt: at}
	if req.State != RunRunning {
		r.FinishedAt = &at
	}
	created, err := s.store.CreateRun(ctx, r, Dedupe(req.Inputs))
	if ErrorCode(err) == ECONFLICT { // recorded meanwhile
		if old, gerr := s.Run(ctx, key); gerr == nil {
			return s.advanceRun(ctx, old, req.Name, req.State, at)
		}
	}
	return created, err
}

// advanceRun applies a reported state to a recorded run (see RecordRun).
func (s *Service) advanceRun(ctx context.Context, r Run, name string, state RunState, at time.Time) (Run, error) {
	if r.Name != name {
		return Run{}, Errorf(ECONFLICT, "run %s/%s already exists with another name (%q)", r.Project, r.UID, r.Name)
	}
	switch {
	case state == RunRunning:
		return r, nil
	case r.State == RunRunning, r.FinishedAt == nil, at.After(*r.FinishedAt):
		if r.State == state && r.FinishedAt != nil && r.FinishedAt.Equal(at) {
			return r, nil
		}
		return s.store.FinishRun(ctx, r.Key(), state, at)
	}
	return r, nil
}

// DatasetVersionAt returns the DATASET version of (project, key) current at
// at: the newest whose CreatedAt is not after it. With label ("k=v") it is
// the newest version holding that label instead, whatever its time.
// Versions produced by the run notRun are left out (a run does not read
// what it writes, even when it writes the dataset it reads). found is false
// when there is none.
func (s *Service) DatasetVersionAt(ctx context.Context, project, key string, at time.Time, label, notRun string) (v Version, found bool, err error) {
	if err := s.canRead(ctx, project); err != nil {
		return Version{}, false, err
	}
	f := VersionFilter{Kind: KindDataset, Key: key}
	if label != "" {
		f.Labels = []string{label}
	}
	vs, err := s.collect(ctx, project, f, 0)
	if err != nil {
		return Version{}, false, err
	}
	for _, c := range vs {
		if (label == "" && c.CreatedAt.After(at)) || (notRun != "" && c.Run != nil && c.Run.UID == notRun) {
			continue
		}
		if !found || c.CreatedAt.After(v.CreatedAt) || (c.CreatedAt.Equal(v.CreatedAt) && c.UID > v.UID) {
			v, found = c, true
		}
	}
	return v, found, nil
}

// RecordDatasetRequest is a dataset version an event reports: data in place
// at Location, produced by RunUID (or observed, without one) at At.
type RecordDatasetRequest struct {
	Project, Key, Location string
	RunUID                 string
	At                     time.Time
	Owner                  string
	Labels                 []Label
	Description            string
	Sources                []string // store URIs (DERIVED_FROM) and external URLs
	Dataset                *DatasetInfo
	Extra                  json.RawMessage
}

// RecordDataset records a DATASET version of data in place, created (and
// updated) at At rather than now, so that DatasetVersionAt finds it by the
// time of the event that reported it. Its uid is derived as every version's
// is, so reporting it again returns the recorded version.
func (s *Service) RecordDataset(ctx context.Context, req RecordDatasetRequest) (Version, error) {
	lr := LogRequest{Project: req.Project, Key: req.Key, Kind: KindDataset, RunUID: req.RunUID,
		Labels: slices.Clone(req.Labels), Description: req.Description, Sources: req.Sources,
		TargetPath: req.Location, Dataset: req.Dataset, Extra: req.Extra}
	p, err := s.prepareLog(ctx, lr)
	if err != nil {
		return Version{}, err
	}
	at := req.At.UTC().Truncate(time.Microsecond)
	p.version.CreatedAt, p.version.UpdatedAt = at, at
	if req.Owner != "" {
		p.version.Owner = req.Owner
	}
	return s.commitLog(ctx, p)
}
