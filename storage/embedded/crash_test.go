package embedded_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/storage/embedded"
)

// The crash and lock tests run a second process: this test binary again,
// with helperEnv naming the part to play and pathEnv the store's file.
const (
	helperEnv = "ARTIGRAPH_EMBEDDED_HELPER"
	pathEnv   = "ARTIGRAPH_EMBEDDED_PATH"
)

// TestHelperProcess is not a test: it is the child process of the tests
// below, and does nothing unless helperEnv is set.
func TestHelperProcess(t *testing.T) {
	switch os.Getenv(helperEnv) {
	case "writer":
		helperWriter(os.Getenv(pathEnv))
	case "holder":
		helperHolder(os.Getenv(pathEnv))
	default:
		t.Skip("helper process only")
	}
	os.Exit(0)
}

// helperWriter writes versions without end, printing each uid once its write
// returned: every printed uid was acknowledged.
func helperWriter(path string) {
	ctx := context.Background()
	s, err := embedded.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// Go on after the versions an earlier writer left.
	before, err := s.ListVersions(ctx, "p", lineage.VersionFilter{}, lineage.Page{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for i := before.Total; ; i++ {
		w := lineage.VersionWrite{Version: lineage.Version{
			UID: fmt.Sprintf("v%06d", i), Project: "p", Key: fmt.Sprintf("k%d", i%5), Kind: lineage.KindDataset,
			TargetPath: "file:///x", CreatedAt: t0.Add(time.Duration(i) * time.Second), UpdatedAt: t0.Add(time.Duration(i) * time.Second),
		}}
		if i > 0 {
			w.Sources = []string{fmt.Sprintf("v%06d", i-1)}
		}
		if i%3 == 0 {
			w.Tags = []string{"prod"}
		}
		if _, _, err := s.PutVersion(ctx, w); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		// One write syscall per line: nothing is buffered in this process.
		fmt.Fprintf(os.Stdout, "%s\n", w.Version.UID)
	}
}

// helperHolder opens the store and keeps it open until its stdin closes.
func helperHolder(path string) {
	s, err := embedded.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("open")
	io.Copy(io.Discard, os.Stdin)
	s.Close()
}

func helper(t *testing.T, role, path string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+role, pathEnv+"="+path)
	cmd.Stderr = os.Stderr
	return cmd
}

func TestKillKeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	path := filepath.Join(t.TempDir(), "artigraph.db")
	var all []string // acknowledged in every round so far
	for round := range 3 {
		cmd := helper(t, "writer", path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		var acked []string
		for len(acked) < 100 && lines.Scan() {
			acked = append(acked, lines.Text())
		}
		// SIGKILL, in the middle of whatever write is under way.
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		for lines.Scan() { // acknowledged before the kill, read after it
			acked = append(acked, lines.Text())
		}
		cmd.Wait()
		if len(acked) < 100 {
			t.Fatalf("round %d: the writer acknowledged only %d writes", round, len(acked))
		}

		s, err := embedded.Open(path)
		if err != nil {
			t.Fatalf("round %d: reopening after kill -9: %v", round, err)
		}
		all = append(all, acked...)
		vs, err := s.GetVersions(t.Context(), all)
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != len(all) {
			t.Fatalf("round %d: %d of %d acknowledged writes survived the kill", round, len(vs), len(all))
		}
		// Each acknowledged version came with its edge, and the tags are
		// still held once per key.
		last := lineage.NodeRef{Type: lineage.NodeArtifact, Project: "p", UID: acked[len(acked)-1]}
		es, err := s.Edges(t.Context(), []lineage.NodeRef{last}, lineage.Outgoing)
		if err != nil || len(es) != 1 {
			t.Fatalf("round %d: edges of the last acknowledged version: %v, %v", round, es, err)
		}
		for k := range 5 {
			for _, tag := range []string{lineage.TagLatest, "prod"} {
				p, err := s.ListVersions(t.Context(), "p", lineage.VersionFilter{Key: fmt.Sprintf("k%d", k), Tag: tag}, lineage.Page{First: 10})
				if err != nil || p.Total != 1 {
					t.Fatalf("round %d: holders of %s of k%d: %d, %v", round, tag, k, p.Total, err)
				}
			}
		}
		t.Logf("round %d: all %d acknowledged writes survived", round, len(all))
		// The next round's writer goes on in the same file.
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenLockedFileFailsClearly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "artigraph.db")

	// Another process holds the file.
	cmd := helper(t, "holder", path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "open\n" {
		t.Fatalf("holder said %q", line)
	}
	start := time.Now()
	s, err := embedded.Open(path)
	if err == nil {
		s.Close()
		t.Fatal("Open of a file another process holds succeeded")
	}
	if !strings.Contains(err.Error(), "locked by another process") {
		t.Fatalf("Open of a locked file: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Open of a locked file took %s", d)
	}
	t.Logf("locked: %v", err)

	// This process holds it.
	stdin.Close()
	cmd.Wait()
	first, err := embedded.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if _, err := embedded.Open(path); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("second Open in the same process: %v", err)
	}
}

func TestOpenDamagedFileFailsClearly(t *testing.T) {
	dir := t.TempDir()

	garbage := filepath.Join(dir, "garbage.db")
	noise := make([]byte, 64<<10)
	rand.Read(noise)
	if err := os.WriteFile(garbage, noise, 0o600); err != nil {
		t.Fatal(err)
	}

	text := filepath.Join(dir, "text.db")
	if err := os.WriteFile(text, []byte(strings.Repeat("not a database\n", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}

	// Real stores with pages overwritten: every page past the two meta pages,
	// or the second half of the file only.
	damaged := filepath.Join(dir, "damaged.db")
	halfDamaged := filepath.Join(dir, "half-damaged.db")
	page := int64(os.Getpagesize())
	for _, c := range []struct {
		path string
		from func(size int64) int64
	}{
		{damaged, func(int64) int64 { return 2 * page }},
		{halfDamaged, func(size int64) int64 { return size / 2 / page * page }},
	} {
		s, err := embedded.Open(c.path)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 200 {
			w := lineage.VersionWrite{Version: lineage.Version{UID: fmt.Sprintf("v%d", i), Project: "p", Key: "k",
				Kind: lineage.KindModel, CreatedAt: t0, UpdatedAt: t0, Description: strings.Repeat("x", 500)}}
			if _, _, err := s.PutVersion(t.Context(), w); err != nil {
				t.Fatal(err)
			}
		}
		s.Close()
		f, err := os.OpenFile(c.path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		info, _ := f.Stat()
		from := c.from(info.Size())
		junk := make([]byte, info.Size()-from)
		rand.Read(junk)
		if _, err := f.WriteAt(junk, from); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}

	// A bbolt file of another application.
	foreign := filepath.Join(dir, "foreign.db")
	db, err := bolt.Open(foreign, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("widgets")); return err })
	db.Close()

	for _, path := range []string{garbage, text, damaged, halfDamaged, foreign, dir} {
		s, err := embedded.Open(path)
		if err == nil {
			s.Close()
			t.Errorf("Open %s succeeded", filepath.Base(path))
			continue
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("Open %s: the error does not name the file: %v", filepath.Base(path), err)
		}
		t.Logf("%s: %v", filepath.Base(path), err)
	}
}
