package resolvers

import (
	"context"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/artigraph/artigraph/lineage"
)

// prefetcher loads, for the list a resolver is about to return, each level
// of what the query selects below it: one read per kind of lookup and level,
// kept in the request's cache, so that the items' field resolvers find
// their values there instead of each reading, or waiting for a batch.
type prefetcher struct {
	op    *graphql.OperationContext
	cache *cache
}

// prefetcher returns the request's prefetcher; ok is false when the
// loaders batch by waiting instead, or outside an operation.
func (r *Resolver) prefetcher(ctx context.Context) (prefetcher, bool) {
	l := r.loaders(ctx)
	if !l.prefetch || !graphql.HasOperationContext(ctx) {
		return prefetcher{}, false
	}
	return prefetcher{op: graphql.GetOperationContext(ctx), cache: l.cache}, true
}

// fieldSelections is what the query asks of the field being resolved.
func fieldSelections(ctx context.Context) ast.SelectionSet {
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		return fc.Field.Selections
	}
	return nil
}

// children returns the selections of every field called name (each alias)
// that sel asks of an object of type typ.
func (p prefetcher) children(sel ast.SelectionSet, typ, name string) []graphql.CollectedField {
	var out []graphql.CollectedField
	for _, f := range graphql.CollectFields(p.op, sel, []string{typ}) {
		if f.Name == name {
			out = append(out, f)
		}
	}
	return out
}

// under returns the selections at the end of a path of (type, field) steps.
func (p prefetcher) under(sel ast.SelectionSet, path ...[2]string) []ast.SelectionSet {
	sets := []ast.SelectionSet{sel}
	for _, step := range path {
		var next []ast.SelectionSet
		for _, s := range sets {
			for _, f := range p.children(s, step[0], step[1]) {
				next = append(next, f.Selections)
			}
		}
		sets = next
	}
	return sets
}

// firstArg is a field's `first` argument, nil when absent or not an int
// (the field's resolver then reports it).
func (p prefetcher) firstArg(f graphql.CollectedField) *int {
	var n int64
	switch v := f.ArgumentMap(p.op.Variables)["first"].(type) {
	case int:
		n = int64(v)
	case int64:
		n = v
	case json.Number:
		var err error
		if n, err = v.Int64(); err != nil {
			return nil
		}
	default:
		return nil
	}
	i := int(n)
	return &i
}

// farEnds loads the edges of rel in dir of every node, cut to the field's
// `first` as its resolver cuts them, and returns their far ends.
func (p prefetcher) farEnds(ctx context.Context, f graphql.CollectedField, nodes []lineage.NodeRef, dir lineage.EdgeDirection, rel lineage.Relation) ([]lineage.NodeRef, error) {
	n, err := lineage.RunEdgeLimit(p.firstArg(f))
	if err != nil {
		return nil, nil // the field's resolver refuses it
	}
	keys := make([]edgeKey, len(nodes))
	for i, node := range nodes {
		keys[i] = edgeKey{Node: node, Dir: dir, Relation: rel}
	}
	byKey, err := p.cache.edges(ctx, keys)
	if err != nil {
		return nil, err
	}
	var far []lineage.NodeRef
	for _, k := range keys {
		for _, e := range firstEdges(byKey[k], n) {
			if dir == lineage.Outgoing {
				far = append(far, e.To)
			} else {
				far = append(far, e.From)
			}
		}
	}
	return far, nil
}

