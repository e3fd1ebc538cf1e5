package lineage

import (
	"fmt"
	"path/filepath"
	"strings"
)

// CheckMetadataOutsideBlobRoot refuses a local blob root that would contain
// the metadata store: the data directory holds the store, and only its blob
// folder (blobDir, inside it) may be written and collected by blob I/O. A
// root is refused when it is the data directory, contains it, or lies in it
// but outside blobDir. Symbolic links are resolved first, so a link to the
// data directory is caught too; create root first, as a path that does not
// resolve is compared as written.
func CheckMetadataOutsideBlobRoot(root, dataDir, blobDir string) error {
	rp, dd, bd := resolvedRootPath(root), resolvedRootPath(dataDir), resolvedRootPath(blobDir)
	if pathWithin(dd, rp) || (pathWithin(rp, dd) && !pathWithin(rp, bd)) {
		return fmt.Errorf("blob root %s would contain the metadata store in the data directory %s: "+
			"choose a directory outside it, or inside %s", root, dataDir, blobDir)
	}
	return nil
}

// resolvedRootPath is p with its symbolic links resolved, or p when that fails.
func resolvedRootPath(p string) string {
	if e, err := filepath.EvalSymlinks(p); err == nil {
		return e
	}
	return filepath.Clean(p)
}

// pathWithin reports whether path a is b or inside it.
func pathWithin(a, b string) bool {
	return a == b || strings.HasPrefix(a, b+string(filepath.Separator))
}
