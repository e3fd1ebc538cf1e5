package neo4j

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/artigraph/artigraph/lineage"
)

// PutVersion writes a new version with its edges and tags, or applies w.Tags
// to the existing version with that uid. A new version keeps the UpdatedAt it
// is given; an existing one that takes a tag gets w.Version.UpdatedAt. The
// run, sources and link targets must exist, else ENOTFOUND and nothing is
// written.
func (s *Store) PutVersion(ctx context.Context, w lineage.VersionWrite) (lineage.Version, bool, error) {
	v := w.Version
	// An existing version that takes a tag gets the UpdatedAt of this
	// write, as given; a new one defaults it to its CreatedAt.
	at := optTime(v.UpdatedAt)
	if err := w.Validate(); err != nil {
		return lineage.Version{}, false, err
	}
	if v.UpdatedAt.IsZero() {
		v.UpdatedAt = v.CreatedAt
	}
	props, propsErr := versionProps(v)
	links, linksErr := linkParams(w.Links)
	if invalid := cmp.Or(propsErr, linksErr); invalid != nil {
		// Invalid for a new version; a write of an existing uid applies
		// its tags whatever the rest says, as the rest is not written.
		got, err := writeTags(ctx, s, func(tx neo.ManagedTransaction) (lineage.Version, error) {
			if _, err := getVersion(ctx, tx, v.UID); err != nil {
				return lineage.Version{}, invalid
			}
			return retag(ctx, tx, v.UID, lineage.Dedupe(w.Tags), at)
		})
		return got, false, err
	}
	var run any
	if v.Run != nil {
		run = map[string]any{"project": v.Run.Project, "uid": v.Run.UID}
	}
	sources := lineage.Dedupe(w.Sources)
	newTags := w.TagsHeld()
	type result struct {
		v       lineage.Version
		created bool
	}
	put := func(tx neo.ManagedTransaction) (result, error) {
		// One statement checks that the uid is new and that every node the
		// version points to exists, and only then creates the version and
		// its edges, and the Artifact node of its key if it is the first.
		// The MERGE comes first, so that writers of a new key queue there
		// before they lock anything else.
		rec, err := single(ctx, tx, `
			OPTIONAL MATCH (e:Version {uid: $uid})
			OPTIONAL MATCH (r:Run {project: $run.project, uid: $run.uid})
			CALL { UNWIND $sources AS u MATCH (s:Version {uid: u}) RETURN collect(s) AS sources }
			CALL { UNWIND $links AS l MATCH (o:Version {uid: l.uid}) RETURN collect({to: o, name: l.name}) AS links }
			CALL { UNWIND $props.labelPairs AS p MATCH (l:Label {project: $props.project, pair: p}) RETURN collect(l) AS labels }
			WITH e, r, sources, links, labels, size(labels) = size($props.labelPairs) AS labelled,
			     e IS NULL AND ($run IS NULL OR r IS NOT NULL) AND size(sources) = size($sources) AND size(links) = size($links) AS found
			WITH e, r, sources, links, labels, labelled, found, found AND labelled AS create
			FOREACH (_ IN CASE WHEN create THEN [1] ELSE [] END |
				MERGE (a:Artifact {project: $props.project, key: $props.key})
				ON CREATE SET a.keyLower = $props.keyLower
				CREATE (v:Version)
				SET v = $props, v.loggedAt = timestamp()
				FOREACH (x IN CASE WHEN r IS NULL THEN [] ELSE [r] END | CREATE (x)-[:PRODUCED]->(v))
				FOREACH (s IN sources | CREATE (v)-[:DERIVED_FROM]->(s))
				FOREACH (l IN links | FOREACH (o IN [l.to] | CREATE (v)-[:LINKS_TO {name: l.name}]->(o)))
				FOREACH (l IN labels | CREATE (v)-[:LABELED]->(l)))
			RETURN e IS NOT NULL, create, r IS NOT NULL, [s IN sources | s.uid], [l IN links | l.to.uid], found`,
			map[string]any{"uid": v.UID, "run": run, "sources": sources, "links": links, "props": props})
		if err != nil {
			return result{}, err
		}
		if rec.Values[0] == true {
			// The uid exists: apply w.Tags only, at the time of this write.
			got, err := retag(ctx, tx, v.UID, lineage.Dedupe(w.Tags), at)
			return result{v: got}, err
		}
		if rec.Values[1] != true && rec.Values[5] == true {
			// Only Label nodes are missing: create them, and run again.
			return result{}, &errNewTags{labels: labelNodes(v.Project, props)}
		}
		if rec.Values[1] != true {
			found := map[string]bool{}
			for _, uid := range slices.Concat(strs(rec.Values[3]), strs(rec.Values[4])) {
				found[uid] = true
			}
			if v.Run != nil && rec.Values[2] != true {
				return result{}, lineage.RunNotFound(*v.Run)
			}
			for _, uid := range sources {
				if !found[uid] {
					return result{}, lineage.VersionNotFound(uid)
				}
			}
			for _, l := range w.Links {
				if !found[l.UID] {
					return result{}, lineage.VersionNotFound(l.UID)
				}
			}
			return result{}, fmt.Errorf("neo4j: version %s not created", v.UID)
		}
		if _, err := giveTags(ctx, tx, v.UID, newTags); err != nil {
			return result{}, err
		}
		got, err := decVersion(props)
		got.Tags = slices.Sorted(slices.Values(newTags))
		return result{v: got, created: true}, err
	}
	res, err := writeTags(ctx, s, put)
	if isConstraintViolation(err) {
		// A concurrent write of the same uid won: this one is a retry of it.
		res, err = writeTags(ctx, s, put)
	}
	return res.v, res.created, err
}

