package api_test

import (
	"log/slog"
	"testing"

	"github.com/artigraph/artigraph/api"
	"github.com/artigraph/artigraph/lineage"
)

// Every log line written for a request carries its id, the one answered in
// X-Request-Id.
func TestLogLinesCarryTheRequestID(t *testing.T) {
	logs := newRecorded()
	s := newServer(t, func(o *api.Options, _ *lineage.Config, _ lineage.BlobRouter) {
		o.Logger = slog.New(api.LogHandler(logs))
	})
	resp, _ := s.get(t, "/api/v1/artifacts/p/0123/yaml")
	<-logs.served
	id := resp.Header.Get("X-Request-Id")
	if id == "" {
		t.Fatal("no X-Request-Id")
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	var found int
	for _, r := range logs.records {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "request_id" {
				if a.Value.String() != id {
					t.Errorf("%q logged with request_id %s, want %s", r.Message, a.Value, id)
				}
				found++
			}
			return true
		})
	}
	if found != len(logs.records) || found == 0 {
		t.Fatalf("%d of %d records carry the request id", found, len(logs.records))
	}
}
