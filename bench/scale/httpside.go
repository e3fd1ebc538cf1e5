package main

import (
	"fmt"
	"strings"

	"github.com/artigraph/artigraph/bench/workload"
)

// overHTTP is the workload through the public GraphQL API of a server.
type overHTTP struct {
	srv *server
	pre string // project prefix, as inProcess's
	ing Ingest
	uri func(workload.Ref) string
}

func newOverHTTP(srv *server, pre string) *overHTTP {
	h := &overHTTP{srv: srv, pre: pre}
	h.uri = (&inProcess{pre: pre}).uri
	return h
}

func (h *overHTTP) load(s workload.Spec, clients int) error {
	for i := 0; i < s.Projects; i++ {
		err := h.srv.c.do(`mutation($n: String!) { upsertProject(input: {name: $n}) { name } }`,
			map[string]any{"n": h.pre + fmt.Sprintf("p%02d", i)}, nil)
		if err != nil {
			return err
		}
	}
	in, err := load(s, clients, h.logUnit)
	h.ing = in
	return err
}

// logUnit sends a unit as one request of aliased mutations, which run in
// order: startRun, logArtifacts of the versions (more than one call when one
// points at another), finishRun.
func (h *overHTTP) logUnit(u workload.Unit) error {
	var params, fields []string
	vars := map[string]any{}
	if r := u.Run; r != nil {
		params = append(params, "$run: StartRunInput!")
		fields = append(fields, "r: startRun(input: $run) { uid }")
		vars["run"] = map[string]any{"project": h.pre + r.Project, "name": r.Name, "uid": r.UID,
			"pipeline": r.Pipeline, "inputs": h.uris(r.Inputs)}
	}
	for i, b := range batches(u.Versions) {
		params = append(params, fmt.Sprintf("$v%d: [LogArtifactInput!]!", i))
		fields = append(fields, fmt.Sprintf("v%d: logArtifacts(inputs: $v%d) { uid }", i, i))
		inputs := make([]map[string]any, len(b))
		for j, v := range b {
			inputs[j] = h.logInput(v, u.Run)
		}
		vars[fmt.Sprintf("v%d", i)] = inputs
	}
	if r := u.Run; r != nil {
		params = append(params, "$p: String!", "$u: String!")
		fields = append(fields, "f: finishRun(project: $p, uid: $u, state: COMPLETED) { uid }")
		vars["p"], vars["u"] = h.pre+r.Project, r.UID
	}
	doc := "mutation(" + strings.Join(params, ", ") + ") {\n" + strings.Join(fields, "\n") + "\n}"
	return h.srv.c.do(doc, vars, nil)
}

func (h *overHTTP) uris(rs []workload.Ref) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = h.uri(r)
	}
	return out
}

func (h *overHTTP) logInput(v workload.Version, run *workload.Run) map[string]any {
	in := map[string]any{"project": h.pre + v.Project, "key": v.Key, "kind": v.Kind, "targetPath": v.TargetPath,
		"labels": v.Labels, "sources": append(h.uris(v.Sources), v.External...)}
	if run != nil {
		in["runUid"] = run.UID
	}
	var links []map[string]string
	for _, l := range v.Links {
		links = append(links, map[string]string{"relation": l.Relation, "uri": h.uri(l.To)})
	}
	if links != nil {
		in["links"] = links
	}
	return in
}
