package lineage_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/artigraph/artigraph/lineage"
)

func TestCheckMetadataOutsideBlobRoot(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	blobs := filepath.Join(data, "artifacts")
	link := filepath.Join(dir, "link")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(data, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, root string
		ok         bool
	}{
		{"the data dir", data, false},
		{"a parent of the data dir", dir, false},
		{"inside the data dir, beside the blob folder", filepath.Join(data, "other"), false},
		{"a link to the data dir", link, false},
		{"a path through a link into the data dir", filepath.Join(link, "other"), false},
		{"the blob folder", blobs, true},
		{"inside the blob folder", filepath.Join(blobs, "shared"), true},
		{"inside the blob folder through a link", filepath.Join(link, "artifacts", "shared"), true},
		{"elsewhere", filepath.Join(dir, "elsewhere"), true},
		{"a sibling sharing the data dir's prefix", data + "2", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The server creates each root before checking it, so that
			// links in it resolve.
			if err := os.MkdirAll(tc.root, 0o755); err != nil {
				t.Fatal(err)
			}
			err := lineage.CheckMetadataOutsideBlobRoot(tc.root, data, blobs)
			if tc.ok && err != nil {
				t.Fatalf("%s refused: %v", tc.root, err)
			}
			if !tc.ok {
				if err == nil {
					t.Fatalf("%s accepted", tc.root)
				}
				want := "blob root " + tc.root + " would contain the metadata store in the data directory " + data +
					": choose a directory outside it, or inside " + blobs
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("error %q, want %q", err, want)
				}
			}
		})
	}
}
