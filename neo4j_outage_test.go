package main

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
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
	base := mustRunMain(t, cfg).URL

	gql := func(q string) (string, string) { return postGraphQL(t, base, q) }
	readyz := func() int {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// The launcher returns once Neo4j is down, or up and answering, so the
	// next check should see it; a few more absorb the driver dropping
	// pooled connections to the old process, one failed check at a time.
	// Each check is a whole request, which waits on the driver: no sleep.
	waitFor := func(what string, want int) {
		t.Helper()
		got := 0
		for i := range 20 {
			if got = readyz(); got == want {
				t.Logf("%s seen by check %d", what, i+1)
				return
			}
		}
		t.Fatalf("/readyz still says %d, waiting for %s", got, what)
	}

	if _, code := gql(`mutation { upsertProject(input: {name: "p"}) { name } }`); code != "" {
		t.Fatalf("upsertProject on Neo4j: %s", code)
	}
	if data, code := gql(`mutation { logArtifact(input: {project: "p", key: "raw", kind: DATASET, body: "x"}) { kind } }`); code != "" || !strings.Contains(data, "DATASET") {
		t.Fatalf("logArtifact on Neo4j: %s %s", data, code)
	}

	l.run(nil, "stop")
	waitFor("Neo4j's outage", http.StatusServiceUnavailable)
	if _, code := gql(`{ artifacts(project: "p") { totalCount } }`); code != "UNAVAILABLE" {
		t.Fatalf("a request while Neo4j is down answered %q, want UNAVAILABLE", code)
	}

	l.run([]string{"NEO4J_PORT=" + u.Port()}, "start")
	waitFor("Neo4j's return", http.StatusOK)
	// The launcher starts empty: the same server writes and reads again.
	if _, code := gql(`mutation { upsertProject(input: {name: "back"}) { name } }`); code != "" {
		t.Fatalf("after recovery: %s", code)
	}
	if data, _ := gql(`{ projects { name } }`); !strings.Contains(data, `"back"`) {
		t.Fatalf("after recovery: %s", data)
	}
}
