package embedded

import (
	"context"
	"slices"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// PutVersion writes a new version with its edges and tags, or applies w.Tags
// to the existing version with that uid. A new version keeps the UpdatedAt it
// is given; an existing one that takes a tag gets w.Version.UpdatedAt, the
// time of this write. The run, sources and link targets must exist, else
// ENOTFOUND and nothing is written.
func (s *Store) PutVersion(ctx context.Context, w lineage.VersionWrite) (lineage.Version, bool, error) {
	v := w.Version
	if err := w.Validate(); err != nil {
		return lineage.Version{}, false, err
	}
	unlock, err := s.wlock(ctx)
	if err != nil {
		return lineage.Version{}, false, err
	}
	defer unlock()

	st, ch := s.staging(), &change{}
	created, err := s.stage(st, ch, w)
	if err != nil {
		return lineage.Version{}, false, err
	}
	ch.versions = st.change().versions
	var out lineage.Version
	if err := s.commitThen(ch, func() { out = cloneVersion(s.versions[v.UID]) }); err != nil {
		return lineage.Version{}, false, err
	}
	return out, created, nil
}

// stage adds w to st and ch: a new version with its edges and tags, or
// w.Tags given to the existing version with its uid (created false).
func (s *Store) stage(st *staging, ch *change, w lineage.VersionWrite) (created bool, err error) {
	v := w.Version
	if _, ok := s.versions[v.UID]; ok {
		old := st.get(v.UID)
		for _, t := range lineage.Dedupe(w.Tags) {
			st.give(old, t, v.UpdatedAt)
		}
		return false, nil
	}
	edges, err := s.newVersionEdges(w)
	if err != nil {
		return false, err
	}
	ch.edges = append(ch.edges, edges.edges...)
	nv := cloneVersion(&v)
	nv.Tags = nil
	if nv.UpdatedAt.IsZero() {
		nv.UpdatedAt = nv.CreatedAt
	}
	st.add(&nv)
	for _, t := range w.TagsHeld() {
		st.give(&nv, t, time.Time{})
	}
	return true, nil
}

// PutVersions writes ws as PutVersion writes each, in one change: one
// transaction and fsync (or one member of a group) for the whole batch.
func (s *Store) PutVersions(ctx context.Context, ws []lineage.VersionWrite) ([]lineage.PutResult, error) {
	if err := lineage.CheckBatch(ws); err != nil {
		return nil, err
	}
	if len(ws) == 0 {
		return []lineage.PutResult{}, nil
	}
	unlock, err := s.wlock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()

	st := s.staging()
	ch := &change{}
	out := make([]lineage.PutResult, len(ws))
	for i, w := range ws {
		if out[i].Created, err = s.stage(st, ch, w); err != nil {
			return nil, err
		}
	}
	ch.versions = st.change().versions
	read := func() {
		for i, w := range ws {
			out[i].Version = cloneVersion(s.versions[w.Version.UID])
		}
	}
	if err := s.commitThen(ch, read); err != nil {
		return nil, err
	}
	return out, nil
}

// newVersionEdges checks that the nodes a new version points to exist and
// returns its edges.
func (s *Store) newVersionEdges(w lineage.VersionWrite) (*change, error) {
	node := lineage.VersionNode(w.Version)
	ch := &change{}
	if k := w.Version.Run; k != nil {
		if _, ok := s.runs[*k]; !ok {
			return nil, lineage.RunNotFound(*k)
		}
		ch.edges = append(ch.edges, lineage.Edge{From: lineage.RunNode(*k), To: node, Relation: lineage.RelProduced})
	}
	sources, err := s.versionNodes(lineage.Dedupe(w.Sources))
	if err != nil {
		return nil, err
	}
	for _, n := range sources {
		ch.edges = append(ch.edges, lineage.Edge{From: node, To: n, Relation: lineage.RelDerivedFrom})
	}
	for _, l := range w.Links {
		if err := l.Validate(); err != nil {
			return nil, err
		}
		to, err := s.versionNodes([]string{l.UID})
		if err != nil {
			return nil, err
		}
		e := lineage.Edge{From: node, To: to[0], Relation: lineage.RelLinksTo, Name: l.Relation}
		if !slices.Contains(ch.edges, e) {
			ch.edges = append(ch.edges, e)
		}
	}
	return ch, nil
}

// GetVersions returns the versions found, in the order asked.
func (s *Store) GetVersions(ctx context.Context, uids []string) ([]lineage.Version, error) {
	unlock, err := s.rlock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []lineage.Version
	for _, uid := range uids {
		if v, ok := s.versions[uid]; ok {
			out = append(out, cloneVersion(v))
		}
	}
	return out, nil
}

// TagVersion gives tag to the version, moving it from the version of the same
// (project, key, iteration) that held it; the taker's UpdatedAt becomes at.
// Tagging a version that holds the tag changes nothing.
func (s *Store) TagVersion(ctx context.Context, uid, tag string, at time.Time) (lineage.Version, error) {
	return s.retag(ctx, uid, tag, func(st *staging, v *lineage.Version) { st.give(v, tag, at) })
}

// UntagVersion removes tag from the version, setting its UpdatedAt to at; it
// is a no-op if the version does not hold the tag.
func (s *Store) UntagVersion(ctx context.Context, uid, tag string, at time.Time) (lineage.Version, error) {
	return s.retag(ctx, uid, tag, func(st *staging, v *lineage.Version) { st.take(v, tag, at) })
}

func (s *Store) retag(ctx context.Context, uid, tag string, edit func(*staging, *lineage.Version)) (lineage.Version, error) {
	if err := lineage.CheckTag(tag); err != nil {
		return lineage.Version{}, err
	}
	unlock, err := s.wlock(ctx)
	if err != nil {
		return lineage.Version{}, err
	}
	defer unlock()
	if _, ok := s.versions[uid]; !ok {
		return lineage.Version{}, lineage.VersionNotFound(uid)
	}
	st := s.staging()
	edit(st, st.get(uid))
	var out lineage.Version
	if err := s.commitThen(st.change(), func() { out = cloneVersion(s.versions[uid]) }); err != nil {
		return lineage.Version{}, err
	}
	return out, nil
}

// AddLink adds a LINKS_TO edge named l.Relation from one version to another;
// adding it again changes nothing. Links are edges, not part of the version,
// so the version's UpdatedAt stays (at is not used).
func (s *Store) AddLink(ctx context.Context, fromUID string, l lineage.Link, at time.Time) (lineage.Version, error) {
	if err := l.Validate(); err != nil {
		return lineage.Version{}, err
	}
	unlock, err := s.wlock(ctx)
	if err != nil {
		return lineage.Version{}, err
	}
	defer unlock()
	nodes, err := s.versionNodes([]string{fromUID, l.UID})
	if err != nil {
		return lineage.Version{}, err
	}
	e := lineage.Edge{From: nodes[0], To: nodes[1], Relation: lineage.RelLinksTo, Name: l.Relation}
	ch := &change{}
	if !s.graph.has(e) {
		ch.edges = []lineage.Edge{e}
	}
	var out lineage.Version
	if err := s.commitThen(ch, func() { out = cloneVersion(s.versions[fromUID]) }); err != nil {
		return lineage.Version{}, err
	}
	return out, nil
}

// DeleteVersions removes the versions, their tags and every edge touching
// them, and returns how many existed.
func (s *Store) DeleteVersions(ctx context.Context, uids []string) (int, error) {
	unlock, err := s.wlock(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	ch := &change{}
	for _, uid := range lineage.Dedupe(uids) {
		v, ok := s.versions[uid]
		if !ok {
			continue
		}
		ch.deleted = append(ch.deleted, uid)
		ch.dropped = append(ch.dropped, s.graph.touching(lineage.VersionNode(*v))...)
	}
	if len(ch.deleted) == 0 {
		return 0, nil
	}
	if err := s.commitThen(ch, func() {}); err != nil {
		return 0, err
	}
	return len(ch.deleted), nil
}

// staging collects the new states of the versions one mutation changes, as
// copies, leaving the in-memory state alone until the commit.
type staging struct {
	s     *Store
	byUID map[string]*lineage.Version
	order []string
}

func (s *Store) staging() *staging {
	return &staging{s: s, byUID: map[string]*lineage.Version{}}
}

// get returns the staged copy of an existing version, making it.
func (st *staging) get(uid string) *lineage.Version {
	if v, ok := st.byUID[uid]; ok {
		return v
	}
	c := cloneVersion(st.s.versions[uid])
	st.add(&c)
	return &c
}

func (st *staging) add(v *lineage.Version) {
	st.byUID[v.UID] = v
	st.order = append(st.order, v.UID)
}

// give puts tag on v, taking it from the version holding it in v's scope;
// a non-zero at becomes v's UpdatedAt. Nothing changes if v holds the tag.
func (st *staging) give(v *lineage.Version, tag string, at time.Time) {
	if v.HasTag(tag) {
		return
	}
	if h, ok := st.s.tags[tagKeyOf(v, tag)]; ok && h.UID != v.UID {
		hv := st.get(h.UID)
		hv.Tags = slices.DeleteFunc(hv.Tags, func(t string) bool { return t == tag })
	}
	i, _ := slices.BinarySearch(v.Tags, tag)
	v.Tags = slices.Insert(v.Tags, i, tag)
	if !at.IsZero() {
		v.UpdatedAt = at
	}
}

// take removes tag from v, setting its UpdatedAt to at; nothing changes if v
// does not hold it.
func (st *staging) take(v *lineage.Version, tag string, at time.Time) {
	if !v.HasTag(tag) {
		return
	}
	v.Tags = slices.DeleteFunc(v.Tags, func(t string) bool { return t == tag })
	if !at.IsZero() {
		v.UpdatedAt = at
	}
}

// change returns the staged versions whose state differs from memory.
func (st *staging) change() *change {
	ch := &change{}
	for _, uid := range st.order {
		v := st.byUID[uid]
		if old, ok := st.s.versions[uid]; ok && slices.Equal(old.Tags, v.Tags) && old.UpdatedAt.Equal(v.UpdatedAt) {
			continue
		}
		ch.versions = append(ch.versions, *v)
	}
	return ch
}
