// Package servicetest builds a real lineage.Service for the tests of the
// packages that sit on it: the embedded store and local blobs in the test's
// temporary directory, with the default artifact path under it.
package servicetest

import (
	"path/filepath"
	"testing"

	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/storage/embedded"
	"github.com/artigraph/artigraph/storage/fs"
)

// Rig is a Service with the parts it was made of.
type Rig struct {
	Service *lineage.Service
	Store   lineage.Store
	Dir     string // the blob root; artifacts go to Dir/artifacts/<project>
}

// AdminToken is the bootstrap ADMIN token of a rig made WithTokens.
const AdminToken = "bootstrap-secret"

// WithTokens configures --auth token with AdminToken and a fixed server key.
func WithTokens(c *lineage.Config) {
	c.Auth, c.AdminToken, c.ServerKey = lineage.AuthToken, AdminToken, []byte("0123456789abcdef0123456789abcdef")
}

// New returns a rig; configure, if given, adjusts the Config first. Its
// store is closed when the test ends.
func New(t testing.TB, configure ...func(*lineage.Config)) Rig {
	t.Helper()
	dir := t.TempDir()
	store, err := embedded.Open(filepath.Join(dir, "artigraph.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	blobs, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := lineage.DefaultConfig()
	cfg.DefaultArtifactPath = dir + "/artifacts/{{project}}"
	for _, c := range configure {
		c(&cfg)
	}
	return Rig{Service: lineage.NewService(store, lineage.BlobRouter{"file": blobs}, cfg), Store: store, Dir: dir}
}
