package mlrunapi

import (
	"io"
	"net/http"
)

// Routes MLRun's client calls that Artigraph has no meaning for. Each
// answers what MLRun's server answers with that feature off or empty, so
// that the client carries on: empty lists, accepted writes that keep
// nothing, and 404 for single objects that cannot exist here.
func (h *Handler) offRoutes() {
	m := h.mux
	empty := func(field string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, object{field: []any{}})
		}
	}
	// Logs of runs: a local run's log stays on the client's side.
	m.HandleFunc("POST /api/v1/projects/{project}/logs/{uid}", discard)
	m.HandleFunc("GET /api/v1/projects/{project}/logs/{uid}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-mlrun-run-state", "completed")
		w.WriteHeader(http.StatusOK)
	})
	// Functions: Artigraph keeps no code. Storing one answers the hash the
	// client expects; listing gives none.
	m.HandleFunc("POST /api/v1/projects/{project}/functions/{name}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxBody))
		writeJSON(w, http.StatusOK, object{"hash_key": ""})
	})
	m.HandleFunc("GET /api/v1/projects/{project}/functions", empty("funcs"))
	m.HandleFunc("GET /api/v1/projects/{project}/schedules", empty("schedules"))
	m.HandleFunc("GET /api/v1/projects/{project}/alerts", empty("alerts"))
	m.HandleFunc("GET /api/v1/projects/{project}/background-tasks", empty("background_tasks"))
	m.HandleFunc("GET /api/v1/projects/{project}/feature-sets", empty("feature_sets"))
	m.HandleFunc("GET /api/v1/projects/{project}/feature-vectors", empty("feature_vectors"))
	m.HandleFunc("GET /api/v1/hub/sources", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, []any{})
	})
	m.HandleFunc("POST /api/v1/projects/{project}/runs/{uid}/notifications", discard)
	m.HandleFunc("PUT /api/v1/projects/{project}/runs/{uid}/notifications", discard)
	// Deleting projects and runs has a meaning here, but Artigraph keeps
	// them as history: say so rather than claim they do not exist.
	unsupported := func(what string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusBadRequest, object{"detail": "deleting " + what + " is not supported by Artigraph's MLRun API"})
		}
	}
	m.HandleFunc("DELETE /api/v1/projects/{project}", unsupported("projects"))
	m.HandleFunc("DELETE /api/v1/projects/{project}/runs/{uid}", unsupported("runs"))
	m.HandleFunc("DELETE /api/v1/projects/{project}/runs", unsupported("runs"))
	// del_artifacts deletes by filter; del_artifact, one key at a time, is served.
	m.HandleFunc("DELETE /api/v2/projects/{project}/artifacts", unsupported("artifacts by filter (use delete_artifact)"))
	// Anything else is a route this server does not serve: MLRun's own
	// answer for an unknown route.
	m.HandleFunc("/api/v1/", h.notFound)
	m.HandleFunc("/api/v2/", h.notFound)
}

func discard(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxBody))
	writeJSON(w, http.StatusOK, object{})
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.log.InfoContext(r.Context(), "mlrun api: route not served", "method", r.Method, "path", r.URL.Path)
	writeJSON(w, http.StatusNotFound, object{"detail": "Not Found"})
}
