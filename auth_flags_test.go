package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// --auth defaults by address: none on loopback (the one-command start),
// token elsewhere; ARTIGRAPH_AUTH and the flag set it; anything else stops
// the start naming the flag.
func TestAuthModeDefaultsAndValues(t *testing.T) {
	cases := []struct {
		args      []string
		env       string
		want      lineage.AuthMode
		defaulted bool
	}{
		{[]string{"--addr", "127.0.0.1:8080"}, "", lineage.AuthNone, true},
		{[]string{"--addr", "localhost:8080"}, "", lineage.AuthNone, true},
		{[]string{"--addr", "[::1]:8080"}, "", lineage.AuthNone, true},
		{nil, "", lineage.AuthNone, true}, // the default --addr is loopback
		{[]string{"--addr", ":8080"}, "", lineage.AuthToken, true},
		{[]string{"--addr", "0.0.0.0:8080"}, "", lineage.AuthToken, true},
		{[]string{"--addr", "10.1.2.3:8080"}, "", lineage.AuthToken, true},
		{[]string{"--addr", "127.0.0.1:8080", "--auth", "token"}, "", lineage.AuthToken, false},
		{[]string{"--addr", ":8080", "--auth", "none"}, "", lineage.AuthNone, false},
		{[]string{"--addr", "127.0.0.1:8080"}, "token", lineage.AuthToken, false},
		{[]string{"--addr", ":8080", "--auth", "token"}, "none", lineage.AuthToken, false}, // the flag wins
	}
	for _, c := range cases {
		cfg, err := parseConfig(c.args, func(k string) string {
			if k == "ARTIGRAPH_AUTH" {
				return c.env
			}
			return ""
		})
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if cfg.Auth != c.want || cfg.AuthDefaulted != c.defaulted {
			t.Errorf("%v ARTIGRAPH_AUTH=%q: auth %q (defaulted %v), want %q (%v)", c.args, c.env, cfg.Auth, cfg.AuthDefaulted, c.want, c.defaulted)
		}
	}
	for _, bad := range []string{"tokens", "off", "NONE", "basic"} {
		if _, err := parseConfig([]string{"--auth", bad}, noEnv); err == nil || !strings.Contains(err.Error(), "--auth") {
			t.Errorf("--auth %s: %v, want an error naming --auth", bad, err)
		}
		_, err := parseConfig(nil, func(k string) string {
			if k == "ARTIGRAPH_AUTH" {
				return bad
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), "ARTIGRAPH_AUTH") {
			t.Errorf("ARTIGRAPH_AUTH=%s: %v", bad, err)
		}
	}
	c, err := parseConfig([]string{"--download-link-ttl", "2m"}, noEnv)
	if err != nil || c.LinkTTL != 2*time.Minute {
		t.Fatalf("--download-link-ttl: %v %v", c.LinkTTL, err)
	}
	if c, _ := parseConfig(nil, noEnv); c.LinkTTL != 15*time.Minute {
		t.Fatalf("default link ttl %v", c.LinkTTL)
	}
	if _, err := parseConfig([]string{"--download-link-ttl", "0s"}, noEnv); err == nil {
		t.Fatal("a zero --download-link-ttl was accepted")
	}
}

// logLines records log records as text lines.
type logLines struct {
	mu    sync.Mutex
	lines []string
	level []slog.Level
}

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, r.Message)
	l.level = append(l.level, r.Level)
	return nil
}
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logLines) WithGroup(string) slog.Handler      { return l }

// authLines are the start's lines about auth, with their levels.
func (l *logLines) authLines() (out []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, m := range l.lines {
		if strings.Contains(m, "auth") {
			out = append(out, l.level[i].String()+" "+m)
		}
	}
	return out
}

func TestAuthModeIsLoggedAtStart(t *testing.T) {
	open := func(args ...string) []string {
		t.Helper()
		cfg, err := parseConfig(append([]string{"--data-dir", t.TempDir()}, args...), noEnv)
		if err != nil {
			t.Fatal(err)
		}
		logs := &logLines{}
		m, err := Open(cfg, slog.New(logs))
		if err != nil {
			t.Fatal(err)
		}
		m.Close()
		return logs.authLines()
	}
	if got := open("--addr", "0.0.0.0:0", "--auth", "none"); len(got) != 1 || !strings.HasPrefix(got[0], "WARN ") {
		t.Errorf("--auth none on a non-loopback address: %q", got)
	}
	if got := open("--addr", "127.0.0.1:0"); len(got) != 1 || !strings.HasPrefix(got[0], "INFO ") || !strings.Contains(got[0], "loopback") {
		t.Errorf("the loopback default: %q", got)
	}
	if got := open("--addr", "127.0.0.1:0", "--auth", "token"); len(got) != 0 {
		t.Errorf("--auth token: %q", got)
	}
}

