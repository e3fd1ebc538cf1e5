package lineage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// memGraph is an edge list: Expand by scanning it, and, as a Peeker,
// HasUnheld by scanning it too, counting the calls.
type memGraph struct {
	edges          []Edge
	expands, peeks int
}

func (m *memGraph) Expand(_ context.Context, frontier []NodeRef, dir EdgeDirection, rels []Relation) ([]Edge, error) {
	m.expands++
	var out []Edge
	for _, n := range frontier {
		for _, e := range m.edges {
			near := e.From
			if dir == Incoming {
				near = e.To
			}
			if near == n && slices.Contains(rels, e.Relation) {
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// peeker is memGraph as a Peeker.
type peeker struct{ *memGraph }

func (p peeker) HasUnheld(ctx context.Context, frontier []NodeRef, dir EdgeDirection, rels []Relation, held func(NodeRef) bool) (bool, error) {
	p.peeks++
	es, _ := p.memGraph.Expand(ctx, frontier, dir, rels)
	p.expands-- // not an expansion
	for _, e := range es {
		if far := (step{dir, rels}).far(e); !held(far) {
			return true, nil
		}
	}
	return false, nil
}

// TestTraverseWithPeeker checks that an expander's HasUnheld, used past
// Depth instead of reading the edges, gives the answer Traverse gives over
// the edges alone, on random graphs with diamonds, cycles and links, and
// that it is asked only there.
func TestTraverseWithPeeker(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	nodes, m := randomGraph(rng, []string{"p", "q"}, 90)
	ctx := t.Context()
	var truncated int
	for i := range 300 {
		q := LineageQuery{
			Start:     nodes[rng.IntN(len(nodes))],
			Direction: []Direction{Upstream, Downstream}[rng.IntN(2)],
			Depth:     rng.IntN(6),
			Limit:     1 + rng.IntN(25),
		}
		want, err := Traverse(ctx, EdgesFunc(func(ctx context.Context, ns []NodeRef, dir EdgeDirection, rels ...Relation) ([]Edge, error) {
			return m.Expand(ctx, ns, dir, rels)
		}), q)
		if err != nil {
			t.Fatal(err)
		}
		m.expands, m.peeks = 0, 0
		got, err := TraverseWith(ctx, peeker{m}, q)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("query %d %+v:\n got %+v\nwant %+v", i, q, got, want)
		}
		levels := 0 // levels expanded: those below Depth with nodes in them
		for _, n := range got.Nodes {
			levels = max(levels, n.Depth+1)
		}
		levels = min(levels, q.Depth)
		if m.expands != 2*levels {
			t.Errorf("query %d %+v: %d expansions, want %d", i, q, m.expands, 2*levels)
		}
		if m.peeks > 2 {
			t.Errorf("query %d %+v: %d peeks, want at most 2", i, q, m.peeks)
		}
		if got.Truncated {
			truncated++
		}
	}
	if truncated == 0 || truncated == 300 {
		t.Errorf("%d of 300 answers truncated: the queries do not exercise the cut", truncated)
	}
}

// randomGraph returns 40 nodes (every third a run), of the projects in
// turn, and edges random ends and relations between them (a link named
// "chart"): diamonds, cycles and links.
func randomGraph(rng *rand.Rand, projects []string, edges int) ([]NodeRef, *memGraph) {
	rels := []Relation{RelConsumed, RelProduced, RelDerivedFrom, RelLinksTo}
	var nodes []NodeRef
	for i := range 40 {
		typ := NodeArtifact
		if i%3 == 0 {
			typ = NodeRun
		}
		nodes = append(nodes, NodeRef{Type: typ, Project: projects[i%len(projects)], UID: fmt.Sprintf("n%02d", i)})
	}
	m := &memGraph{}
	for range edges {
		e := Edge{From: nodes[rng.IntN(len(nodes))], To: nodes[rng.IntN(len(nodes))], Relation: rels[rng.IntN(len(rels))]}
		if e.Relation == RelLinksTo {
			e.Name = "chart"
		}
		m.edges = append(m.edges, e)
	}
	return nodes, m
}
