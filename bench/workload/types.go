// Package workload generates a seeded, deterministic ML lineage graph for the
// scale benchmark: raw datasets, ETL runs, feature sets, feature vectors,
// models with linked charts, a long chain and one hub dataset. It emits a
// neutral description, unit by unit, that every loader (the Service, the
// GraphQL API, ML Metadata) reads the same way, so no loader needs the whole
// graph in memory.
package workload

// Kinds of versions, spelled as Artigraph's GraphQL enum.
const (
	KindDataset       = "DATASET"
	KindFeatureSet    = "FEATURE_SET"
	KindFeatureVector = "FEATURE_VECTOR"
	KindModel         = "MODEL"
	KindPlot          = "PLOT"
	KindTable         = "TABLE"
)

// Ref names a version: every key is logged once, so project, kind and key
// name exactly one version.
type Ref struct {
	Project string `json:"project"`
	Kind    string `json:"kind"`
	Key     string `json:"key"`
}

// Label is one key=value label.
type Label struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Link points from a version to another (LINKS_TO), e.g. a model to a chart.
type Link struct {
	Relation string `json:"relation"`
	To       Ref    `json:"to"`
}

// Version is one artifact version to log.
type Version struct {
	Ref
	Labels     []Label  `json:"labels"`
	Sources    []Ref    `json:"sources,omitempty"`  // DERIVED_FROM
	External   []string `json:"external,omitempty"` // sources outside the store
	Links      []Link   `json:"links,omitempty"`
	TargetPath string   `json:"targetPath"` // data in place: nothing is uploaded
}

// Run is one job run and what it consumed.
type Run struct {
	Project  string `json:"project"`
	UID      string `json:"uid"`
	Name     string `json:"name"`
	Pipeline string `json:"pipeline"`
	Inputs   []Ref  `json:"inputs"`
}

// Unit is what one client logs in one go: a run and its outputs in order
// (a model after the charts it links to), or versions logged outside any
// run (Run nil). Units of one wave depend only on earlier waves, so a
// loader may log them concurrently once the previous wave is done.
type Unit struct {
	Wave     int       `json:"wave"`
	Stage    string    `json:"stage"`
	Run      *Run      `json:"run,omitempty"`
	Versions []Version `json:"versions"`
}
