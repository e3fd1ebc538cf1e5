package embedded

import (
	"slices"

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
	var want [len(relations)]bool
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
	}
	drop := func(h halfEdge) bool { return gone[h.peer] }
	for p := range peers {
		if !gone[p] {
			g.out[p] = slices.DeleteFunc(g.out[p], drop)
			g.in[p] = slices.DeleteFunc(g.in[p], drop)
		}
	}
}
