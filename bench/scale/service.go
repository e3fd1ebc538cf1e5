package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/artigraph/artigraph/bench/workload"
	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/storage/embedded"
	"github.com/artigraph/artigraph/storage/fs"
	"github.com/artigraph/artigraph/storage/neo4j"
)

// inProcess is the workload on a lineage.Service in this process.
type inProcess struct {
	svc   *lineage.Service
	store lineage.Store
	ctx   context.Context // the operator: auth is not what is measured
	pre   string          // project prefix, so that both loads can share one Neo4j
	ing   Ingest
}

// openService opens the backend's store (embedded in dir, or the Neo4j at
// uri) under a Service with the server's default limits.
func openService(backend, dir, uri string) (*inProcess, error) {
	var store lineage.Store
	var err error
	pre := ""
	if backend == "neo4j" {
		store, err = neo4j.Open(context.Background(), neo4j.Config{URI: uri})
		pre = "svc-"
	} else {
		store, err = embedded.Open(filepath.Join(dir, "artigraph.db"))
	}
	if err != nil {
		return nil, err
	}
	blobs, err := fs.New(dir)
	if err != nil {
		return nil, err
	}
	cfg := lineage.DefaultConfig()
	cfg.DefaultArtifactPath = dir + "/artifacts/{{project}}"
	svc := lineage.NewService(store, lineage.BlobRouter{"file": blobs}, cfg)
	return &inProcess{svc: svc, store: store, ctx: lineage.AsOperator(context.Background()), pre: pre}, nil
}

func (p *inProcess) Close() error { return p.store.Close() }

func (p *inProcess) uri(r workload.Ref) string {
	return fmt.Sprintf("store://%s/%s%s/%s", lineage.Kind(r.Kind).Prefix(), p.pre, r.Project, r.Key)
}

func (p *inProcess) uris(rs []workload.Ref) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = p.uri(r)
	}
	return out
}

// load logs the workload: projects, then every unit.
func (p *inProcess) load(s workload.Spec, clients int) error {
	for i := 0; i < s.Projects; i++ {
		if _, err := p.svc.UpsertProject(p.ctx, lineage.Project{Name: p.pre + fmt.Sprintf("p%02d", i)}); err != nil {
			return err
		}
	}
	in, err := load(s, clients, p.logUnit)
	p.ing = in
	return err
}

// logUnit starts the unit's run, logs its versions (logArtifacts) and
// finishes the run.
func (p *inProcess) logUnit(u workload.Unit) error {
	runUID := ""
	if r := u.Run; r != nil {
		_, err := p.svc.StartRun(p.ctx, lineage.StartRunRequest{Project: p.pre + r.Project, Name: r.Name,
			UID: r.UID, Pipeline: r.Pipeline, Inputs: p.uris(r.Inputs)})
		if err != nil {
			return fmt.Errorf("start run %s: %w", r.UID, err)
		}
		runUID = r.UID
	}
	for _, b := range batches(u.Versions) {
		reqs := make([]lineage.LogRequest, len(b))
		for i, v := range b {
			reqs[i] = p.logRequest(v, runUID)
		}
		if _, err := p.svc.LogArtifacts(p.ctx, reqs); err != nil {
			return fmt.Errorf("log %s…: %w", b[0].Key, err)
		}
	}
	if u.Run == nil {
		return nil
	}
	_, err := p.svc.FinishRun(p.ctx, lineage.RunKey{Project: p.pre + u.Run.Project, UID: runUID}, lineage.RunCompleted)
	return err
}

func (p *inProcess) logRequest(v workload.Version, runUID string) lineage.LogRequest {
	req := lineage.LogRequest{Project: p.pre + v.Project, Key: v.Key, Kind: lineage.Kind(v.Kind), RunUID: runUID,
		TargetPath: v.TargetPath, Sources: append(p.uris(v.Sources), v.External...)}
	for _, l := range v.Labels {
		req.Labels = append(req.Labels, lineage.Label{Key: l.Key, Value: &l.Value})
	}
	for _, l := range v.Links {
		req.Links = append(req.Links, lineage.LinkRequest{Relation: l.Relation, URI: p.uri(l.To)})
	}
	return req
}

// run returns a function that runs q once and tells its answer's size.
func (p *inProcess) run(q Query) func() (int, error) {
	switch q.Op {
	case "artifact":
		return func() (int, error) { _, _, err := p.svc.Resolve(p.ctx, p.uri(q.Ref)); return 1, err }
	case "artifacts":
		f := lineage.VersionFilter{Labels: q.Labels}
		if q.TimeRange {
			f.Since, f.Until = &p.ing.WindowStart, &p.ing.WindowEnd
		}
		return func() (int, error) {
			pg, err := p.svc.ListArtifacts(p.ctx, p.pre+q.Project, f, lineage.Page{First: pageSize})
			return len(pg.Versions), err
		}
	case "lineage":
		return func() (int, error) {
			g, err := p.svc.Lineage(p.ctx, p.uri(q.Ref), lineage.Direction(q.Direction), &q.Depth, &q.Limit)
			return len(g.Nodes), err
		}
	case "impact-counts":
		return func() (int, error) {
			im, err := p.svc.Impact(p.ctx, p.uri(q.Ref), &q.Depth, &q.Limit)
			if err != nil {
				return 0, err
			}
			c, err := p.svc.ImpactCounts(p.ctx, im)
			return c.Artifacts + c.Runs, err
		}
	default:
		return func() (int, error) {
			im, err := p.svc.Impact(p.ctx, p.uri(q.Ref), &q.Depth, &q.Limit)
			return len(im.Versions) + len(im.Runs), err
		}
	}
}