func TestServerKeyFile(t *testing.T) {
	dir := t.TempDir()
	cfg, err := parseConfig([]string{"--addr", "127.0.0.1:0", "--data-dir", dir, "--auth", "token", "--admin-token", "boot"}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	s := mustRunMain(t, cfg)
	keyPath := filepath.Join(dir, "server.key")
	st, err := os.Stat(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 || st.Size() != 32 {
		t.Fatalf("server.key: mode %v, %d bytes", st.Mode().Perm(), st.Size())
	}
	key, _ := os.ReadFile(keyPath)

	// A token made before a restart works after it: the key is reused.
	var created struct {
		Data struct{ CreateToken struct{ Token string } }
	}
	bearerPost(t, s.URL, "boot", `mutation { createToken(input: {name: "ci", role: EDITOR}) { token } }`, &created)
	token := created.Data.CreateToken.Token
	if !strings.HasPrefix(token, "agt_") {
		t.Fatalf("token %q", token)
	}
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2 := mustRunMain(t, cfg)
	if again, _ := os.ReadFile(keyPath); !bytes.Equal(again, key) {
		t.Fatal("the key changed on restart")
	}
	var ps struct {
		Data   struct{ Projects []struct{ Name string } }
		Errors []any
	}
	if status := bearerPost(t, s2.URL, token, `{ projects { name } }`, &ps); status != 200 || len(ps.Errors) != 0 {
		t.Fatalf("the token after a restart: %d %+v", status, ps.Errors)
	}
	// Without a token: UNAUTHENTICATED.
	if _, code := postGraphQL(t, s2.URL, `{ projects { name } }`); code != "UNAUTHENTICATED" {
		t.Fatalf("no token: %q", code)
	}
	var logged struct {
		Data struct{ LogArtifact struct{ UID string } }
	}
	bearerPost(t, s2.URL, "boot", `mutation { upsertProject(input: {name: "p"}) { name } }`, &struct{}{})
	bearerPost(t, s2.URL, "boot", `mutation { logArtifact(input: {project: "p", key: "m", kind: MODEL, body: "x"}) { uid } }`, &logged)
	resp, err := http.Get(s2.URL + "/api/v1/artifacts/p/" + logged.Data.LogArtifact.UID + "/content")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("plain route without a token: %s", resp.Status)
	}
	if err := s2.Wait(); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	// Another key (a server not sharing it) accepts none of the tokens.
	withOther := cfg
	withOther.ServerKeyFile = filepath.Join(t.TempDir(), "other.key")
	s3 := mustRunMain(t, withOther)
	if status := bearerPost(t, s3.URL, token, `{ projects { name } }`, &ps); status != http.StatusUnauthorized {
		t.Fatalf("a token under another server key: %d", status)
	}

	// --server-key-file elsewhere; a short key is an error.
	other := filepath.Join(t.TempDir(), "k")
	c2, _ := parseConfig([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--server-key-file", other}, noEnv)
	m, err := openStores(c2)
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	if st, err := os.Stat(other); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("--server-key-file: %v %v", st, err)
	}
	os.WriteFile(other, []byte("short"), 0o600)
	if m, err := openStores(c2); err == nil {
		m.Close()
		t.Fatal("a 5-byte key was accepted")
	} else if !strings.Contains(err.Error(), "--server-key-file") {
		t.Fatalf("short key: %v", err)
	}
	// ARTIGRAPH_SERVER_KEY_FILE sets it too.
	c3, _ := parseConfig(nil, func(k string) string {
		if k == "ARTIGRAPH_SERVER_KEY_FILE" {
			return other
		}
		return ""
	})
	if c3.ServerKeyFile != other {
		t.Fatalf("ARTIGRAPH_SERVER_KEY_FILE: %q", c3.ServerKeyFile)
	}
}

// bearerPost posts a GraphQL query with a bearer token, decoding the
// whole response into out, and returns the status.
func bearerPost(t *testing.T, base, token, q string, out any) int {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"query": q})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("%d %s", resp.StatusCode, raw)
	}
	return resp.StatusCode
}
