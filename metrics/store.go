package metrics

import (
	"context"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// Store returns s with every call timed under backend ("embedded", "neo4j"),
// and every lineage answer's size observed.
// A store with a lineage.Feed keeps it, timed too.
func (m *Metrics) Store(s lineage.Store, backend string) lineage.Store {
	t := &timedStore{Store: s, m: m, backend: backend}
	if f, ok := s.(lineage.Feed); ok {
		return &timedFeedStore{timedStore: t, feed: f}
	}
	return t
}

type timedFeedStore struct {
	*timedStore
	feed lineage.Feed
}

func (t *timedFeedStore) FeedClock(ctx context.Context) (time.Time, error) {
	defer t.since("FeedClock", time.Now())
	return t.feed.FeedClock(ctx)
}

func (t *timedFeedStore) VersionsLoggedSince(ctx context.Context, project string, since time.Time, limit int) ([]lineage.Version, time.Time, error) {
	defer t.since("VersionsLoggedSince", time.Now())
	return t.feed.VersionsLoggedSince(ctx, project, since, limit)
}

type timedStore struct {
	lineage.Store
	m       *Metrics
	backend string
}

var _ lineage.Store = (*timedStore)(nil)

func (t *timedStore) since(method string, start time.Time) {
	t.m.storeCalls.WithLabelValues(method, t.backend).Observe(time.Since(start).Seconds())
}

func (t *timedStore) UpsertProject(ctx context.Context, p lineage.Project) (lineage.Project, error) {
	defer t.since("UpsertProject", time.Now())
	return t.Store.UpsertProject(ctx, p)
}

func (t *timedStore) GetProject(ctx context.Context, name string) (lineage.Project, error) {
	defer t.since("GetProject", time.Now())
	return t.Store.GetProject(ctx, name)
}

func (t *timedStore) ListProjects(ctx context.Context) ([]lineage.Project, error) {
	defer t.since("ListProjects", time.Now())
	return t.Store.ListProjects(ctx)
}

func (t *timedStore) CreateRun(ctx context.Context, r lineage.Run, inputs []string) (lineage.Run, error) {
	defer t.since("CreateRun", time.Now())
	return t.Store.CreateRun(ctx, r, inputs)
}

func (t *timedStore) FinishRun(ctx context.Context, key lineage.RunKey, state lineage.RunState, at time.Time) (lineage.Run, error) {
	defer t.since("FinishRun", time.Now())
	return t.Store.FinishRun(ctx, key, state, at)
}

func (t *timedStore) GetRuns(ctx context.Context, keys []lineage.RunKey) ([]lineage.Run, error) {
	defer t.since("GetRuns", time.Now())
	return t.Store.GetRuns(ctx, keys)
}

func (t *timedStore) ListRuns(ctx context.Context, project string, page lineage.Page) (lineage.RunPage, error) {
	defer t.since("ListRuns", time.Now())
	return t.Store.ListRuns(ctx, project, page)
}

func (t *timedStore) PutVersion(ctx context.Context, w lineage.VersionWrite) (lineage.Version, bool, error) {
	defer t.since("PutVersion", time.Now())
	return t.Store.PutVersion(ctx, w)
}

// Unwrap returns the store timed, so that lineage finds what it can do
// beyond lineage.Store (a lineage.GraphReader) through the timing; those
// calls are not timed.
func (t *timedStore) Unwrap() lineage.Store { return t.Store }

func (t *timedStore) PutVersions(ctx context.Context, ws []lineage.VersionWrite) ([]lineage.PutResult, error) {
	defer t.since("PutVersions", time.Now())
	return t.Store.PutVersions(ctx, ws)
}

func (t *timedStore) GetVersions(ctx context.Context, uids []string) ([]lineage.Version, error) {
	defer t.since("GetVersions", time.Now())
	return t.Store.GetVersions(ctx, uids)
}

func (t *timedStore) ListVersions(ctx context.Context, project string, f lineage.VersionFilter, page lineage.Page) (lineage.VersionPage, error) {
	defer t.since("ListVersions", time.Now())
	return t.Store.ListVersions(ctx, project, f, page)
}

func (t *timedStore) TagVersion(ctx context.Context, uid, tag string, at time.Time) (lineage.Version, error) {
	defer t.since("TagVersion", time.Now())
	return t.Store.TagVersion(ctx, uid, tag, at)
}

func (t *timedStore) UntagVersion(ctx context.Context, uid, tag string, at time.Time) (lineage.Version, error) {
	defer t.since("UntagVersion", time.Now())
	return t.Store.UntagVersion(ctx, uid, tag, at)
}

func (t *timedStore) AddLink(ctx context.Context, from string, l lineage.Link, at time.Time) (lineage.Version, error) {
	defer t.since("AddLink", time.Now())
	return t.Store.AddLink(ctx, from, l, at)
}

func (t *timedStore) DeleteVersions(ctx context.Context, uids []string) (int, error) {
	defer t.since("DeleteVersions", time.Now())
	return t.Store.DeleteVersions(ctx, uids)
}

func (t *timedStore) Edges(ctx context.Context, nodes []lineage.NodeRef, dir lineage.EdgeDirection, rels ...lineage.Relation) ([]lineage.Edge, error) {
	defer t.since("Edges", time.Now())
	return t.Store.Edges(ctx, nodes, dir, rels...)
}

func (t *timedStore) Lineage(ctx context.Context, q lineage.LineageQuery) (lineage.Graph, error) {
	defer t.since("Lineage", time.Now())
	g, err := t.Store.Lineage(ctx, q)
	if err == nil {
		t.m.lineageNodes.Observe(float64(len(g.Nodes)))
	}
	return g, err
}

func (t *timedStore) GetToken(ctx context.Context, id string) (lineage.Token, error) {
	defer t.since("GetToken", time.Now())
	return t.Store.GetToken(ctx, id)
}

func (t *timedStore) Ping(ctx context.Context) error {
	defer t.since("Ping", time.Now())
	return t.Store.Ping(ctx)
}

func (t *timedStore) Amend(ctx context.Context, a lineage.Amendment) error {
	defer t.since("Amend", time.Now())
	return t.Store.Amend(ctx, a)
}
