package embedded

import (
	"math/bits"
	"slices"
)

// Every version of a project has a slot, a small integer reused after the
// version is removed, and every label list keeps, besides its ordered list, the
// set of its versions' slots. A filter of several labels then counts its
// matches (a listing's Total) by intersecting those sets, chunk by chunk, in
// time that grows with the number of chunks rather than with the versions
// walked; the page itself comes from the ordered lists, as before.

// chunkBits is the number of slots a chunk covers; arrayMax is the most slots
// a chunk keeps as a sorted array before it becomes a bitmap (where the two
// take the same 8 KiB), as roaring bitmaps do.
const (
	chunkBits = 1 << 16
	arrayMax  = 4096
)

// slotSet is a set of slots: per chunk of chunkBits slots, a sorted array of
// their low bits while it is small, else a bitmap.
type slotSet struct {
	chunks map[uint32]*slotChunk // by slot / chunkBits
}

type slotChunk struct {
	arr  []uint16 // sorted; nil once bitmap is set
	bmap []uint64 // chunkBits bits, or nil
	n    int
}

func (s *slotSet) add(slot uint32) {
	if s.chunks == nil {
		s.chunks = map[uint32]*slotChunk{}
	}
	c := s.chunks[slot/chunkBits]
	if c == nil {
		c = &slotChunk{}
		s.chunks[slot/chunkBits] = c
	}
	c.add(uint16(slot))
}

func (s *slotSet) remove(slot uint32) {
	c := s.chunks[slot/chunkBits]
	if c == nil {
		return
	}
	if c.remove(uint16(slot)); c.n == 0 {
		delete(s.chunks, slot/chunkBits)
	}
}

func (s *slotSet) has(slot uint32) bool {
	c := s.chunks[slot/chunkBits]
	return c != nil && c.has(uint16(slot))
}

func (c *slotChunk) add(v uint16) {
	if c.bmap != nil {
		if c.bmap[v/64]&(1<<(v%64)) == 0 {
			c.bmap[v/64] |= 1 << (v % 64)
			c.n++
		}
		return
	}
	i, found := slices.BinarySearch(c.arr, v)
	if found {
		return
	}
	c.arr = slices.Insert(c.arr, i, v)
	c.n++
	if c.n > arrayMax {
		c.bmap = make([]uint64, chunkBits/64)
		for _, x := range c.arr {
			c.bmap[x/64] |= 1 << (x % 64)
		}
		c.arr = nil
	}
}

func (c *slotChunk) remove(v uint16) {
	if c.bmap != nil {
		if c.bmap[v/64]&(1<<(v%64)) != 0 {
			c.bmap[v/64] &^= 1 << (v % 64)
			c.n--
		}
		return
	}
	if i, found := slices.BinarySearch(c.arr, v); found {
		c.arr = slices.Delete(c.arr, i, i+1)
		c.n--
	}
}

func (c *slotChunk) has(v uint16) bool {
	if c.bmap != nil {
		return c.bmap[v/64]&(1<<(v%64)) != 0
	}
	_, found := slices.BinarySearch(c.arr, v)
	return found
}

// intersectionSize returns how many slots every set holds.
func intersectionSize(sets []*slotSet) int {
	if len(sets) == 0 {
		return 0
	}
	n := 0
	cs := make([]*slotChunk, len(sets))
chunks:
	for hi, c := range sets[0].chunks {
		cs[0] = c
		for i, s := range sets[1:] {
			if cs[i+1] = s.chunks[hi]; cs[i+1] == nil {
				continue chunks
			}
		}
		n += chunkIntersectionSize(cs)
	}
	return n
}

// chunkIntersectionSize ANDs the chunks' bitmaps when all are bitmaps, else
// probes the others with the smallest array's slots.
func chunkIntersectionSize(cs []*slotChunk) int {
	smallest := slices.MinFunc(cs, func(a, b *slotChunk) int { return a.n - b.n })
	if smallest.bmap == nil {
		n := 0
	slots:
		for _, v := range smallest.arr {
			for _, c := range cs {
				if c != smallest && !c.has(v) {
					continue slots
				}
			}
			n++
		}
		return n
	}
	n := 0
	for w := range smallest.bmap {
		word := smallest.bmap[w]
		for _, c := range cs {
			word &= c.bmap[w] // all are bitmaps: the smallest is one
		}
		n += bits.OnesCount64(word)
	}
	return n
}

// slotAllocator hands out the slots of one project.
type slotAllocator struct {
	next uint32
	free []uint32
}

func (a *slotAllocator) take() uint32 {
	if n := len(a.free); n > 0 {
		s := a.free[n-1]
		a.free = a.free[:n-1]
		return s
	}
	a.next++
	return a.next - 1
}

func (a *slotAllocator) give(s uint32) { a.free = append(a.free, s) }
