package lineage

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// RecordDatasetRequest is a dataset version an event reports: data in place
// at Location, produced by RunUID (or observed, without one) at At.
type RecordDatasetRequest struct {
	Project, Key, Location string
	RunUID                 string
	At                     time.Time
	Owner                  string
	Labels                 []Label
	Description            string
	Sources                []string // external URLs (and store URIs, DERIVED_FROM)
	Dataset                *DatasetInfo
	Extra                  json.RawMessage
	// Declared is a dataset a job's definition names (an OpenLineage
	// JobEvent) rather than one seen: it is recorded as a placeholder,
	// removed once the dataset has a real version.
	Declared bool
}

// RecordDataset records a DATASET version of data in place, created (and
// updated) at At rather than now. Its uid is derived as every version's is,
// so reporting it again returns the recorded version. A version a run
// produced (RunUID) derives from what the run reads, and its uid leaves
// that out, as it may still change. The dataset's readers are then
// re-resolved (see RecordRun).
func (s *Service) RecordDataset(ctx context.Context, req RecordDatasetRequest) (Version, error) {
	s.recordMu.Lock()
	defer s.recordMu.Unlock()
	kind := ""
	if req.Declared {
		kind = placeholderDeclared
	}
	v, err := s.recordDataset(ctx, req, kind)
	if err != nil {
		return Version{}, err
	}
	if err := s.reconcile(ctx, v.Project, v.Key); err != nil {
		return Version{}, err
	}
	now, err := s.VersionIn(ctx, v.Project, v.UID)
	if ErrorCode(err) == ENOTFOUND {
		return v, nil // a declared dataset that has a real version is not kept
	}
	return now, err
}

// recordDataset records req as a real version, or as a placeholder of the
// given kind. A version reported again dates from its earliest report.
func (s *Service) recordDataset(ctx context.Context, req RecordDatasetRequest, placeholder string) (Version, error) {
	lr := LogRequest{Project: req.Project, Key: req.Key, Kind: KindDataset, RunUID: req.RunUID,
		Labels: slices.Clone(req.Labels), Description: req.Description, Sources: req.Sources,
		TargetPath: req.Location, Dataset: req.Dataset, Extra: req.Extra}
	if placeholder != "" {
		extra, err := withField(req.Extra, placeholderField, placeholder)
		if err != nil {
			return Version{}, err
		}
		lr.Extra = extra
	}
	p, err := s.prepareLog(ctx, lr)
	if err != nil {
		return Version{}, err
	}
	at := req.At.UTC().Truncate(time.Microsecond)
	p.version.CreatedAt, p.version.UpdatedAt = at, at
	if req.Owner != "" {
		p.version.Owner = req.Owner
	}
	if p.version.Run != nil {
		read, err := s.store.Edges(ctx, []NodeRef{RunNode(*p.version.Run)}, Outgoing, RelConsumed)
		if err != nil {
			return Version{}, err
		}
		for _, e := range read {
			p.sourceUIDs = append(p.sourceUIDs, e.To.UID)
		}
		p.sourceUIDs, p.sourcesOutsideUID = Dedupe(p.sourceUIDs), true
	}
	v, err := s.commitLog(ctx, p)
	if err != nil || !v.CreatedAt.After(at) {
		return v, err
	}
	t := VersionTimes{UID: v.UID, CreatedAt: at, UpdatedAt: v.UpdatedAt}
	if v.UpdatedAt.Equal(v.CreatedAt) {
		t.UpdatedAt = at
	}
	if err := s.store.Amend(ctx, Amendment{VersionTimes: []VersionTimes{t}}); err != nil {
		return Version{}, err
	}
	v.CreatedAt, v.UpdatedAt = t.CreatedAt, t.UpdatedAt
	return v, nil
}

// withField returns the JSON object extra (an empty one when absent) with
// field set to value.
func withField(extra json.RawMessage, field string, value any) (json.RawMessage, error) {
	m := map[string]any{}
	if len(extra) > 0 {
		if err := json.Unmarshal(extra, &m); err != nil {
			return nil, Errorf(EINVALID, "extra must be a JSON object")
		}
	}
	m[field] = value
	return json.Marshal(m)
}

