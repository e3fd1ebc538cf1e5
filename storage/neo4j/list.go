package neo4j

import (
	"context"
	"strings"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/artigraph/artigraph/lineage"
)

// ListVersions returns a page of a project's versions that match f, newest
// UpdatedAt first, ties by uid descending. The query is put together from
// fixed clauses, one per filter field set, and takes every value as a
// parameter; the planner picks the index (project with updatedAt, key, tree
// or target path, the key's text index, or the tag). Total counts every
// match, in the same read transaction as the page.
func (s *Store) ListVersions(ctx context.Context, project string, f lineage.VersionFilter, page lineage.Page) (lineage.VersionPage, error) {
	if err := f.Validate(); err != nil {
		return lineage.VersionPage{}, err
	}
	params, err := pageParams(page)
	if err != nil {
		return lineage.VersionPage{}, err
	}
	match, where := versionFilter(project, f, params)
	count := match + " WHERE " + strings.Join(where, " AND ") + " RETURN count(v)"
	where = append(where, "($afterUid IS NULL OR v.updatedAt < $afterTime OR (v.updatedAt = $afterTime AND v.uid < $afterUid))")
	list := match + " WHERE " + strings.Join(where, " AND ") +
		" RETURN " + versionReturn + " ORDER BY v.updatedAt DESC, v.uid DESC LIMIT $limit"

	return read(ctx, s, func(tx neo.ManagedTransaction) (lineage.VersionPage, error) {
		var out lineage.VersionPage
		rec, err := single(ctx, tx, count, params)
		if err != nil {
			return out, err
		}
		out.Total = int(num(rec.Values[0]))
		if out.Total == 0 {
			return out, nil
		}
		recs, err := collect(ctx, tx, list, params)
		if err != nil {
			return out, err
		}
		out.Versions, out.HasNext, out.EndCursor, err = decodePage(recs, page.First, decVersion, lineage.VersionCursor)
		return out, err
	})
}

// versionFilter returns the MATCH clause and the WHERE conditions selecting
// the versions of project that f lets through, as lineage.VersionFilter.Match
// defines them, and adds their values to params.
func versionFilter(project string, f lineage.VersionFilter, params map[string]any) (string, []string) {
	params["project"] = project
	match := "MATCH (v:Version)"
	if f.Tag != "" {
		match = "MATCH (t:Tag {project: $project, name: $tag}) MATCH (v:Version {uid: t.holder})"
		params["tag"] = f.Tag
	}
	where := []string{"v.project = $project"}
	add := func(cond, name string, value any) {
		where = append(where, cond)
		params[name] = value
	}
	if f.Kind != "" {
		add("v.kind = $kind", "kind", string(f.Kind))
	}
	if f.Key != "" {
		add("v.key = $key", "key", f.Key)
	}
	if f.KeyContains != "" {
		// keyLower is the key lowered in Go, as Match lowers both sides.
		// Without a tag to start from, the keys are found first, through
		// the text index on the Artifact nodes, and their versions by key.
		add("v.keyLower CONTAINS $keyContains", "keyContains", strings.ToLower(f.KeyContains))
		if f.Tag == "" {
			match = "MATCH (a:Artifact {project: $project}) WHERE a.keyLower CONTAINS $keyContains MATCH (v:Version {project: $project, key: a.key})"
		}
	}
	var keys, pairs []string
	for _, l := range f.Labels {
		sel, _ := lineage.ParseLabelSelector(l) // valid: f passed Validate
		if sel.HasValue {
			pairs = append(pairs, labelPair(sel.Key, sel.Value))
		} else {
			keys = append(keys, sel.Key)
		}
	}
	if len(keys) > 0 {
		add("all(k IN $labelKeys WHERE k IN v.labelKeys)", "labelKeys", keys)
	}
	if len(pairs) > 0 {
		add("all(p IN $labelPairs WHERE p IN v.labelPairs)", "labelPairs", pairs)
	}
	if f.Since != nil {
		add("v.updatedAt >= $since", "since", encTime(*f.Since))
	}
	if f.Until != nil {
		add("v.updatedAt <= $until", "until", encTime(*f.Until))
	}
	if f.Producer != "" {
		add("(v.producerName = $producer OR v.producerUri = $producer)", "producer", f.Producer)
	}
	if f.Owner != "" {
		add("v.owner = $owner", "owner", f.Owner)
	}
	if f.Iteration != nil {
		add("v.iteration = $iteration", "iteration", int64(*f.Iteration))
	}
	if f.Tree != "" {
		add("v.tree = $tree", "tree", f.Tree)
	}
	if f.TargetPath != "" {
		add("v.targetPath = $targetPath", "targetPath", f.TargetPath)
	}
	return match, where
}
