package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The crash test runs the real server as a child process: this test binary
// again, with crashChildEnv naming the data directory.
const (
	crashChildEnv   = "ARTIGRAPH_CRASH_CHILD_DATA_DIR"
	childArgsEnv    = "ARTIGRAPH_CHILD_ARGS" // more flags, one per line, and the environment read
	crashAddrPrefix = "artigraph crash child listening on "
	crashWriters    = 16
	crashProject    = "crash"
)

// TestMain runs this test binary as the crash test's server when
// crashChildEnv names a data directory, and as the tests otherwise.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		os.Exit(runCrashChild(dir))
	}
	os.Exit(m.Run())
}

// runCrashChild serves on a free loopback port until it is killed, and
// prints the address for the parent to read.
func runCrashChild(dir string) int {
	args := []string{"--addr", "127.0.0.1:0", "--data-dir", dir}
	getenv := func(string) string { return "" }
	if extra := os.Getenv(childArgsEnv); extra != "" { // a replica (replica_test.go)
		args = append(args, strings.Split(extra, "\n")...)
		getenv = os.Getenv
	}
	cfg, err := parseConfig(args, getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	m, err := Open(cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	go func() {
		// Printed once the store has loaded, so that the parent's requests
		// find it ready.
		<-m.Loaded()
		fmt.Println(crashAddrPrefix + m.Addr())
	}()
	err = m.Run(context.Background()) // until SIGKILL
	fmt.Fprintln(os.Stderr, "server stopped:", err)
	return 1
}

// TestKillServerKeepsAcknowledgedWrites: 16 clients log artifacts to a real
// server, half with an inline body and half with createUpload and a streamed
// PUT; the server is killed with SIGKILL after a random number of
// acknowledgements and restarted on the same data directory. Every
// acknowledged version must be there with its hash, and every version's
// content must download and match its hash.
//
// ARTIGRAPH_CRASH_ROUNDS raises the number of kills (10 by default), and
// ARTIGRAPH_CRASH_SEED repeats a run's choices (it is logged).
func TestKillServerKeepsAcknowledgedWrites(t *testing.T) {
	rounds := 10
	if n, err := strconv.Atoi(os.Getenv("ARTIGRAPH_CRASH_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("ARTIGRAPH_CRASH_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("ARTIGRAPH_CRASH_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	dir := t.TempDir()
	srv := startCrashServer(t, dir)
	srv.mustQuery(t, `mutation { upsertProject(input: {name: "`+crashProject+`"}) { name } }`, nil, nil)
	var acked []crashAck
	verified := map[string]bool{} // uids whose content was downloaded and checked
	for round := range rounds {
		// Kill after k acknowledgements: the moment is random, and some
		// writes of both kinds are always in flight.
		k := 1 + rng.IntN(3*crashWriters)
		acks := srv.writeUntilKilled(t, round, rng.Uint64(), k)
		acked = append(acked, acks...)

		srv = startCrashServer(t, dir)
		srv.checkAcknowledged(t, acked)
		if round == rounds-1 {
			clear(verified) // at the end, every version again
		}
		n := srv.checkContent(t, verified)
		streamed := 0
		for _, a := range acks {
			if a.how != "logArtifact" {
				streamed++
			}
		}
		t.Logf("round %d: killed after %d acknowledgements (%d inline, %d streamed); all %d acknowledged so far survived; %d new versions verified",
			round, len(acks), len(acks)-streamed, streamed, len(acked), n)
	}
	srv.kill()
}

// crashServer is one run of the child server.
type crashServer struct {
	cmd    *exec.Cmd
	base   string
	stderr *bytes.Buffer
	killed atomic.Bool
	client *http.Client
}

func startCrashServer(t *testing.T, dir string) *crashServer {
	t.Helper()
	return startChild(t, dir)
}

// startChild starts this test binary as a server on dir; env (NAME=value)
// is added to its environment.
func startChild(t *testing.T, dir string, env ...string) *crashServer {
	t.Helper()
	cmd := exec.Command(os.Args[0]) // TestMain makes it the server
	// The embedded store and local disk only, whatever this shell points at.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STORAGE_EMULATOR_HOST=") && !strings.HasPrefix(kv, "GOOGLE_APPLICATION_CREDENTIALS=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, crashChildEnv+"="+dir), env...)
	s := &crashServer{cmd: cmd, stderr: &bytes.Buffer{},
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: crashWriters}, Timeout: time.Minute}}
	cmd.Stderr = s.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.kill)
	// The child says its address once it has bound it.
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if addr, ok := strings.CutPrefix(lines.Text(), crashAddrPrefix); ok {
			s.base = "http://" + addr
			break
		}
	}
	if s.base == "" {
		cmd.Wait()
		t.Fatalf("the server did not start: %s", s.stderr)
	}
	go io.Copy(io.Discard, out)
	// The address is bound before it is printed and Run follows, so one
	// request waits in the listen queue until the server serves it.
	resp, err := s.client.Get(s.base + "/readyz")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return s
		}
		err = fmt.Errorf("/readyz: %s", resp.Status)
	}
	s.kill() // before reading its stderr
	t.Fatalf("the server never became ready: %v\n%s", err, s.stderr)
	return nil
}

