package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// runningMain is a Main serving in the background, started by mustRunMain.
type runningMain struct {
	*Main
	URL string // http://host:port

	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// mustRunMain opens a Main on cfg and runs it until the test ends; then it
// stops it as SIGTERM does, waits for Run to return, checks that it
// returned cleanly, and closes the Main. The listener is bound by Open, so
// requests made at once wait for Run to accept them: no polling for
// readiness is needed, and /readyz is checked once the store has loaded.
func mustRunMain(t testing.TB, cfg Config) *runningMain {
	t.Helper()
	m, err := Open(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningMain{Main: m, URL: "http://" + m.Addr(), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- m.Run(ctx) }()
	<-m.Loaded()
	t.Cleanup(func() {
		if err := r.Wait(); err != nil {
			t.Errorf("Run: %v", err)
		}
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	resp, err := http.Get(r.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz: %s", resp.Status)
	}
	return r
}

// Stop begins the shutdown, as SIGTERM does, without waiting for it.
func (r *runningMain) Stop() { r.cancel() }

// Wait stops the server if needed and waits for Run to return; the error is
// Run's, except for http.ErrServerClosed, which is how it ends normally.
func (r *runningMain) Wait() error {
	r.once.Do(func() {
		r.cancel()
		if err := <-r.done; !errors.Is(err, http.ErrServerClosed) {
			r.err = err
		}
	})
	return r.err
}

// serve parses args (on a loopback port and a fresh data dir) and runs the
// server with mustRunMain.
func serve(t *testing.T, args ...string) *runningMain {
	t.Helper()
	cfg, err := parseConfig(append([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, args...), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	return mustRunMain(t, cfg)
}

func noEnv(string) string { return "" }

// readTimeoutPassed returns a channel closed once the server at addr has
// applied its read timeout (readTimeout) to a connection opened now: it
// sends a request whose body never comes and waits for the server to close
// the connection. When that happens, at least the read timeout has passed
// since the call. limit only guards against a server that never times out.
func readTimeoutPassed(t *testing.T, addr string, readTimeout, limit time.Duration) <-chan struct{} {
	t.Helper()
	start := time.Now()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, "POST /graphql HTTP/1.1\r\nHost: "+addr+"\r\nContent-Type: application/json\r\n"+
		"Content-Length: 100\r\n\r\n{\"query\":"); err != nil {
		c.Close()
		t.Fatal(err)
	}
	passed, ended := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() {
		close(ended)
		c.Close()
		<-passed // no report once the test is over
	})
	go func() {
		defer close(passed)
		c.SetReadDeadline(time.Now().Add(limit))
		_, err := io.Copy(io.Discard, c) // until the server closes it
		select {
		case <-ended:
			return // closed by the cleanup, not the server
		default:
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("the server did not close a stalled request within %s", limit)
		} else if d := time.Since(start); d < readTimeout {
			t.Errorf("the server closed a stalled request after %s, before its read timeout of %s", d, readTimeout)
		}
	}()
	return passed
}
