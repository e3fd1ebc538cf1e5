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

// loadVersions makes sure every uid is known, with one read for the rest.
func (c *cache) loadVersions(ctx context.Context, uids []string) error {
	c.mu.Lock()
	todo := unknown(c.versions, uids)
	c.mu.Unlock()
	if len(todo) == 0 {
		return nil
	}
	vs, err := c.store.Versions(ctx, todo)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, uid := range todo {
		c.versions[uid] = nil
	}
	for i := range vs {
		c.versions[vs[i].UID] = &vs[i]
	}
	return nil
}

// versionsInOrder loads versions, in the order asked, skipping absent ones.
func (c *cache) versionsInOrder(ctx context.Context, uids []string) ([]lineage.Version, error) {
	if err := c.loadVersions(ctx, uids); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]lineage.Version, 0, len(uids))
	for _, uid := range uids {
		if v := c.versions[uid]; v != nil {
			out = append(out, *v)
		}
	}
	return out, nil
}

// loadRuns makes sure every key is known, with one read for the rest.
func (c *cache) loadRuns(ctx context.Context, keys []lineage.RunKey) error {
	c.mu.Lock()
	todo := unknown(c.runs, keys)
	c.mu.Unlock()
	if len(todo) == 0 {
		return nil
	}
	rs, err := c.store.Runs(ctx, todo)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range todo {
		c.runs[k] = nil
	}
	for i := range rs {
		c.runs[rs[i].Key()] = &rs[i]
	}
	return nil
}

// runsInOrder loads runs, in the order asked, skipping absent ones.
func (c *cache) runsInOrder(ctx context.Context, keys []lineage.RunKey) ([]lineage.Run, error) {
	if err := c.loadRuns(ctx, keys); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]lineage.Run, 0, len(keys))
	for _, k := range keys {
		if r := c.runs[k]; r != nil {
			out = append(out, *r)
		}
	}
	return out, nil
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
