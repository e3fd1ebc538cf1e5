package workload

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// rawBatch is how many raw datasets one unit holds: one request's worth.
const rawBatch = 20

// Generate emits the graph, unit by unit, in wave order; it stops at the
// first error emit returns. The same spec always emits the same units.
func (s Spec) Generate(emit func(Unit) error) error {
	g := &generator{s: s, rng: rand.New(rand.NewPCG(s.Seed, s.Seed^0x9e3779b97f4a7c15)), emit: emit}
	for _, step := range []func() error{g.raw, g.etl, g.features, g.vectors, g.train, g.chain} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

type generator struct {
	s    Spec
	rng  *rand.Rand
	emit func(Unit) error

	pool, recent []Ref // datasets to read: all so far, and the last ETL level's
	featureSets  []Ref
	vecs         []Ref // feature vectors
	branchRun    int   // index of the next run outside the chain
}

func project(i int) string       { return fmt.Sprintf("p%02d", i) }
func etlKey(run, out int) string { return fmt.Sprintf("etl-%06d-%d", run, out) }
func hubRef() Ref                { return Ref{Project: project(0), Kind: KindDataset, Key: "hub-events"} }
func chainRef(step int) Ref {
	return Ref{Project: project(0), Kind: KindDataset, Key: fmt.Sprintf("chain-%02d", step)}
}

// raw emits the hub, the chain's start and the raw datasets, in batches.
func (g *generator) raw() error {
	batch := []Version{g.version(hubRef(), 0, "raw"), g.version(chainRef(0), 0, "raw")}
	for i := 0; i < g.s.RawDatasets; i++ {
		ref := Ref{Project: project(i % g.s.Projects), Kind: KindDataset, Key: fmt.Sprintf("raw-%06d", i)}
		v := g.version(ref, i, "raw")
		v.External = []string{"s3://landing/" + ref.Key + ".csv"}
		batch = append(batch, v)
		g.pool = append(g.pool, ref)
		if len(batch) == rawBatch || i == g.s.RawDatasets-1 {
			if err := g.emit(Unit{Wave: 0, Stage: "raw", Versions: batch}); err != nil {
				return err
			}
			batch = nil
		}
	}
	return nil
}

// version is a version of ref with its labels: the team (of the pipeline,
// or of the raw dataset), the stage, and an environment.
func (g *generator) version(ref Ref, team int, stage string) Version {
	env := []string{"prod", "prod", "staging", "dev"}[g.rng.IntN(4)]
	return Version{Ref: ref, TargetPath: "s3://bench-lake/" + ref.Project + "/" + ref.Key,
		Labels: []Label{{"team", fmt.Sprintf("t%d", team%8)}, {"stage", stage}, {"env", env}}}
}

// newRun starts the next run outside the chain: its pipeline (round robin),
// project, and whether it reads the hub.
func (g *generator) newRun(name string) (r *Run, team int, readsHub bool) {
	i := g.branchRun
	g.branchRun++
	pipeline := i % g.s.Pipelines
	r = &Run{Project: project(pipeline % g.s.Projects), UID: fmt.Sprintf("run-%06d", i), Name: name,
		Pipeline: fmt.Sprintf("pipeline-%04d", pipeline)}
	// Exactly HubConsumers of BranchRuns runs, spread evenly.
	n, h := g.s.BranchRuns(), g.s.HubConsumers()
	return r, pipeline, (i*h)%n < h
}

// pick draws n distinct refs, half of them (when it can) from recent.
func (g *generator) pick(n int, recent, all []Ref) []Ref {
	var out []Ref
	for tries := 0; len(out) < n && tries < 4*n; tries++ {
		from := all
		if len(recent) > 0 && g.rng.IntN(2) == 0 {
			from = recent
		}
		if ref := from[g.rng.IntN(len(from))]; !slices.Contains(out, ref) {
			out = append(out, ref)
		}
	}
	return out
}

// withHub puts the hub among the inputs, in the last place when they are full.
func withHub(inputs []Ref, readsHub bool) []Ref {
	switch {
	case !readsHub:
		return inputs
	case len(inputs) < 5:
		return append(inputs, hubRef())
	default:
		inputs[len(inputs)-1] = hubRef()
		return inputs
	}
}
