package api

import (
	"io"
	"net/http"
)

// loadingBody is what every route but the health checks answers while the
// metadata store loads: a GraphQL-shaped error with its code, which the REST
// clients read as a 503.
const loadingBody = `{"errors":[{"message":"the server is starting: the metadata store is loading","extensions":{"code":"UNAVAILABLE"}}]}` + "\n"

// WhileLoading answers for next until loaded is closed: /healthz goes
// through (the process is alive, and it never reads the store), /readyz says
// 503, and every other route 503 UNAVAILABLE, so that no request reaches a
// store still loading.
func WhileLoading(loaded <-chan struct{}, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-loaded:
			next.ServeHTTP(w, r)
			return
		default:
		}
		switch r.URL.Path {
		case "/healthz":
			next.ServeHTTP(w, r)
		case "/readyz":
			w.Header().Set("Retry-After", "1")
			http.Error(w, "not ready: the metadata store is loading", http.StatusServiceUnavailable)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, loadingBody)
		}
	})
}
