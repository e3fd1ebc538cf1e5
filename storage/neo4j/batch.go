package neo4j

import (
	"cmp"
	"context"
	"slices"
	"time"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/artigraph/artigraph/lineage"
)

// PutVersions writes ws as PutVersion writes each, in one transaction of a
// few statements whatever the batch's size, each an UNWIND over the batch:
// one checks every uid, run, source, link target, Tag and Label node it
// names; one creates the new versions, their Artifact nodes, edges and the
// Tag nodes of tags new to their slot, holding them; one moves the other
// tags (see giveTags); the last sets the times of the existing
// versions that took a tag and reads them back. When a label pair is new to
// the project, the transaction stops after the first, its Label node is
// created in a short transaction of its own, and the batch runs again (see
// writeTags). Any failure rolls the whole batch back.
func (s *Store) PutVersions(ctx context.Context, ws []lineage.VersionWrite) ([]lineage.PutResult, error) {
	if err := lineage.CheckBatch(ws); err != nil {
		return nil, err
	}
	if len(ws) == 0 {
		return []lineage.PutResult{}, nil
	}
	b := prepareBatch(ws)
	put := func(tx neo.ManagedTransaction) ([]lineage.PutResult, error) { return b.put(ctx, tx) }
	out, err := writeTags(ctx, s, put)
	for attempt := 0; isConstraintViolation(err) && attempt < 3; attempt++ {
		// A concurrent write created one of the uids or Tag nodes first:
		// this batch applies its tags to it instead, as PutVersion does.
		out, err = writeTags(ctx, s, put)
	}
	return out, err
}

// batchWrite is one write of a batch, with its parameters ready.
type batchWrite struct {
	w       lineage.VersionWrite
	at      *time.Time // the time an existing version taking a tag is updated at
	props   map[string]any
	invalid error // why props could not be made: refused for a new uid only
	links   []any
	sources []string
	tags    []string // the tags a new version holds
}

type batch struct {
	writes []batchWrite
}

func prepareBatch(ws []lineage.VersionWrite) *batch {
	b := &batch{writes: make([]batchWrite, len(ws))}
	for i, w := range ws {
		bw := batchWrite{w: w, at: optTime(w.Version.UpdatedAt), sources: lineage.Dedupe(w.Sources), tags: w.TagsHeld()}
		v := w.Version
		if v.UpdatedAt.IsZero() {
			v.UpdatedAt = v.CreatedAt
		}
		var propsErr, linksErr error
		bw.props, propsErr = versionProps(v)
		bw.links, linksErr = linkParams(w.Links)
		bw.invalid = cmp.Or(propsErr, linksErr)
		b.writes[i] = bw
	}
	return b
}

// tagNodes returns the Tag nodes the batch gives tags on, as far as the
// writes tell (an existing uid is taken to be of the slot its write names).
func (b *batch) tagNodes() []tagNode {
	var out []tagNode
	for _, bw := range b.writes {
		v := bw.w.Version
		for _, t := range bw.tags {
			out = append(out, tagNode{v.Project, v.Key, int64(v.Iteration), t})
		}
	}
	return out
}

