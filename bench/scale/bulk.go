package main

import (
	"fmt"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// Bulk is the batch mutation's rate: calls of logArtifacts, each a run's
// lineage.MaxLogBatch outputs, one after the other from one client, on the
// loaded store.
type Bulk struct {
	Calls    int     `json:"calls"`
	Versions int     `json:"versions"`
	Seconds  float64 `json:"seconds"`
	PerS     float64 `json:"versions_per_s"`
}

const bulkProject = "bulk"

// bulkOutput is output i of bulk call c: one key per i, so each call moves
// the keys' latest; a label, as most outputs have.
func bulkOutput(c, i int) (key, target string, label lineage.Label) {
	shard := fmt.Sprint(i % 10)
	return fmt.Sprintf("out-%04d", i), fmt.Sprintf("s3://bench/bulk/%d/%d.parquet", c, i), lineage.Label{Key: "shard", Value: &shard}
}

// timeBulk runs calls calls of logCall (each given its call number), timing
// the calls only, and checks each logged a whole batch.
func timeBulk(calls int, logCall func(c int) (time.Duration, error)) (Bulk, error) {
	b := Bulk{Calls: calls}
	var took time.Duration
	for c := range calls {
		d, err := logCall(c)
		if err != nil {
			return b, fmt.Errorf("bulk call %d: %w", c, err)
		}
		took += d
		b.Versions += lineage.MaxLogBatch
	}
	b.Seconds, b.PerS = took.Seconds(), rate(b.Versions, took)
	return b, nil
}

// bulk logs calls batches through the Service.
func (p *inProcess) bulk(calls int) (Bulk, error) {
	project := p.pre + bulkProject
	if _, err := p.svc.UpsertProject(p.ctx, lineage.Project{Name: project}); err != nil {
		return Bulk{}, err
	}
	return timeBulk(calls, func(c int) (time.Duration, error) {
		run := fmt.Sprintf("bulk-%d", c)
		if _, err := p.svc.StartRun(p.ctx, lineage.StartRunRequest{Project: project, Name: "bulk", UID: run}); err != nil {
			return 0, err
		}
		reqs := make([]lineage.LogRequest, lineage.MaxLogBatch)
		for i := range reqs {
			key, target, label := bulkOutput(c, i)
			reqs[i] = lineage.LogRequest{Project: project, Key: key, Kind: lineage.KindDataset, RunUID: run,
				TargetPath: target, Labels: []lineage.Label{label}}
		}
		start := time.Now()
		vs, err := p.svc.LogArtifacts(p.ctx, reqs)
		d := time.Since(start)
		if err == nil && len(vs) != len(reqs) {
			err = fmt.Errorf("%d versions logged of %d", len(vs), len(reqs))
		}
		return d, err
	})
}

// bulk logs calls batches through GraphQL, one logArtifacts a request.
func (h *overHTTP) bulk(calls int) (Bulk, error) {
	project := h.pre + bulkProject
	err := h.srv.c.do(`mutation($n: String!) { upsertProject(input: {name: $n}) { name } }`, map[string]any{"n": project}, nil)
	if err != nil {
		return Bulk{}, err
	}
	return timeBulk(calls, func(c int) (time.Duration, error) {
		run := fmt.Sprintf("bulk-%d", c)
		err := h.srv.c.do(`mutation($p: String!, $u: String!) { startRun(input: {project: $p, name: "bulk", uid: $u}) { uid } }`,
			map[string]any{"p": project, "u": run}, nil)
		if err != nil {
			return 0, err
		}
		inputs := make([]map[string]any, lineage.MaxLogBatch)
		for i := range inputs {
			key, target, label := bulkOutput(c, i)
			inputs[i] = map[string]any{"project": project, "key": key, "kind": "DATASET", "runUid": run,
				"targetPath": target, "labels": []map[string]any{{"key": label.Key, "value": *label.Value}}}
		}
		var out struct{ LogArtifacts []struct{ UID string } }
		start := time.Now()
		err = h.srv.c.do(`mutation($in: [LogArtifactInput!]!) { logArtifacts(inputs: $in) { uid } }`, map[string]any{"in": inputs}, &out)
		d := time.Since(start)
		if err == nil && len(out.LogArtifacts) != len(inputs) {
			err = fmt.Errorf("%d versions logged of %d", len(out.LogArtifacts), len(inputs))
		}
		return d, err
	})
}
