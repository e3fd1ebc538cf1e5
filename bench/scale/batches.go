package main

import "github.com/artigraph/artigraph/bench/workload"

// batches splits a unit's versions, in order, into logArtifacts calls: a
// call takes each key once, and every version a version points at (source,
// link) must be logged by an earlier call.
func batches(vs []workload.Version) [][]workload.Version {
	var out [][]workload.Version
	in := map[workload.Ref]bool{} // the keys of the batch being filled
	for _, v := range vs {
		fresh := len(out) == 0 || in[v.Ref]
		for _, s := range v.Sources {
			fresh = fresh || in[s]
		}
		for _, l := range v.Links {
			fresh = fresh || in[l.To]
		}
		if fresh {
			out = append(out, nil)
			in = map[workload.Ref]bool{}
		}
		out[len(out)-1] = append(out[len(out)-1], v)
		in[v.Ref] = true
	}
	return out
}
