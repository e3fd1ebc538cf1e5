package embedded

import (
	"context"
	"slices"
	"sync"

	"github.com/artigraph/artigraph/lineage"
)

// graph is the in-memory adjacency of the lineage graph. Nodes are interned
// to small integers so that an edge costs a few words in each of its ends'
// lists rather than two full NodeRefs and a map entry.
type graph struct {
	ids  map[lineage.NodeRef]int32
	refs []lineage.NodeRef // by id; a removed node's slot stays unused
	out  [][]halfEdge      // by id: edges leaving the node
	in   [][]halfEdge      // by id: edges entering the node

	// records is each node's version or run, by id, for ReadGraph: one
	// slice index instead of a map lookup per node counted. ReadGraph
	// extends it (holding the read lock and recordsMu) to the nodes added
	// since; removeNodes clears a removed node's. The records' pointers
	// stay valid: a version or run is replaced in place.
	recordsMu sync.Mutex
	records   []nodeRecord
	kinds     map[lineage.Kind]lineage.Kind // interned, under recordsMu
}

// nodeRecord is what a node is: a version or a run (nil when not found),
// and the version's kind, interned (a version's kind never changes) so
// that counting compares kinds by pointer and reads no version.
type nodeRecord struct {
	v    *lineage.Version
	r    *lineage.Run
	kind lineage.Kind
}

// halfEdge is an edge seen from one end: the other end, the relation, and
// the link's name.
type halfEdge struct {
	peer int32
	rel  uint8
	name string
}

// relations are the relations an edge may have; halfEdge.rel indexes it.
var relations = [...]lineage.Relation{lineage.RelConsumed, lineage.RelProduced, lineage.RelDerivedFrom, lineage.RelLinksTo}

func relCode(r lineage.Relation) (uint8, bool) {
	i := slices.Index(relations[:], r)
	return uint8(i), i >= 0
}

func newGraph() *graph {
	return &graph{ids: map[lineage.NodeRef]int32{}}
}

// node returns ref's id, adding the node if it is new.
func (g *graph) node(ref lineage.NodeRef) int32 {
	if id, ok := g.ids[ref]; ok {
		return id
	}
	id := int32(len(g.refs))
	g.ids[ref] = id
	g.refs = append(g.refs, ref)
	g.out = append(g.out, nil)
	g.in = append(g.in, nil)
	return id
}

// add inserts e, which the caller knows is absent (see has) and whose
// relation is one of relations.
func (g *graph) add(e lineage.Edge) {
	rel, _ := relCode(e.Relation)
	from, to := g.node(e.From), g.node(e.To)
	g.out[from] = append(g.out[from], halfEdge{peer: to, rel: rel, name: e.Name})
	g.in[to] = append(g.in[to], halfEdge{peer: from, rel: rel, name: e.Name})
}

// has reports whether e is present, scanning the shorter of its ends' lists.
func (g *graph) has(e lineage.Edge) bool {
	rel, ok := relCode(e.Relation)
	from, okFrom := g.ids[e.From]
	to, okTo := g.ids[e.To]
	if !ok || !okFrom || !okTo {
		return false
	}
	list, peer := g.out[from], to
	if len(g.in[to]) < len(list) {
		list, peer = g.in[to], from
	}
	return slices.Contains(list, halfEdge{peer: peer, rel: rel, name: e.Name})
}

// edges returns the edges of the given relations (all when rels is empty)
// leaving or entering nodes, sorted and without duplicates.
func (g *graph) edges(nodes []lineage.NodeRef, dir lineage.EdgeDirection, rels []lineage.Relation) []lineage.Edge {
	out := g.unsortedEdges(nodes, dir, rels)
	lineage.SortEdges(out)
	return slices.Compact(out)
}

// unsortedEdges is edges in no particular order, with an edge repeated when
// a node is: enough for lineage.Traverse, which sorts and compacts what it
// keeps.
func (g *graph) unsortedEdges(nodes []lineage.NodeRef, dir lineage.EdgeDirection, rels []lineage.Relation) []lineage.Edge {
	want := relMask(rels)
	// Look the nodes up once, and size the answer before filling it.
	lists := make([][]halfEdge, len(nodes))
	size := 0
	for i, n := range nodes {
		if id, ok := g.ids[n]; ok {
			lists[i] = g.out[id]
			if dir == lineage.Incoming {
				lists[i] = g.in[id]
			}
			size += len(lists[i])
		}
	}
	if size == 0 {
		return nil
	}
	out := make([]lineage.Edge, 0, size)
	for i, n := range nodes {
		for _, h := range lists[i] {
			if !want[h.rel] {
				continue
			}
			e := lineage.Edge{From: n, To: g.refs[h.peer], Relation: relations[h.rel], Name: h.name}
			if dir == lineage.Incoming {
				e.From, e.To = e.To, e.From
			}
			out = append(out, e)
		}
	}
	return out
}

