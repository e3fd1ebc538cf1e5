package resolvers

import (
	"context"
	"errors"
	"time"

	"github.com/vikstrous/dataloadgen"

	"github.com/artigraph/artigraph/lineage"
)

// edgeKey asks for one node's edges of one relation in one direction.
type edgeKey struct {
	Node     lineage.NodeRef
	Dir      lineage.EdgeDirection
	Relation lineage.Relation
}

// loaders batch the store calls of one request: fields resolved for many
// objects (runs of 100 versions, their sources…) cost one call per kind of
// lookup, not one per object.
//
// Without a wait (the default) they never hold a read back: the resolver of
// a list loads each level of what the query asks below it in one call per
// kind (prefetch.go) into the request's cache, so the fields of the list's
// items find their values there. With a wait, dataloaders collect keys for
// that long before each read instead: the timed batching, kept as a
// benchmark baseline.
type loaders struct {
	prefetch bool   // no wait: cache holds the reads
	cache    *cache // the reads of a request, without a wait
	// The timed dataloaders, with a wait.
	versions *dataloadgen.Loader[string, lineage.Version]
	runs     *dataloadgen.Loader[lineage.RunKey, lineage.Run]
	edges    *dataloadgen.Loader[edgeKey, []lineage.Edge]
}

// batchReader is the batched reads the loaders make; the Service is one.
type batchReader interface {
	Versions(ctx context.Context, uids []string) ([]lineage.Version, error)
	Runs(ctx context.Context, keys []lineage.RunKey) ([]lineage.Run, error)
	Edges(ctx context.Context, nodes []lineage.NodeRef, dir lineage.EdgeDirection, rels ...lineage.Relation) ([]lineage.Edge, error)
}

func newLoaders(store batchReader, wait time.Duration) *loaders {
	if wait <= 0 {
		return &loaders{prefetch: true, cache: newCache(store)}
	}
	opts := []dataloadgen.Option{dataloadgen.WithWait(wait)}
	return &loaders{
		versions: dataloadgen.NewMappedLoader(func(ctx context.Context, uids []string) (map[string]lineage.Version, error) {
			vs, err := store.Versions(ctx, uids)
			out := make(map[string]lineage.Version, len(vs))
			for _, v := range vs {
				out[v.UID] = v
			}
			return out, err
		}, opts...),
		runs: dataloadgen.NewMappedLoader(func(ctx context.Context, keys []lineage.RunKey) (map[lineage.RunKey]lineage.Run, error) {
			rs, err := store.Runs(ctx, keys)
			out := make(map[lineage.RunKey]lineage.Run, len(rs))
			for _, r := range rs {
				out[r.Key()] = r
			}
			return out, err
		}, opts...),
		edges: dataloadgen.NewLoader(func(ctx context.Context, keys []edgeKey) ([][]lineage.Edge, []error) {
			return fetchEdges(ctx, store, keys)
		}, opts...),
	}
}

// fetchEdges answers a batch of edgeKeys with one Edges call per
// (direction, relation) pair present in the batch.
func fetchEdges(ctx context.Context, store batchReader, keys []edgeKey) ([][]lineage.Edge, []error) {
	type group struct {
		dir lineage.EdgeDirection
		rel lineage.Relation
	}
	nodes := map[group][]lineage.NodeRef{}
	for _, k := range keys {
		g := group{k.Dir, k.Relation}
		nodes[g] = append(nodes[g], k.Node)
	}
	byKey := map[edgeKey][]lineage.Edge{}
	failed := map[group]error{}
	for g, ns := range nodes {
		es, err := store.Edges(ctx, ns, g.dir, g.rel)
		if err != nil {
			failed[g] = err
			continue
		}
		for _, e := range es {
			near := e.From
			if g.dir == lineage.Incoming {
				near = e.To
			}
			k := edgeKey{Node: near, Dir: g.dir, Relation: g.rel}
			byKey[k] = append(byKey[k], e)
		}
	}
	out := make([][]lineage.Edge, len(keys))
	errs := make([]error, len(keys))
	for i, k := range keys {
		out[i], errs[i] = byKey[k], failed[group{k.Dir, k.Relation}]
	}
	return out, errs
}

type loadersKey struct{}

func withLoaders(ctx context.Context, l *loaders) context.Context {
	return context.WithValue(ctx, loadersKey{}, l)
}

// loaders returns the request's loaders, or fresh ones for a context that
// has none (a subscription, a test calling a resolver directly).
func (r *Resolver) loaders(ctx context.Context) *loaders {
	if l, ok := ctx.Value(loadersKey{}).(*loaders); ok {
		return l
	}
	return newLoaders(r.Service, 0)
}

// versionsByUID loads versions, skipping ones deleted since they were named.
func (r *Resolver) versionsByUID(ctx context.Context, uids []string) ([]lineage.Version, error) {
	l := r.loaders(ctx)
	if l.prefetch {
		return l.cache.versionsInOrder(ctx, uids)
	}
	vs, err := l.versions.LoadAll(ctx, uids)
	return skipNotFound(vs, err)
}

// runsByKey loads runs, skipping missing ones.
func (r *Resolver) runsByKey(ctx context.Context, keys []lineage.RunKey) ([]lineage.Run, error) {
	l := r.loaders(ctx)
	if l.prefetch {
		return l.cache.runsInOrder(ctx, keys)
	}
	rs, err := l.runs.LoadAll(ctx, keys)
	return skipNotFound(rs, err)
}

// edgesOf loads one node's edges of one relation in one direction.
func (r *Resolver) edgesOf(ctx context.Context, n lineage.NodeRef, dir lineage.EdgeDirection, rel lineage.Relation) ([]lineage.Edge, error) {
	k := edgeKey{Node: n, Dir: dir, Relation: rel}
	l := r.loaders(ctx)
	if l.prefetch {
		m, err := l.cache.edges(ctx, []edgeKey{k})
		return m[k], err
	}
	return l.edges.Load(ctx, k)
}

// skipNotFound drops the values of keys that were not found and fails on any
// other error.
func skipNotFound[T any](vals []T, err error) ([]T, error) {
	if err == nil {
		return vals, nil
	}
	errs, ok := err.(dataloadgen.ErrorSlice)
	if !ok {
		return nil, err
	}
	out := make([]T, 0, len(vals))
	for i, v := range vals {
		switch {
		case i >= len(errs) || errs[i] == nil:
			out = append(out, v)
		case errors.Is(errs[i], dataloadgen.ErrNotFound):
		default:
			return nil, errs[i]
		}
	}
	return out, nil
}
