package openlineage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strings"

	"github.com/artigraph/artigraph/lineage"
)

// The mapping, event by event:
//
//	job.namespace            → project (created on first sight); mapped by ProjectName
//	run.runId                → run uid
//	job.name                 → run name (RunName)
//	run.facets.parent.job    → run pipeline (RunName of its name)
//	START, RUNNING           → RUNNING; COMPLETE → COMPLETED; FAIL → FAILED; ABORT → ABORTED
//	eventTime                → startedAt (earliest event of the run), finishedAt (final state)
//	inputs[]                 → CONSUMED: the DATASET version current at the run's start
//	                           (or the one the version facet names), a placeholder if none
//	outputs[] of COMPLETE    → a new DATASET version PRODUCED by the run, DERIVED_FROM the inputs
//
// lineage.RecordRun and lineage.RecordDataset keep the result independent
// of the order events arrive in.
//	facets.schema            → dataset schema (and header)
//	facets.dataSource.uri    → external source
//	facets.ownership         → owner (first owner's name)
//	facets.documentation     → description
//	facets.version           → label datasetVersion=<datasetVersion>
//	every facet (and input/output facets) → extra.openlineage, exported as sent
//
// A DatasetEvent records an observed version of its dataset in the project of
// the dataset's namespace; a JobEvent one of each of its datasets in the
// project of the job's namespace.

// ProjectName maps a namespace to a project name: itself when it is a valid
// project name, else a lowercase slug of it (letters, digits, '-') and '-'
// with 8 hex digits of its sha256, so the mapping is deterministic and two
// namespaces never share a project.
func ProjectName(namespace string) string {
	if lineage.ValidateProjectName(namespace) == nil {
		return namespace
	}
	slug := lineage.Slug(strings.ToLower(namespace), lineage.MaxProjectNameLen-9, "-")
	return joinHash(slug, namespace, 8, "ns")
}

// RunName maps a job name to a run name (and a parent job's to a
// pipeline): itself when valid, else a slug and '-' with 12 hex digits of
// its sha256.
func RunName(name string) string {
	if validRunName(name) {
		return name
	}
	return joinHash(lineage.Slug(name, 128-13, "-_."), name, 12, "job")
}

func validRunName(name string) bool {
	return (lineage.StartRunRequest{Name: name}).Validate() == nil
}

func joinHash(slug, of string, n int, empty string) string {
	sum := sha256.Sum256([]byte(of))
	h := hex.EncodeToString(sum[:])[:n]
	if slug == "" {
		slug = empty
	}
	return slug + "-" + h
}

var runStates = map[string]lineage.RunState{
	"START": lineage.RunRunning, "RUNNING": lineage.RunRunning, "COMPLETE": lineage.RunCompleted,
	"FAIL": lineage.RunFailed, "ABORT": lineage.RunAborted,
}

// Ingest writes validated events: the projects first (so a token that may
// not write one is refused before anything else is written), then the
// events in eventTime order (a batch gives the same result in any order).
func Ingest(ctx context.Context, svc *lineage.Service, events []*Event) error {
	ordered := append([]*Event(nil), events...)
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].time.Before(ordered[j].time) })
	seen := map[string]bool{}
	for _, e := range ordered {
		ns := e.namespace()
		if seen[ns] {
			continue
		}
		seen[ns] = true
		if _, err := svc.EnsureProject(ctx, ProjectName(ns), "OpenLineage namespace "+ns); err != nil {
			return err
		}
	}
	for _, e := range ordered {
		if err := ingest(ctx, svc, e); err != nil {
			return err
		}
	}
	return nil
}

// namespace is the namespace whose project the event is recorded in.
func (e *Event) namespace() string {
	if e.Job != nil {
		return e.Job.Namespace
	}
	return e.Dataset.Namespace
}