// put is the batch's transaction function.
func (b *batch) put(ctx context.Context, tx neo.ManagedTransaction) ([]lineage.PutResult, error) {
	// 1. What exists of what the batch names.
	var uids []string
	var runs []any
	runIndex := map[lineage.RunKey]int{}
	for _, bw := range b.writes {
		uids = append(uids, bw.w.Version.UID)
		uids = append(uids, bw.sources...)
		for _, l := range bw.w.Links {
			uids = append(uids, l.UID)
		}
		if r := bw.w.Version.Run; r != nil {
			if _, ok := runIndex[*r]; !ok {
				runIndex[*r] = len(runs)
				runs = append(runs, map[string]any{"i": int64(len(runs)), "project": r.Project, "uid": r.UID})
			}
		}
	}
	tags := b.tagNodes()
	tagParams := make([]any, len(tags))
	for i, n := range tags {
		p := n.param()
		p["i"] = int64(i)
		tagParams[i] = p
	}
	labelIndex := map[labelNode]int{}
	var labels []labelNode
	var labelParams []any
	for _, bw := range b.writes {
		for _, n := range labelNodes(bw.w.Version.Project, bw.props) {
			if _, ok := labelIndex[n]; !ok {
				labelIndex[n] = len(labels)
				labelParams = append(labelParams, map[string]any{"i": int64(len(labels)), "project": n.project, "pair": n.pair})
				labels = append(labels, n)
			}
		}
	}
	rec, err := single(ctx, tx, `
		RETURN COLLECT { UNWIND $uids AS u MATCH (v:Version {uid: u}) RETURN u } AS versions,
		       COLLECT { UNWIND $runs AS r MATCH (x:Run {project: r.project, uid: r.uid}) RETURN r.i } AS runs,
		       COLLECT { UNWIND $tags AS t MATCH (x:Tag {project: t.project, key: t.key, iteration: t.iteration, name: t.name}) RETURN t.i } AS tags,
		       COLLECT { UNWIND $labels AS l MATCH (x:Label {project: l.project, pair: l.pair}) RETURN l.i } AS labels`,
		map[string]any{"uids": lineage.Dedupe(uids), "runs": runs, "tags": tagParams, "labels": labelParams})
	if err != nil {
		return nil, err
	}
	tagExists := map[tagNode]bool{}
	for _, i := range asList(rec.Values[2]) {
		tagExists[tags[num(i)]] = true
	}
	labelExists := make([]bool, len(labels))
	for _, i := range asList(rec.Values[3]) {
		labelExists[num(i)] = true
	}
	exists := map[string]bool{}
	for _, u := range strs(rec.Values[0]) {
		exists[u] = true
	}
	runFound := map[int64]bool{}
	for _, i := range asList(rec.Values[1]) {
		runFound[num(i)] = true
	}

	// 2. Which writes create a version, and whether they may.
	out := make([]lineage.PutResult, len(b.writes))
	var creates, retags []int
	created := map[string]bool{}
	var wantRuns, wantSources, wantLinks, wantLabels int64
	var missingLabels []labelNode
	for i, bw := range b.writes {
		v := bw.w.Version
		if exists[v.UID] || created[v.UID] {
			retags = append(retags, i)
			continue
		}
		if bw.invalid != nil {
			return nil, bw.invalid
		}
		if v.Run != nil {
			if !runFound[int64(runIndex[*v.Run])] {
				return nil, lineage.RunNotFound(*v.Run)
			}
			wantRuns++
		}
		// Checked against what existed before the batch: a source or link
		// target written by the same batch is not found, as the embedded
		// store and the contract have it.
		for _, u := range bw.sources {
			if !exists[u] {
				return nil, lineage.VersionNotFound(u)
			}
		}
		for _, l := range bw.w.Links {
			if !exists[l.UID] {
				return nil, lineage.VersionNotFound(l.UID)
			}
		}
		wantSources += int64(len(bw.sources))
		wantLinks += int64(len(bw.links))
		for _, n := range labelNodes(v.Project, bw.props) {
			if !labelExists[labelIndex[n]] {
				missingLabels = append(missingLabels, n)
			}
			wantLabels++
		}
		created[v.UID] = true
		creates = append(creates, i)
	}
	if len(missingLabels) > 0 {
		return nil, &errNewTags{labels: missingLabels}
	}

	// 3. The new versions with their Artifact nodes and edges. The MERGEs
	// go in (project, key) order, so that two batches lock Artifact nodes
	// in the same order.
	if len(creates) > 0 {
		sorted := slices.Clone(creates)
		slices.SortFunc(sorted, func(i, j int) int {
			a, c := b.writes[i].w.Version, b.writes[j].w.Version
			return cmp.Or(cmp.Compare(a.Project, c.Project), cmp.Compare(a.Key, c.Key))
		})
		params := make([]any, len(sorted))
		for n, i := range sorted {
			bw := b.writes[i]
			var run any
			if r := bw.w.Version.Run; r != nil {
				run = map[string]any{"project": r.Project, "uid": r.UID}
			}
			// A tag new to its slot: its Tag node is created here, holding
			// it. A concurrent write creating the same node makes this one
			// fail on the constraint, and run again (see PutVersions).
			v := bw.w.Version
			fresh := []string{}
			for _, t := range bw.tags {
				if !tagExists[tagNode{v.Project, v.Key, int64(v.Iteration), t}] {
					fresh = append(fresh, t)
				}
			}
			slices.Sort(fresh)
			params[n] = map[string]any{"props": bw.props, "run": run, "sources": bw.sources, "links": bw.links, "fresh": fresh}
		}
		rec, err := single(ctx, tx, `
			UNWIND $new AS w
			MERGE (a:Artifact {project: w.props.project, key: w.props.key})
			ON CREATE SET a.keyLower = w.props.keyLower
			CREATE (v:Version)
			SET v = w.props, v.loggedAt = timestamp()
			WITH w, v
			CALL (w, v) {
				MATCH (r:Run {project: w.run.project, uid: w.run.uid})
				CREATE (r)-[:PRODUCED]->(v)
				RETURN count(*) AS runs
			}
			CALL (w, v) {
				UNWIND w.sources AS u
				MATCH (s:Version {uid: u})
				CREATE (v)-[:DERIVED_FROM]->(s)
				RETURN count(*) AS sources
			}
			CALL (w, v) {
				UNWIND w.links AS l
				MATCH (o:Version {uid: l.uid})
				CREATE (v)-[:LINKS_TO {name: l.name}]->(o)
				RETURN count(*) AS links
			}
			CALL (w, v) {
				UNWIND w.props.labelPairs AS p
				MATCH (l:Label {project: w.props.project, pair: p})
				CREATE (v)-[:LABELED]->(l)
				RETURN count(*) AS labels
			}
			CALL (w, v) {
				UNWIND w.fresh AS t
				CREATE (:Tag {project: v.project, key: v.key, iteration: v.iteration, name: t, holder: v.uid, writes: 1})
			}
			RETURN count(*), sum(runs), sum(sources), sum(links), sum(labels)`,
			map[string]any{"new": params})
		if err != nil {
			return nil, err
		}
		if num(rec.Values[0]) != int64(len(creates)) || num(rec.Values[1]) != wantRuns ||
			num(rec.Values[2]) != wantSources || num(rec.Values[3]) != wantLinks || num(rec.Values[4]) != wantLabels {
			// Found in step 1, gone now: deleted by a concurrent write.
			return nil, lineage.Errorf(lineage.ENOTFOUND, "a run or version the batch points to was deleted while it was written")
		}
	}

	// 4. Every tag, in the order of the Tag nodes (see giveTags).
	type grant struct {
		write int
		node  tagNode
	}
	var grants []grant
	for _, i := range creates {
		v := b.writes[i].w.Version
		for _, t := range b.writes[i].tags {
			if g := (grant{i, tagNode{v.Project, v.Key, int64(v.Iteration), t}}); tagExists[g.node] {
				grants = append(grants, g) // the new ones were created above
			}
		}
	}
	for _, i := range retags {
		v := b.writes[i].w.Version
		for _, t := range lineage.Dedupe(b.writes[i].w.Tags) {
			grants = append(grants, grant{i, tagNode{v.Project, v.Key, int64(v.Iteration), t}})
		}
	}
	byNode := func(a, c grant) int {
		return cmp.Or(cmp.Compare(a.node.project, c.node.project), cmp.Compare(a.node.key, c.node.key),
			cmp.Compare(a.node.iteration, c.node.iteration), cmp.Compare(a.node.name, c.node.name))
	}
	slices.SortStableFunc(grants, byNode)
	took := make([]bool, len(b.writes))
	if len(grants) > 0 {
		params := make([]any, len(grants))
		for n, g := range grants {
			params[n] = map[string]any{"i": int64(g.write), "uid": b.writes[g.write].w.Version.UID, "tag": g.node.name}
		}
		recs, err := collect(ctx, tx, `
			UNWIND $grants AS g
			MATCH (v:Version {uid: g.uid})
			OPTIONAL MATCH (t:Tag {project: v.project, key: v.key, iteration: v.iteration, name: g.tag})
			SET t.writes = coalesce(t.writes, 0) + 1
			WITH g, v, t, t.holder AS before
			SET t.holder = v.uid
			RETURN g.i, g.tag, t IS NOT NULL, coalesce(before, '') <> v.uid, v.project, v.key, v.iteration`,
			map[string]any{"grants": params})
		if err != nil {
			return nil, err
		}
		var missing *errNewTags
		for _, rec := range recs {
			switch {
			case rec.Values[2] != true:
				if missing == nil {
					missing = &errNewTags{}
				}
				missing.nodes = append(missing.nodes, tagNode{str(rec.Values[4]), str(rec.Values[5]), num(rec.Values[6]), str(rec.Values[1])})
			case rec.Values[3] == true:
				took[num(rec.Values[0])] = true
			}
		}
		if missing != nil {
			return nil, missing
		}
	}

	// 5. The results: the new versions as written; the existing ones, whose
	// UpdatedAt is set when they took a tag (see retag), read back.
	type slot struct {
		project, key string
		iteration    int64
	}
	newSlots := map[slot]bool{}
	for _, i := range creates {
		bw := b.writes[i]
		v, err := decVersion(bw.props)
		if err != nil {
			return nil, err
		}
		v.Tags = slices.Sorted(slices.Values(bw.tags))
		out[i] = lineage.PutResult{Version: v, Created: true}
		newSlots[slot{v.Project, v.Key, int64(v.Iteration)}] = true
	}
	if len(retags) == 0 {
		return out, nil
	}
	params := make([]any, len(retags))
	for n, i := range retags {
		params[n] = map[string]any{"i": int64(i), "uid": b.writes[i].w.Version.UID, "took": took[i], "at": encTimePtr(b.writes[i].at)}
	}
	recs, err := collect(ctx, tx, `
		UNWIND $writes AS w
		MATCH (v:Version {uid: w.uid})
		FOREACH (_ IN CASE WHEN w.took THEN [1] ELSE [] END | SET v.updatedAt = coalesce(w.at, v.updatedAt))
		RETURN w.i, `+versionReturn, map[string]any{"writes": params})
	if err != nil {
		return nil, err
	}
	if len(recs) != len(retags) {
		return nil, lineage.Errorf(lineage.ENOTFOUND, "a version the batch tags was deleted while it was written")
	}
	reread := false
	for _, rec := range recs {
		v, err := decVersion(recMap(rec.Values[1]))
		if err != nil {
			return nil, err
		}
		out[num(rec.Values[0])] = lineage.PutResult{Version: v}
		reread = reread || newSlots[slot{v.Project, v.Key, int64(v.Iteration)}]
	}
	if reread {
		// An existing uid of a new version's slot (its write named another
		// one) may have taken that version's tags: read them all back.
		for _, i := range creates {
			v, err := getVersion(ctx, tx, b.writes[i].w.Version.UID)
			if err != nil {
				return nil, err
			}
			out[i].Version = v
		}
	}
	return out, nil
}

// asList returns a stored list, nil when absent.
func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
