package workload

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// shape is what a test counts in a generated graph.
type shape struct {
	Units, Runs, Versions, Edges, HubConsumers, Waves int
	OneLabel, TwoLabels                               int // matches of the label filters in Targets.Project
	Pipelines, Kinds                                  map[string]int
	Digest                                            string
	producer                                          map[Ref]*Run
}

func measure(t *testing.T, s Spec) shape {
	t.Helper()
	sh := shape{Pipelines: map[string]int{}, Kinds: map[string]int{}, producer: map[Ref]*Run{}}
	h := sha256.New()
	enc := json.NewEncoder(h)
	seen := map[Ref]bool{}
	lastWave := -1
	tg := s.Targets()
	err := s.Generate(func(u Unit) error {
		if u.Wave < lastWave {
			return fmt.Errorf("wave %d after wave %d", u.Wave, lastWave)
		}
		lastWave = u.Wave
		sh.Units++
		if err := enc.Encode(u); err != nil {
			return err
		}
		for _, v := range u.Versions {
			if v.Project == tg.Project && hasAll(v.Labels, tg.OneLabel) {
				sh.OneLabel++
			}
			if v.Project == tg.Project && hasAll(v.Labels, tg.TwoLabels) {
				sh.TwoLabels++
			}
		}
		return sh.add(u, seen)
	})
	if err != nil {
		t.Fatal(err)
	}
	sh.Waves = lastWave + 1
	sh.Digest = fmt.Sprintf("%x", h.Sum(nil))[:16]
	return sh
}

// add counts a unit, checking that it names only versions logged before it.
func (sh *shape) add(u Unit, seen map[Ref]bool) error {
	if u.Run != nil {
		sh.Runs++
		sh.Pipelines[u.Run.Pipeline]++
		sh.Edges += len(u.Run.Inputs) + len(u.Versions)
		for _, in := range u.Run.Inputs {
			if !seen[in] {
				return fmt.Errorf("run %s reads %v before it is logged", u.Run.UID, in)
			}
			if in == hubRef() {
				sh.HubConsumers++
			}
		}
	}
	for _, v := range u.Versions {
		for _, r := range append(v.Sources, linkTargets(v.Links)...) {
			if !seen[r] {
				return fmt.Errorf("%v names %v before it is logged", v.Ref, r)
			}
		}
		if seen[v.Ref] {
			return fmt.Errorf("%v logged twice", v.Ref)
		}
		seen[v.Ref] = true
		sh.producer[v.Ref] = u.Run
		sh.Versions++
		sh.Kinds[v.Kind]++
		sh.Edges += len(v.Sources) + len(v.Links)
	}
	return nil
}

// hasAll reports whether labels hold every k=v selector.
func hasAll(labels []Label, selectors []string) bool {
	for _, sel := range selectors {
		k, v, _ := strings.Cut(sel, "=")
		if !slices.Contains(labels, Label{k, v}) {
			return false
		}
	}
	return true
}

func linkTargets(links []Link) []Ref {
	var out []Ref
	for _, l := range links {
		out = append(out, l.To)
	}
	return out
}

// chainHops walks up from ref through the runs that produced each version
// and their first input, counting hops, until a version no run produced.
func (sh shape) chainHops(ref Ref) int {
	hops := 0
	for r := sh.producer[ref]; r != nil; r = sh.producer[ref] {
		ref = r.Inputs[0]
		hops += 2
	}
	return hops
}

func TestSmallShape(t *testing.T) {
	s, err := Sized("small", 1)
	if err != nil {
		t.Fatal(err)
	}
	sh := measure(t, s)
	t.Logf("units %d, runs %d, versions %d, edges %d, hub consumers %d, waves %d, kinds %v, label matches %d and %d",
		sh.Units, sh.Runs, sh.Versions, sh.Edges, sh.HubConsumers, sh.Waves, sh.Kinds, sh.OneLabel, sh.TwoLabels)
	// Seed 1's figures: the generator's output is part of the benchmark, so
	// a change to it shows here.
	want := map[string]int{"runs": 2036, "pipelines": 20, "hub consumers": 1005, "versions": 9766,
		"edges": 25366, "waves": 51, "one label": 394, "two labels": 147}
	got := map[string]int{"runs": sh.Runs, "pipelines": len(sh.Pipelines), "hub consumers": sh.HubConsumers,
		"versions": sh.Versions, "edges": sh.Edges, "waves": sh.Waves, "one label": sh.OneLabel, "two labels": sh.TwoLabels}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %d, want %d", k, got[k], w)
		}
	}
	if hops := sh.chainHops(s.Targets().Leaf); hops != 72 {
		t.Errorf("chain: %d hops from the leaf up, want 72", hops)
	}
	if hops := sh.chainHops(s.Targets().MidChain); hops != 36 {
		t.Errorf("mid-chain: %d hops up, want 36", hops)
	}
	if sh.Kinds[KindModel] != s.TrainRuns || sh.Kinds[KindPlot] != s.TrainRuns*s.ChartsPerModel {
		t.Errorf("kinds: %v", sh.Kinds)
	}
}

func TestDeterministic(t *testing.T) {
	a, _ := Sized("small", 7)
	b, _ := Sized("small", 8)
	first, again, other := measure(t, a), measure(t, a), measure(t, b)
	if first.Digest != again.Digest {
		t.Errorf("the same seed gave %s, then %s", first.Digest, again.Digest)
	}
	if first.Digest == other.Digest {
		t.Errorf("seeds 7 and 8 gave the same graph %s", first.Digest)
	}
}

// TestMediumCounts logs medium's figures (run with -v); it checks only
// what holds by construction.
func TestMediumCounts(t *testing.T) {
	if testing.Short() {
		return
	}
	s, _ := Sized("medium", 1)
	sh := measure(t, s)
	t.Logf("medium: runs %d, versions %d, edges %d, hub consumers %d", sh.Runs, sh.Versions, sh.Edges, sh.HubConsumers)
	if sh.Runs != 20036 || sh.HubConsumers != 10054 {
		t.Errorf("medium: %d runs, %d read the hub; want 20036 and 10054", sh.Runs, sh.HubConsumers)
	}
}
