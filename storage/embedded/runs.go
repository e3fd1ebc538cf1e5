package embedded

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// UpsertProject writes p, keeping the CreatedAt of an existing project.
func (s *Store) UpsertProject(ctx context.Context, p lineage.Project) (lineage.Project, error) {
	if err := p.Validate(); err != nil {
		return lineage.Project{}, err
	}
	unlock, err := s.wlock(ctx)
	if err != nil {
		return lineage.Project{}, err
	}
	defer unlock()
	if old, ok := s.projects[p.Name]; ok {
		p.CreatedAt = old.CreatedAt
	}
	var out lineage.Project
	if err := s.commitThen(&change{projects: []lineage.Project{p}}, func() { out = cloneProject(s.projects[p.Name]) }); err != nil {
		return lineage.Project{}, err
	}
	return out, nil
}

// GetProject returns the project named name, or ENOTFOUND.
func (s *Store) GetProject(ctx context.Context, name string) (lineage.Project, error) {
	unlock, err := s.rlock(ctx)
	if err != nil {
		return lineage.Project{}, err
	}
	defer unlock()
	p, ok := s.projects[name]
	if !ok {
		return lineage.Project{}, lineage.ProjectNotFound(name)
	}
	return cloneProject(p), nil
}

// ListProjects returns every project, by name.
func (s *Store) ListProjects(ctx context.Context) ([]lineage.Project, error) {
	unlock, err := s.rlock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	out := make([]lineage.Project, 0, len(s.projects))
	for _, p := range s.projects {
		out = append(out, cloneProject(p))
	}
	slices.SortFunc(out, func(a, b lineage.Project) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// CreateRun writes r and a CONSUMED edge to each input version. The key must
// be new (else ECONFLICT) and the inputs must exist (else ENOTFOUND).
func (s *Store) CreateRun(ctx context.Context, r lineage.Run, inputs []string) (lineage.Run, error) {
	if err := r.Validate(); err != nil {
		return lineage.Run{}, err
	}
	unlock, err := s.wlock(ctx)
	if err != nil {
		return lineage.Run{}, err
	}
	defer unlock()
	if _, ok := s.runs[r.Key()]; ok {
		return lineage.Run{}, lineage.RunExists(r.Key())
	}
	nodes, err := s.versionNodes(lineage.Dedupe(inputs))
	if err != nil {
		return lineage.Run{}, err
	}
	ch := &change{runs: []lineage.Run{r}}
	for _, n := range nodes {
		ch.edges = append(ch.edges, lineage.Edge{From: lineage.RunNode(r.Key()), To: n, Relation: lineage.RelConsumed})
	}
	var out lineage.Run
	if err := s.commitThen(ch, func() { out = cloneRun(s.runs[r.Key()]) }); err != nil {
		return lineage.Run{}, err
	}
	return out, nil
}

// FinishRun sets a run's state and finish time.
func (s *Store) FinishRun(ctx context.Context, key lineage.RunKey, state lineage.RunState, at time.Time) (lineage.Run, error) {
	if err := state.Validate(); err != nil {
		return lineage.Run{}, err
	}
	unlock, err := s.wlock(ctx)
	if err != nil {
		return lineage.Run{}, err
	}
	defer unlock()
	old, ok := s.runs[key]
	if !ok {
		return lineage.Run{}, lineage.RunNotFound(key)
	}
	r := cloneRun(old)
	r.State = state
	r.FinishedAt = &at
	var out lineage.Run
	if err := s.commitThen(&change{runs: []lineage.Run{r}}, func() { out = cloneRun(s.runs[key]) }); err != nil {
		return lineage.Run{}, err
	}
	return out, nil
}

// GetRuns returns the runs found, in the order asked.
func (s *Store) GetRuns(ctx context.Context, keys []lineage.RunKey) ([]lineage.Run, error) {
	unlock, err := s.rlock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []lineage.Run
	for _, k := range keys {
		if r, ok := s.runs[k]; ok {
			out = append(out, cloneRun(r))
		}
	}
	return out, nil
}

// ListRuns returns a page of a project's runs, newest StartedAt first.
func (s *Store) ListRuns(ctx context.Context, project string, page lineage.Page) (lineage.RunPage, error) {
	c, err := decodePage(page)
	if err != nil {
		return lineage.RunPage{}, err
	}
	unlock, err := s.rlock(ctx)
	if err != nil {
		return lineage.RunPage{}, err
	}
	defer unlock()
	x := s.indexes[project]
	if x == nil {
		return lineage.RunPage{}, nil
	}
	var out lineage.RunPage
	out.Total = x.runs.Len()
	x.runs.descend(bottom, c, func(it *item[*lineage.Run]) bool {
		if len(out.Runs) == page.First {
			out.HasNext = true
			return false
		}
		out.Runs = append(out.Runs, cloneRun(it.val))
		return true
	})
	if n := len(out.Runs); n > 0 {
		out.EndCursor = lineage.RunCursor(out.Runs[n-1]).Encode()
	}
	return out, nil
}

// decodePage checks a page request and returns the position its items come
// before: the cursor's, or the top of the list.
func decodePage(page lineage.Page) (position, error) {
	c, err := page.Cursor()
	if err != nil {
		return position{}, err
	}
	if c.UID == "" {
		return top, nil
	}
	return position{t: c.Time.UnixNano(), uid: c.UID}, nil
}
