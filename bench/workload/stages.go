package workload

import "fmt"

// etl emits the ETL levels: each run reads 1–5 datasets (half from the
// previous level) and writes 1–3, each derived from what it read.
func (g *generator) etl() error {
	per := g.s.ETLRuns / g.s.ETLLevels
	for level := 0; level < g.s.ETLLevels; level++ {
		n := per
		if level == g.s.ETLLevels-1 {
			n = g.s.ETLRuns - per*(g.s.ETLLevels-1)
		}
		var outs []Ref
		for k := 0; k < n; k++ {
			run, team, hub := g.newRun("etl")
			run.Inputs = withHub(g.pick(1+g.rng.IntN(5), g.recent, g.pool), hub)
			u := Unit{Wave: g.s.waveETL(level), Stage: "etl", Run: run}
			for o, m := 0, 1+g.rng.IntN(3); o < m; o++ {
				v := g.version(Ref{Project: run.Project, Kind: KindDataset, Key: etlKey(g.branchRun-1, o)}, team, "etl")
				v.Sources = run.Inputs
				u.Versions = append(u.Versions, v)
				outs = append(outs, v.Ref)
			}
			if err := g.emit(u); err != nil {
				return err
			}
		}
		g.pool, g.recent = append(g.pool, outs...), outs
	}
	return nil
}

// features emits runs turning 1–5 datasets into 1–3 feature sets.
func (g *generator) features() error {
	for k := 0; k < g.s.FeatureSetRuns; k++ {
		run, team, hub := g.newRun("featurize")
		run.Inputs = withHub(g.pick(1+g.rng.IntN(5), g.recent, g.pool), hub)
		u := Unit{Wave: g.s.waveFeatures(), Stage: "feature", Run: run}
		for o, m := 0, 1+g.rng.IntN(3); o < m; o++ {
			key := fmt.Sprintf("fs-%06d-%d", g.branchRun-1, o)
			v := g.version(Ref{Project: run.Project, Kind: KindFeatureSet, Key: key}, team, "feature")
			v.Sources = run.Inputs
			u.Versions = append(u.Versions, v)
			g.featureSets = append(g.featureSets, v.Ref)
		}
		if err := g.emit(u); err != nil {
			return err
		}
	}
	return nil
}

// vectors emits runs joining 2–4 feature sets into a feature vector.
func (g *generator) vectors() error {
	for k := 0; k < g.s.VectorRuns; k++ {
		run, team, hub := g.newRun("vectorize")
		run.Inputs = g.pick(2+g.rng.IntN(3), nil, g.featureSets)
		v := g.version(Ref{Project: run.Project, Kind: KindFeatureVector, Key: fmt.Sprintf("fv-%06d", g.branchRun-1)}, team, "vector")
		v.Sources = run.Inputs
		run.Inputs = withHub(run.Inputs, hub)
		g.vecs = append(g.vecs, v.Ref)
		if err := g.emit(Unit{Wave: g.s.waveVectors(), Stage: "vector", Run: run, Versions: []Version{v}}); err != nil {
			return err
		}
	}
	return nil
}

// train emits training runs: a vector in; charts, a metrics table and a
// model derived from the vector and linking to each chart out.
func (g *generator) train() error {
	for k := 0; k < g.s.TrainRuns; k++ {
		run, team, hub := g.newRun("train")
		i := g.branchRun - 1
		vector := g.vecs[g.rng.IntN(len(g.vecs))]
		run.Inputs = withHub([]Ref{vector}, hub)
		u := Unit{Wave: g.s.waveTrain(), Stage: "train", Run: run}
		model := g.version(Ref{Project: run.Project, Kind: KindModel, Key: fmt.Sprintf("model-%06d", i)}, team, "train")
		model.Sources = []Ref{vector}
		for c := 0; c < g.s.ChartsPerModel; c++ {
			chart := g.version(Ref{Project: run.Project, Kind: KindPlot, Key: fmt.Sprintf("chart-%06d-%d", i, c)}, team, "chart")
			u.Versions = append(u.Versions, chart)
			model.Links = append(model.Links, Link{Relation: "chart", To: chart.Ref})
		}
		metrics := g.version(Ref{Project: run.Project, Kind: KindTable, Key: fmt.Sprintf("metrics-%06d", i)}, team, "train")
		u.Versions = append(u.Versions, metrics, model)
		if err := g.emit(u); err != nil {
			return err
		}
	}
	return nil
}

// chain emits the chain: step i reads step i-1's output (and one dataset
// of the pool) and writes step i's, two hops further; one wave a step.
func (g *generator) chain() error {
	for step := 1; step <= g.s.ChainRuns; step++ {
		side := g.pool[g.rng.IntN(len(g.pool))]
		run := &Run{Project: project(0), UID: fmt.Sprintf("chain-%02d", step), Name: "chain",
			Pipeline: "pipeline-0000", Inputs: []Ref{chainRef(step - 1), side}}
		v := g.version(chainRef(step), 0, "etl")
		if err := g.emit(Unit{Wave: g.s.waveChain(step), Stage: "chain", Run: run, Versions: []Version{v}}); err != nil {
			return err
		}
	}
	return nil
}
