package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/artigraph/artigraph/api"
	"github.com/artigraph/artigraph/lineage"
)

func (s *testServer) dialWS(t *testing.T, ctx context.Context) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err == nil {
		t.Cleanup(func() { conn.CloseNow() })
	}
	return conn, resp, err
}

// Hole 3: a websocket that never said connection_init stayed open for ever.
func TestWebsocketWithoutInitIsClosed(t *testing.T) {
	s := newServer(t, func(o *api.Options, _ *lineage.Config, _ lineage.BlobRouter) {
		o.WebsocketInit = 200 * time.Millisecond
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := s.dialWS(t, ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = conn.Read(ctx) // the close, or the test's own deadline
	if ctx.Err() != nil {
		t.Fatal("the silent websocket is still open")
	}
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusProtocolError || ce.Reason != "connection initialisation timeout" {
		t.Fatalf("closed with %v", err)
	}
}

// Hole 3: websockets and subscriptions had no cap.
func TestSubscriptionsOverTheCapAreRefused(t *testing.T) {
	s := newServer(t, func(o *api.Options, _ *lineage.Config, _ lineage.BlobRouter) { o.MaxSubscriptions = 1 })
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := s.dialWS(t, ctx)
	if err != nil {
		t.Fatal(err)
	}
	wsjson.Write(ctx, conn, wsMsg{Type: "connection_init"})
	var m wsMsg
	if err := wsjson.Read(ctx, conn, &m); err != nil || m.Type != "connection_ack" {
		t.Fatalf("ack: %+v %v", m, err)
	}
	sub := json.RawMessage(`{"query":"subscription { artifactLogged(project: \"p\") { key } }"}`)
	wsjson.Write(ctx, conn, wsMsg{ID: "1", Type: "subscribe", Payload: sub})
	// Once an event arrives, subscription 1 certainly runs.
	for m.Type != "next" {
		s.mustDo(t, `mutation { logArtifact(input: {project: "p", key: "k", kind: MODEL, body: "x"}) { uid } }`, nil, nil)
		for {
			if err := wsjson.Read(ctx, conn, &m); err != nil {
				t.Fatal(err)
			}
			if m.Type == "next" || m.Type == "ka" || m.Type == "ping" {
				break
			}
		}
	}
	wsjson.Write(ctx, conn, wsMsg{ID: "2", Type: "subscribe", Payload: sub})
	for m.ID != "2" {
		if err := wsjson.Read(ctx, conn, &m); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(string(m.Payload), "LIMIT_EXCEEDED") {
		t.Fatalf("second subscription: %s %s", m.Type, m.Payload)
	}
	// A second websocket is refused before the upgrade.
	_, resp, err := s.dialWS(t, ctx)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("second websocket: %v %v", resp, err)
	}
}
