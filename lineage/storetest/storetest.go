// Package storetest is the conformance suite of lineage.Store: every backend
// runs it, so that they all behave alike. Tests go through the interface
// only and read as a user's steps; each opens a fresh, empty store.
//
// A backend's test calls Run:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) lineage.Store {
//			s := open(t) // a fresh, empty store
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// and may call Bench from a benchmark to compare backends.
package storetest

import (
	"testing"

	"github.com/artigraph/artigraph/lineage"
)

// A test is one named behaviour, checked on a fresh store.
type test struct {
	name string
	fn   func(t *testing.T, s lineage.Store)
}

// Run runs every test of the suite against stores that open returns. open
// must return a fresh, empty store on each call and register its cleanup.
func Run(t *testing.T, open func(t *testing.T) lineage.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Store", storeTests},
		{"Projects", projectTests},
		{"Runs", runTests},
		{"Versions", versionTests},
		{"PutVersions", batchTests},
		{"Tags", tagTests},
		{"Edges", edgeTests},
		{"ListVersions", listTests},
		{"DeleteVersions", deleteTests},
		{"Amend", amendTests},
		{"Lineage", lineageTests},
		{"Tokens", tokenTests},
		{"Concurrency", concurrencyTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					tc.fn(t, open(t))
				})
			}
		})
	}
}

var storeTests = []test{
	{"Ping", testPing},
	{"CloseThenCallsFail", testClose},
}

func testPing(t *testing.T, s lineage.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping on an open store: %v", err)
	}
}

func testClose(t *testing.T, s lineage.Store) {
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Ping(t.Context()); err == nil {
		t.Fatal("Ping after Close succeeded, want an error")
	}
}
