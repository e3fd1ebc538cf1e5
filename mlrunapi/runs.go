package mlrunapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// A run, for Artigraph, is its name, state, labels and what it consumed:
// store_run starts it (its store:// inputs become CONSUMED edges), a
// terminal state in store_run or update_run finishes it, and the artifacts
// it logs (tree = the run's uid) become its PRODUCED versions.

// runStates maps MLRun's run states to Artigraph's; any other state
// (created, pending, running, aborting, …) is still running.
var runStates = map[string]lineage.RunState{
	"completed": lineage.RunCompleted,
	"error":     lineage.RunFailed,
	"aborted":   lineage.RunAborted,
}

var mlrunStates = map[lineage.RunState]string{
	lineage.RunRunning:   "running",
	lineage.RunCompleted: "completed",
	lineage.RunFailed:    "error",
	lineage.RunAborted:   "aborted",
}

// storeRun is store_run (POST /projects/{p}/runs/{uid}). Child iterations
// of a hyper-parameter run (iter > 0) are part of their parent run here.
func (h *Handler) storeRun(w http.ResponseWriter, r *http.Request) {
	var run object
	if err := readJSON(r, &run); err != nil {
		h.fail(w, r, err)
		return
	}
	if it := r.URL.Query().Get("iter"); it != "" && it != "0" {
		writeJSON(w, http.StatusOK, object{})
		return
	}
	meta, spec := sub(run, "metadata"), sub(run, "spec")
	req := lineage.StartRunRequest{Project: r.PathValue("project"), UID: r.PathValue("uid"), Name: str(meta, "name")}
	for k, v := range sub(meta, "labels") {
		s, _ := v.(string)
		req.Labels = append(req.Labels, lineage.Label{Key: k, Value: &s})
		if k == "owner" {
			req.User = s
		}
	}
	lineage.SortLabels(req.Labels)
	// Inputs that are not store:// URIs (local files, URLs) are not
	// versions Artigraph knows: there is nothing to point a CONSUMED edge at.
	for _, v := range sub(spec, "inputs") {
		if s, ok := v.(string); ok && strings.HasPrefix(s, lineage.URIScheme) {
			req.Inputs = append(req.Inputs, s)
		}
	}
	key := lineage.RunKey{Project: req.Project, UID: req.UID}
	if _, err := h.svc.StartRun(r.Context(), req); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.finish(r.Context(), key, str(sub(run, "status"), "state")); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, object{})
}

// finish ends the run when MLRun says it reached a terminal state.
func (h *Handler) finish(ctx context.Context, key lineage.RunKey, state string) error {
	s, ok := runStates[state]
	if !ok {
		return nil
	}
	_, err := h.svc.FinishRun(ctx, key, s)
	return err
}

// updateRun is update_run (PATCH /projects/{p}/runs/{uid}): a flat map of
// dotted field names; only status.state means anything here.
func (h *Handler) updateRun(w http.ResponseWriter, r *http.Request) {
	var updates object
	if err := readJSON(r, &updates); err != nil {
		h.fail(w, r, err)
		return
	}
	if it := r.URL.Query().Get("iter"); it != "" && it != "0" {
		writeJSON(w, http.StatusOK, object{})
		return
	}
	key := lineage.RunKey{Project: r.PathValue("project"), UID: r.PathValue("uid")}
	if _, err := h.svc.Run(r.Context(), key); err != nil {
		h.fail(w, r, err)
		return
	}
	state, _ := updates["status.state"].(string)
	if state == "" {
		state = str(sub(updates, "status"), "state")
	}
	if err := h.finish(r.Context(), key, state); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, object{})
}

// runDocument is a run as MLRun's client reads it back: what Artigraph
// keeps of it, with its inputs as the store:// URIs of what it consumed.
func (h *Handler) runDocument(ctx context.Context, run lineage.Run) (object, error) {
	edges, err := h.svc.Edges(ctx, []lineage.NodeRef{lineage.RunNode(run.Key())}, lineage.Outgoing, lineage.RelConsumed)
	if err != nil {
		return nil, err
	}
	uids := make([]string, 0, len(edges))
	for _, e := range edges {
		uids = append(uids, e.To.UID)
	}
	vs, err := h.svc.Versions(ctx, uids)
	if err != nil {
		return nil, err
	}
	inputs := object{}
	for _, v := range vs {
		inputs[v.Key] = lineage.CanonicalURI(v, "")
	}
	status := object{"state": mlrunStates[run.State], "start_time": run.StartedAt.Format(time.RFC3339Nano),
		"last_update": run.StartedAt.Format(time.RFC3339Nano)}
	if run.FinishedAt != nil {
		status["last_update"] = run.FinishedAt.Format(time.RFC3339Nano)
		status["end_time"] = run.FinishedAt.Format(time.RFC3339Nano)
	}
	meta := object{"name": run.Name, "uid": run.UID, "project": run.Project, "iteration": 0}
	if len(run.Labels) > 0 {
		meta["labels"] = labelMap(run.Labels)
	}
	return object{"kind": "run", "metadata": meta,
		"spec": object{"inputs": inputs, "output_path": run.ArtifactPath}, "status": status}, nil
}

// readRun is read_run (GET /projects/{p}/runs/{uid}): {"data": run}.
func (h *Handler) readRun(w http.ResponseWriter, r *http.Request) {
	run, err := h.svc.Run(r.Context(), lineage.RunKey{Project: r.PathValue("project"), UID: r.PathValue("uid")})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := h.runDocument(r.Context(), run)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, object{"data": d})
}

// listRuns is list_runs, minimal: the project's newest runs, one page of
// the server's largest size, optionally by name and uid.
func (h *Handler) listRuns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, err := h.svc.ListRuns(r.Context(), r.PathValue("project"), lineage.Page{First: h.svc.Config.MaxPageSize})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	runs := []any{}
	for _, run := range p.Runs {
		if name := q.Get("name"); name != "" && name != run.Name {
			continue
		}
		if uids := q["uid"]; len(uids) > 0 && !contains(uids, run.UID) {
			continue
		}
		d, err := h.runDocument(r.Context(), run)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		runs = append(runs, d)
	}
	writeJSON(w, http.StatusOK, object{"runs": runs, "pagination": object{"page-token": nil}})
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
