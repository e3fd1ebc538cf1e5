package lineage

import "context"

// PipelineRunsPage is one page of a pipeline's runs, newest first. Runs are
// kept per project, so it scans the project's runs in store pages from
// page.After (a run cursor, as ListRuns hands out) and stops as soon as it
// knows whether another match follows: a page costs at most what it returns
// plus the runs of other pipelines in between. Total is not counted (-1).
func (s *Service) PipelineRunsPage(ctx context.Context, p PipelineKey, page Page) (RunPage, error) {
	if err := s.canRead(ctx, p.Project); err != nil {
		return RunPage{}, err
	}
	page, err := s.page(page)
	if err != nil {
		return RunPage{}, err
	}
	out := RunPage{Total: -1}
	scan := Page{First: s.Config.MaxPageSize, After: page.After}
	if scan.First <= 0 {
		scan.First = 1000
	}
	for {
		rp, err := s.store.ListRuns(ctx, p.Project, scan)
		if err != nil {
			return RunPage{}, err
		}
		for _, r := range rp.Runs {
			if r.Pipeline != p.ID {
				continue
			}
			if len(out.Runs) == page.First {
				out.HasNext = true
				return out, nil
			}
			out.Runs = append(out.Runs, r)
			out.EndCursor = RunCursor(r).Encode()
		}
		if !rp.HasNext {
			return out, nil
		}
		scan.After = rp.EndCursor
	}
}

// Run.inputs and Run.outputs answer at most DefaultRunEdges versions unless
// asked for more, up to MaxRunEdges; the API's complexity limit costs them
// by that bound.
const (
	DefaultRunEdges = 100
	MaxRunEdges     = 1000
)

// RunEdgeLimit is the bound a `first` argument of Run.inputs or Run.outputs
// asks for.
func RunEdgeLimit(first *int) (int, error) {
	if first == nil {
		return DefaultRunEdges, nil
	}
	switch n := *first; {
	case n < 0:
		return 0, errNegativeFirst()
	case n > MaxRunEdges:
		return 0, Errorf(ELIMIT, "first may be at most %d", MaxRunEdges)
	default:
		return n, nil
	}
}
