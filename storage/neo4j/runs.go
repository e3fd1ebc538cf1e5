package neo4j

import (
	"context"
	"slices"
	"time"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/artigraph/artigraph/lineage"
)

// UpsertProject writes p, keeping the CreatedAt of an existing project.
func (s *Store) UpsertProject(ctx context.Context, p lineage.Project) (lineage.Project, error) {
	if err := p.Validate(); err != nil {
		return lineage.Project{}, err
	}
	props, err := projectProps(p)
	if err != nil {
		return lineage.Project{}, err
	}
	return write(ctx, s, func(tx neo.ManagedTransaction) (lineage.Project, error) {
		// MERGE on the unique name: concurrent upserts of a new project
		// create it once.
		rec, err := single(ctx, tx, `
			MERGE (p:Project {name: $p.name})
			ON CREATE SET p.createdAt = $p.createdAt
			SET p.description = $p.description, p.artifactPath = $p.artifactPath, p.labels = $p.labels
			RETURN p{.*}`, map[string]any{"p": props})
		if err != nil {
			return lineage.Project{}, err
		}
		return decProject(recMap(rec.Values[0]))
	})
}

// GetProject returns the project named name, or ENOTFOUND.
func (s *Store) GetProject(ctx context.Context, name string) (lineage.Project, error) {
	return read(ctx, s, func(tx neo.ManagedTransaction) (lineage.Project, error) {
		recs, err := collect(ctx, tx, "MATCH (p:Project {name: $name}) RETURN p{.*}", map[string]any{"name": name})
		if err != nil {
			return lineage.Project{}, err
		}
		if len(recs) == 0 {
			return lineage.Project{}, lineage.ProjectNotFound(name)
		}
		return decProject(recMap(recs[0].Values[0]))
	})
}

