package lineage_test

// Service.Resolve follows MLRun: a uid decides when given (a tag or tree
// beside it is not a filter), feature sets and vectors take MLRun's object
// grammar, store://<project>/<key> names artifacts, and keys such as a..b
// resolve.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/artigraph/artigraph/lineage"
)

func logVersion(t *testing.T, svc *lineage.Service, req lineage.LogRequest) lineage.Version {
	t.Helper()
	if req.Project == "" {
		req.Project = "p"
	}
	if req.Body == nil {
		req.Body = str(req.Key + "/" + lineage.NewUID())
	}
	v, err := svc.LogArtifact(context.Background(), req)
	if err != nil {
		t.Fatalf("log %s: %v", req.Key, err)
	}
	return v
}

func resolveUID(t *testing.T, svc *lineage.Service, uri string) string {
	t.Helper()
	v, _, err := svc.Resolve(context.Background(), uri)
	if err != nil {
		t.Fatalf("Resolve(%q): %v", uri, err)
	}
	return v.UID
}

func resolveNotFound(t *testing.T, svc *lineage.Service, uri string) {
	t.Helper()
	v, _, err := svc.Resolve(context.Background(), uri)
	if lineage.ErrorCode(err) != lineage.ENOTFOUND {
		t.Fatalf("Resolve(%q) = %s, %v; want NOT_FOUND", uri, v.UID, err)
	}
}

// The case: a version's canonical URI carries :latest; once a newer
// version takes latest, the URI still names the old version.
func TestResolveCanonicalURIStaysStable(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t)
	run, err := svc.StartRun(ctx, lineage.StartRunRequest{Project: "p", Name: "train"})
	if err != nil {
		t.Fatal(err)
	}
	kinds := []lineage.Kind{lineage.KindModel, lineage.KindDataset, lineage.KindArtifact, lineage.KindDocument,
		lineage.KindFeatureSet, lineage.KindFeatureVector}
	for _, k := range kinds {
		for _, inRun := range []bool{false, true} {
			for _, iter := range []int{0, 2} {
				if iter != 0 && !inRun {
					continue
				}
				key := strings.ToLower(string(k)) + "-x"
				req := lineage.LogRequest{Key: key, Kind: k, Iteration: iter}
				if inRun {
					req.RunUID = run.UID
					req.Key += "-run"
				}
				old := logVersion(t, svc, req)
				oldURI := lineage.CanonicalURI(old, "")
				if inRun && !lineage.ObjectGrammar(k.Prefix()) && !strings.Contains(oldURI, "@"+run.UID+"^") {
					t.Fatalf("%s: canonical URI %q has no tree", k, oldURI)
				}
				if got := resolveUID(t, svc, oldURI); got != old.UID {
					t.Fatalf("%s before: %q resolved to %s, want %s", k, oldURI, got, old.UID)
				}
				newer := logVersion(t, svc, req)
				if newer.UID == old.UID || !newer.HasTag(lineage.TagLatest) {
					t.Fatalf("%s: the second log did not make a new latest version", k)
				}
				if got := resolveUID(t, svc, oldURI); got != old.UID {
					t.Fatalf("%s after a newer latest: %q resolved to %s, want %s", k, oldURI, got, old.UID)
				}
				// And the newer version's URI names the newer one.
				if got := resolveUID(t, svc, lineage.CanonicalURI(newer, "")); got != newer.UID {
					t.Fatalf("%s: newer URI resolved to %s", k, got)
				}
			}
		}
	}
}

