package resolvers

import (
	"context"
	"sync"

	"github.com/artigraph/artigraph/lineage"
)

// cache is a request's read-through cache of versions, runs and edges. A
// read of many keys asks the store once for those not yet known, and
// remembers the absent ones too, so a field whose value was loaded with its
// level (prefetch.go) never reads again.
type cache struct {
	store batchReader

	mu       sync.Mutex
	versions map[string]*lineage.Version // nil: absent or hidden
	runs     map[lineage.RunKey]*lineage.Run
	edgesOf  map[edgeKey][]lineage.Edge
}

func newCache(store batchReader) *cache {
	return &cache{store: store, versions: map[string]*lineage.Version{},
		runs: map[lineage.RunKey]*lineage.Run{}, edgesOf: map[edgeKey][]lineage.Edge{}}
}

// unknown returns the keys, once each, that m does not hold.
func unknown[K comparable, V any](m map[K]V, keys []K) []K {
	var out []K
	seen := map[K]bool{}
	for _, k := range keys {
		if _, ok := m[k]; !ok && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// inOrder returns the values of keys that exist, in the order asked, reading
// those m does not know yet with one call of read and remembering the
// absent ones (nil). m is one of c's maps, guarded by c.mu.
func inOrder[K comparable, V any](ctx context.Context, c *cache, m map[K]*V, keys []K,
	read func(context.Context, []K) ([]V, error), key func(V) K) ([]V, error) {
	c.mu.Lock()
	todo := unknown(m, keys)
	c.mu.Unlock()
	if len(todo) > 0 {
		got, err := read(ctx, todo)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		for _, k := range todo {
			m[k] = nil
		}
		for i := range got {
			m[key(got[i])] = &got[i]
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]V, 0, len(keys))
	for _, k := range keys {
		if v := m[k]; v != nil {
			out = append(out, *v)
		}
	}
	return out, nil
}

// versionsInOrder loads versions, in the order asked, skipping absent ones.
func (c *cache) versionsInOrder(ctx context.Context, uids []string) ([]lineage.Version, error) {
	return inOrder(ctx, c, c.versions, uids, c.store.Versions, func(v lineage.Version) string { return v.UID })
}

// runsInOrder loads runs, in the order asked, skipping absent ones.
func (c *cache) runsInOrder(ctx context.Context, keys []lineage.RunKey) ([]lineage.Run, error) {
	return inOrder(ctx, c, c.runs, keys, c.store.Runs, lineage.Run.Key)
}

// edges returns the edges of each key, reading those not yet known with one
// Edges call per direction and relation among them.
func (c *cache) edges(ctx context.Context, keys []edgeKey) (map[edgeKey][]lineage.Edge, error) {
	c.mu.Lock()
	todo := unknown(c.edgesOf, keys)
	c.mu.Unlock()
	if len(todo) > 0 {
		got, errs := fetchEdges(ctx, c.store, todo)
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
		c.mu.Lock()
		for i, k := range todo {
			c.edgesOf[k] = got[i]
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[edgeKey][]lineage.Edge, len(keys))
	for _, k := range keys {
		out[k] = c.edgesOf[k]
	}
	return out, nil
}