// datasetState is what reconcile reads of one dataset: its versions, the
// edges into them, and the recorded runs that read them.
type datasetState struct {
	versions map[string]Version // by uid
	list     []Version          // the same, listed
	byRun    map[RunKey][]Edge  // CONSUMED edges into the versions, by recorded run
	derived  []Edge             // DERIVED_FROM edges into the versions
	others   map[string]int     // by version uid: other edges into it
	runs     map[RunKey]Run     // recorded runs that read a version
	outputs  map[string]RunKey  // uid of a version deriving from one → its run
}

// reconcile re-resolves what every recorded run reading (project, key)
// reads, moves the edges that changed, times placeholders by their
// readers' earliest start, removes the placeholders nobody reads, and gives
// latest to the newest version. It is what makes the order of reports not
// matter; the caller holds recordMu.
func (s *Service) reconcile(ctx context.Context, project, key string) error {
	st, err := s.datasetState(ctx, project, key)
	if err != nil || len(st.versions) == 0 {
		return err
	}
	var a Amendment
	readers := map[string][]Run{} // by version uid, once moved
	for k, reads := range st.byRun {
		st.rereadRun(&a, st.runs[k], reads, readers)
	}
	for _, d := range st.derived {
		if !slices.Contains(a.Remove, d) {
			st.others[d.To.UID]++
		}
	}
	gone := st.placeholderTimes(&a, readers, st.hasReal())
	if !a.Empty() {
		if err := s.store.Amend(ctx, a); err != nil {
			return err
		}
	}
	if len(gone) > 0 {
		if _, err := s.store.DeleteVersions(ctx, gone); err != nil {
			return err
		}
	}
	return s.giveLatest(ctx, st.versions, a.VersionTimes, gone)
}

// rereadRun adds to a the moves of run's reads of the dataset, and the
// run to the readers of what it reads once moved.
func (st *datasetState) rereadRun(a *Amendment, run Run, reads []Edge, readers map[string][]Run) {
	wants := make([]Version, len(reads))
	named := map[string]bool{} // versions the run reads by a label
	for i, e := range reads {
		wants[i] = st.reread(run, e, reads)
		if e.Name != "" {
			named[wants[i].UID] = true
		}
	}
	for i, e := range reads {
		want := wants[i]
		if e.Name == "" && named[want.UID] { // read by its label: that says it
			a.Remove = append(a.Remove, e)
			continue
		}
		readers[want.UID] = append(readers[want.UID], run)
		if want.UID != e.To.UID {
			a.move(e, VersionNode(want))
		}
	}
	st.moveDerived(a, run.Key(), reads, wants)
}

// move replaces e by an edge of the same relation and name from the same
// node to to.
func (a *Amendment) move(e Edge, to NodeRef) {
	a.Remove = append(a.Remove, e)
	a.Add = append(a.Add, Edge{From: e.From, To: to, Relation: e.Relation, Name: e.Name})
}

// moveDerived makes the outputs of run k derive from what it now reads of
// the dataset: each derivation from a version it read follows that read.
func (st *datasetState) moveDerived(a *Amendment, k RunKey, reads []Edge, wants []Version) {
	for i, e := range reads {
		if wants[i].UID == e.To.UID {
			continue
		}
		for _, d := range st.derived {
			if d.To.UID == e.To.UID && st.outputs[d.From.UID] == k && !slices.Contains(a.Remove, d) {
				a.move(d, VersionNode(wants[i]))
			}
		}
	}
}

