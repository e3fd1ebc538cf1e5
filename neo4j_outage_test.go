package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// neo4jLauncher runs scripts/neo4j with its own state folder, so this test's
// server can be stopped without touching the Neo4j other tests share.
type neo4jLauncher struct {
	t     *testing.T
	state string
}

func (l neo4jLauncher) run(env []string, args ...string) string {
	l.t.Helper()
	cmd := exec.Command("scripts/neo4j", args...)
	cmd.Env = append(append(os.Environ(), "ARTIGRAPH_NEO4J_STATE="+l.state), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		l.t.Fatalf("scripts/neo4j %v: %v\n%s", args, err, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	return lines[len(lines)-1]
}

// TestServerOnNeo4jSurvivesAnOutage: with NEO4J_URI the server uses Neo4j;
// while Neo4j is down /readyz says 503 and requests fail with UNAVAILABLE;
// when it returns, the same server recovers by itself.
func TestServerOnNeo4jSurvivesAnOutage(t *testing.T) {
	if os.Getenv("NEO4J_URI") == "" && os.Getenv("ARTIGRAPH_REQUIRE_NEO4J") == "" {
		t.Skip("needs Neo4j: set NEO4J_URI (scripts/test does) or ARTIGRAPH_REQUIRE_NEO4J")
	}
	l := neo4jLauncher{t: t, state: t.TempDir()}
	uri := strings.TrimPrefix(l.run(nil, "start"), "NEO4J_URI=")
	t.Cleanup(func() { l.run(nil, "stop") })
	u, err := url.Parse(uri)
	if err != nil || u.Port() == "" {
		t.Fatalf("launcher printed %q", uri)
	}

	env := map[string]string{"NEO4J_URI": uri}
	cfg, err := parseConfig([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	m, err := Open(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go m.Run(ctx)
	base := "http://" + m.Addr()
	waitReady(t, base)

	gql := func(q string) (string, string) { return postGraphQL(t, base, q) }
	readyz := func() int {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor := func(what string, limit time.Duration, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(limit)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}

	if _, code := gql(`mutation { upsertProject(input: {name: "p"}) { name } }`); code != "" {
		t.Fatalf("upsertProject on Neo4j: %s", code)
	}
	if data, code := gql(`mutation { logArtifact(input: {project: "p", key: "raw", kind: DATASET, body: "x"}) { kind } }`); code != "" || !strings.Contains(data, "DATASET") {
		t.Fatalf("logArtifact on Neo4j: %s %s", data, code)
	}

	l.run(nil, "stop")
	waitFor("/readyz to say 503", 30*time.Second, func() bool { return readyz() == http.StatusServiceUnavailable })
	if _, code := gql(`{ artifacts(project: "p") { totalCount } }`); code != "UNAVAILABLE" {
		t.Fatalf("a request while Neo4j is down answered %q, want UNAVAILABLE", code)
	}

	l.run([]string{"NEO4J_PORT=" + u.Port()}, "start")
	waitFor("/readyz to recover", 60*time.Second, func() bool { return readyz() == http.StatusOK })
	// The launcher starts empty: the same server writes and reads again.
	if _, code := gql(`mutation { upsertProject(input: {name: "back"}) { name } }`); code != "" {
		t.Fatalf("after recovery: %s", code)
	}
	if data, _ := gql(`{ projects { name } }`); !strings.Contains(data, `"back"`) {
		t.Fatalf("after recovery: %s", data)
	}
}
