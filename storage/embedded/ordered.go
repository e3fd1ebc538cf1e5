package embedded

import (
	"math"
	"slices"
	"sort"
)

// position is a place in an ordered list: items are ordered by (t, uid)
// ascending, t being a time in Unix nanoseconds. Listings walk them backwards,
// which gives the API's order (time descending, uid descending).
type position struct {
	t   int64
	uid string
}

var (
	// bottom and top bound every item: no time that a cursor can encode
	// reaches them.
	bottom = position{t: math.MinInt64}
	top    = position{t: math.MaxInt64}
)

func (p position) less(o position) bool {
	if p.t != o.t {
		return p.t < o.t
	}
	return p.uid < o.uid
}

// item is one entry of an ordered list.
type item[T any] struct {
	position
	val T
}

// blockSize is the target length of a block: big enough that a million items
// make a short block index, small enough that inserting into or deleting from
// the middle moves a few kilobytes.
const blockSize = 512

// ordered is a sorted list of items kept in blocks (the leaf level of a
// B+tree), so that an insert or delete anywhere costs O(log n + blockSize)
// rather than moving the whole list. The zero value is an empty list. Blocks
// are never empty.
type ordered[T any] struct {
	blocks [][]item[T]
	n      int
}

// Len returns the number of items.
func (o *ordered[T]) Len() int {
	if o == nil {
		return 0
	}
	return o.n
}

// search returns where the first item not less than p is: block bi, index i.
// bi is len(o.blocks) when every item is less than p.
func (o *ordered[T]) search(p position) (bi, i int) {
	bi = sort.Search(len(o.blocks), func(j int) bool {
		b := o.blocks[j]
		return !b[len(b)-1].less(p)
	})
	if bi == len(o.blocks) {
		return bi, 0
	}
	b := o.blocks[bi]
	i = sort.Search(len(b), func(j int) bool { return !b[j].less(p) })
	return bi, i
}

// insert adds it; the caller guarantees its position is not already held.
func (o *ordered[T]) insert(it item[T]) {
	o.n++
	if len(o.blocks) == 0 {
		// Most lists stay short (a tree's, a rare label's): start small and
		// let append grow the block.
		o.blocks = [][]item[T]{{it}}
		return
	}
	bi, i := o.search(it.position)
	if bi == len(o.blocks) {
		// After every item: the usual case, as new items carry the newest
		// times. Start a fresh block rather than split a full one, so that
		// blocks filled by appends stay full.
		bi = len(o.blocks) - 1
		i = len(o.blocks[bi])
		if i >= blockSize {
			b := make([]item[T], 1, blockSize)
			b[0] = it
			o.blocks = append(o.blocks, b)
			return
		}
	}
	b := slices.Insert(o.blocks[bi], i, it)
	if len(b) < 2*blockSize {
		o.blocks[bi] = b
		return
	}
	half := make([]item[T], len(b)-blockSize, 2*blockSize)
	copy(half, b[blockSize:])
	clear(b[blockSize:])
	o.blocks[bi] = b[:blockSize]
	o.blocks = slices.Insert(o.blocks, bi+1, half)
}

// remove deletes the item at p and reports whether there was one.
func (o *ordered[T]) remove(p position) bool {
	bi, i := o.search(p)
	if bi == len(o.blocks) || o.blocks[bi][i].position != p {
		return false
	}
	o.n--
	b := slices.Delete(o.blocks[bi], i, i+1)
	if len(b) == 0 {
		o.blocks = slices.Delete(o.blocks, bi, bi+1)
		return true
	}
	o.blocks[bi] = b
	return true
}

// rank returns how many items are less than p.
func (o *ordered[T]) rank(p position) int {
	bi, i := o.search(p)
	n := i
	for _, b := range o.blocks[:bi] {
		n += len(b)
	}
	return n
}

// descend calls fn for the items in [lo, hi), greatest first, until fn
// returns false.
func (o *ordered[T]) descend(lo, hi position, fn func(it *item[T]) bool) {
	if o == nil {
		return
	}
	for c := o.below(hi); ; c.prev() {
		it := c.item()
		if it == nil || it.less(lo) || !fn(it) {
			return
		}
	}
}

// cursor is a place in an ordered list, walked backwards.
type cursor[T any] struct {
	o     *ordered[T]
	bi, i int
}

// below returns a cursor on the greatest item less than p.
func (o *ordered[T]) below(p position) cursor[T] {
	bi, i := o.search(p)
	c := cursor[T]{o: o, bi: bi, i: i}
	c.prev()
	return c
}

// item returns the item under the cursor, or nil past the first item.
func (c *cursor[T]) item() *item[T] {
	if c.bi < 0 {
		return nil
	}
	return &c.o.blocks[c.bi][c.i]
}

// prev moves the cursor to the next smaller item.
func (c *cursor[T]) prev() {
	c.i--
	for c.i < 0 {
		c.bi--
		if c.bi < 0 {
			return
		}
		c.i = len(c.o.blocks[c.bi]) - 1
	}
}