// optTime returns a pointer to t, or nil for the zero time: a change of tags
// at an unknown time leaves UpdatedAt alone.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// linkParams checks links and returns them as query parameters, without
// repeats.
func linkParams(ls []lineage.Link) ([]any, error) {
	var out []any
	seen := map[lineage.Link]bool{}
	for _, l := range ls {
		if err := l.Validate(); err != nil {
			return nil, err
		}
		if !seen[l] {
			seen[l] = true
			out = append(out, map[string]any{"name": l.Relation, "uid": l.UID})
		}
	}
	return out, nil
}

// A tag names at most one version per (project, key, iteration). It is a
// Tag node per (project, key, iteration, name), unique by constraint, whose
// holder property is the uid of the version holding it. Moving a tag writes
// to its Tag node before reading the holder: the write takes the node's lock
// until the transaction ends, so concurrent moves of one tag run one after
// the other, each seeing the holder the last one left. Tags are locked in
// sorted order, so that two writes do not wait for each other; the rare
// deadlock left is retried by the transaction function.
//
// The holder is a property and not a relationship on purpose: deleting a
// relationship of a node takes an exclusive lock that the transactions
// queued for the node's write lock hold shared, so every move would deadlock
// with every waiter.

// errNewTags is returned from a transaction that found a tag without its
// Tag node: the caller creates them in a transaction of its own (see
// writeTags) and runs the first one again.
type errNewTags struct {
	nodes  []tagNode
	labels []labelNode // Label nodes (see labels.go) to create too
}

func (e *errNewTags) Error() string { return "neo4j: new tags to create first" }

// tagNode names a Tag node: a tag's name in one (project, key, iteration).
type tagNode struct {
	project, key string
	iteration    int64
	name         string
}

func (n tagNode) param() map[string]any {
	return map[string]any{"project": n.project, "key": n.key, "iteration": n.iteration, "name": n.name}
}

// sortTagNodes sorts nodes in the order every write locks Tag nodes in.
func sortTagNodes(nodes []tagNode) {
	slices.SortFunc(nodes, func(a, b tagNode) int {
		return cmp.Or(cmp.Compare(a.project, b.project), cmp.Compare(a.key, b.key),
			cmp.Compare(a.iteration, b.iteration), cmp.Compare(a.name, b.name))
	})
}

// giveTags puts tags on the version uid, taking each from the version that
// holds it in its scope, and returns how many it took. Every Tag node must
// exist: if one does not, it returns an *errNewTags.
func giveTags(ctx context.Context, tx neo.ManagedTransaction, uid string, tags []string) (int, error) {
	if len(tags) == 0 {
		return 0, nil
	}
	recs, err := collect(ctx, tx, `
		MATCH (v:Version {uid: $uid})
		UNWIND $tags AS tag
		OPTIONAL MATCH (t:Tag {project: v.project, key: v.key, iteration: v.iteration, name: tag})
		SET t.writes = coalesce(t.writes, 0) + 1
		WITH v, tag, t, t.holder AS before
		SET t.holder = v.uid
		RETURN tag, t IS NOT NULL AS found, coalesce(before, '') <> v.uid AS taken, v.project, v.key, v.iteration`,
		map[string]any{"uid": uid, "tags": slices.Sorted(slices.Values(tags))})
	if err != nil {
		return 0, err
	}
	taken := 0
	var missing *errNewTags
	for _, rec := range recs {
		switch {
		case rec.Values[1] != true:
			if missing == nil {
				missing = &errNewTags{}
			}
			missing.nodes = append(missing.nodes, tagNode{str(rec.Values[3]), str(rec.Values[4]), num(rec.Values[5]), str(rec.Values[0])})
		case rec.Values[2] == true:
			taken++
		}
	}
	if missing != nil {
		return 0, missing
	}
	return taken, nil
}

