package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// TestArtifactLoggedSubscription speaks graphql-transport-ws as GraphiQL does.
func TestArtifactLoggedSubscription(t *testing.T) {
	s := newServer(t)
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	s.mustDo(t, `mutation { upsertProject(input: {name: "other"}) { name } }`, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	if conn.Subprotocol() != "graphql-transport-ws" {
		t.Fatalf("subprotocol %q", conn.Subprotocol())
	}
	type msg struct {
		ID      string          `json:"id,omitempty"`
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload,omitempty"`
	}
	wsjson.Write(ctx, conn, msg{Type: "connection_init"})
	var m msg
	if err := wsjson.Read(ctx, conn, &m); err != nil || m.Type != "connection_ack" {
		t.Fatalf("ack: %+v %v", m, err)
	}
	wsjson.Write(ctx, conn, msg{ID: "1", Type: "subscribe",
		Payload: json.RawMessage(`{"query":"subscription { artifactLogged(project: \"p\") { key kind uri } }"}`)})
	waitFor(t, ctx, "the subscription to start", func() bool { return s.svc.Subscribers("p") == 1 })
	s.mustDo(t, `mutation { logArtifact(input: {project: "other", key: "elsewhere", kind: MODEL, body: "x"}) { uid } }`, nil, nil)
	s.mustDo(t, `mutation { logArtifact(input: {project: "p", key: "fresh", kind: MODEL, body: "x"}) { uid } }`, nil, nil)
	for {
		if err := wsjson.Read(ctx, conn, &m); err != nil {
			t.Fatal(err)
		}
		if m.Type == "ping" {
			wsjson.Write(ctx, conn, msg{Type: "pong"})
			continue
		}
		break
	}
	if m.Type != "next" || m.ID != "1" || !strings.Contains(string(m.Payload), `"key":"fresh"`) {
		t.Fatalf("got %s %s", m.Type, m.Payload)
	}
	wsjson.Write(ctx, conn, msg{ID: "1", Type: "complete"})
	// A subscription to a project that does not exist fails clearly.
	wsjson.Write(ctx, conn, msg{ID: "2", Type: "subscribe",
		Payload: json.RawMessage(`{"query":"subscription { artifactLogged(project: \"ghost\") { key } }"}`)})
	for {
		if err := wsjson.Read(ctx, conn, &m); err != nil {
			t.Fatal(err)
		}
		if m.ID == "2" {
			break
		}
	}
	if !strings.Contains(string(m.Payload), "NOT_FOUND") {
		t.Fatalf("unknown project: %s %s", m.Type, m.Payload)
	}
}

// waitFor waits until cond holds (an event this test cannot be told of
// directly), failing when ctx ends first.
func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %s", what)
		case <-time.After(time.Millisecond):
		}
	}
}
