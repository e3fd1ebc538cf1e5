package main

import (
	"fmt"
	"sync"
	"testing"

	"github.com/artigraph/artigraph/bench/workload"
)

// TestLoadOrder checks that the concurrent load logs a unit only once every
// version it names is logged, the guarantee the waves give the loaders.
func TestLoadOrder(t *testing.T) {
	s, err := workload.Sized("small", 1)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	logged := map[workload.Ref]bool{}
	check := func(u workload.Unit) error {
		mu.Lock()
		defer mu.Unlock()
		var named []workload.Ref
		if u.Run != nil {
			named = append(named, u.Run.Inputs...)
		}
		for _, v := range u.Versions {
			named = append(named, v.Sources...)
			for _, l := range v.Links {
				named = append(named, l.To)
			}
		}
		for _, r := range named {
			if !logged[r] && !inUnit(u, r) {
				return fmt.Errorf("wave %d names %v before it is logged", u.Wave, r)
			}
		}
		for _, v := range u.Versions {
			logged[v.Ref] = true
		}
		return nil
	}
	in, err := load(s, 8, check)
	if err != nil {
		t.Fatal(err)
	}
	if in.Versions != 9766 || in.Runs != 2036 || !in.WindowEnd.After(in.WindowStart) {
		t.Errorf("load counted %d versions, %d runs, window %v–%v", in.Versions, in.Runs, in.WindowStart, in.WindowEnd)
	}
}

// inUnit reports whether r is logged by u itself (a model's charts).
func inUnit(u workload.Unit, r workload.Ref) bool {
	for _, v := range u.Versions {
		if v.Ref == r {
			return true
		}
	}
	return false
}

func TestBatchesKeepKeysApartAndReferencesEarlier(t *testing.T) {
	ref := func(k string) workload.Ref { return workload.Ref{Project: "p", Kind: workload.KindPlot, Key: k} }
	v := func(k string, links ...string) workload.Version {
		out := workload.Version{Ref: ref(k)}
		for _, l := range links {
			out.Links = append(out.Links, workload.Link{Relation: "chart", To: ref(l)})
		}
		return out
	}
	got := batches([]workload.Version{v("a"), v("b"), v("m", "a", "b"), v("c"), v("c"), v("d")})
	var shape [][]string
	for _, b := range got {
		var keys []string
		for _, x := range b {
			keys = append(keys, x.Key)
		}
		shape = append(shape, keys)
	}
	want := [][]string{{"a", "b"}, {"m", "c"}, {"c", "d"}}
	if fmt.Sprint(shape) != fmt.Sprint(want) {
		t.Errorf("batches: %v, want %v", shape, want)
	}
}