// writeTags is write for work that gives tags: when work needs new Tag
// nodes, they are created in a short transaction of their own, and work runs
// again. Creating them apart keeps the MERGE, whose lock upgrade deadlocks
// with concurrent writers of the node, out of the long transaction; a Tag
// node left behind by a failed write is harmless, as it holds nothing.
func writeTags[T any](ctx context.Context, s *Store, work func(tx neo.ManagedTransaction) (T, error)) (T, error) {
	for attempt := 0; ; attempt++ {
		v, err := write(ctx, s, work)
		var nt *errNewTags
		if !errors.As(err, &nt) || attempt == 3 {
			return v, err
		}
		if err := createTags(ctx, s, nt.nodes); err != nil {
			return v, err
		}
		if err := createLabels(ctx, s, nt.labels); err != nil {
			return v, err
		}
	}
}

// createTags MERGEs Tag nodes, in sorted order, in a transaction of its own.
func createTags(ctx context.Context, s *Store, nodes []tagNode) error {
	if len(nodes) == 0 {
		return nil
	}
	sortTagNodes(nodes)
	params := make([]any, len(nodes))
	for i, n := range nodes {
		params[i] = n.param()
	}
	_, err := write(ctx, s, func(tx neo.ManagedTransaction) (struct{}, error) {
		return struct{}{}, consume(ctx, tx, `
			UNWIND $tags AS t
			MERGE (:Tag {project: t.project, key: t.key, iteration: t.iteration, name: t.name})`,
			map[string]any{"tags": params})
	})
	return err
}

// retag gives tags to an existing version and returns it; when it took one,
// its UpdatedAt becomes at (unless nil). That write locks the version too, so
// that a concurrent DeleteVersions, which releases the tags of what it
// deletes, either sees the new holder or makes this transaction fail.
func retag(ctx context.Context, tx neo.ManagedTransaction, uid string, tags []string, at *time.Time) (lineage.Version, error) {
	taken, err := giveTags(ctx, tx, uid, tags)
	if err != nil {
		return lineage.Version{}, err
	}
	if taken == 0 {
		return getVersion(ctx, tx, uid)
	}
	return getVersionSetting(ctx, tx, uid, at)
}

func getVersion(ctx context.Context, tx neo.ManagedTransaction, uid string) (lineage.Version, error) {
	recs, err := collect(ctx, tx, "MATCH (v:Version {uid: $uid}) RETURN "+versionReturn, map[string]any{"uid": uid})
	return firstVersion(recs, err, uid)
}

// getVersionSetting sets the version's UpdatedAt to at (or writes it
// unchanged, for the lock, when at is nil) and returns the version.
func getVersionSetting(ctx context.Context, tx neo.ManagedTransaction, uid string, at *time.Time) (lineage.Version, error) {
	recs, err := collect(ctx, tx, "MATCH (v:Version {uid: $uid}) SET v.updatedAt = coalesce($at, v.updatedAt) RETURN "+versionReturn,
		map[string]any{"uid": uid, "at": encTimePtr(at)})
	return firstVersion(recs, err, uid)
}

func firstVersion(recs []*neo.Record, err error, uid string) (lineage.Version, error) {
	if err != nil {
		return lineage.Version{}, err
	}
	if len(recs) == 0 {
		return lineage.Version{}, lineage.VersionNotFound(uid)
	}
	return decVersion(recMap(recs[0].Values[0]))
}

