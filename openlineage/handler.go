package openlineage

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/artigraph/artigraph/lineage"
)

// DefaultMaxBytes bounds a request's body, and separately its decompressed
// size, when New is given no limit.
const DefaultMaxBytes = 16 << 20

// New returns the handler of POST /api/v1/lineage. The caller is already in
// the request's context (the API's authenticate); the Service decides what
// it may write. maxBytes caps the body as received and, for gzip, the
// decompressed JSON too (a small gzip bomb stops there).
//
// observe, when not nil, is told each event's type and result ("accepted",
// or the error code): a batch refused whole counts each of its events.
func New(svc *lineage.Service, log *slog.Logger, maxBytes int64, observe func(eventType, result string)) http.Handler {
	if observe == nil {
		observe = func(string, string) {}
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if log == nil {
		log = slog.Default()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			answer(w, http.StatusMethodNotAllowed, lineage.EINVALID, "POST OpenLineage events here")
			return
		}
		data, status, err := readBody(w, r, maxBytes)
		if err != nil {
			answer(w, status, lineage.EINVALID, err.Error())
			return
		}
		events, err := Decode(data)
		if err != nil {
			observe("invalid", "INVALID_ARGUMENT")
			answer(w, http.StatusBadRequest, lineage.EINVALID, err.Error())
			return
		}
		err = Ingest(r.Context(), svc, events)
		result := "accepted"
		if err != nil {
			result = lineage.ErrorCode(err)
		}
		for _, e := range events {
			observe(e.Kind(), result)
		}
		if err != nil {
			Fail(log, w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]int{"events": len(events)})
	})
}

// readBody reads the body, gunzipping it when Content-Encoding says gzip,
// within maxBytes both ways.
func readBody(w http.ResponseWriter, r *http.Request, maxBytes int64) ([]byte, int, error) {
	body := io.Reader(http.MaxBytesReader(w, r.Body, maxBytes))
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	switch enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, bodyStatus(err), fmt.Errorf("the body is not gzip: %v", bodyError(err, maxBytes))
		}
		defer zr.Close()
		body = io.LimitReader(zr, maxBytes+1)
	default:
		return nil, http.StatusUnsupportedMediaType, fmt.Errorf("Content-Encoding %q is not supported: send JSON or gzip", enc)
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return nil, bodyStatus(err), bodyError(err, maxBytes)
	}
	if int64(len(data)) > maxBytes {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("the decompressed body is larger than %d bytes", maxBytes)
	}
	return data, 0, nil
}

func bodyStatus(err error) int {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

func bodyError(err error, maxBytes int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return fmt.Errorf("the body is larger than %d bytes", maxBytes)
	}
	return fmt.Errorf("reading the body: %v", err)
}

var statuses = map[string]int{
	lineage.ENOTFOUND:     http.StatusNotFound,
	lineage.EINVALID:      http.StatusBadRequest,
	lineage.ECONFLICT:     http.StatusConflict,
	lineage.EUNAUTHORIZED: http.StatusUnauthorized,
	lineage.EFORBIDDEN:    http.StatusForbidden,
	lineage.ELIMIT:        http.StatusRequestEntityTooLarge,
	lineage.EUNAVAILABLE:  http.StatusServiceUnavailable,
}

// Fail answers a Service error (authentication failures included) with its
// status and a JSON body {"error": message, "code": code}; internal errors
// are logged and answered as "internal error".
func Fail(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	code := lineage.ErrorCode(err)
	status, ok := statuses[code]
	if !ok {
		log.ErrorContext(r.Context(), "openlineage ingestion failed", "err", err)
		status, code = http.StatusInternalServerError, lineage.EINTERNAL
	}
	if code == lineage.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="artigraph"`)
	}
	answer(w, status, code, lineage.ErrorMessage(err))
}

func answer(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg, "code": code})
}
