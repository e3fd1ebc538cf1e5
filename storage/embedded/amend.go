package embedded

import (
	"context"
	"slices"

	"github.com/artigraph/artigraph/lineage"
)

// Amend writes a's times and edge moves in one commit.
func (s *Store) Amend(ctx context.Context, a lineage.Amendment) error {
	if err := a.Validate(); err != nil {
		return err
	}
	unlock, err := s.wlock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	ch := &change{}
	for _, rs := range a.RunStarts {
		old, ok := s.runs[rs.Run]
		if !ok {
			return lineage.RunNotFound(rs.Run)
		}
		r := cloneRun(old)
		r.StartedAt = rs.At
		ch.runs = append(ch.runs, r)
	}
	for _, vt := range a.VersionTimes {
		old, ok := s.versions[vt.UID]
		if !ok {
			return lineage.VersionNotFound(vt.UID)
		}
		v := cloneVersion(old)
		v.CreatedAt, v.UpdatedAt = vt.CreatedAt, vt.UpdatedAt
		ch.versions = append(ch.versions, v)
	}
	if err := s.checkEnds(append(slices.Clone(a.Remove), a.Add...)); err != nil {
		return err
	}
	removed := map[lineage.Edge]bool{}
	for _, e := range a.Remove {
		if s.graph.has(e) && !removed[e] {
			removed[e] = true
			ch.dropped = append(ch.dropped, e)
		}
	}
	added := map[lineage.Edge]bool{}
	for _, e := range a.Add {
		if (removed[e] || !s.graph.has(e)) && !added[e] {
			added[e] = true
			ch.edges = append(ch.edges, e)
		}
	}
	return s.commit(ch)
}

// checkEnds returns ENOTFOUND for the first edge end that is absent.
func (s *Store) checkEnds(edges []lineage.Edge) error {
	for _, e := range edges {
		for _, n := range []lineage.NodeRef{e.From, e.To} {
			switch n.Type {
			case lineage.NodeRun:
				if _, ok := s.runs[lineage.RunKey{Project: n.Project, UID: n.UID}]; !ok {
					return lineage.RunNotFound(lineage.RunKey{Project: n.Project, UID: n.UID})
				}
			default:
				if v, ok := s.versions[n.UID]; !ok || v.Project != n.Project {
					return lineage.VersionNotFound(n.UID)
				}
			}
		}
	}
	return nil
}

// remove deletes e if present.
func (g *graph) remove(e lineage.Edge) {
	rel, ok := relCode(e.Relation)
	from, okFrom := g.ids[e.From]
	to, okTo := g.ids[e.To]
	if !ok || !okFrom || !okTo {
		return
	}
	g.out[from] = slices.DeleteFunc(g.out[from], func(h halfEdge) bool { return h == halfEdge{peer: to, rel: rel, name: e.Name} })
	g.in[to] = slices.DeleteFunc(g.in[to], func(h halfEdge) bool { return h == halfEdge{peer: from, rel: rel, name: e.Name} })
}
