package embedded

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/artigraph/artigraph/lineage"
)

// TestOrderedMatchesSortedSlice checks the block list against a plain sorted
// slice through random inserts and removes, appends and middle inserts
// alike, enough to split and drop blocks many times.
func TestOrderedMatchesSortedSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var o ordered[int]
	var model []position
	cmp := func(a, b position) int {
		switch {
		case a.less(b):
			return -1
		case b.less(a):
			return 1
		}
		return 0
	}
	for step := range 20000 {
		var p position
		switch {
		case step < 5000 || rng.IntN(3) == 0:
			// Mostly appends at first, as new versions come newest.
			p = position{t: int64(step), uid: fmt.Sprint(rng.IntN(3))}
		default:
			p = position{t: rng.Int64N(int64(step)), uid: fmt.Sprint(rng.IntN(1000))}
		}
		i, found := slices.BinarySearchFunc(model, p, cmp)
		if found || (step > 8000 && rng.IntN(2) == 0 && len(model) > 0) {
			// Remove a present item, or the one where p would go.
			if !found {
				i = min(i, len(model)-1)
				p = model[i]
			}
			if !o.remove(p) {
				t.Fatalf("step %d: remove %v found nothing", step, p)
			}
			model = slices.Delete(model, i, i+1)
		} else {
			o.insert(item[int]{position: p, val: step})
			model = slices.Insert(model, i, p)
		}
		if o.Len() != len(model) {
			t.Fatalf("step %d: Len %d, want %d", step, o.Len(), len(model))
		}
		if step%997 == 0 {
			checkOrdered(t, &o, model)
		}
	}
	checkOrdered(t, &o, model)
	if o.remove(position{t: -5, uid: "absent"}) {
		t.Fatal("removed an absent item")
	}
}

func checkOrdered(t *testing.T, o *ordered[int], model []position) {
	t.Helper()
	var got []position
	o.descend(bottom, top, func(it *item[int]) bool {
		got = append(got, it.position)
		return true
	})
	slices.Reverse(got)
	if !slices.Equal(got, model) {
		t.Fatalf("descend differs from the model: %d vs %d items", len(got), len(model))
	}
	for _, b := range o.blocks {
		if len(b) == 0 || len(b) >= 2*blockSize {
			t.Fatalf("block of %d items", len(b))
		}
	}
	if len(model) < 3 {
		return
	}
	// rank, and descend within bounds.
	lo, hi := model[len(model)/3], model[2*len(model)/3]
	if r := o.rank(lo); r != len(model)/3 {
		t.Fatalf("rank %v = %d, want %d", lo, r, len(model)/3)
	}
	var within []position
	o.descend(lo, hi, func(it *item[int]) bool {
		within = append(within, it.position)
		return len(within) < 50
	})
	want := slices.Clone(model[len(model)/3 : 2*len(model)/3])
	slices.Reverse(want)
	want = want[:min(50, len(want))]
	if !slices.Equal(within, want) {
		t.Fatalf("descend [%v, %v) differs", lo, hi)
	}
}

// TestSourceMergesLists checks that a source of several disjoint lists walks
// and counts like the one list holding all their items.
func TestSourceMergesLists(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var all versionList
	var src source
	for range 7 {
		src = append(src, &versionList{})
	}
	for i := range 5000 {
		it := item[*lineage.Version]{position: position{t: rng.Int64N(2000), uid: fmt.Sprintf("u%05d", i)}}
		all.insert(it)
		src[rng.IntN(len(src))].insert(it)
	}
	walk := func(src source, lo, hi position, max int) []position {
		var out []position
		for w := src.walk(lo, hi); w.item() != nil && len(out) < max; w.next() {
			out = append(out, w.item().position)
		}
		return out
	}
	one := source{&all}
	for _, c := range []struct {
		lo, hi position
		max    int
	}{
		{bottom, top, 1 << 30},
		{bottom, top, 10},
		{position{t: 500}, position{t: 1500}, 1 << 30},
		{position{t: 700, uid: "u02000"}, position{t: 701, uid: "u00100"}, 1 << 30},
		{position{t: 3000}, top, 1 << 30},
	} {
		want := walk(one, c.lo, c.hi, c.max)
		if got := walk(src, c.lo, c.hi, c.max); !slices.Equal(got, want) {
			t.Fatalf("[%v, %v): merged walk of %d items differs from the single list's %d", c.lo, c.hi, len(got), len(want))
		}
		if got, want := src.count(c.lo, c.hi), one.count(c.lo, c.hi); got != want {
			t.Fatalf("[%v, %v): count %d, want %d", c.lo, c.hi, got, want)
		}
	}
	if src.Len() != 5000 {
		t.Fatalf("Len %d", src.Len())
	}
}

// TestIntersectWalk checks the merge join against a plain filter, with a
// union among the parts and bounds on the walk.
func TestIntersectWalk(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	lists := make([]*versionList, 4) // by membership rule
	union := source{{}, {}, {}}      // disjoint, together all items
	var model []position
	for i := range 20000 {
		p := position{t: rng.Int64N(5000), uid: fmt.Sprintf("u%05d", i)}
		it := item[*lineage.Version]{position: p}
		union[rng.IntN(len(union))].insert(it)
		in := []bool{i%2 == 0, rng.IntN(3) > 0, rng.IntN(10) == 0, i%2 == 0 && rng.IntN(2) == 0}
		for j, ok := range in {
			if lists[j] == nil {
				lists[j] = &versionList{}
			}
			if ok {
				lists[j].insert(it)
			}
		}
		if in[0] && in[1] && in[2] {
			model = append(model, p)
		}
	}
	slices.SortFunc(model, func(a, b position) int {
		if a.less(b) {
			return 1
		}
		return -1
	})
	for _, c := range []struct {
		name   string
		srcs   []source
		lo, hi position
		want   []position
	}{
		{"three lists", []source{{lists[2]}, {lists[0]}, {lists[1]}}, bottom, top, model},
		{"with a union", []source{{lists[2]}, union, {lists[0]}, {lists[1]}}, bottom, top, model},
		{"bounded", []source{{lists[2]}, {lists[0]}, {lists[1]}}, position{t: 1000}, position{t: 2000},
			slices.DeleteFunc(slices.Clone(model), func(p position) bool { return p.t < 1000 || p.t >= 2000 })},
		{"four lists", []source{{lists[3]}, {lists[2]}, {lists[1]}, {lists[0]}}, bottom, top, nil},
	} {
		var got []position
		for w := walkAll(c.srcs, c.lo, c.hi); w.item() != nil; w.next() {
			got = append(got, w.item().position)
		}
		if c.name == "four lists" {
			// lists[3] is within lists[0]: the join is lists[3] ∩ lists[2] ∩ lists[1].
			c.want = nil
			for w := newListWalk(lists[3], bottom, top); w.item() != nil; w.next() {
				p := w.item().position
				if lists[2].rank(position{t: p.t, uid: p.uid + "\x00"})-lists[2].rank(p) == 1 &&
					lists[1].rank(position{t: p.t, uid: p.uid + "\x00"})-lists[1].rank(p) == 1 {
					c.want = append(c.want, p)
				}
			}
		}
		if len(c.want) == 0 || !slices.Equal(got, c.want) {
			t.Fatalf("%s: %d versions, want %d", c.name, len(got), len(c.want))
		}
	}
}