// GetVersions returns the versions found, in the order asked.
func (s *Store) GetVersions(ctx context.Context, uids []string) ([]lineage.Version, error) {
	if len(uids) == 0 {
		return nil, nil
	}
	found, err := read(ctx, s, func(tx neo.ManagedTransaction) (map[string]map[string]any, error) {
		recs, err := collect(ctx, tx, "UNWIND $uids AS uid MATCH (v:Version {uid: uid}) RETURN "+versionReturn,
			map[string]any{"uids": lineage.Dedupe(uids)})
		if err != nil {
			return nil, err
		}
		found := map[string]map[string]any{}
		for _, rec := range recs {
			m := recMap(rec.Values[0])
			found[str(m["uid"])] = m
		}
		return found, nil
	})
	if err != nil {
		return nil, err
	}
	var out []lineage.Version
	for _, uid := range uids {
		if m, ok := found[uid]; ok {
			v, err := decVersion(m) // decoded per use: no two results share memory
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// TagVersion gives tag to the version, moving it from the version of the same
// (project, key, iteration) that held it; the taker's UpdatedAt becomes at.
// Tagging a version that holds the tag changes nothing.
func (s *Store) TagVersion(ctx context.Context, uid, tag string, at time.Time) (lineage.Version, error) {
	if err := lineage.CheckTag(tag); err != nil {
		return lineage.Version{}, err
	}
	return writeTags(ctx, s, func(tx neo.ManagedTransaction) (lineage.Version, error) {
		return retag(ctx, tx, uid, []string{tag}, optTime(at))
	})
}

// UntagVersion removes tag from the version, setting its UpdatedAt to at; it
// is a no-op if the version does not hold the tag.
func (s *Store) UntagVersion(ctx context.Context, uid, tag string, at time.Time) (lineage.Version, error) {
	if err := lineage.CheckTag(tag); err != nil {
		return lineage.Version{}, err
	}
	return write(ctx, s, func(tx neo.ManagedTransaction) (lineage.Version, error) {
		// Lock the tag first, as giveTags does, so that a concurrent move
		// of it is seen whole.
		rec, err := single(ctx, tx, `
			MATCH (v:Version {uid: $uid})
			OPTIONAL MATCH (t:Tag {project: v.project, key: v.key, iteration: v.iteration, name: $tag})
			SET t.writes = coalesce(t.writes, 0) + 1
			WITH v, t
			WHERE t.holder = v.uid
			SET t.holder = null
			RETURN count(t)`,
			map[string]any{"uid": uid, "tag": tag})
		if err != nil {
			return lineage.Version{}, err
		}
		if num(rec.Values[0]) == 0 {
			return getVersion(ctx, tx, uid)
		}
		return getVersionSetting(ctx, tx, uid, optTime(at))
	})
}

// AddLink adds a LINKS_TO edge named l.Relation from one version to another;
// adding it again changes nothing. The version's UpdatedAt stays (at is not
// used), as links are edges, not part of the version.
func (s *Store) AddLink(ctx context.Context, fromUID string, l lineage.Link, at time.Time) (lineage.Version, error) {
	if err := l.Validate(); err != nil {
		return lineage.Version{}, err
	}
	return write(ctx, s, func(tx neo.ManagedTransaction) (lineage.Version, error) {
		// MERGE locks both ends before it creates, so that concurrent
		// AddLinks make one edge.
		recs, err := collect(ctx, tx, `
			MATCH (f:Version {uid: $from}), (o:Version {uid: $to})
			MERGE (f)-[:LINKS_TO {name: $name}]->(o)
			RETURN f.uid`,
			map[string]any{"from": fromUID, "to": l.UID, "name": l.Relation})
		if err != nil {
			return lineage.Version{}, err
		}
		if len(recs) == 0 {
			for _, uid := range []string{fromUID, l.UID} {
				if _, err := getVersion(ctx, tx, uid); err != nil {
					return lineage.Version{}, err
				}
			}
		}
		return getVersion(ctx, tx, fromUID)
	})
}

// DeleteVersions removes the versions and every relationship touching them,
// releases their tags, and returns how many existed.
func (s *Store) DeleteVersions(ctx context.Context, uids []string) (int, error) {
	uids = lineage.Dedupe(uids)
	if len(uids) == 0 {
		return 0, nil
	}
	return write(ctx, s, func(tx neo.ManagedTransaction) (int, error) {
		// Delete first: that locks the versions, so that a tag given to
		// one concurrently was given before (and is released below) or
		// fails.
		rec, err := single(ctx, tx, `
			UNWIND $uids AS uid
			MATCH (v:Version {uid: uid})
			DETACH DELETE v
			RETURN count(*)`, map[string]any{"uids": uids})
		if err != nil {
			return 0, err
		}
		err = consume(ctx, tx, `
			UNWIND $uids AS uid
			MATCH (t:Tag {holder: uid})
			SET t.writes = coalesce(t.writes, 0) + 1
			WITH t, uid
			WHERE t.holder = uid
			SET t.holder = null`, map[string]any{"uids": uids})
		return int(num(rec.Values[0])), err
	})
}
