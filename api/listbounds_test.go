package api_test

import (
	"fmt"
	"testing"
)

// Security issue #8: the lists inside a version (sources, consumers, links,
// linkedFrom) take a `first` bound, are cut to it before what they point to
// loads, and are costed by it, so that a page of hub versions cannot fan out
// into unbounded work.

// TestListBoundsCostNestedConsumers checks that a page of versions each
// listing its consumers is costed by the consumers' bound (100 by default),
// not by a guess, and so is refused.
func TestListBoundsCostNestedConsumers(t *testing.T) {
	s := newServer(t)
	// 1000 versions × (1 + 100 consumers) is over 50000; with the old
	// guess of 10 consumers each it was about 13000, and ran.
	for _, q := range []string{
		`{ artifacts(project: "p", first: 1000) { edges { node { consumers { uid } } } } }`,
		`{ artifacts(project: "p", first: 1000) { edges { node { sources { uid } } } } }`,
		`{ artifacts(project: "p", first: 1000) { edges { node { links { relation } } } } }`,
		`{ artifacts(project: "p", first: 1000) { edges { node { linkedFrom { relation } } } } }`,
		// An explicit bound is costed as given.
		`{ artifacts(project: "p", first: 100) { edges { node { consumers(first: 1000) { uid } } } } }`,
	} {
		s.wantCode(t, "LIMIT_EXCEEDED", q, nil)
	}
	// Small bounds stay affordable: 1000 × (1 + 2 × 2) plus the edges.
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	s.mustDo(t, `{ artifacts(project: "p", first: 1000) { edges { node { consumers(first: 2) { uid name } } } } }`, nil, nil)
	s.mustDo(t, `{ artifacts(project: "p", first: 10) { edges { node { consumers { uid } sources { uid } } } } }`, nil, nil)
}

// hub logs a dataset "hub" that 5 runs read, that is derived from 5
// datasets, that links to 5 charts and that 5 models link to.
func hub(t *testing.T, s *testServer) {
	t.Helper()
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	var srcs []string
	for i := range 5 {
		key := fmt.Sprintf("src%d", i)
		s.mustDo(t, `mutation($key: String!) { logArtifact(input: {project: "p", key: $key, kind: DATASET, body: $key}) { uri } }`,
			map[string]any{"key": key}, nil)
		srcs = append(srcs, "store://datasets/p/"+key)
		chart := fmt.Sprintf("chart%d", i)
		s.mustDo(t, `mutation($key: String!) { logArtifact(input: {project: "p", key: $key, kind: PLOT, body: $key}) { uri } }`,
			map[string]any{"key": chart}, nil)
	}
	var links []map[string]any
	for i := range 5 {
		links = append(links, map[string]any{"relation": fmt.Sprintf("chart%d", i), "uri": fmt.Sprintf("store://artifacts/p/chart%d", i)})
	}
	s.mustDo(t, `mutation($srcs: [String!], $links: [LinkInput!]) { logArtifact(input: {project: "p", key: "hub", kind: DATASET,
		body: "hub", sources: $srcs, links: $links}) { uri } }`, map[string]any{"srcs": srcs, "links": links}, nil)
	for i := range 5 {
		uid := fmt.Sprintf("run%d", i)
		s.mustDo(t, `mutation($uid: String!) { startRun(input: {project: "p", name: "train", uid: $uid,
			inputs: ["store://datasets/p/hub"]}) { uid } }`, map[string]any{"uid": uid}, nil)
		s.mustDo(t, `mutation($key: String!) { logArtifact(input: {project: "p", key: $key, kind: MODEL, body: $key,
			links: [{relation: "data", uri: "store://datasets/p/hub"}]}) { uri } }`,
			map[string]any{"key": fmt.Sprintf("model%d", i)}, nil)
	}
}

// TestListBoundsFirst checks each list returns at most `first` items, all of
// them when omitted (the default, 100, is above 5), and refuses a bound over
// the maximum or under zero as Run.inputs does.
func TestListBoundsFirst(t *testing.T) {
	s := newServer(t)
	hub(t, s)
	for _, tc := range []struct{ field, sel string }{
		{"consumers", "uid"},
		{"sources", "uid"},
		{"links", "relation target { uid }"},
		{"linkedFrom", "relation target { uid }"},
	} {
		t.Run(tc.field, func(t *testing.T) {
			count := func(args string) int {
				t.Helper()
				var out struct {
					Artifact map[string][]map[string]any
				}
				s.mustDo(t, fmt.Sprintf(`{ artifact(uri: "store://datasets/p/hub") { %s%s { %s } } }`, tc.field, args, tc.sel), nil, &out)
				items := out.Artifact[tc.field]
				seen := map[string]bool{}
				for _, it := range items {
					id := fmt.Sprint(it)
					if seen[id] {
						t.Errorf("%s%s: %v twice", tc.field, args, it)
					}
					seen[id] = true
				}
				return len(items)
			}
			if n := count(""); n != 5 {
				t.Errorf("%s: %d items, want all 5", tc.field, n)
			}
			if n := count("(first: 2)"); n != 2 {
				t.Errorf("%s(first: 2): %d items, want 2", tc.field, n)
			}
			if n := count("(first: 0)"); n != 0 {
				t.Errorf("%s(first: 0): %d items, want 0", tc.field, n)
			}
			if n := count("(first: 1000)"); n != 5 {
				t.Errorf("%s(first: 1000): %d items, want 5", tc.field, n)
			}
			q := `{ artifact(uri: "store://datasets/p/hub") { %s(first: %d) { %s } } }`
			s.wantCode(t, "LIMIT_EXCEEDED", fmt.Sprintf(q, tc.field, 1001, tc.sel), nil)
			s.wantCode(t, "INVALID_ARGUMENT", fmt.Sprintf(q, tc.field, -1, tc.sel), nil)
		})
	}
	// Run.inputs answers the same to the same bounds.
	q := `{ run(project: "p", uid: "run0") { inputs(first: %d) { uid } } }`
	s.wantCode(t, "LIMIT_EXCEEDED", fmt.Sprintf(q, 1001), nil)
	s.wantCode(t, "INVALID_ARGUMENT", fmt.Sprintf(q, -1), nil)
}
