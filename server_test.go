package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	env := map[string]string{"ARTIGRAPH_ADDR": "127.0.0.1:9999", "ARTIGRAPH_ARTIFACT_PATH": "gs://bucket/{{project}}",
		"ARTIGRAPH_CORS_ORIGINS": "https://a.example, https://b.example", "ARTIGRAPH_MAX_QUERY_DEPTH": "7"}
	c, err := parseConfig([]string{"--data-dir", "/tmp/x"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9999" || c.DataDir != "/tmp/x" || c.ArtifactPath != "gs://bucket/{{project}}" ||
		len(c.CORSOrigins) != 2 || c.CORSOrigins[1] != "https://b.example" || c.MaxQueryDepth != 7 || c.MaxLineage != 10 {
		t.Fatalf("%+v", c)
	}
	// Flags win over the environment.
	c, _ = parseConfig([]string{"--addr", ":1"}, func(k string) string { return env[k] })
	if c.Addr != ":1" {
		t.Fatalf("flag lost to env: %s", c.Addr)
	}
	none, _ := parseConfig(nil, func(string) string { return "" })
	if len(none.CORSOrigins) != 0 || none.Addr != "127.0.0.1:8080" || none.DataDir != "./data" {
		t.Fatalf("defaults: %+v", none)
	}
	for _, bad := range [][]string{{"--artifact-path", "relative/dir"}, {"--artifact-path", "/a/../b"}, {"--max-query-depth", "0"}} {
		if _, err := parseConfig(bad, func(string) string { return "" }); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	cfg, _ := parseConfig([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, noEnv)
	s := mustRunMain(t, cfg)
	if code := healthcheckCommand([]string{"--addr", s.Addr()}, noEnv, io.Discard); code != 0 {
		t.Fatalf("healthcheck: exit %d", code)
	}
	// Shutdown runs these hooks once it has closed the listener.
	listenerClosed := make(chan struct{})
	s.HTTP.RegisterOnShutdown(func() { close(listenerClosed) })

	// The server answers "100 Continue" when the handler starts reading
	// the body: from then on the request is in flight.
	query, _ := json.Marshal(map[string]string{"query": `mutation { upsertProject(input: {name: "inflight"}) { name } }`})
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"+
		"Expect: 100-continue\r\n\r\n", s.Addr(), len(query))
	c.SetReadDeadline(time.Now().Add(time.Minute)) // a failure guard only
	br := bufio.NewReader(c)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != http.StatusContinue {
		t.Fatalf("waiting for 100 Continue: %v %v", resp, err)
	}

	s.Stop() // as SIGTERM does
	select {
	case <-listenerClosed:
	case <-time.After(time.Minute):
		t.Fatal("shutdown did not begin")
	}
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := fresh.Get(s.URL + "/healthz"); err == nil {
		resp.Body.Close()
		t.Error("new connections are still accepted after shutdown began")
	}
	if code := healthcheckCommand([]string{"--addr", s.Addr()}, noEnv, io.Discard); code != 1 {
		t.Errorf("healthcheck during shutdown: exit %d, want 1", code)
	}

	c.Write(query)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("in-flight request did not finish: %v", err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(got), `"name":"inflight"`) {
		t.Fatalf("in-flight request did not finish: %s", got)
	}
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The acknowledged write is there after a restart.
	m2, err := Open(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if _, err := m2.Store.GetProject(context.Background(), "inflight"); err != nil {
		t.Fatalf("project lost: %v", err)
	}
}

func TestDefaultArtifactPathIsUnderDataDir(t *testing.T) {
	dir := t.TempDir()
	base := serve(t, "--data-dir", dir).URL
	postGraphQL(t, base, `mutation { upsertProject(input: {name: "p"}) { name } }`)
	got, _ := postGraphQL(t, base, `mutation { logArtifact(input: {project: "p", key: "k", kind: MODEL, body: "x", format: "txt"}) { targetPath } }`)
	want := filepath.Join(dir, "artifacts", "p", "k.txt")
	if !strings.Contains(got, want) {
		t.Fatalf("%s does not name %s", got, want)
	}
}

func TestGCCommand(t *testing.T) {
	dir := t.TempDir()
	orphan := filepath.Join(dir, "artifacts", "p", "orphan.bin")
	os.MkdirAll(filepath.Dir(orphan), 0o755)
	os.WriteFile(orphan, []byte("x"), 0o644)
	// 90 minutes old: a grace of 2h spares it, one of 1h does not.
	old := time.Now().Add(-90 * time.Minute)
	if err := os.Chtimes(orphan, old, old); err != nil {
		t.Fatal(err)
	}
	gc := func(args ...string) (int, string) {
		var out, errs strings.Builder
		code := gcCommand(append([]string{"--data-dir", dir}, args...), noEnv, &out, &errs)
		return code, out.String() + errs.String()
	}
	if code, out := gc("--dry-run", "--grace=0s"); code != 0 || !strings.Contains(out, "orphan\t"+orphan) {
		t.Fatalf("dry run: exit %d: %s", code, out)
	}
	if _, err := os.Stat(orphan); err != nil {
		t.Fatal("dry run removed the orphan")
	}
	// Both spellings of a flag's value work, as for every other flag.
	for _, args := range [][]string{{"--grace", "2h"}, {"--grace=2h"}, {"-grace", "2h"}} {
		if code, out := gc(args...); code != 0 || !strings.Contains(out, "0 removed") {
			t.Fatalf("%v: exit %d: %s", args, code, out)
		}
		if _, err := os.Stat(orphan); err != nil {
			t.Fatalf("%v removed an orphan younger than the grace", args)
		}
	}
	if code, out := gc("--grace", "1h"); code != 0 || !strings.Contains(out, "1 removed") {
		t.Fatalf("--grace 1h: exit %d: %s", code, out)
	}
	if _, err := os.Stat(orphan); err == nil {
		t.Fatal("orphan kept")
	}
	for _, args := range [][]string{{"--grace=soon"}, {"--grace", "soon"}, {"--dry-run=maybe"}, {"stray"}} {
		if code, out := gc(args...); code != 2 || !strings.Contains(out, strings.TrimLeft(strings.Split(args[0], "=")[0], "-")) {
			t.Errorf("%v: exit %d, want 2 and a message naming it: %s", args, code, out)
		}
	}
	var errs strings.Builder
	env := map[string]string{"ARTIGRAPH_MAX_UPLOAD_BYTES": "1GB"}
	if code := gcCommand([]string{"--data-dir", dir}, func(k string) string { return env[k] }, io.Discard, &errs); code != 2 ||
		!strings.Contains(errs.String(), "ARTIGRAPH_MAX_UPLOAD_BYTES") {
		t.Fatalf("gc with ARTIGRAPH_MAX_UPLOAD_BYTES=1GB: exit %d: %s", code, errs.String())
	}
}

func TestHealthcheckCommand(t *testing.T) {
	s := serve(t)
	for _, args := range [][]string{{"--addr", s.Addr()}, {"--addr=" + s.Addr()}} {
		var errs strings.Builder
		if code := healthcheckCommand(args, noEnv, &errs); code != 0 {
			t.Errorf("%v: exit %d: %s", args, code, errs.String())
		}
	}
	env := map[string]string{"ARTIGRAPH_ADDR": s.Addr()}
	if code := healthcheckCommand(nil, func(k string) string { return env[k] }, io.Discard); code != 0 {
		t.Errorf("ARTIGRAPH_ADDR: exit %d", code)
	}
	var errs strings.Builder
	env = map[string]string{"ARTIGRAPH_MAX_CONNECTIONS": "many"}
	if code := healthcheckCommand([]string{"--addr", s.Addr()}, func(k string) string { return env[k] }, &errs); code != 2 ||
		!strings.Contains(errs.String(), "ARTIGRAPH_MAX_CONNECTIONS") {
		t.Errorf("a malformed number in the environment: exit %d: %s", code, errs.String())
	}
	if code := healthcheckCommand([]string{"--addr", "no-port"}, noEnv, io.Discard); code != 2 {
		t.Errorf("--addr no-port: exit %d, want 2", code)
	}
}

// postGraphQL sends a query to a running server and returns its data and
// the first error's extensions.code ("" when none).
func postGraphQL(t *testing.T, base, q string) (data, code string) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"query": q})
	resp, err := http.Post(base+"/graphql", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Data   json.RawMessage
		Errors []struct{ Extensions struct{ Code string } }
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	if len(r.Errors) > 0 {
		return string(r.Data), r.Errors[0].Extensions.Code
	}
	return string(r.Data), ""
}

// A number in the environment or a flag that does not parse stops the
// start with a message naming it, instead of silently starting with the
// default.
func TestConfigNumbersMustParse(t *testing.T) {
	envs := []string{"ARTIGRAPH_MAX_QUERY_DEPTH", "ARTIGRAPH_MAX_COMPLEXITY", "ARTIGRAPH_MAX_UPLOAD_BYTES",
		"ARTIGRAPH_MAX_LINEAGE_DEPTH", "ARTIGRAPH_MAX_REQUEST_BYTES", "ARTIGRAPH_MAX_QUERY_FIELDS",
		"ARTIGRAPH_MAX_CONNECTIONS", "ARTIGRAPH_MAX_SUBSCRIPTIONS"}
	for _, name := range envs {
		for _, bad := range []string{"1GB", "1.5", "ten", "0x10", "99999999999999999999"} {
			t.Run(name+"="+bad, func(t *testing.T) {
				_, err := parseConfig(nil, func(k string) string {
					if k == name {
						return bad
					}
					return ""
				})
				if err == nil || !strings.Contains(err.Error(), name) {
					t.Fatalf("%v, want an error naming %s", err, name)
				}
			})
		}
	}
	flags := []struct {
		name, good string
		got        func(Config) any
		want       any
	}{
		{"max-query-depth", "7", func(c Config) any { return c.MaxQueryDepth }, 7},
		{"max-complexity", "70", func(c Config) any { return c.MaxComplexity }, 70},
		{"max-upload-bytes", "1073741824", func(c Config) any { return c.MaxUploadBytes }, int64(1 << 30)},
		{"max-lineage-depth", "3", func(c Config) any { return c.MaxLineage }, 3},
		{"max-request-bytes", "1024", func(c Config) any { return c.MaxRequestBytes }, int64(1024)},
		{"max-query-fields", "99", func(c Config) any { return c.MaxQueryFields }, 99},
		{"max-connections", "5", func(c Config) any { return c.MaxConnections }, 5},
		{"max-subscriptions", "6", func(c Config) any { return c.MaxSubscriptions }, 6},
		{"request-timeout", "5s", func(c Config) any { return c.RequestTimeout }, 5 * time.Second},
		{"shutdown-grace", "1m", func(c Config) any { return c.ShutdownGrace }, time.Minute},
		{"signed-url-ttl", "15m", func(c Config) any { return c.SignedURLTTL }, 15 * time.Minute},
		{"read-timeout", "7s", func(c Config) any { return c.ReadTimeout }, 7 * time.Second},
		{"idle-timeout", "2h", func(c Config) any { return c.IdleTimeout }, 2 * time.Hour},
	}
	for _, f := range flags {
		t.Run("--"+f.name, func(t *testing.T) {
			for _, args := range [][]string{{"--" + f.name, f.good}, {"--" + f.name + "=" + f.good}} {
				c, err := parseConfig(args, noEnv)
				if err != nil || f.got(c) != f.want {
					t.Errorf("%v: %v, %v; want %v", args, f.got(c), err, f.want)
				}
			}
			for _, bad := range []string{"1GB", "ten", "", "1.5.5"} {
				for _, args := range [][]string{{"--" + f.name, bad}, {"--" + f.name + "=" + bad}} {
					var errs strings.Builder
					if _, err := parseConfigTo(args, noEnv, &errs); err == nil || !strings.Contains(err.Error(), "-"+f.name) {
						t.Errorf("%q: %v, want an error naming the flag", args, err)
					}
				}
			}
		})
	}
	// A whole number in the environment is taken, and a flag wins over it.
	env := map[string]string{"ARTIGRAPH_MAX_UPLOAD_BYTES": "1073741824"}
	c, err := parseConfig(nil, func(k string) string { return env[k] })
	if err != nil || c.MaxUploadBytes != 1<<30 {
		t.Fatalf("a whole number: %d, %v", c.MaxUploadBytes, err)
	}
	c, err = parseConfig([]string{"--max-upload-bytes=5"}, func(k string) string { return env[k] })
	if err != nil || c.MaxUploadBytes != 5 {
		t.Fatalf("flag over env: %d, %v", c.MaxUploadBytes, err)
	}
}
