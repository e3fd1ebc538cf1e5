// Package neo4jlock lets test packages share one Neo4j server. go test runs
// packages in parallel, and a test that wipes the database must have it to
// itself: Hold takes a lock file named after the server, across processes,
// until the test ends.
package neo4jlock

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Hold blocks until no other test process uses the Neo4j at uri, and keeps
// it for tb until tb ends.
func Hold(tb testing.TB, uri string) {
	tb.Helper()
	sum := sha256.Sum256([]byte(uri))
	path := filepath.Join(os.TempDir(), "artigraph-neo4j-"+hex.EncodeToString(sum[:6])+".test.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		tb.Fatalf("neo4j test lock: %v", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		tb.Fatalf("neo4j test lock %s: %v", path, err)
	}
	tb.Cleanup(func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}