// kill sends SIGKILL and reaps the child.
func (s *crashServer) kill() {
	if s.killed.Swap(true) {
		return
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.client.CloseIdleConnections()
}

// crashAck is an acknowledged write: what the server answered, and the
// hash of what was sent.
type crashAck struct {
	UID, URI, Hash, DownloadURL string
	Size                        int64
	sent                        string
	how                         string
}

// writeUntilKilled runs the writers until the server has acknowledged k
// writes, kills it, and returns every write it acknowledged.
func (s *crashServer) writeUntilKilled(t *testing.T, round int, seed uint64, k int) []crashAck {
	t.Helper()
	var mu sync.Mutex
	var acks []crashAck
	enough := make(chan struct{})
	var wg sync.WaitGroup
	for w := range crashWriters {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for n := 0; ; n++ {
				key := fmt.Sprintf("r%d-w%02d-%d", round, w, n)
				content := crashContent(rng, w%2 == 0)
				var a crashAck
				var err error
				if w%2 == 0 {
					a, err = s.logInline(key, content)
				} else {
					a, err = s.logStreamed(key, content)
				}
				if err != nil {
					if !s.killed.Load() {
						t.Errorf("writer %d: %v", w, err)
					}
					return // the server is gone: this write may or may not have been committed
				}
				sum := sha256.Sum256(content)
				a.sent = "sha256:" + hex.EncodeToString(sum[:])
				if a.Hash != a.sent || a.Size != int64(len(content)) || a.UID == "" {
					t.Errorf("writer %d: %s answered %+v for %d bytes with hash %s", w, a.how, a, len(content), a.sent)
				}
				mu.Lock()
				acks = append(acks, a)
				if len(acks) == k {
					close(enough)
				}
				mu.Unlock()
			}
		})
	}
	stopped := make(chan struct{})
	go func() { wg.Wait(); close(stopped) }()
	select {
	case <-enough:
	case <-stopped:
		s.kill() // before reading its stderr
		t.Fatalf("round %d: the writers stopped before %d acknowledgements\n%s", round, k, s.stderr)
	}
	s.kill()
	<-stopped
	mu.Lock()
	defer mu.Unlock()
	return acks
}

// crashContent is random content of a random size up to 1 MiB, most of
// them small; text for an inline body (a GraphQL string), bytes otherwise.
func crashContent(rng *rand.Rand, text bool) []byte {
	b := make([]byte, rng.IntN(1<<rng.IntN(21)+1))
	for i := range b {
		b[i] = byte(rng.Uint32())
		if text {
			b[i] = ' ' + b[i]%95
		}
	}
	return b
}

func (s *crashServer) logInline(key string, content []byte) (crashAck, error) {
	var out struct{ LogArtifact crashAck }
	err := s.query(`mutation($in: LogArtifactInput!) { logArtifact(input: $in) { uid uri hash size downloadUrl } }`,
		map[string]any{"in": map[string]any{"project": crashProject, "key": key, "kind": "MODEL", "format": "txt", "body": string(content)}}, &out)
	out.LogArtifact.how = "logArtifact"
	return out.LogArtifact, err
}

