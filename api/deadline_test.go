package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/artigraph/artigraph/api"
	"github.com/artigraph/artigraph/lineage"
)

// recorded keeps log records, so tests can count what a request logged.
type recorded struct {
	mu      sync.Mutex
	records []slog.Record
	served  chan struct{} // one per access-log record: a request is done
}

func newRecorded() *recorded { return &recorded{served: make(chan struct{}, 100)} }

// drain forgets the requests served so far, so that the next receive from
// served is a request still to finish.
func (l *recorded) drain() {
	for {
		select {
		case <-l.served:
		default:
			return
		}
	}
}

func (l *recorded) Enabled(context.Context, slog.Level) bool { return true }
func (l *recorded) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.records = append(l.records, r)
	l.mu.Unlock()
	if r.Message == "request" {
		select {
		case l.served <- struct{}{}:
		default: // nobody is waiting for this many
		}
	}
	return nil
}
func (l *recorded) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *recorded) WithGroup(string) slog.Handler      { return l }

// count is how many records at level have msg ("" for any).
func (l *recorded) count(level slog.Level, msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.records {
		if r.Level == level && (msg == "" || r.Message == msg) {
			n++
		}
	}
	return n
}

// stuckStore's list calls wait until their context ends, as a store does
// when the disk or the network hangs.
type stuckStore struct {
	*countingStore
	entered chan struct{}
}

func (s stuckStore) ListVersions(ctx context.Context, _ string, _ lineage.VersionFilter, _ lineage.Page) (lineage.VersionPage, error) {
	select {
	case s.entered <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return lineage.VersionPage{}, ctx.Err()
}

// Hole 2d: a request past --request-timeout answered INTERNAL for every
// field and logged an ERROR for each.
func TestDeadlineAnswersLimitExceededAndLogsOnce(t *testing.T) {
	logs := newRecorded()
	s := newServer(t, func(o *api.Options, _ *lineage.Config, _ lineage.BlobRouter) {
		o.Logger = slog.New(logs)
		o.RequestTimeout = 100 * time.Millisecond
	})
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	s.svc.Store = stuckStore{countingStore: s.calls, entered: make(chan struct{}, 1)}
	r := s.do(t, `{ a: artifacts(project: "p") { totalCount } b: artifacts(project: "p") { totalCount }
		c: artifacts(project: "p") { totalCount } }`, nil)
	if len(r.Errors) == 0 {
		t.Fatalf("no error: %s", r.Data)
	}
	for _, e := range r.Errors {
		if e.code() != "LIMIT_EXCEEDED" || e.Message != "request took longer than the limit" {
			t.Fatalf("%+v", r.Errors)
		}
	}
	if len(r.Errors) != 1 {
		t.Errorf("%d errors for one deadline", len(r.Errors))
	}
	if n, errs := logs.count(slog.LevelWarn, "request stopped at its deadline"), logs.count(slog.LevelError, ""); n != 1 || errs != 0 {
		t.Fatalf("logged %d WARN records about the deadline and %d ERROR records", n, errs)
	}
}

// A client that goes away: UNAVAILABLE (nobody reads it), logged once at
// INFO, never as an internal error.
func TestClientGoneIsNotAnInternalError(t *testing.T) {
	logs := newRecorded()
	s := newServer(t, func(o *api.Options, _ *lineage.Config, _ lineage.BlobRouter) { o.Logger = slog.New(logs) })
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	<-logs.served
	stuck := stuckStore{countingStore: s.calls, entered: make(chan struct{}, 1)}
	s.svc.Store = stuck
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/graphql",
		strings.NewReader(`{"query":"{ a: artifacts(project: \"p\") { totalCount } b: artifacts(project: \"p\") { totalCount } }"}`))
	req.Header.Set("Content-Type", "application/json")
	go func() {
		<-stuck.entered // the request is in the store
		cancel()
	}()
	if resp, err := http.DefaultClient.Do(req); err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	<-logs.served // the server finished the request
	if n, errs := logs.count(slog.LevelInfo, "request canceled by its client"), logs.count(slog.LevelError, ""); n != 1 || errs != 0 {
		t.Fatalf("logged %d INFO records about the cancel and %d ERROR records", n, errs)
	}
}

// Queries over a websocket get the same deadline: the socket has none.
func TestWebsocketQueryHasTheDeadline(t *testing.T) {
	s := newServer(t, func(o *api.Options, _ *lineage.Config, _ lineage.BlobRouter) {
		o.RequestTimeout = 100 * time.Millisecond
	})
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	s.svc.Store = stuckStore{countingStore: s.calls, entered: make(chan struct{}, 1)}
	if got := wsFirstError(t, s, `{ artifacts(project: "p") { totalCount } }`); got != "LIMIT_EXCEEDED" {
		t.Fatalf("got %q", got)
	}
}
