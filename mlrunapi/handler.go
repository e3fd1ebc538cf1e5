// Package mlrunapi serves the part of MLRun's REST API (/api/v1, /api/v2)
// that MLRun's own client calls for artifacts, projects and local runs, so
// that MLRun's SDK, pointed at Artigraph with MLRUN_DBPATH, works unchanged.
//
// Every route translates an MLRun request into lineage.Service calls and the
// answer back into MLRun's shapes; no rule lives here. Routes the client
// calls that Artigraph has no meaning for (functions, schedules, alerts,
// hub, feature store, …) answer what MLRun's server answers when that
// feature is off, so that the client carries on.
package mlrunapi

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/artigraph/artigraph/lineage"
)

// DefaultVersion is the MLRun server version reported when the client does
// not say its own; the routes follow MLRun 1.12's client.
const DefaultVersion = "1.12.1"

// maxBody bounds a JSON request body: documents, runs and projects are
// metadata, never content (MLRun's client writes content itself).
const maxBody = 8 << 20

// Handler serves MLRun's routes over a lineage.Service. The caller is
// already in each request's context (the API's authentication runs first).
type Handler struct {
	svc *lineage.Service
	log *slog.Logger
	mux *http.ServeMux
}

// New returns the handler for /api/v1/… and /api/v2/… MLRun routes.
func New(svc *lineage.Service, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	h := &Handler{svc: svc, log: log, mux: http.NewServeMux()}
	h.routes()
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) routes() {
	m := h.mux
	m.HandleFunc("GET /api/v1/client-spec", h.clientSpec)
	m.HandleFunc("GET /api/v1/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	})

	m.HandleFunc("GET /api/v1/projects", h.listProjects)
	m.HandleFunc("POST /api/v1/projects", h.createProject)
	m.HandleFunc("GET /api/v1/projects/{project}", h.getProject)
	m.HandleFunc("PUT /api/v1/projects/{project}", h.storeProject)
	m.HandleFunc("PATCH /api/v1/projects/{project}", h.patchProject)

	for _, v := range []string{"v1", "v2"} {
		base := "/api/" + v + "/projects/{project}/artifacts"
		m.HandleFunc("GET "+base, h.listArtifacts)
		m.HandleFunc("PUT "+base+"/{key}", h.storeArtifact)
		m.HandleFunc("POST "+base+"/{key}", h.storeArtifact)
		m.HandleFunc("GET "+base+"/{key}", h.readArtifact)
		m.HandleFunc("DELETE "+base+"/{key}", h.deleteArtifact)
	}
	m.HandleFunc("PUT /api/v1/projects/{project}/tags/{tag}", h.tagArtifacts)
	m.HandleFunc("POST /api/v1/projects/{project}/tags/{tag}", h.tagArtifacts)
	m.HandleFunc("DELETE /api/v1/projects/{project}/tags/{tag}", h.untagArtifacts)

	m.HandleFunc("POST /api/v1/projects/{project}/runs/{uid}", h.storeRun)
	m.HandleFunc("PATCH /api/v1/projects/{project}/runs/{uid}", h.updateRun)
	m.HandleFunc("GET /api/v1/projects/{project}/runs/{uid}", h.readRun)
	m.HandleFunc("GET /api/v1/projects/{project}/runs", h.listRuns)

	h.offRoutes()
}

// statuses are the HTTP statuses MLRun's server answers for each kind of
// error; its client turns them into MLRunNotFoundError, MLRunConflictError…
var statuses = map[string]int{
	lineage.ENOTFOUND:     http.StatusNotFound,
	lineage.EINVALID:      http.StatusBadRequest,
	lineage.ECONFLICT:     http.StatusConflict,
	lineage.EUNAUTHORIZED: http.StatusUnauthorized,
	lineage.EFORBIDDEN:    http.StatusForbidden,
	lineage.ELIMIT:        http.StatusRequestEntityTooLarge,
	lineage.EUNAVAILABLE:  http.StatusServiceUnavailable,
}

// Fail answers err in MLRun's error shape, {"detail": message}, with the
// status MLRun uses. Internal errors are logged and answered generically.
func Fail(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	status, ok := statuses[lineage.ErrorCode(err)]
	if !ok {
		status = http.StatusInternalServerError
		var e *lineage.Error
		if !errors.As(err, &e) && log != nil {
			log.ErrorContext(r.Context(), "mlrun api request failed", "path", r.URL.Path, "err", err)
		}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="artigraph"`)
	}
	writeJSON(w, status, map[string]any{"detail": lineage.ErrorMessage(err)})
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) { Fail(h.log, w, r, err) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// readJSON decodes a request body into v; an empty body leaves v as is.
func readJSON(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return lineage.Errorf(lineage.EINVALID, "could not read the request body")
	}
	if len(b) > maxBody {
		return lineage.Errorf(lineage.ELIMIT, "the request body is larger than %d bytes", maxBody)
	}
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return lineage.Errorf(lineage.EINVALID, "the request body is not the JSON expected: %v", err)
	}
	return nil
}