func TestResolveUIDDecides(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t)
	run, err := svc.StartRun(ctx, lineage.StartRunRequest{Project: "p", Name: "train"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpsertProject(ctx, lineage.Project{Name: "q"}); err != nil {
		t.Fatal(err)
	}
	v1 := logVersion(t, svc, lineage.LogRequest{Key: "m", Kind: lineage.KindModel, RunUID: run.UID, Tag: "prod"})
	v2 := logVersion(t, svc, lineage.LogRequest{Key: "m", Kind: lineage.KindModel, RunUID: run.UID})
	it3 := logVersion(t, svc, lineage.LogRequest{Key: "m", Kind: lineage.KindModel, RunUID: run.UID, Iteration: 3})
	other := logVersion(t, svc, lineage.LogRequest{Key: "other", Kind: lineage.KindModel})
	inQ := logVersion(t, svc, lineage.LogRequest{Project: "q", Key: "m", Kind: lineage.KindModel})
	fs1 := logVersion(t, svc, lineage.LogRequest{Key: "fs", Kind: lineage.KindFeatureSet, Tag: "prod"})
	fs2 := logVersion(t, svc, lineage.LogRequest{Key: "fs", Kind: lineage.KindFeatureSet})

	for uri, want := range map[string]string{
		// The URI: latest moved on, the uid decides.
		"store://models/p/m:latest@" + run.UID + "^" + v1.UID: v1.UID,
		// A tag the version never held, a tree that is not its run: informative.
		"store://models/p/m:nosuchtag^" + v1.UID:           v1.UID,
		"store://models/p/m:prod^" + v2.UID:                v2.UID, // prod is v1's
		"store://models/p/m@another-run^" + v1.UID:         v1.UID,
		"store://models/p/m:latest@nope^" + v1.UID:         v1.UID,
		"store://models/p/m:*^" + v1.UID:                   v1.UID,
		"store://models/p/m^" + v2.UID:                     v2.UID,
		"store://artifacts/p/m^" + v1.UID:                  v1.UID, // artifacts names any kind
		"store://p/m:latest^" + v1.UID:                     v1.UID, // no prefix: artifacts
		"store://models/p/m#3:latest^" + it3.UID:           it3.UID,
		"store://models/p/m:latest^" + it3.UID:             it3.UID, // no #iteration: the uid says
		"store://feature-sets/p/fs@" + fs1.UID:             fs1.UID,
		"store://feature-sets/p/fs@" + fs1.UID + ":latest": fs1.UID,
		"store://feature-sets/p/fs:latest@" + fs1.UID:      fs1.UID,
		"store://feature-sets/p/fs:nosuchtag@" + fs2.UID:   fs2.UID,
		"store://artifacts/p/fs^" + fs1.UID:                fs1.UID,
		// Without a uid, tags and trees are filters as before.
		"store://models/p/m":               v2.UID,
		"store://models/p/m:prod":          v1.UID,
		"store://models/p/m@" + run.UID:    v2.UID,
		"store://models/p/m#3":             it3.UID,
		"store://feature-sets/p/fs":        fs2.UID,
		"store://feature-sets/p/fs:prod":   fs1.UID,
		"store://feature-sets/p/fs:latest": fs2.UID,
		"store://p/other":                  other.UID,
		"store://q/m":                      inQ.UID,
	} {
		if got := resolveUID(t, svc, uri); got != want {
			t.Errorf("Resolve(%q) = %s, want %s", uri, got, want)
		}
	}

	for _, uri := range []string{
		// A uid that exists, but in another key, project, kind or iteration.
		"store://models/p/other^" + v1.UID,
		"store://models/p/m^" + other.UID,
		"store://models/q/m^" + v1.UID,
		"store://models/p/m^" + inQ.UID,
		"store://datasets/p/m^" + v1.UID,
		"store://models/p/m#0^" + it3.UID,
		"store://models/p/m#3^" + v1.UID,
		"store://feature-vectors/p/fs@" + fs1.UID,
		"store://feature-sets/p/m@" + v1.UID,
		"store://models/p/m^nosuchuid",
		"store://feature-sets/p/fs@nosuchuid",
		"store://nosuchproject/m^" + v1.UID,
		// Without a uid, the tag and tree still filter.
		"store://models/p/m:nosuchtag",
		"store://models/p/m@nosuchrun",
		"store://feature-sets/p/fs:nosuchtag",
	} {
		resolveNotFound(t, svc, uri)
	}

	// ":*" without a uid names every version: not something to resolve.
	if _, _, err := svc.Resolve(ctx, "store://models/p/m:*"); lineage.ErrorCode(err) != lineage.EINVALID {
		t.Errorf("Resolve(:*) = %v, want INVALID_ARGUMENT", err)
	}
	// The old artifact-grammar spelling of a feature-set uid is refused, not
	// misread.
	if _, _, err := svc.Resolve(ctx, "store://feature-sets/p/fs:latest^"+fs1.UID); lineage.ErrorCode(err) != lineage.EINVALID {
		t.Errorf("Resolve(feature-sets ^uid) = %v, want INVALID_ARGUMENT", err)
	}
}

// A uid beside a tag decides for the writes that name a version too: tagging
// and deleting act on the uid's version.
func TestUIDDecidesForTagAndDelete(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t)
	v1 := logVersion(t, svc, lineage.LogRequest{Key: "m", Kind: lineage.KindModel})
	v2 := logVersion(t, svc, lineage.LogRequest{Key: "m", Kind: lineage.KindModel})
	got, err := svc.TagArtifact(ctx, lineage.CanonicalURI(v1, ""), "old")
	if err != nil || got.UID != v1.UID {
		t.Fatalf("TagArtifact(v1's canonical URI) = %s, %v; want %s", got.UID, err, v1.UID)
	}
	res, err := svc.DeleteArtifactVersions(ctx, "store://models/p/m:latest^"+v1.UID, lineage.MetadataOnly)
	if err != nil || res.Removed != 1 {
		t.Fatalf("delete v1 = %+v, %v", res, err)
	}
	resolveNotFound(t, svc, "store://models/p/m:old")
	if uid := resolveUID(t, svc, "store://models/p/m"); uid != v2.UID {
		t.Fatalf("latest is %s, want %s", uid, v2.UID)
	}
}

// Keys with inner dots are keys; "." and ".." are refused; the content of
// a..b lands in a file named after it, inside the artifact path.
func TestDotKeys(t *testing.T) {
	ctx := context.Background()
	svc, _, dir := newService(t)
	v := logVersion(t, svc, lineage.LogRequest{Key: "a..b", Kind: lineage.KindModel, Body: str("weights"), Format: "pkl"})
	if got := resolveUID(t, svc, "store://models/p/a..b"); got != v.UID {
		t.Fatalf("a..b resolved to %s", got)
	}
	if got := resolveUID(t, svc, "store://p/a..b:latest"); got != v.UID {
		t.Fatalf("store://p/a..b:latest resolved to %s", got)
	}
	base := filepath.Join(dir, "artifacts", "p")
	if want := base + "/a..b.pkl"; strings.TrimPrefix(v.TargetPath, "file://") != want {
		t.Fatalf("target path %q, want %q", v.TargetPath, want)
	}
	if b, err := os.ReadFile(base + "/a..b.pkl"); err != nil || string(b) != "weights" {
		t.Fatalf("content of a..b: %q, %v", b, err)
	}
	for _, key := range []string{".", "..", "...", "../x", "a/../b"} {
		_, err := svc.LogArtifact(ctx, lineage.LogRequest{Project: "p", Key: key, Kind: lineage.KindModel, Body: str("x")})
		if lineage.ErrorCode(err) != lineage.EINVALID {
			t.Errorf("log key %q: %v, want INVALID_ARGUMENT", key, err)
		}
	}
}
