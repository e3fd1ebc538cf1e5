package embedded

import (
	"container/heap"
	"slices"

	"github.com/artigraph/artigraph/lineage"
)

// A listing walks the versions of one or more sources: a source is an index
// list, or several disjoint ones (the lists of the keys a KeyContains filter
// matches). All lists share one order, (UpdatedAt, UID), so several sources
// intersect by a merge join rather than by testing each version.

// source is one or more disjoint index lists.
type source []*versionList

// Len returns the number of versions in the source.
func (src source) Len() int {
	n := 0
	for _, l := range src {
		n += l.Len()
	}
	return n
}

// count returns the number of versions in [lo, hi).
func (src source) count(lo, hi position) int {
	n := 0
	for _, l := range src {
		n += l.rank(hi) - l.rank(lo)
	}
	return max(0, n)
}

// walk returns a walk over the source's versions in [lo, hi).
func (src source) walk(lo, hi position) walk {
	if len(src) == 1 {
		return newListWalk(src[0], lo, hi)
	}
	return newUnionWalk(src, lo, hi)
}

// walkAll returns a walk over the versions in [lo, hi) of every source.
func walkAll(srcs []source, lo, hi position) walk {
	if len(srcs) == 1 {
		return srcs[0].walk(lo, hi)
	}
	w := &intersectWalk{}
	for _, src := range srcs {
		w.parts = append(w.parts, src.walk(lo, hi))
	}
	w.align()
	return w
}

// walk goes through versions from the greatest down.
type walk interface {
	item() *item[*lineage.Version] // the current version, nil at the end
	next()                         // moves on to the next smaller version
	seek(p position)               // moves on to the greatest version not above p
}

// listWalk walks one list, down to lo.
type listWalk struct {
	l  *versionList
	c  cursor[*lineage.Version]
	lo position
}

func newListWalk(l *versionList, lo, hi position) *listWalk {
	return &listWalk{l: l, c: l.below(hi), lo: lo}
}

func (w *listWalk) item() *item[*lineage.Version] {
	it := w.c.item()
	if it == nil || it.less(w.lo) {
		return nil
	}
	return it
}

func (w *listWalk) next() { w.c.prev() }

// seek steps a few items, as the target is often near, then searches.
func (w *listWalk) seek(p position) {
	for range 16 {
		it := w.c.item()
		if it == nil || !p.less(it.position) {
			return
		}
		w.c.prev()
	}
	w.c = w.l.below(position{t: p.t, uid: p.uid + "\x00"}) // the least position after p
}

// unionWalk merges walks of disjoint lists.
type unionWalk struct{ h walkHeap }

func newUnionWalk(lists []*versionList, lo, hi position) *unionWalk {
	w := &unionWalk{}
	for _, l := range lists {
		lw := newListWalk(l, lo, hi)
		if lw.item() != nil {
			w.h = append(w.h, lw)
		}
	}
	heap.Init(&w.h)
	return w
}

func (w *unionWalk) item() *item[*lineage.Version] {
	if len(w.h) == 0 {
		return nil
	}
	return w.h[0].item()
}

func (w *unionWalk) next() {
	w.h[0].next()
	if w.h[0].item() == nil {
		heap.Pop(&w.h)
	} else {
		heap.Fix(&w.h, 0)
	}
}

func (w *unionWalk) seek(p position) {
	for _, lw := range w.h {
		lw.seek(p)
	}
	w.h = slices.DeleteFunc(w.h, func(lw *listWalk) bool { return lw.item() == nil })
	heap.Init(&w.h)
}

// walkHeap holds list walks, the one on the greatest version on top.
type walkHeap []*listWalk

func (h walkHeap) Len() int           { return len(h) }
func (h walkHeap) Less(i, j int) bool { return h[j].item().less(h[i].item().position) }
func (h walkHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *walkHeap) Push(x any)        { *h = append(*h, x.(*listWalk)) }
func (h *walkHeap) Pop() any {
	old := *h
	w := old[len(old)-1]
	*h = old[:len(old)-1]
	return w
}

// intersectWalk walks the versions every part holds. parts[0] should be the
// smallest: it leads, the others seek.
type intersectWalk struct {
	parts []walk
	cur   *item[*lineage.Version]
}

func (w *intersectWalk) item() *item[*lineage.Version] { return w.cur }

func (w *intersectWalk) next() {
	w.parts[0].next()
	w.align()
}

func (w *intersectWalk) seek(p position) {
	for _, part := range w.parts {
		part.seek(p)
	}
	w.align()
}

// align moves the parts down to the greatest version they all hold.
func (w *intersectWalk) align() {
	w.cur = nil
	for {
		var low *item[*lineage.Version]
		for _, part := range w.parts {
			it := part.item()
			if it == nil {
				return
			}
			if low == nil || it.less(low.position) {
				low = it
			}
		}
		same := true
		for _, part := range w.parts {
			part.seek(low.position)
			it := part.item()
			if it == nil {
				return
			}
			same = same && it.position == low.position
		}
		if same {
			w.cur = low
			return
		}
	}
}
