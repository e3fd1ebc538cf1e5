package workload

import (
	"fmt"
	"math"
)

// Spec sets the graph's size and shape; Sized gives the benchmark's sizes.
type Spec struct {
	Seed           uint64
	Projects       int
	Pipelines      int
	RawDatasets    int // logged outside any run, the hub and the chain's start aside
	ETLRuns        int // 1–5 inputs, 1–3 datasets out, each derived from the inputs
	ETLLevels      int // ETL runs read raw data and the outputs of earlier levels
	FeatureSetRuns int // 1–5 datasets in, 1–3 feature sets out
	VectorRuns     int // 2–4 feature sets in, one feature vector out
	TrainRuns      int // a vector in; charts, a metrics table and a model linking to the charts out
	ChartsPerModel int
	ChainRuns      int // each consumes the previous one's output: 2 hops a run
	// HubShare of the runs outside the chain consume the hub dataset.
	HubShare float64
}

// Sizes names the benchmark's sizes, smallest first.
var Sizes = []string{"small", "medium", "large"}

// Sized returns the spec of a named size: medium is about 100k versions
// and 20k runs; small a tenth of it (for CI), large ten times.
func Sized(name string, seed uint64) (Spec, error) {
	factor := map[string]float64{"small": 0.1, "medium": 1, "large": 10}[name]
	if factor == 0 {
		return Spec{}, fmt.Errorf("unknown size %q (want small, medium or large)", name)
	}
	n := func(medium int) int { return int(math.Round(float64(medium) * factor)) }
	return Spec{
		Seed: seed, Projects: 10, Pipelines: n(200),
		RawDatasets: n(40000), ETLRuns: n(14000), ETLLevels: 10,
		FeatureSetRuns: n(2000), VectorRuns: n(1000), TrainRuns: n(3000), ChartsPerModel: 6,
		ChainRuns: 36, HubShare: 10054.0 / 20000,
	}, nil
}

// BranchRuns counts the runs outside the chain, the ones that may read the hub.
func (s Spec) BranchRuns() int { return s.ETLRuns + s.FeatureSetRuns + s.VectorRuns + s.TrainRuns }

// HubConsumers is how many runs consume the hub.
func (s Spec) HubConsumers() int { return int(math.Round(float64(s.BranchRuns()) * s.HubShare)) }

// Wave numbers: raw data first, then one wave per ETL level, features,
// vectors, training, and one wave per chain step.
func (s Spec) waveETL(level int) int { return 1 + level }
func (s Spec) waveFeatures() int     { return 1 + s.ETLLevels }
func (s Spec) waveVectors() int      { return 2 + s.ETLLevels }
func (s Spec) waveTrain() int        { return 3 + s.ETLLevels }
func (s Spec) waveChain(step int) int {
	return 4 + s.ETLLevels + step
}

// ETLWave reports whether wave w is an ETL level.
func (s Spec) ETLWave(w int) bool { return w >= s.waveETL(0) && w < s.waveETL(s.ETLLevels) }

// SingleClientWave is the wave loaders log with one client, to measure
// single-client ingest on the same kind of work as the rest: ETL level 0.
func (s Spec) SingleClientWave() int { return s.waveETL(0) }

// TimeRangeWave is the wave whose versions a time-range query asks for: a
// middle ETL level. Stores stamp versions with their own clocks, so each
// loader records when it logged this wave.
func (s Spec) TimeRangeWave() int { return s.waveETL(s.ETLLevels / 2) }

// Targets are the nodes and filters the queries start from.
type Targets struct {
	Artifact  Ref      // an ETL output, for artifact(uri)
	Project   string   // the project the label and time filters list
	OneLabel  []string // k=v selectors
	TwoLabels []string
	Hub       Ref // consumed by HubConsumers runs
	MidChain  Ref // the chain's middle: 36 hops from either end
	Leaf      Ref // the chain's end: nothing downstream
}

// Targets returns the query targets of the graph s generates.
func (s Spec) Targets() Targets {
	p := project(3)
	return Targets{
		Artifact:  Ref{Project: project(0), Kind: KindDataset, Key: etlKey(0, 0)}, // run 0 is in pipeline 0, project 0
		Project:   p,
		OneLabel:  []string{"team=t3"},
		TwoLabels: []string{"team=t3", "stage=etl"},
		Hub:       hubRef(),
		MidChain:  chainRef(s.ChainRuns / 2),
		Leaf:      chainRef(s.ChainRuns),
	}
}
