package neo4j

import (
	"context"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/artigraph/artigraph/lineage"
)

// Amend writes a's times and edge moves in one transaction, after checking
// that every run and version it names exists.
func (s *Store) Amend(ctx context.Context, a lineage.Amendment) error {
	if err := a.Validate(); err != nil {
		return err
	}
	runs, versions := amendedNodes(a)
	var starts, times []any
	for _, rs := range a.RunStarts {
		starts = append(starts, map[string]any{"project": rs.Run.Project, "uid": rs.Run.UID, "at": encTime(rs.At)})
	}
	for _, vt := range a.VersionTimes {
		times = append(times, map[string]any{"uid": vt.UID, "createdAt": encTime(vt.CreatedAt), "updatedAt": encTime(vt.UpdatedAt)})
	}
	_, err := write(ctx, s, func(tx neo.ManagedTransaction) (struct{}, error) {
		if err := checkAmended(ctx, tx, runs, versions); err != nil {
			return struct{}{}, err
		}
		for _, step := range []struct {
			query string
			rows  []any
		}{
			{`UNWIND $rows AS k MATCH (r:Run {project: k.project, uid: k.uid}) SET r.startedAt = k.at`, starts},
			{`UNWIND $rows AS t MATCH (v:Version {uid: t.uid}) SET v.createdAt = t.createdAt, v.updatedAt = t.updatedAt`, times},
			{`UNWIND $rows AS e MATCH (:Run {project: e.fromProject, uid: e.from})-[x:CONSUMED]->(:Version {uid: e.to})
			  WHERE coalesce(x.name, '') = e.name DELETE x`, edgeRows(a.Remove, lineage.RelConsumed)},
			{`UNWIND $rows AS e MATCH (:Version {uid: e.from})-[x:DERIVED_FROM]->(:Version {uid: e.to}) DELETE x`, edgeRows(a.Remove, lineage.RelDerivedFrom)},
			// A read without a name is a relationship without the property,
			// as CreateRun writes it.
			{`UNWIND $rows AS e MATCH (r:Run {project: e.fromProject, uid: e.from}), (v:Version {uid: e.to})
			  OPTIONAL MATCH (r)-[x:CONSUMED]->(v) WHERE coalesce(x.name, '') = e.name
			  WITH r, v, e, count(x) AS present WHERE present = 0
			  FOREACH (_ IN CASE WHEN e.name = '' THEN [1] ELSE [] END | CREATE (r)-[:CONSUMED]->(v))
			  FOREACH (_ IN CASE WHEN e.name <> '' THEN [1] ELSE [] END | CREATE (r)-[:CONSUMED {name: e.name}]->(v))`,
				edgeRows(a.Add, lineage.RelConsumed)},
			{`UNWIND $rows AS e MATCH (f:Version {uid: e.from}), (v:Version {uid: e.to}) MERGE (f)-[:DERIVED_FROM]->(v)`, edgeRows(a.Add, lineage.RelDerivedFrom)},
		} {
			if len(step.rows) == 0 {
				continue
			}
			if err := consume(ctx, tx, step.query, map[string]any{"rows": step.rows}); err != nil {
				return struct{}{}, err
			}
		}
		return struct{}{}, nil
	})
	return err
}

// amendedNodes lists the runs and versions a names, as query rows.
func amendedNodes(a lineage.Amendment) (runs, versions []any) {
	run := func(k lineage.RunKey) { runs = append(runs, map[string]any{"project": k.Project, "uid": k.UID}) }
	version := func(project, uid string) {
		versions = append(versions, map[string]any{"project": project, "uid": uid})
	}
	for _, rs := range a.RunStarts {
		run(rs.Run)
	}
	for _, vt := range a.VersionTimes {
		version("", vt.UID)
	}
	for _, e := range append(append([]lineage.Edge(nil), a.Remove...), a.Add...) {
		for _, n := range []lineage.NodeRef{e.From, e.To} {
			if n.Type == lineage.NodeRun {
				run(lineage.RunKey{Project: n.Project, UID: n.UID})
			} else {
				version(n.Project, n.UID)
			}
		}
	}
	return runs, versions
}

// checkAmended answers ENOTFOUND for the first run or version absent (a
// version named with a project must be of that project).
func checkAmended(ctx context.Context, tx neo.ManagedTransaction, runs, versions []any) error {
	rec, err := single(ctx, tx, `
		CALL { UNWIND $runs AS k OPTIONAL MATCH (r:Run {project: k.project, uid: k.uid})
		       WITH k, r WHERE r IS NULL RETURN collect([k.project, k.uid])[0] AS run }
		CALL { UNWIND $versions AS k OPTIONAL MATCH (v:Version {uid: k.uid})
		       WITH k, v WHERE v IS NULL OR (k.project <> '' AND v.project <> k.project)
		       RETURN collect(k.uid)[0] AS version }
		RETURN run, version`, map[string]any{"runs": runs, "versions": versions})
	if err != nil {
		return err
	}
	if r := strs(rec.Values[0]); len(r) == 2 {
		return lineage.RunNotFound(lineage.RunKey{Project: r[0], UID: r[1]})
	}
	if uid, ok := rec.Values[1].(string); ok {
		return lineage.VersionNotFound(uid)
	}
	return nil
}

// edgeRows are the edges of relation rel as query rows, each once.
func edgeRows(edges []lineage.Edge, rel lineage.Relation) []any {
	var rows []any
	seen := map[lineage.Edge]bool{}
	for _, e := range edges {
		if e.Relation == rel && !seen[e] {
			seen[e] = true
			rows = append(rows, map[string]any{"fromProject": e.From.Project, "from": e.From.UID, "to": e.To.UID, "name": e.Name})
		}
	}
	return rows
}
