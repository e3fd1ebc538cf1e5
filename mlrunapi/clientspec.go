package mlrunapi

import (
	"net/http"
)

// clientSpec is what MLRun's client reads when it connects. The version is
// the client's own (it sends it in a header), so that its compatibility
// check always passes; artifact_path is where the server serves content
// from, so that the files the client writes there are content this server
// can serve, delete and collect. Everything else is the value MLRun's
// server has with the matching feature off.
func (h *Handler) clientSpec(w http.ResponseWriter, r *http.Request) {
	version := r.Header.Get("x-mlrun-client-version")
	if version == "" || len(version) > 64 {
		version = DefaultVersion
	}
	path := h.svc.Config.ServerArtifactPath
	if path == "" {
		path = h.svc.Config.DefaultArtifactPath
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"version":                     version,
		"namespace":                   "",
		"artifact_path":               path,
		"ui_url":                      "",
		"api_url":                     "",
		"alerts_mode":                 "disabled",
		"authentication_mode":         "none",
		"calculate_artifact_hash":     "true",
		"scrape_metrics":              false,
		"force_run_local":             "auto",
		"feature_store_data_prefixes": map[string]any{},
		"ce":                          map[string]any{"mode": "", "version": ""},
	})
}
