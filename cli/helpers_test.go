package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// binary is the artigraph command, built once from the module root by
// TestMain: the tests run it as a user does, exit codes and all.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "artigraph-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "artigraph")
	build := exec.Command("go", "build", "-o", binary, "github.com/artigraph/artigraph")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "go build:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var listening = regexp.MustCompile(`artigraph listening.*addr=(http://\S+)`)

// startServer runs "artigraph <args>" on a free loopback port and a fresh
// data directory until the test ends, and returns its URL and data dir.
func startServer(t testing.TB, args ...string) (url, dataDir string) {
	t.Helper()
	dataDir = t.TempDir()
	cmd := exec.Command(binary, append(args, "--addr", "127.0.0.1:0", "--data-dir", dataDir)...)
	// The embedded store: a shared Neo4j (NEO4J_URI in CI) belongs to its own tests.
	cmd.Env = append(os.Environ(), "ARTIGRAPH_AUTH=", "ARTIGRAPH_ADMIN_TOKEN=", "NEO4J_URI=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	found := make(chan string, 1)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
		cmd.Wait()
		if !sent {
			close(found)
		}
	}()
	select {
	case u, ok := <-found:
		if !ok {
			t.Fatal("the server exited before listening")
		}
		return u, dataDir
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not start")
	}
	return "", ""
}

// result is one run of the command.
type result struct {
	Code           int
	Stdout, Stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", r.Code, r.Stdout, r.Stderr)
}

// cmdEnv is the environment the client runs with: the server and token,
// nothing inherited that could change them.
type cmdEnv struct {
	server, token string
	stdin         io.Reader
}

func (e cmdEnv) run(t testing.TB, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "ARTIGRAPH_SERVER=" + e.server, "ARTIGRAPH_TOKEN=" + e.token}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &stdout, &stderr, e.stdin
	err := cmd.Run()
	r := result{Stdout: stdout.String(), Stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("artigraph %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// ok runs the command and fails the test unless it exits 0.
func (e cmdEnv) ok(t testing.TB, args ...string) string {
	t.Helper()
	r := e.run(t, args...)
	if r.Code != 0 {
		t.Fatalf("artigraph %s: %v", strings.Join(args, " "), r)
	}
	return r.Stdout
}

// fails runs the command and checks its exit code and that stderr holds
// want.
func (e cmdEnv) fails(t testing.TB, code int, want string, args ...string) result {
	t.Helper()
	r := e.run(t, args...)
	if r.Code != code || !strings.Contains(r.Stderr, want) {
		t.Fatalf("artigraph %s: want exit %d and %q on stderr, got %v", strings.Join(args, " "), code, want, r)
	}
	return r
}

func decodeJSON(t testing.TB, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
}

func writeFile(t testing.TB, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeRandom writes n pseudo-random bytes to path one buffer at a time
// and returns their sha256, never holding the whole file in memory.
func writeRandom(t testing.TB, path string, n int64) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	rng := rand.NewChaCha8([32]byte{1, 2, 3})
	buf := make([]byte, 1<<20)
	for left := n; left > 0; {
		chunk := buf[:min(int64(len(buf)), left)]
		rng.Read(chunk)
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
		h.Write(chunk)
		left -= int64(len(chunk))
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func sha256File(t testing.TB, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
