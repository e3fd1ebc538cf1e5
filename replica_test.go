package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/artigraph/artigraph/internal/neo4jlock"
)

// TestReplicasShareOneNeo4j runs two server processes on one Neo4j, with
// one server key and one blob directory, as replicas behind a load balancer
// run: an upload ticket from one completes on the other, a subscriber on one
// sees a version logged through the other, and a tag moved concurrently
// through both has one holder.
func TestReplicasShareOneNeo4j(t *testing.T) {
	uri := os.Getenv("NEO4J_URI")
	if uri == "" {
		if os.Getenv("ARTIGRAPH_REQUIRE_NEO4J") == "" {
			t.Skip("needs Neo4j: set NEO4J_URI (scripts/test does) or ARTIGRAPH_REQUIRE_NEO4J")
		}
		t.Fatal("ARTIGRAPH_REQUIRE_NEO4J is set but NEO4J_URI is not")
	}
	neo4jlock.Hold(t, uri)
	shared := t.TempDir()
	args := strings.Join([]string{"--server-key-file", filepath.Join(shared, "server.key"),
		"--artifact-path", filepath.Join(shared, "blobs", "{{project}}")}, "\n")
	env := []string{childArgsEnv + "=" + args, "NEO4J_URI=" + uri}
	// The first creates the key file; the second reads it.
	a := startChild(t, t.TempDir(), env...)
	b := startChild(t, t.TempDir(), env...)
	project := fmt.Sprintf("replicas-%d", time.Now().UnixNano())
	a.mustQuery(t, `mutation($p: String!) { upsertProject(input: {name: $p}) { name } }`, map[string]any{"p": project}, nil)

	t.Run("an upload ticket from one completes on the other", func(t *testing.T) {
		var ticket struct{ CreateUpload struct{ URL string } }
		a.mustQuery(t, `mutation($p: String!) { createUpload(input: {project: $p, key: "weights", kind: MODEL}) { url } }`,
			map[string]any{"p": project}, &ticket)
		req, err := http.NewRequest(http.MethodPut, b.base+ticket.CreateUpload.URL, strings.NewReader("weights"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ URI string }
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("PUT on the other replica: %s", resp.Status)
		}
		var got struct{ Artifact struct{ Size int } }
		a.mustQuery(t, `query($u: String!) { artifact(uri: $u) { size } }`, map[string]any{"u": out.URI}, &got)
		if got.Artifact.Size != len("weights") {
			t.Errorf("the first replica sees %+v", got)
		}
	})

	t.Run("a subscriber on one sees a log on the other", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		next := subscribeLogged(t, ctx, a.base, project)
		// Its own logs until one arrives show the subscription is live (no
		// event says so); then the other's log must arrive.
		live := make(chan struct{})
		warming := make(chan struct{})
		go func() {
			defer close(warming)
			for i := 0; ; i++ {
				select {
				case <-live:
					return
				default:
					key := fmt.Sprint("warm-", i)
					if err := a.query(logQuery, map[string]any{"p": project, "k": key}, nil); err != nil {
						t.Errorf("log %s: %v", key, err)
						return
					}
				}
			}
		}()
		if key := next(); !strings.HasPrefix(key, "warm-") {
			t.Fatalf("first event: %q", key)
		}
		close(live)
		<-warming
		logBody(t, b, project, "on-b")
		for {
			key := next()
			if key == "on-b" {
				break
			}
			if !strings.HasPrefix(key, "warm-") {
				t.Fatalf("unexpected event %q", key)
			}
		}
	})

	t.Run("a tag moved through both has one holder", func(t *testing.T) {
		var uids []string
		for i := range 4 {
			var v struct{ LogArtifact struct{ UID string } }
			a.mustQuery(t, `mutation($p: String!, $b: String!) { logArtifact(input: {project: $p, key: "model", kind: MODEL, body: $b}) { uid } }`,
				map[string]any{"p": project, "b": fmt.Sprint("content ", i)}, &v)
			uids = append(uids, v.LogArtifact.UID)
		}
		var wg sync.WaitGroup
		for i := range 32 {
			server := []*crashServer{a, b}[i%2]
			wg.Go(func() {
				err := server.query(`mutation($u: String!) { tagArtifact(uri: $u, tag: "prod") { uid } }`,
					map[string]any{"u": fmt.Sprintf("store://models/%s/model^%s", project, uids[i%len(uids)])}, nil)
				if err != nil {
					t.Errorf("tag through replica %d: %v", i%2, err)
				}
			})
		}
		wg.Wait()
		for _, s := range []*crashServer{a, b} {
			var got struct {
				Artifacts struct {
					Edges []struct{ Node struct{ UID string } }
				}
			}
			s.mustQuery(t, `query($p: String!) { artifacts(project: $p, filter: {key: "model", tag: "prod"}) { edges { node { uid } } } }`,
				map[string]any{"p": project}, &got)
			if len(got.Artifacts.Edges) != 1 {
				t.Errorf("holders of prod: %+v", got.Artifacts.Edges)
			}
		}
	})
}

const logQuery = `mutation($p: String!, $k: String!) { logArtifact(input: {project: $p, key: $k, kind: MODEL, body: $k}) { uid } }`

func logBody(t *testing.T, s *crashServer, project, key string) {
	t.Helper()
	s.mustQuery(t, logQuery, map[string]any{"p": project, "k": key}, nil)
}

// subscribeLogged subscribes to artifactLogged on the server at base and
// returns a function that waits for the next event and returns its key.
func subscribeLogged(t *testing.T, ctx context.Context, base, project string) func() string {
	t.Helper()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() })
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
	q, _ := json.Marshal(map[string]any{"query": `subscription($p: String!) { artifactLogged(project: $p) { key } }`,
		"variables": map[string]any{"p": project}})
	wsjson.Write(ctx, conn, msg{ID: "1", Type: "subscribe", Payload: q})
	return func() string {
		for {
			if err := wsjson.Read(ctx, conn, &m); err != nil {
				t.Fatalf("waiting for an event: %v", err)
			}
			switch m.Type {
			case "ping":
				wsjson.Write(ctx, conn, msg{Type: "pong"})
			case "next":
				var p struct {
					Data struct{ ArtifactLogged struct{ Key string } }
				}
				json.Unmarshal(bytes.TrimSpace(m.Payload), &p)
				return p.Data.ArtifactLogged.Key
			default:
				t.Fatalf("unexpected %s %s", m.Type, m.Payload)
			}
		}
	}
}