// versions prefetches what sel asks of each of vs, level by level.
func (p prefetcher) versions(ctx context.Context, sel ast.SelectionSet, vs []lineage.Version) error {
	if len(vs) == 0 || len(sel) == 0 {
		return nil
	}
	nodes := make([]lineage.NodeRef, len(vs))
	for i, v := range vs {
		nodes[i] = lineage.VersionNode(v)
	}
	for _, f := range graphql.CollectFields(p.op, sel, []string{"ArtifactVersion"}) {
		var err error
		switch f.Name {
		case "run":
			var keys []lineage.RunKey
			for _, v := range vs {
				if v.Run != nil {
					keys = append(keys, *v.Run)
				}
			}
			err = p.runsOf(ctx, f.Selections, keys)
		case "sources":
			err = p.step(ctx, f, f.Selections, nodes, lineage.Outgoing, lineage.RelDerivedFrom)
		case "consumers":
			err = p.step(ctx, f, f.Selections, nodes, lineage.Incoming, lineage.RelConsumed)
		case "links", "linkedFrom":
			dir := lineage.Outgoing
			if f.Name == "linkedFrom" {
				dir = lineage.Incoming
			}
			err = p.step(ctx, f, p.targets(f.Selections), nodes, dir, lineage.RelLinksTo)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// targets merges what a list of ArtifactLink asks of its targets.
func (p prefetcher) targets(sel ast.SelectionSet) ast.SelectionSet {
	var out ast.SelectionSet
	for _, s := range p.under(sel, [2]string{"ArtifactLink", "target"}) {
		out = append(out, s...)
	}
	return out
}

// runs prefetches what sel asks of each of rs, level by level.
func (p prefetcher) runs(ctx context.Context, sel ast.SelectionSet, rs []lineage.Run) error {
	if len(rs) == 0 || len(sel) == 0 {
		return nil
	}
	nodes := make([]lineage.NodeRef, len(rs))
	for i, r := range rs {
		nodes[i] = lineage.RunNode(r.Key())
	}
	for _, f := range graphql.CollectFields(p.op, sel, []string{"Run"}) {
		var err error
		switch f.Name {
		case "inputs":
			err = p.step(ctx, f, f.Selections, nodes, lineage.Outgoing, lineage.RelConsumed)
		case "outputs":
			err = p.step(ctx, f, f.Selections, nodes, lineage.Outgoing, lineage.RelProduced)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// step loads the next level along one list field (f, one edge relation
// from nodes) and goes on with what sel asks of it.
func (p prefetcher) step(ctx context.Context, f graphql.CollectedField, sel ast.SelectionSet, nodes []lineage.NodeRef, dir lineage.EdgeDirection, rel lineage.Relation) error {
	far, err := p.farEnds(ctx, f, nodes, dir, rel)
	if err != nil || len(far) == 0 {
		return err
	}
	if far[0].Type == lineage.NodeRun {
		keys := make([]lineage.RunKey, len(far))
		for i, n := range far {
			keys[i] = lineage.RunKey{Project: n.Project, UID: n.UID}
		}
		return p.runsOf(ctx, sel, keys)
	}
	uids := make([]string, len(far))
	for i, n := range far {
		uids[i] = n.UID
	}
	return p.versionsOf(ctx, sel, uids)
}

// versionsOf loads versions by uid in one read and prefetches below them.
func (p prefetcher) versionsOf(ctx context.Context, sel ast.SelectionSet, uids []string) error {
	vs, err := p.cache.versionsInOrder(ctx, unknown(map[string]bool{}, uids))
	if err != nil {
		return err
	}
	return p.versions(ctx, sel, vs)
}

// runsOf loads runs by key in one read and prefetches below them.
func (p prefetcher) runsOf(ctx context.Context, sel ast.SelectionSet, keys []lineage.RunKey) error {
	rs, err := p.cache.runsInOrder(ctx, unknown(map[lineage.RunKey]bool{}, keys))
	if err != nil {
		return err
	}
	return p.runs(ctx, sel, rs)
}

// prefetchVersions prefetches what the query asks of vs at path below the
// field being resolved; nothing when the loaders batch by waiting.
func (r *Resolver) prefetchVersions(ctx context.Context, vs []lineage.Version, path ...[2]string) error {
	p, ok := r.prefetcher(ctx)
	if !ok {
		return nil
	}
	for _, sel := range p.under(fieldSelections(ctx), path...) {
		if err := p.versions(ctx, sel, vs); err != nil {
			return err
		}
	}
	return nil
}

// prefetchRuns loads the runs keys name, when the query asks for them at
// path below the field being resolved, and prefetches below them.
func (r *Resolver) prefetchRuns(ctx context.Context, keys []lineage.RunKey, path ...[2]string) error {
	p, ok := r.prefetcher(ctx)
	if !ok {
		return nil
	}
	for _, sel := range p.under(fieldSelections(ctx), path...) {
		if err := p.runsOf(ctx, sel, keys); err != nil {
			return err
		}
	}
	return nil
}