// ListProjects returns every project, by name.
func (s *Store) ListProjects(ctx context.Context) ([]lineage.Project, error) {
	return read(ctx, s, func(tx neo.ManagedTransaction) ([]lineage.Project, error) {
		recs, err := collect(ctx, tx, "MATCH (p:Project) RETURN p{.*} ORDER BY p.name", nil)
		if err != nil {
			return nil, err
		}
		out := make([]lineage.Project, 0, len(recs))
		for _, rec := range recs {
			p, err := decProject(recMap(rec.Values[0]))
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
		return out, nil
	})
}

// CreateRun writes r and a CONSUMED edge to each input version. The key must
// be new (else ECONFLICT) and the inputs must exist (else ENOTFOUND).
func (s *Store) CreateRun(ctx context.Context, r lineage.Run, inputs []string) (lineage.Run, error) {
	if err := r.Validate(); err != nil {
		return lineage.Run{}, err
	}
	props, err := runProps(r)
	if err != nil {
		return lineage.Run{}, err
	}
	return write(ctx, s, func(tx neo.ManagedTransaction) (lineage.Run, error) {
		// The uniqueness constraint on (project, uid) refuses a second run
		// with the key, even one created concurrently; a missing input
		// rolls the whole write back.
		rec, err := single(ctx, tx, `
			CREATE (r:Run)
			SET r = $r
			WITH r
			UNWIND $inputs AS uid
			OPTIONAL MATCH (v:Version {uid: uid})
			FOREACH (_ IN CASE WHEN v IS NULL THEN [] ELSE [1] END | CREATE (r)-[:CONSUMED]->(v))
			RETURN [x IN collect(CASE WHEN v IS NULL THEN uid END) WHERE x IS NOT NULL] AS missing`,
			map[string]any{"r": props, "inputs": lineage.Dedupe(inputs)})
		if isConstraintViolation(err) {
			return lineage.Run{}, lineage.RunExists(r.Key())
		}
		if err != nil {
			return lineage.Run{}, err
		}
		if missing := strs(rec.Values[0]); len(missing) > 0 {
			return lineage.Run{}, lineage.VersionNotFound(missing[0])
		}
		return decRun(props)
	})
}

// FinishRun sets a run's state and finish time.
func (s *Store) FinishRun(ctx context.Context, key lineage.RunKey, state lineage.RunState, at time.Time) (lineage.Run, error) {
	if err := state.Validate(); err != nil {
		return lineage.Run{}, err
	}
	return write(ctx, s, func(tx neo.ManagedTransaction) (lineage.Run, error) {
		recs, err := collect(ctx, tx, `
			MATCH (r:Run {project: $project, uid: $uid})
			SET r.state = $state, r.finishedAt = $at
			RETURN r{.*}`,
			map[string]any{"project": key.Project, "uid": key.UID, "state": string(state), "at": encTime(at)})
		if err != nil {
			return lineage.Run{}, err
		}
		if len(recs) == 0 {
			return lineage.Run{}, lineage.RunNotFound(key)
		}
		return decRun(recMap(recs[0].Values[0]))
	})
}

// GetRuns returns the runs found, in the order asked.
func (s *Store) GetRuns(ctx context.Context, keys []lineage.RunKey) ([]lineage.Run, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	var params []any
	for _, k := range keys {
		params = append(params, map[string]any{"project": k.Project, "uid": k.UID})
	}
	found, err := read(ctx, s, func(tx neo.ManagedTransaction) (map[lineage.RunKey]lineage.Run, error) {
		recs, err := collect(ctx, tx, `
			UNWIND $keys AS k
			MATCH (r:Run {project: k.project, uid: k.uid})
			RETURN r{.*}`, map[string]any{"keys": params})
		if err != nil {
			return nil, err
		}
		found := map[lineage.RunKey]lineage.Run{}
		for _, rec := range recs {
			r, err := decRun(recMap(rec.Values[0]))
			if err != nil {
				return nil, err
			}
			found[r.Key()] = r
		}
		return found, nil
	})
	if err != nil {
		return nil, err
	}
	var out []lineage.Run
	for _, k := range keys {
		if r, ok := found[k]; ok {
			out = append(out, copyRun(r))
		}
	}
	return out, nil
}

// copyRun copies what a Run shares through pointers and slices, for a run
// asked for twice in one call.
func copyRun(r lineage.Run) lineage.Run {
	r.Labels = slices.Clone(r.Labels)
	for i, l := range r.Labels {
		if l.Value != nil {
			v := *l.Value
			r.Labels[i].Value = &v
		}
	}
	if r.FinishedAt != nil {
		t := *r.FinishedAt
		r.FinishedAt = &t
	}
	return r
}

// ListRuns returns a page of a project's runs, newest StartedAt first.
func (s *Store) ListRuns(ctx context.Context, project string, page lineage.Page) (lineage.RunPage, error) {
	params, err := pageParams(page)
	if err != nil {
		return lineage.RunPage{}, err
	}
	params["project"] = project
	return read(ctx, s, func(tx neo.ManagedTransaction) (lineage.RunPage, error) {
		var out lineage.RunPage
		rec, err := single(ctx, tx, "MATCH (r:Run {project: $project}) RETURN count(r)", params)
		if err != nil {
			return out, err
		}
		out.Total = int(num(rec.Values[0]))
		recs, err := collect(ctx, tx, `
			MATCH (r:Run)
			WHERE r.project = $project
			  AND ($afterUid IS NULL OR r.startedAt < $afterTime OR (r.startedAt = $afterTime AND r.uid < $afterUid))
			RETURN r{.*}
			ORDER BY r.startedAt DESC, r.uid DESC
			LIMIT $limit`, params)
		if err != nil {
			return out, err
		}
		out.Runs, out.HasNext, out.EndCursor, err = decodePage(recs, page.First, decRun, lineage.RunCursor)
		return out, err
	})
}

// decodePage decodes up to first records (the query asks for one more, to
// tell whether another page follows) and the cursor after the last one.
func decodePage[T any](recs []*neo.Record, first int, decode func(map[string]any) (T, error),
	cursor func(T) lineage.Cursor) (items []T, hasNext bool, end string, err error) {
	for i, rec := range recs {
		if i == first {
			hasNext = true
			break
		}
		item, err := decode(recMap(rec.Values[0]))
		if err != nil {
			return nil, false, "", err
		}
		items = append(items, item)
	}
	if n := len(items); n > 0 {
		end = cursor(items[n-1]).Encode()
	}
	return items, hasNext, end, nil
}

// pageParams checks a page request and returns the parameters of its
// keyset condition: the cursor's time and uid (nil uid: from the top), and
// the number of rows to fetch, one more than the page to tell HasNext.
func pageParams(page lineage.Page) (map[string]any, error) {
	c, err := page.Cursor()
	if err != nil {
		return nil, err
	}
	p := map[string]any{"afterTime": nil, "afterUid": nil, "limit": int64(page.First) + 1}
	if c.UID != "" {
		p["afterTime"], p["afterUid"] = encTime(c.Time), c.UID
	}
	return p, nil
}
