package main

import (
	"fmt"
)

const (
	artifactQuery  = `query($u: String!) { artifact(uri: $u) { uid key } }`
	artifactsQuery = `query($p: String!, $f: ArtifactFilter) {
  artifacts(project: $p, filter: $f, first: 100) { edges { node { uid key } } } }`
	lineageQuery = `query($u: String!, $d: LineageDirection!, $depth: Int, $limit: Int) {
  lineage(uri: $u, direction: $d, depth: $depth, limit: $limit) {
    nodes { id type depth } edges { from to relation } truncated } }`
	impactQuery = `query($u: String!, $depth: Int, $limit: Int) {
  impact(uri: $u, depth: $depth, limit: $limit) { artifacts { uid } runs { uid } truncated } }`
	impactCountsQuery = `query($u: String!, $depth: Int, $limit: Int) {
  impact(uri: $u, depth: $depth, limit: $limit) {
    counts { artifacts artifactsByKind { kind count } runs pipelines byDepth { depth artifacts runs } hidden complete } } }`
)

// run returns a function that sends q once and tells its answer's size.
func (h *overHTTP) run(q Query) func() (int, error) {
	switch q.Op {
	case "artifact":
		return h.artifact(q)
	case "artifacts":
		return h.artifacts(q)
	case "lineage":
		vars := map[string]any{"u": h.uri(q.Ref), "d": q.Direction, "depth": q.Depth, "limit": q.Limit}
		return func() (int, error) {
			var out struct{ Lineage struct{ Nodes []struct{} } }
			err := h.srv.c.do(lineageQuery, vars, &out)
			return len(out.Lineage.Nodes), err
		}
	case "impact-counts":
		vars := map[string]any{"u": h.uri(q.Ref), "depth": q.Depth, "limit": q.Limit}
		return func() (int, error) {
			var out struct {
				Impact struct{ Counts struct{ Artifacts, Runs int } }
			}
			err := h.srv.c.do(impactCountsQuery, vars, &out)
			return out.Impact.Counts.Artifacts + out.Impact.Counts.Runs, err
		}
	default:
		vars := map[string]any{"u": h.uri(q.Ref), "depth": q.Depth, "limit": q.Limit}
		return func() (int, error) {
			var out struct {
				Impact struct{ Artifacts, Runs []struct{} }
			}
			err := h.srv.c.do(impactQuery, vars, &out)
			return len(out.Impact.Artifacts) + len(out.Impact.Runs), err
		}
	}
}

func (h *overHTTP) artifact(q Query) func() (int, error) {
	vars := map[string]any{"u": h.uri(q.Ref)}
	return func() (int, error) {
		var out struct{ Artifact *struct{ UID string } }
		err := h.srv.c.do(artifactQuery, vars, &out)
		if err == nil && out.Artifact == nil {
			err = fmt.Errorf("artifact %s not found", h.uri(q.Ref))
		}
		return 1, err
	}
}

func (h *overHTTP) artifacts(q Query) func() (int, error) {
	f := map[string]any{}
	if len(q.Labels) > 0 {
		f["labels"] = q.Labels
	}
	if q.TimeRange {
		f["since"], f["until"] = h.ing.WindowStart, h.ing.WindowEnd
	}
	vars := map[string]any{"p": h.pre + q.Project, "f": f}
	return func() (int, error) {
		var out struct{ Artifacts struct{ Edges []struct{} } }
		err := h.srv.c.do(artifactsQuery, vars, &out)
		return len(out.Artifacts.Edges), err
	}
}
