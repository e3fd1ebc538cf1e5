package embedded

import (
	"context"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// ListVersions returns a page of a project's versions that match f, newest
// UpdatedAt first. The Key, Tree, Tag, Labels and KeyContains fields select
// index lists, intersected by a merge join within the Since/Until range; the
// other fields are checked as f.Match does. When one list answers the whole
// filter, the total and the page come from its order alone, in O(log n) plus
// the page; otherwise every match is walked, as Total counts them all.
func (s *Store) ListVersions(ctx context.Context, project string, f lineage.VersionFilter, page lineage.Page) (lineage.VersionPage, error) {
	if err := f.Validate(); err != nil {
		return lineage.VersionPage{}, err
	}
	start, err := decodePage(page)
	if err != nil {
		return lineage.VersionPage{}, err
	}
	unlock, err := s.rlock(ctx)
	if err != nil {
		return lineage.VersionPage{}, err
	}
	defer unlock()
	x := s.indexes[project]
	if x == nil {
		return lineage.VersionPage{}, nil
	}
	srcs, rest := x.plan(f)
	if srcs == nil {
		return lineage.VersionPage{}, nil
	}
	lo, hi := bottom, top
	if f.Since != nil {
		lo = position{t: nanos(*f.Since)}
	}
	if f.Until != nil && nanos(*f.Until) < math.MaxInt64 {
		hi = position{t: nanos(*f.Until) + 1}
	}
	if hi.less(start) {
		start = hi
	}

	var out lineage.VersionPage
	if len(srcs) == 1 && isZero(rest) {
		// One source answers the filter: count by rank, read just the page.
		out.Total = srcs[0].count(lo, hi)
		readPage(&out, srcs[0].walk(lo, start), page.First)
	} else if q, ok := x.labelQuery(f); ok {
		// Labels only: count by their slot sets, walk just the page.
		if q.lead != nil {
			out.Total = q.total()
			if err := walkMatches(ctx, &out, newListWalk(q.lead, lo, start), q.matches, start, page.First, false); err != nil {
				return lineage.VersionPage{}, err
			}
		}
	} else if err := walkMatches(ctx, &out, walkAll(srcs, lo, hi), matcher(rest), start, page.First, true); err != nil {
		return lineage.VersionPage{}, err
	}
	if n := len(out.Versions); n > 0 {
		out.EndCursor = lineage.VersionCursor(out.Versions[n-1]).Encode()
	}
	return out, nil
}

// readPage reads the first versions of w into out, and whether more follow.
func readPage(out *lineage.VersionPage, w walk, first int) {
	for ; w.item() != nil; w.next() {
		if len(out.Versions) == first {
			out.HasNext = true
			return
		}
		out.Versions = append(out.Versions, cloneVersion(w.item().val))
	}
}

// walkMatches walks w's matches, keeping the page's (those below start) and
// whether more follow; with count, it walks them all, counting them in Total.
func walkMatches(ctx context.Context, out *lineage.VersionPage, w walk, match func(*lineage.Version) bool, start position, first int, count bool) error {
	for seen := 0; w.item() != nil; w.next() {
		if seen++; seen%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		it := w.item()
		if !match(it.val) {
			continue
		}
		if count {
			out.Total++
		}
		if it.less(start) {
			if len(out.Versions) < first {
				out.Versions = append(out.Versions, cloneVersion(it.val))
			} else if out.HasNext = true; !count {
				return nil
			}
		}
	}
	return nil
}

// maxUnion bounds the number of key lists a KeyContains source merges when
// it is intersected with other sources, as each seek moves all of them.
const maxUnion = 64

// plan returns the sources whose intersection holds the versions that the
// Key, Tree, Tag, Labels and KeyContains fields of f select, smallest first,
// and f without the fields they answer; Since and Until are left out too, as
// they bound the walk. A nil result means nothing matches.
func (x *projectIndex) plan(f lineage.VersionFilter) ([]source, lineage.VersionFilter) {
	rest := f
	rest.Since, rest.Until = nil, nil
	var srcs []source
	for _, l := range []struct {
		set   bool
		lists map[string]*versionList
		value string
		clear *string
	}{
		{f.Key != "", x.byKey, f.Key, &rest.Key},
		{f.Tree != "", x.byTree, f.Tree, &rest.Tree},
		{f.Tag != "", x.byTag, f.Tag, &rest.Tag},
	} {
		if !l.set {
			continue
		}
		list := l.lists[l.value]
		if list == nil {
			return nil, rest
		}
		srcs = append(srcs, source{list})
		*l.clear = ""
	}
	for _, s := range f.Labels {
		sel, _ := lineage.ParseLabelSelector(s) // valid: f passed Validate
		list := x.byLabelKey[sel.Key]
		if sel.HasValue {
			list = x.byLabel[labelKV{sel.Key, sel.Value}]
		}
		if list == nil {
			return nil, rest
		}
		srcs = append(srcs, source{list})
	}
	rest.Labels = nil
	if f.KeyContains != "" {
		// Keys are far fewer than versions: find the matching ones.
		needle := strings.ToLower(f.KeyContains)
		var keys source
		for k, l := range x.byKey {
			if strings.Contains(strings.ToLower(k), needle) {
				keys = append(keys, l)
			}
		}
		if len(keys) == 0 {
			return nil, rest
		}
		if len(keys) <= maxUnion || len(srcs) == 0 && keys.Len() < x.all.Len() {
			srcs = append(srcs, keys)
			rest.KeyContains = ""
		}
	}
	if len(srcs) == 0 {
		return []source{{&x.all}}, rest
	}
	slices.SortFunc(srcs, func(a, b source) int { return a.Len() - b.Len() })
	return srcs, rest
}

// matcher returns f.Match for a valid filter, made cheaper for a scan: the
// label selectors are parsed and the KeyContains needle lowered once, rather
// than for every version.
func matcher(f lineage.VersionFilter) func(*lineage.Version) bool {
	var sels []lineage.LabelSelector
	for _, s := range f.Labels {
		sel, _ := lineage.ParseLabelSelector(s) // valid: f passed Validate
		sels = append(sels, sel)
	}
	needle := strings.ToLower(f.KeyContains)
	f.Labels, f.KeyContains = nil, ""
	rest := !isZero(f)
	return func(v *lineage.Version) bool {
		if needle != "" && !strings.Contains(strings.ToLower(v.Key), needle) {
			return false
		}
		for _, sel := range sels {
			if !sel.Matches(v.Labels) {
				return false
			}
		}
		return !rest || f.Match(*v)
	}
}

// isZero reports whether f filters nothing. Reflection keeps it right when
// VersionFilter gains fields.
func isZero(f lineage.VersionFilter) bool {
	if len(f.Labels) == 0 {
		f.Labels = nil
	}
	return reflect.ValueOf(f).IsZero()
}

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// nanos returns t in Unix nanoseconds, clamped to what int64 holds.
func nanos(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// Edges returns the edges of the given relations leaving or entering nodes,
// sorted by (From, To, Relation, Name).
func (s *Store) Edges(ctx context.Context, nodes []lineage.NodeRef, dir lineage.EdgeDirection, rels ...lineage.Relation) ([]lineage.Edge, error) {
	if err := dir.Validate(); err != nil {
		return nil, err
	}
	unlock, err := s.rlock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.graph.edges(nodes, dir, rels), nil
}

// Lineage answers q with lineage.Traverse over the in-memory edges, under
// one read lock so that the answer is one consistent snapshot.
func (s *Store) Lineage(ctx context.Context, q lineage.LineageQuery) (lineage.Graph, error) {
	unlock, err := s.rlock(ctx)
	if err != nil {
		return lineage.Graph{}, err
	}
	defer unlock()
	edges := func(ctx context.Context, nodes []lineage.NodeRef, dir lineage.EdgeDirection, rels ...lineage.Relation) ([]lineage.Edge, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return s.graph.unsortedEdges(nodes, dir, rels), nil
	}
	return lineage.Traverse(ctx, edges, q)
}