// relMask is the set of relations a halfEdge.rel may have to be kept: all
// when rels is empty.
func relMask(rels []lineage.Relation) (want [len(relations)]bool) {
	if len(rels) == 0 {
		for i := range want {
			want[i] = true
		}
	}
	for _, r := range rels {
		if c, ok := relCode(r); ok {
			want[c] = true
		}
	}
	return want
}

// ReadGraph lends read the graph under one read lock (lineage.GraphReader):
// node ids are the graph's interned ids, and an expansion copies peer ids
// only, neither building nor sorting edges.
func (s *Store) ReadGraph(ctx context.Context, read func(lineage.GraphSnapshot) error) error {
	unlock, err := s.rlock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	return read(snapshot{s, s.records()})
}

var _ lineage.GraphReader = (*Store)(nil)

// records returns the record of every node, finding those of the nodes
// added since the last call. The caller holds the read lock; other
// readers may hold shorter prefixes of the slice, so only entries past
// them are written.
func (s *Store) records() []nodeRecord {
	g := s.graph
	g.recordsMu.Lock()
	defer g.recordsMu.Unlock()
	for id := len(g.records); id < len(g.refs); id++ {
		r := s.recordOf(g.refs[id])
		if r.v != nil {
			k, ok := g.kinds[r.kind]
			if !ok {
				if g.kinds == nil {
					g.kinds = map[lineage.Kind]lineage.Kind{}
				}
				k = r.kind
				g.kinds[k] = k
			}
			r.kind = k
		}
		g.records = append(g.records, r)
	}
	return g.records[:len(g.refs):len(g.refs)]
}

func (s *Store) recordOf(n lineage.NodeRef) nodeRecord {
	switch n.Type {
	case lineage.NodeArtifact:
		if v := s.versions[n.UID]; v != nil {
			return nodeRecord{v: v, kind: v.Kind}
		}
	case lineage.NodeRun:
		return nodeRecord{r: s.runs[lineage.RunKey{Project: n.Project, UID: n.UID}]}
	}
	return nodeRecord{}
}

// snapshot is the store as a lineage.GraphSnapshot; valid while the read
// lock that made it is held.
type snapshot struct {
	s       *Store
	records []nodeRecord // by node id
}

// record returns node id's record; one missing when the cache was filled
// (a node met before its record) is looked up again.
func (v snapshot) record(id int32) nodeRecord {
	r := v.records[id]
	if r.v == nil && r.r == nil {
		r = v.s.recordOf(v.s.graph.refs[id])
	}
	return r
}

func (v snapshot) ID(n lineage.NodeRef) (int32, bool) {
	id, ok := v.s.graph.ids[n]
	return id, ok
}

func (v snapshot) Ref(id int32) lineage.NodeRef { return v.s.graph.refs[id] }

func (v snapshot) AppendPeers(dst, frontier []int32, dir lineage.EdgeDirection, rels []lineage.Relation) []int32 {
	want := relMask(rels)
	lists := v.s.graph.out
	if dir == lineage.Incoming {
		lists = v.s.graph.in
	}
	for _, id := range frontier {
		for _, h := range lists[id] {
			if want[h.rel] {
				dst = append(dst, h.peer)
			}
		}
	}
	return dst
}

func (v snapshot) Kind(id int32) (lineage.Kind, bool) {
	if r := v.record(id); r.v != nil {
		return r.kind, true
	}
	return "", false
}

func (v snapshot) Pipeline(id int32) (string, bool) {
	if r := v.record(id).r; r != nil {
		return r.Pipeline, true
	}
	return "", false
}

// touching returns every edge leaving or entering ref.
func (g *graph) touching(ref lineage.NodeRef) []lineage.Edge {
	nodes := []lineage.NodeRef{ref}
	return append(g.edges(nodes, lineage.Outgoing, nil), g.edges(nodes, lineage.Incoming, nil)...)
}

// removeNodes deletes the given nodes and every edge touching them. Each
// neighbour's lists are filtered once, however many of its edges go.
func (g *graph) removeNodes(refs []lineage.NodeRef) {
	gone := map[int32]bool{}
	for _, r := range refs {
		if id, ok := g.ids[r]; ok {
			gone[id] = true
			delete(g.ids, r)
		}
	}
	peers := map[int32]bool{}
	for id := range gone {
		for _, h := range g.out[id] {
			peers[h.peer] = true
		}
		for _, h := range g.in[id] {
			peers[h.peer] = true
		}
		g.out[id], g.in[id] = nil, nil
		g.refs[id] = lineage.NodeRef{}
		if int(id) < len(g.records) {
			g.records[id] = nodeRecord{}
		}
	}
	drop := func(h halfEdge) bool { return gone[h.peer] }
	for p := range peers {
		if !gone[p] {
			g.out[p] = slices.DeleteFunc(g.out[p], drop)
			g.in[p] = slices.DeleteFunc(g.in[p], drop)
		}
	}
}
