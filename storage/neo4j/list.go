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
	match, where, byLabel := versionFilter(project, f, params)
	if byLabel {
		return s.listByLabel(ctx, match, where, params, page)
	}
	count := match + " WHERE " + strings.Join(where, " AND ") + " RETURN count(v)"
	where = append(where, "($afterUid IS NULL OR v.updatedAt < $afterTime OR (v.updatedAt = $afterTime AND v.uid < $afterUid))")
	// Sorted and cut before the projection, so that only the page is
	// projected (ORDER BY after RETURN v{…} AS v sorts the projected maps,
	// which projects, and reads the tags of, every match).
	list := match + " WHERE " + strings.Join(where, " AND ") +
		" WITH v ORDER BY v.updatedAt DESC, v.uid DESC LIMIT $limit RETURN " + versionReturn

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
//
// byLabel tells that the MATCH starts from a Label node: the matches are
// then few enough to count and page in one pass (see listByLabel).
func versionFilter(project string, f lineage.VersionFilter, params map[string]any) (match string, where []string, byLabel bool) {
	params["project"] = project
	match = "MATCH (v:Version)"
	if f.Tag != "" {
		match = "MATCH (t:Tag {project: $project, name: $tag}) MATCH (v:Version {uid: t.holder})"
		switch {
		// With the key, the Tag node's own constraint index finds it, not
		// the (project, name) index, which holds a tag of every key (every
		// log asks for the latest of its key: that scanned them all).
		case f.Key != "" && f.Iteration != nil:
			match = "MATCH (t:Tag {project: $project, key: $key, iteration: $iteration, name: $tag}) MATCH (v:Version {uid: t.holder})"
		case f.Key != "":
			match = "MATCH (t:Tag {project: $project, key: $key, name: $tag}) WHERE t.iteration IS NOT NULL MATCH (v:Version {uid: t.holder})"
		}
		params["tag"] = f.Tag
	}
	where = []string{"v.project = $project"}
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
		if f.Tag == "" && f.KeyContains == "" {
			// Start from the pair holding the fewest versions (the Label
			// node of least degree, see labels.go) rather than from every
			// version of the project; the condition above checks the rest.
			// A pair without a Label node is held by no version: then no
			// node is found, and nothing is listed.
			match = `MATCH (l:Label {project: $project}) WHERE l.pair IN $labelPairs
				WITH l, COUNT { (l)<-[:LABELED]-() } AS n
				ORDER BY n LIMIT 1
				MATCH (l)<-[:LABELED]-(v:Version)`
			byLabel = true
		}
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
	return match, where, byLabel
}

// listByLabel counts the matches and reads the page in one statement, which
// reads each match once: from a Label node, the matches are the versions
// holding a pair, not a project's every version, so sorting them all costs
// less than a second pass (counting with an index, and paging in its order,
// is what the other listings do).
func (s *Store) listByLabel(ctx context.Context, match string, where []string, params map[string]any, page lineage.Page) (lineage.VersionPage, error) {
	q := match + " WHERE " + strings.Join(where, " AND ") + `
		WITH v ORDER BY v.updatedAt DESC, v.uid DESC
		WITH collect(v) AS matches
		CALL (matches) {
			UNWIND [v IN matches WHERE $afterUid IS NULL OR v.updatedAt < $afterTime OR (v.updatedAt = $afterTime AND v.uid < $afterUid)][..$limit] AS v
			RETURN collect(` + versionReturn + `) AS page
		}
		RETURN size(matches), page`
	return read(ctx, s, func(tx neo.ManagedTransaction) (lineage.VersionPage, error) {
		var out lineage.VersionPage
		rec, err := single(ctx, tx, q, params)
		if err != nil {
			return out, err
		}
		out.Total = int(num(rec.Values[0]))
		var recs []*neo.Record
		for _, m := range asList(rec.Values[1]) {
			recs = append(recs, &neo.Record{Values: []any{m}})
		}
		out.Versions, out.HasNext, out.EndCursor, err = decodePage(recs, page.First, decVersion, lineage.VersionCursor)
		return out, err
	})
}