func ingest(ctx context.Context, svc *lineage.Service, e *Event) error {
	project := ProjectName(e.namespace())
	switch e.kind {
	case "DatasetEvent":
		_, err := observe(ctx, svc, project, e, *e.Dataset)
		return err
	case "JobEvent":
		for _, d := range append(append([]Dataset(nil), e.Inputs...), e.Outputs...) {
			r := datasetRequest(svc, project, e, d, false)
			r.Declared = true
			if _, err := svc.RecordDataset(ctx, r); err != nil {
				return err
			}
		}
		return nil
	}
	state, ok := runStates[e.EventType]
	if !ok { // OTHER or none: metadata about a run, whose state it does not change
		state = lineage.RunRunning
	}
	req := lineage.RecordRunRequest{Project: project, UID: e.Run.RunID, Name: RunName(e.Job.Name),
		State: state, At: e.time, User: owner(e.Job.Facets)}
	if p := parentJob(e.Run.Facets); p != "" {
		req.Pipeline = RunName(p)
	}
	for _, d := range e.Inputs {
		req.Inputs = append(req.Inputs, lineage.DatasetInput{Key: lineage.DatasetKey(d.Namespace, d.Name),
			Version: datasetVersion(d.Facets), Placeholder: datasetRequest(svc, project, e, d, false)})
	}
	run, err := svc.RecordRun(ctx, req)
	if err != nil || e.EventType != "COMPLETE" {
		return err
	}
	for _, d := range e.Outputs {
		r := datasetRequest(svc, project, e, d, true)
		r.RunUID = run.UID
		if r.Owner == "" {
			r.Owner = run.User
		}
		if _, err := svc.RecordDataset(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// observe records a version of a dataset that an event shows, produced by
// no run of ours.
func observe(ctx context.Context, svc *lineage.Service, project string, e *Event, d Dataset) (lineage.Version, error) {
	return svc.RecordDataset(ctx, datasetRequest(svc, project, e, d, false))
}

// datasetRequest maps a dataset and its facets onto a version; the
// input and output facets of this event are kept only with an output
// (they describe this run's writing, not the dataset).
func datasetRequest(svc *lineage.Service, project string, e *Event, d Dataset, output bool) lineage.RecordDatasetRequest {
	r := lineage.RecordDatasetRequest{Project: project, Key: lineage.DatasetKey(d.Namespace, d.Name),
		Location: svc.DatasetLocation(d.Namespace, d.Name), At: e.time, Owner: owner(d.Facets)}
	if s, ok := d.Facets["schema"]; ok {
		var schema struct {
			Fields []struct {
				Name string `json:"name"`
			} `json:"fields"`
		}
		var raw struct {
			Fields json.RawMessage `json:"fields"`
		}
		_ = json.Unmarshal(s, &schema)
		_ = json.Unmarshal(s, &raw)
		info := &lineage.DatasetInfo{}
		if len(raw.Fields) > 0 {
			info.Schema, _ = json.Marshal(map[string]json.RawMessage{"fields": raw.Fields})
		}
		for _, f := range schema.Fields {
			info.Header = append(info.Header, f.Name)
		}
		r.Dataset = info
	}
	if s, ok := d.Facets["dataSource"]; ok {
		var ds struct {
			URI string `json:"uri"`
		}
		if json.Unmarshal(s, &ds) == nil && (lineage.IsURL(ds.URI) || strings.HasPrefix(ds.URI, "/")) &&
			lineage.ValidateArtifactPath(ds.URI) == nil {
			r.Sources = append(r.Sources, ds.URI)
		}
	}
	if s, ok := d.Facets["documentation"]; ok {
		var doc struct {
			Description string `json:"description"`
		}
		if json.Unmarshal(s, &doc) == nil && len(doc.Description) <= lineage.MaxDescriptionLen {
			r.Description = doc.Description
		}
	}
	if dv := datasetVersion(d.Facets); dv != "" && len(dv) <= lineage.MaxLabelValueLen {
		r.Labels = append(r.Labels, lineage.Label{Key: lineage.DatasetVersionLabel, Value: &dv})
	}
	kept := map[string]any{"namespace": d.Namespace, "name": d.Name}
	if len(d.Facets) > 0 {
		kept["facets"] = d.Facets
	}
	if output && len(d.OutputFacets) > 0 {
		kept["outputFacets"] = d.OutputFacets
	}
	r.Extra, _ = json.Marshal(map[string]any{"openlineage": kept})
	return r
}

// owner is the first owner's name of an ownership facet.
func owner(facets map[string]Facet) string {
	var o struct {
		Owners []struct {
			Name string `json:"name"`
		} `json:"owners"`
	}
	if f, ok := facets["ownership"]; ok && json.Unmarshal(f, &o) == nil && len(o.Owners) > 0 &&
		len(o.Owners[0].Name) <= lineage.MaxLabelValueLen {
		return o.Owners[0].Name
	}
	return ""
}

func datasetVersion(facets map[string]Facet) string {
	var v struct {
		DatasetVersion string `json:"datasetVersion"`
	}
	if f, ok := facets["version"]; ok && json.Unmarshal(f, &v) == nil {
		return v.DatasetVersion
	}
	return ""
}

func parentJob(facets map[string]Facet) string {
	var p struct {
		Job struct {
			Name string `json:"name"`
		} `json:"job"`
	}
	if f, ok := facets["parent"]; ok && json.Unmarshal(f, &p) == nil {
		return p.Job.Name
	}
	return ""
}
