package mlrunapi

import (
	"net/http"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// mlrunProject is the part of MLRun's project document Artigraph keeps:
// name, labels, description and artifact path. The rest of a project's spec
// (functions, workflows, params) is the client's own and is not stored.
type mlrunProject struct {
	Kind     string `json:"kind,omitempty"`
	Metadata struct {
		Name        string            `json:"name"`
		Labels      map[string]string `json:"labels,omitempty"`
		Annotations map[string]string `json:"annotations,omitempty"`
		Created     string            `json:"created,omitempty"`
	} `json:"metadata"`
	Spec   map[string]any `json:"spec,omitempty"`
	Status map[string]any `json:"status,omitempty"`
}

func (p mlrunProject) domain(name string) lineage.Project {
	out := lineage.Project{Name: name}
	if s, ok := p.Spec["description"].(string); ok {
		out.Description = s
	}
	if s, ok := p.Spec["artifact_path"].(string); ok {
		out.ArtifactPath = s
	}
	out.Labels = labelsOf(p.Metadata.Labels)
	return out
}

// projectDoc is a project as MLRun's client reads it back.
func projectDoc(p lineage.Project, sent *mlrunProject) map[string]any {
	spec := map[string]any{}
	if sent != nil {
		for k, v := range sent.Spec {
			spec[k] = v
		}
	}
	spec["description"] = p.Description
	spec["artifact_path"] = p.ArtifactPath
	meta := map[string]any{"name": p.Name, "created": p.CreatedAt.Format(time.RFC3339Nano)}
	if len(p.Labels) > 0 {
		meta["labels"] = labelMap(p.Labels)
	}
	return map[string]any{"kind": "project", "metadata": meta, "spec": spec,
		"status": map[string]any{"state": "online"}}
}

func (h *Handler) getProject(w http.ResponseWriter, r *http.Request) {
	p, err := h.svc.Project(r.Context(), r.PathValue("project"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, projectDoc(p, nil))
}

func (h *Handler) listProjects(w http.ResponseWriter, r *http.Request) {
	ps, err := h.svc.ListProjects(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := []any{}
	for _, p := range ps {
		if r.URL.Query().Get("format") == "name_only" || r.URL.Query().Get("format") == "" {
			out = append(out, p.Name)
		} else {
			out = append(out, projectDoc(p, nil))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"projects": out})
}

// createProject is MLRun's POST /projects: 409 when the project exists.
func (h *Handler) createProject(w http.ResponseWriter, r *http.Request) {
	var body mlrunProject
	if err := readJSON(r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	name := body.Metadata.Name
	if _, err := h.svc.Project(r.Context(), name); err == nil {
		h.fail(w, r, lineage.Errorf(lineage.ECONFLICT, "project %q already exists", name))
		return
	} else if lineage.ErrorCode(err) != lineage.ENOTFOUND {
		h.fail(w, r, err)
		return
	}
	p, err := h.svc.UpsertProject(r.Context(), body.domain(name))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, projectDoc(p, &body))
}

// storeProject is MLRun's PUT /projects/{name}: create or replace.
func (h *Handler) storeProject(w http.ResponseWriter, r *http.Request) {
	var body mlrunProject
	if err := readJSON(r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	name := r.PathValue("project")
	if body.Metadata.Name != "" && body.Metadata.Name != name {
		h.fail(w, r, lineage.Errorf(lineage.EINVALID, "the project's name %q differs from the path's %q", body.Metadata.Name, name))
		return
	}
	p, err := h.svc.UpsertProject(r.Context(), body.domain(name))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, projectDoc(p, &body))
}

// patchProject is MLRun's PATCH /projects/{name}: the fields given change,
// the others stay.
func (h *Handler) patchProject(w http.ResponseWriter, r *http.Request) {
	var body mlrunProject
	if err := readJSON(r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.svc.Project(r.Context(), r.PathValue("project"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if s, ok := body.Spec["description"].(string); ok {
		p.Description = s
	}
	if s, ok := body.Spec["artifact_path"].(string); ok {
		p.ArtifactPath = s
	}
	if body.Metadata.Labels != nil {
		p.Labels = labelsOf(body.Metadata.Labels)
	}
	p, err = h.svc.UpsertProject(r.Context(), p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, projectDoc(p, &body))
}

func labelsOf(m map[string]string) []lineage.Label {
	var out []lineage.Label
	for k, v := range m {
		v := v
		out = append(out, lineage.Label{Key: k, Value: &v})
	}
	lineage.SortLabels(out)
	return out
}

func labelMap(ls []lineage.Label) map[string]any {
	m := map[string]any{}
	for _, l := range ls {
		if l.Value != nil {
			m[l.Key] = *l.Value
		} else {
			m[l.Key] = nil
		}
	}
	return m
}
