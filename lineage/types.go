package lineage

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Label is a key with an optional value ("k" or "k=v" in filters).
type Label struct {
	Key   string  `json:"key"`
	Value *string `json:"value,omitempty"`
}

// Project groups artifacts and runs; its artifact path outranks the server's.
type Project struct {
	Name         string    `json:"name"`
	Description  string    `json:"description,omitempty"`
	ArtifactPath string    `json:"artifactPath,omitempty"`
	Labels       []Label   `json:"labels,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
}

// RunState is a run's lifecycle state; the values are the GraphQL enum's names.
type RunState string

const (
	RunRunning   RunState = "RUNNING"
	RunCompleted RunState = "COMPLETED"
	RunFailed    RunState = "FAILED"
	RunAborted   RunState = "ABORTED"
)

// Valid reports whether s is a known state.
func (s RunState) Valid() bool {
	switch s {
	case RunRunning, RunCompleted, RunFailed, RunAborted:
		return true
	}
	return false
}

// RunKey identifies a run: uids are unique within a project.
type RunKey struct {
	Project string `json:"project"`
	UID     string `json:"uid"`
}

// Run is one execution of a job. It consumed its inputs (CONSUMED edges) and
// produced what it logged (PRODUCED edges).
type Run struct {
	Project      string     `json:"project"`
	UID          string     `json:"uid"`
	Name         string     `json:"name"`
	State        RunState   `json:"state"`
	User         string     `json:"user,omitempty"`
	Pipeline     string     `json:"pipeline,omitempty"`
	ArtifactPath string     `json:"artifactPath"` // resolved: templates filled in
	Labels       []Label    `json:"labels,omitempty"`
	StartedAt    time.Time  `json:"startedAt"`
	FinishedAt   *time.Time `json:"finishedAt,omitempty"`
}

// Key returns the run's identity.
func (r Run) Key() RunKey { return RunKey{Project: r.Project, UID: r.UID} }

// DatasetInfo is a dataset's type-specific metadata.
type DatasetInfo struct {
	Schema  json.RawMessage `json:"schema,omitempty"`
	Header  []string        `json:"header,omitempty"`
	Length  *int            `json:"length,omitempty"`
	Preview [][]any         `json:"preview,omitempty"`
	Stats   json.RawMessage `json:"stats,omitempty"`
}

// ModelInfo is a model's type-specific metadata.
type ModelInfo struct {
	ModelFile     string          `json:"modelFile,omitempty"`
	Framework     string          `json:"framework,omitempty"`
	Algorithm     string          `json:"algorithm,omitempty"`
	Metrics       json.RawMessage `json:"metrics,omitempty"`
	Parameters    json.RawMessage `json:"parameters,omitempty"`
	FeatureVector string          `json:"featureVector,omitempty"`
}

// Version is one immutable version of an artifact (project, key). Tags are
// the only part that changes after it is written; relations to other nodes
// (sources, links, consumers) are edges, read with Store.Edges.
type Version struct {
	UID         string   `json:"uid"`
	Project     string   `json:"project"`
	Key         string   `json:"key"`
	Kind        Kind     `json:"kind"`
	Iteration   int      `json:"iteration"`
	Tree        string   `json:"tree,omitempty"` // the producing run's uid, MLRun's "tree"
	Tags        []string `json:"tags,omitempty"`
	Labels      []Label  `json:"labels,omitempty"`
	Description string   `json:"description,omitempty"`

	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"` // moves when tags change

	TargetPath string `json:"targetPath"`
	Format     string `json:"format,omitempty"`
	Size       *int64 `json:"size,omitempty"` // nil when nothing was uploaded
	Hash       string `json:"hash,omitempty"` // "sha256:<hex>" of uploaded content
	// Stored is true when Artigraph wrote the blob (and may delete it); false
	// when the log named data already in place.
	Stored bool `json:"stored,omitempty"`

	Run             *RunKey         `json:"run,omitempty"` // producer run, if any
	Producer        Producer        `json:"producer"`
	Owner           string          `json:"owner,omitempty"`
	ExternalSources []string        `json:"externalSources,omitempty"`
	Dataset         *DatasetInfo    `json:"dataset,omitempty"`
	Model           *ModelInfo      `json:"model,omitempty"`
	Extra           json.RawMessage `json:"extra,omitempty"`
}

// HasTag reports whether v holds tag.
func (v Version) HasTag(tag string) bool {
	for _, t := range v.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// TagLatest is the tag every new version takes.
const TagLatest = "latest"

// Producer says what made a version: a run (Kind "run", Name the run's name,
// URI "<project>/<uid>", Owner its user) or, for a log outside any run, the
// project (Kind "project", Name the project).
type Producer struct {
	Kind  string `json:"kind" yaml:"kind"`
	Name  string `json:"name" yaml:"name"`
	URI   string `json:"uri,omitempty" yaml:"uri,omitempty"`
	Owner string `json:"owner,omitempty" yaml:"owner,omitempty"`
}

// SortLabels orders labels by key, for stable output.
func SortLabels(ls []Label) {
	slices.SortFunc(ls, func(a, b Label) int { return strings.Compare(a.Key, b.Key) })
}
