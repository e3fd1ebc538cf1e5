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
// when the disk or the network hangs. Each signals entered, if not nil.
type stuckStore struct {
	*countingStore
	entered chan struct{}
}

func (s stuckStore) GetVersions(ctx context.Context, _ []string) ([]lineage.Version, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// stalling makes a server's store a stuckStore.
func stalling(entered chan struct{}) func(*countingStore) lineage.Store {
	return func(c *countingStore) lineage.Store { return stuckStore{countingStore: c, entered: entered} }
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
	s := newServerOver(t, stalling(nil), func(o *api.Options, _ *lineage.Config, _ lineage.BlobRouter) {
		o.Logger = slog.New(logs)
		o.RequestTimeout = 100 * time.Millisecond
	})
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
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
	entered := make(chan struct{}, 1)
	s := newServerOver(t, stalling(entered), func(o *api.Options, _ *lineage.Config, _ lineage.BlobRouter) { o.Logger = slog.New(logs) })
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	<-logs.served
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/graphql",
		strings.NewReader(`{"query":"{ a: artifacts(project: \"p\") { totalCount } b: artifacts(project: \"p\") { totalCount } }"}`))
	req.Header.Set("Content-Type", "application/json")
	go func() {
		<-entered // the request is in the store
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
	s := newServerOver(t, stalling(nil), func(o *api.Options, _ *lineage.Config, _ lineage.BlobRouter) {
		o.RequestTimeout = 100 * time.Millisecond
	})
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	if got := wsFirstError(t, s, `{ artifacts(project: "p") { totalCount } }`); got != "LIMIT_EXCEEDED" {
		t.Fatalf("got %q", got)
	}
}

// The plain HTTP routes get the deadline GraphQL gets: a stalled store
// answers 504 with LIMIT_EXCEEDED, logged once, instead of holding the
// request (and its connection) for as long as the store hangs.
func TestAPIRoutesHaveTheDeadline(t *testing.T) {
	logs := newRecorded()
	s := newServerOver(t, stalling(nil), func(o *api.Options, _ *lineage.Config, _ lineage.BlobRouter) {
		o.Logger = slog.New(logs)
		o.RequestTimeout = 100 * time.Millisecond
	})
	for _, route := range []string{"/api/v1/artifacts/p/0123abcd/content", "/api/v1/artifacts/p/0123abcd/yaml"} {
		resp, body := s.get(t, route)
		<-logs.served
		if resp.StatusCode != http.StatusGatewayTimeout || resp.Header.Get("X-Error-Code") != "LIMIT_EXCEEDED" ||
			strings.TrimSpace(string(body)) != "request took longer than the limit" {
			t.Fatalf("%s: %d %s %q", route, resp.StatusCode, resp.Header.Get("X-Error-Code"), body)
		}
	}
	if n, errs := logs.count(slog.LevelWarn, "request stopped at its deadline"), logs.count(slog.LevelError, ""); n != 2 || errs != 0 {
		t.Fatalf("logged %d WARN records about the deadline and %d ERROR records", n, errs)
	}
}