func (s *crashServer) logStreamed(key string, content []byte) (crashAck, error) {
	var ticket struct{ CreateUpload struct{ URL string } }
	if err := s.query(`mutation($in: LogArtifactInput!) { createUpload(input: $in) { url } }`,
		map[string]any{"in": map[string]any{"project": crashProject, "key": key, "kind": "DATASET", "format": "bin"}}, &ticket); err != nil {
		return crashAck{}, err
	}
	// Hide the length, so that the body is streamed in chunks.
	req, err := http.NewRequest(http.MethodPut, s.base+ticket.CreateUpload.URL, struct{ io.Reader }{bytes.NewReader(content)})
	if err != nil {
		return crashAck{}, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return crashAck{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return crashAck{}, err
	}
	if resp.StatusCode != http.StatusCreated {
		return crashAck{}, fmt.Errorf("PUT: %d %s", resp.StatusCode, raw)
	}
	a := crashAck{how: "createUpload and PUT"}
	return a, json.Unmarshal(raw, &a)
}

// query runs a GraphQL request and decodes its data into out.
func (s *crashServer) query(q string, vars map[string]any, out any) error {
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	resp, err := s.client.Post(s.base+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var r struct {
		Data   json.RawMessage
		Errors []json.RawMessage
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("%d, not JSON: %.200s", resp.StatusCode, raw)
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("%d: %s", resp.StatusCode, r.Errors[0])
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(r.Data, out)
}

func (s *crashServer) mustQuery(t *testing.T, q string, vars map[string]any, out any) {
	t.Helper()
	if err := s.query(q, vars, out); err != nil {
		t.Fatalf("%v\nquery: %s", err, q)
	}
}

// checkAcknowledged finds every acknowledged version, by its URI, with the
// uid and hash the server answered.
func (s *crashServer) checkAcknowledged(t *testing.T, acked []crashAck) {
	t.Helper()
	for from := 0; from < len(acked); from += 50 {
		batch := acked[from:min(from+50, len(acked))]
		var q strings.Builder
		q.WriteString("{")
		for i, a := range batch {
			fmt.Fprintf(&q, " v%d: artifact(uri: %q) { uid hash size }", i, a.URI)
		}
		q.WriteString(" }")
		var got map[string]*crashAck
		s.mustQuery(t, q.String(), nil, &got)
		for i, a := range batch {
			v := got[fmt.Sprintf("v%d", i)]
			switch {
			case v == nil:
				t.Errorf("acknowledged version %s (%s) is gone after the kill", a.URI, a.how)
			case v.UID != a.UID || v.Hash != a.Hash || v.Size != a.Size:
				t.Errorf("acknowledged version %s (%s) came back as %+v, not %+v", a.URI, a.how, *v, a)
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// checkContent downloads, with ?verify=1, the content of every version not
// in verified and compares it with its recorded hash and size. It returns
// how many it checked.
func (s *crashServer) checkContent(t *testing.T, verified map[string]bool) int {
	t.Helper()
	checked := 0
	var after any // null: the first page
	for {
		var page struct {
			Artifacts struct {
				Edges    []struct{ Node crashAck }
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
			}
		}
		s.mustQuery(t, `query($p: String!, $after: String) { artifacts(project: $p, first: 200, after: $after) {
			edges { node { uid uri hash size downloadUrl } } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"p": crashProject, "after": after}, &page)
		for _, e := range page.Artifacts.Edges {
			v := e.Node
			if verified[v.UID] {
				continue
			}
			if v.DownloadURL == "" || v.Hash == "" {
				t.Fatalf("version %s has no content: %+v", v.URI, v)
			}
			resp, err := s.client.Get(s.base + v.DownloadURL + "?verify=1")
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			n, err := io.Copy(h, resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("download of %s: %d, %v", v.URI, resp.StatusCode, err)
			}
			if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != v.Hash || n != v.Size {
				t.Fatalf("version %s: downloaded %d bytes with hash %s; recorded %d bytes, %s", v.URI, n, got, v.Size, v.Hash)
			}
			verified[v.UID] = true
			checked++
		}
		if !page.Artifacts.PageInfo.HasNextPage {
			return checked
		}
		after = page.Artifacts.PageInfo.EndCursor
	}
}