func (s *Service) datasetState(ctx context.Context, project, key string) (*datasetState, error) {
	vs, err := s.datasetVersions(ctx, project, key)
	if err != nil || len(vs) == 0 {
		return &datasetState{}, err
	}
	st := &datasetState{versions: map[string]Version{}, list: vs, others: map[string]int{}, runs: map[RunKey]Run{}, outputs: map[string]RunKey{}}
	nodes := make([]NodeRef, 0, len(vs))
	for _, v := range vs {
		st.versions[v.UID] = v
		nodes = append(nodes, VersionNode(v))
	}
	in, err := s.store.Edges(ctx, nodes, Incoming)
	if err != nil {
		return nil, err
	}
	var reads []Edge
	var runKeys []RunKey
	var outUIDs []string
	for _, e := range in {
		switch {
		case e.Relation == RelConsumed && e.From.Project == project:
			reads = append(reads, e)
			runKeys = append(runKeys, RunKey{Project: e.From.Project, UID: e.From.UID})
		case e.Relation == RelDerivedFrom:
			st.derived = append(st.derived, e)
			outUIDs = append(outUIDs, e.From.UID)
		default:
			st.others[e.To.UID]++
		}
	}
	runs, err := s.store.GetRuns(ctx, runKeys)
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		if slices.ContainsFunc(r.Labels, func(l Label) bool { return l.Key == RecordedRunLabel }) {
			st.runs[r.Key()] = r
		}
	}
	st.byRun = map[RunKey][]Edge{}
	for _, e := range reads {
		k := RunKey{Project: e.From.Project, UID: e.From.UID}
		if _, ok := st.runs[k]; ok {
			st.byRun[k] = append(st.byRun[k], e)
		} else {
			st.others[e.To.UID]++ // read by a run that named it: it stays
		}
	}
	outs, err := s.store.GetVersions(ctx, Dedupe(outUIDs))
	for _, o := range outs {
		if o.Run != nil {
			st.outputs[o.UID] = *o.Run
		}
	}
	return st, err
}

// reread is the version run reads in place of e's (one of reads, its
// reads of the dataset): for a read by a DatasetVersionLabel, the real
// version holding it; else the newest real version no later than its
// start; when there is none, what it read, unless that is a real version
// newer than its start, which gives way to the run's placeholder.
func (st *datasetState) reread(run Run, e Edge, reads []Edge) Version {
	u := st.versions[e.To.UID]
	version, named := strings.CutPrefix(e.Name, DatasetVersionLabel+"=")
	if !named {
		version = ""
	}
	if want, ok := readBy(st.list, run, version); ok {
		return want
	}
	if !named && !isPlaceholder(u) && u.CreatedAt.After(run.StartedAt) {
		for _, r := range reads {
			if p := st.versions[r.To.UID]; r.Name == "" && isPlaceholder(p) {
				return p
			}
		}
	}
	return u
}

// hasReal tells whether the dataset has a version that is no placeholder.
func (st *datasetState) hasReal() bool {
	for _, v := range st.versions {
		if !isPlaceholder(v) {
			return true
		}
	}
	return false
}

// placeholderTimes adds to a the times of the placeholders that runs read
// (their readers' earliest start) and returns those to remove: read by no
// run and pointed at by nothing, when they stood for an input, or, when
// declared, once a real version exists.
func (st *datasetState) placeholderTimes(a *Amendment, readers map[string][]Run, real bool) (gone []string) {
	for uid, p := range st.versions {
		if !isPlaceholder(p) {
			continue
		}
		rs := readers[uid]
		if len(rs) == 0 {
			if st.others[uid] == 0 && (real || placeholderKind(p) == placeholderInput) {
				gone = append(gone, uid)
			}
			continue
		}
		first := rs[0].StartedAt
		for _, r := range rs[1:] {
			if r.StartedAt.Before(first) {
				first = r.StartedAt
			}
		}
		if !first.Equal(p.CreatedAt) {
			updated := p.UpdatedAt
			if updated.Equal(p.CreatedAt) || updated.Before(first) {
				updated = first
			}
			a.VersionTimes = append(a.VersionTimes, VersionTimes{UID: uid, CreatedAt: first, UpdatedAt: updated})
		}
	}
	slices.Sort(gone)
	return gone
}

// giveLatest gives latest to the newest of the dataset's versions (with the
// times just amended, less those just removed) when another holds it.
func (s *Service) giveLatest(ctx context.Context, versions map[string]Version, times []VersionTimes, gone []string) error {
	for _, t := range times {
		v := versions[t.UID]
		v.CreatedAt, v.UpdatedAt = t.CreatedAt, t.UpdatedAt
		versions[t.UID] = v
	}
	var newest Version
	found := false
	for uid, v := range versions {
		if !slices.Contains(gone, uid) && (!found || newer(v, newest)) {
			newest, found = v, true
		}
	}
	if !found || slices.Contains(newest.Tags, TagLatest) {
		return nil
	}
	_, err := s.store.TagVersion(ctx, newest.UID, TagLatest, newest.UpdatedAt)
	return err
}
