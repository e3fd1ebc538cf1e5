package lineage_test

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// modelVersion is what the test expects of one stored version.
type modelVersion struct {
	project, key, uid string
	seq               int    // the order it was logged in
	loc               string // where its content is (TargetPath)
	stored            bool   // Artigraph stored the content (not data in place)
	content           string
}

// contentModel is what the test expects the store and the blob root to
// hold: the versions, which of them holds "latest" per key, and the
// directory each project's default logs go to.
type contentModel struct {
	versions   map[string]*modelVersion // by uid (uids are global: they hash the project)
	latest     map[string]string        // "project/key" -> uid holding latest
	projectDir map[string]string        // project -> directory of its default target paths
}

// sortedUIDs are the uids of the versions keep selects, in the order they
// were logged: not by uid, which hashes the location of data in place, and
// so the random names of fresh blobs; the walk must choose the same way
// every run.
func (m *contentModel) sortedUIDs(keep func(*modelVersion) bool) []string {
	var vs []*modelVersion
	for _, v := range m.versions {
		if keep(v) {
			vs = append(vs, v)
		}
	}
	slices.SortFunc(vs, func(a, b *modelVersion) int { return a.seq - b.seq })
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.uid
	}
	return out
}

// locations is every location a version of any project points at.
func (m *contentModel) locations() map[string]bool {
	out := map[string]bool{}
	for _, v := range m.versions {
		out[v.loc] = true
	}
	return out
}

// deletable are the blobs a deletion of uids with DATA_OPTIONAL or
// DATA_FORCE removes: content Artigraph stored for one of them that no
// version outside them points at. Data in place is never deleted and keeps
// its location referenced even when it is deleted along.
func (m *contentModel) deletable(uids []string) (locs []string, shared int) {
	storedDeleting := map[string]bool{}
	for _, uid := range uids {
		if m.versions[uid].stored {
			storedDeleting[uid] = true
		}
	}
	seen := map[string]bool{}
	for _, uid := range uids {
		v := m.versions[uid]
		if !v.stored || seen[v.loc] {
			continue
		}
		seen[v.loc] = true
		used := false
		for _, o := range m.versions {
			if o.loc == v.loc && !storedDeleting[o.uid] {
				used = true
			}
		}
		if used {
			shared++
			continue
		}
		locs = append(locs, v.loc)
	}
	return locs, shared
}

// TestNoVersionPointsAtMissingContent is a seeded random walk of logs (to
// the project's artifact path, a per-call artifact path, or in place at a
// fresh file or at another version's content), deletions with every
// strategy and URI form, collections and changes of a project's artifact
// path, with crashes before commit, failing blob deletes, an unreachable
// blob store and a failing metadata delete injected. It checks every
// result against a model of the versions and of the files under the blob
// root, and after each step that every version's content opens with the
// content logged: nothing ever points at missing content, gc never
// removes what a version points at, and a failure changes no version.
func TestNoVersionPointsAtMissingContent(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	svc := r.svc
	// A minute ahead, so that gc with no grace counts every blob written so
	// far as old enough, however coarse the file system's clock.
	svc.Now = func() time.Time { return time.Now().Add(time.Minute) }
	root := r.dir + "/artifacts"
	if _, err := svc.UpsertProject(ctx, lineage.Project{Name: "q", ArtifactPath: root + "/own/{{project}}"}); err != nil {
		t.Fatal(err)
	}
	m := &contentModel{
		versions:   map[string]*modelVersion{},
		latest:     map[string]string{},
		projectDir: map[string]string{"p": root + "/p", "q": root + "/own/q"},
	}
	projects := []string{"p", "q"}
	projectPaths := map[string][]string{
		"p": {"", root + "/p-alt", root + "/p-alt2/{{project}}"},
		"q": {root + "/own/{{project}}", root + "/own2"},
	}
	callPaths := []string{root + "/call", root + "/call-by/{{project}}"}
	contents := []string{"a", "b", "xx", "yyy", ""}
	strategies := []lineage.DeletionStrategy{lineage.MetadataOnly, lineage.DataOptional, lineage.DataForce}
	fill := func(path, project string) string { return strings.ReplaceAll(path, "{{project}}", project) }

	// What the walk went through: it must have hit every case it is there
	// to check, or the seed no longer tests what it claims to.
	var cover struct {
		logs, crashes, crashOrphans, dedups, inPlaceFresh, inPlaceShared, callPath              int
		deletes, notFound, unavailable, storeFailed, blobDeleteFailed, blobsDeleted, keptShared int
		gcRemoved, gcFailed, gcGrace, repoints, keysAtSeveralDirs                               int
	}

	files := func() map[string]bool {
		t.Helper()
		out := map[string]bool{}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil
				}
				return err
			}
			if d.Type().IsRegular() {
				out[p] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	read := func(loc string) (string, error) {
		b, err := r.fs.Open(ctx, loc)
		if err != nil {
			return "", err
		}
		defer b.Close()
		data, err := io.ReadAll(b)
		return string(data), err
	}
	sameFiles := func(step int, what string, got, want map[string]bool) {
		t.Helper()
		if !maps.Equal(got, want) {
			var extra, missing []string
			for f := range got {
				if !want[f] {
					extra = append(extra, f)
				}
			}
			for f := range want {
				if !got[f] {
					missing = append(missing, f)
				}
			}
			t.Fatalf("step %d (%s): files under the blob root differ from the model: unexpected %v, missing %v", step, what, extra, missing)
		}
	}
	minus := func(a map[string]bool, b []string) map[string]bool {
		out := maps.Clone(a)
		for _, x := range b {
			delete(out, x)
		}
		return out
	}

	// check compares the store with the model and opens every version's
	// content through the blobs underneath (no injected failure there).
	check := func(step int, what string) {
		t.Helper()
		seen := 0
		dirs := map[string]map[string]bool{}
		for _, proj := range projects {
			page, err := r.store.ListVersions(ctx, proj, lineage.VersionFilter{}, lineage.Page{First: 10000})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range page.Versions {
				mv := m.versions[v.UID]
				if mv == nil {
					t.Fatalf("step %d (%s): the store has version %s (%s/%s) the model does not", step, what, v.UID, v.Project, v.Key)
				}
				if mv.project != proj || v.Project != proj || v.Key != mv.key || v.Stored != mv.stored || v.TargetPath != mv.loc {
					t.Fatalf("step %d (%s): version %s is %s/%s stored=%v at %s, want %s/%s stored=%v at %s",
						step, what, v.UID, v.Project, v.Key, v.Stored, v.TargetPath, mv.project, mv.key, mv.stored, mv.loc)
				}
				if got, want := v.HasTag(lineage.TagLatest), m.latest[proj+"/"+v.Key] == v.UID; got != want {
					t.Fatalf("step %d (%s): version %s holds latest: %v, want %v", step, what, v.UID, got, want)
				}
				got, err := read(v.TargetPath)
				if err != nil {
					t.Fatalf("step %d (%s): version %s (%s/%s) points at missing content %s: %v", step, what, v.UID, proj, v.Key, v.TargetPath, err)
				}
				if got != mv.content {
					t.Fatalf("step %d (%s): content of %s at %s is %q, want %q", step, what, v.UID, v.TargetPath, got, mv.content)
				}
				pk := proj + "/" + v.Key
				if dirs[pk] == nil {
					dirs[pk] = map[string]bool{}
				}
				dirs[pk][filepath.Dir(v.TargetPath)] = true
				seen++
			}
		}
		if seen != len(m.versions) {
			t.Fatalf("step %d (%s): the store has %d versions, the model %d: %v", step, what, seen, len(m.versions), m.sortedUIDs(func(*modelVersion) bool { return true }))
		}
		for _, d := range dirs {
			if len(d) > 1 {
				cover.keysAtSeveralDirs++
				break
			}
		}
	}
	freshName := regexp.MustCompile(`^k[0-9](\.[0-9a-f]{8})?$`)
	nfresh := 0
	rng := rand.New(rand.NewPCG(1, 2))

	for step := 0; step < 250; step++ {
		proj := projects[rng.IntN(2)]
		key := fmt.Sprintf("k%d", rng.IntN(4))
		pk := proj + "/" + key
		var what string
		switch op := rng.IntN(20); {
		case op < 10: // log
			cover.logs++
			crash := rng.IntN(6) == 0
			failBlobDelete := rng.IntN(4) == 0
			body := contents[rng.IntN(len(contents))]
			req := lineage.LogRequest{Project: proj, Key: key, Kind: lineage.KindArtifact}
			wantDir := m.projectDir[proj]
			inPlace := false
			storedUIDs := m.sortedUIDs(func(v *modelVersion) bool { return v.stored })
			switch mode := rng.IntN(10); {
			case mode < 5:
				what = "log to the project's path"
				req.Body = &body
			case mode < 7:
				what = "log to a per-call path"
				call := callPaths[rng.IntN(len(callPaths))]
				req.ArtifactPath, wantDir = call, fill(call, proj)
				req.Body = &body
				cover.callPath++
			case mode < 9 && len(storedUIDs) > 0:
				// In place at another version's content (of any key or
				// project): two versions now share one blob.
				what = "log in place at stored content"
				other := m.versions[storedUIDs[rng.IntN(len(storedUIDs))]]
				req.TargetPath, body, inPlace = other.loc, other.content, true
				cover.inPlaceShared++
			default:
				what = "log in place at a fresh file"
				nfresh++
				req.TargetPath, inPlace = fmt.Sprintf("%s/lake/%s/f%d.csv", root, proj, nfresh), true
				if err := os.MkdirAll(filepath.Dir(req.TargetPath), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(req.TargetPath, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
				cover.inPlaceFresh++
			}
			what = fmt.Sprintf("%s %s crash=%v failBlobDelete=%v", what, pk, crash, failBlobDelete)
			before := files()
			r.store.crash, r.blobs.failDelete = crash, failBlobDelete
			v, err := svc.LogArtifact(ctx, req)
			r.store.crash, r.blobs.failDelete = false, false
			after := files()
			if crash {
				cover.crashes++
				if err == nil {
					t.Fatalf("step %d (%s): logged through a crash before commit: %+v", step, what, v)
				}
				// The failed commit takes its blob back; only when that
				// delete fails too may its blob stay, an orphan.
				if inPlace || !failBlobDelete {
					sameFiles(step, what, after, before)
					break
				}
				grown := minus(after, slices.Collect(maps.Keys(before)))
				if len(grown) > 1 || len(minus(before, slices.Collect(maps.Keys(after)))) > 0 {
					sameFiles(step, what, after, before)
				}
				cover.crashOrphans += len(grown)
				break
			}
			if err != nil {
				t.Fatalf("step %d (%s): %v", step, what, err)
			}
			if v.Project != proj || v.Key != key || v.Stored == inPlace {
				t.Fatalf("step %d (%s): logged %s/%s stored=%v", step, what, v.Project, v.Key, v.Stored)
			}
			if got, err := read(v.TargetPath); err != nil || got != body {
				t.Fatalf("step %d (%s): the logged content reads back as %q, %v; want %q", step, what, got, err, body)
			}
			if old := m.versions[v.UID]; old != nil {
				// An identical log is the same version: it keeps its
				// content where it was, and the new blob is taken back.
				cover.dedups++
				if v.TargetPath != old.loc || old.stored != v.Stored || old.content != body {
					t.Fatalf("step %d (%s): a repeated log moved version %s from %s to %s", step, what, v.UID, old.loc, v.TargetPath)
				}
				if inPlace || !failBlobDelete {
					sameFiles(step, what, after, before)
				}
				break
			}
			if inPlace {
				if v.TargetPath != req.TargetPath {
					t.Fatalf("step %d (%s): data in place logged at %s, not %s", step, what, v.TargetPath, req.TargetPath)
				}
				sameFiles(step, what, after, before)
			} else {
				if filepath.Dir(v.TargetPath) != wantDir || !freshName.MatchString(filepath.Base(v.TargetPath)) {
					t.Fatalf("step %d (%s): stored at %s, want %s/%s or a fresh name beside it", step, what, v.TargetPath, wantDir, key)
				}
				want := maps.Clone(before)
				want[v.TargetPath] = true
				sameFiles(step, what, after, want)
			}
			m.versions[v.UID] = &modelVersion{project: proj, key: key, uid: v.UID, seq: step, loc: v.TargetPath, stored: v.Stored, content: body}
			m.latest[pk] = v.UID

		case op < 16: // delete
			cover.deletes++
			strategy := strategies[rng.IntN(len(strategies))]
			failBlobDelete := rng.IntN(3) == 0
			failOpen := rng.IntN(6) == 0
			failStore := rng.IntN(6) == 0
			uri := "store://artifacts/" + pk
			var matched []string
			switch form := rng.IntN(4); form {
			case 0: // the latest version
				if uid, ok := m.latest[pk]; ok {
					matched = []string{uid}
				}
			case 1, 2: // every version of the key
				uri += ":*"
				matched = m.sortedUIDs(func(v *modelVersion) bool { return v.project == proj && v.key == key })
			case 3: // a version by uid, maybe one of another key
				uids := m.sortedUIDs(func(v *modelVersion) bool { return v.project == proj })
				uid := "0123456789abcdef0123456789abcdef"
				if len(uids) > 0 {
					uid = uids[rng.IntN(len(uids))]
				}
				uri += "^" + uid
				if v := m.versions[uid]; v != nil && v.key == key {
					matched = []string{uid}
				}
			}
			what = fmt.Sprintf("delete %s %s failBlobDelete=%v failOpen=%v failStore=%v", uri, strategy, failBlobDelete, failOpen, failStore)
			var gone []string
			wantCode := ""
			if strategy != lineage.MetadataOnly && len(matched) > 0 {
				var shared int
				gone, shared = m.deletable(matched)
				cover.keptShared += shared
			}
			switch {
			case len(matched) == 0:
				wantCode = lineage.ENOTFOUND
				cover.notFound++
			case strategy == lineage.DataForce && len(gone) > 0 && failOpen:
				// DATA_FORCE checks it can reach every blob it deletes
				// before it deletes anything.
				wantCode = lineage.EUNAVAILABLE
				cover.unavailable++
			case failStore:
				wantCode = lineage.EINTERNAL
				cover.storeFailed++
			}
			before := files()
			r.store.failDelete, r.blobs.failDelete, r.blobs.failOpen = failStore, failBlobDelete, failOpen
			n, err := svc.DeleteArtifact(ctx, uri, strategy)
			r.store.failDelete, r.blobs.failDelete, r.blobs.failOpen = false, false, false
			after := files()
			if code := lineage.ErrorCode(err); code != wantCode {
				t.Fatalf("step %d (%s): error %q (%v), want code %q", step, what, code, err, wantCode)
			}
			if err != nil {
				// A failed deletion deletes nothing: every version and blob
				// is still there.
				if got, err := r.store.GetVersions(ctx, matched); err != nil || len(got) != len(matched) {
					t.Fatalf("step %d (%s): after a failed deletion %d of %d versions are left (%v)", step, what, len(got), len(matched), err)
				}
				sameFiles(step, what, after, before)
				break
			}
			if n != len(matched) {
				t.Fatalf("step %d (%s): removed %d versions, want %d", step, what, n, len(matched))
			}
			if got, err := r.store.GetVersions(ctx, matched); err != nil || len(got) != 0 {
				t.Fatalf("step %d (%s): %d deleted versions are still there (%v)", step, what, len(got), err)
			}
			for _, uid := range matched {
				v := m.versions[uid]
				delete(m.versions, uid)
				if m.latest[v.project+"/"+v.key] == uid {
					delete(m.latest, v.project+"/"+v.key)
				}
			}
			if failBlobDelete {
				// The versions go first; a blob that will not go is an
				// orphan gc collects, never content a version points at.
				if len(gone) > 0 {
					cover.blobDeleteFailed++
				}
				sameFiles(step, what, after, before)
			} else {
				cover.blobsDeleted += len(gone)
				sameFiles(step, what, after, minus(before, gone))
			}

		case op < 19: // gc
			grace := time.Duration(0)
			if rng.IntN(4) == 0 {
				grace = time.Hour
			}
			failBlobDelete := rng.IntN(4) == 0
			what = fmt.Sprintf("gc grace=%v failBlobDelete=%v", grace, failBlobDelete)
			before := files()
			locs := m.locations()
			var orphans []string
			for f := range before {
				if !locs[f] {
					orphans = append(orphans, f)
				}
			}
			r.blobs.failDelete = failBlobDelete
			rep, err := svc.GC(lineage.AsOperator(ctx), lineage.GCOptions{Grace: grace})
			r.blobs.failDelete = false
			after := files()
			switch {
			case grace > 0:
				// Everything here is younger than an hour: nothing goes.
				cover.gcGrace++
				if err != nil || len(rep.Orphans) != 0 || rep.Removed != 0 || rep.Scanned != len(before) {
					t.Fatalf("step %d (%s): %+v %v", step, what, rep, err)
				}
				sameFiles(step, what, after, before)
			case failBlobDelete && len(orphans) > 0:
				cover.gcFailed++
				if err == nil {
					t.Fatalf("step %d (%s): gc reported success though no orphan could be deleted: %+v", step, what, rep)
				}
				sameFiles(step, what, after, before)
			default:
				if err != nil || len(rep.Orphans) != len(orphans) || rep.Removed != len(orphans) || rep.Scanned != len(before) {
					t.Fatalf("step %d (%s): %+v %v; want %d orphans removed of %d blobs", step, what, rep, err, len(orphans), len(before))
				}
				cover.gcRemoved += rep.Removed
				// Exactly the orphans go: what remains is what versions
				// point at.
				sameFiles(step, what, after, minus(before, orphans))
			}

		default: // point the project's logs elsewhere
			cover.repoints++
			paths := projectPaths[proj]
			path := paths[rng.IntN(len(paths))]
			what = fmt.Sprintf("project %s artifact path %q", proj, path)
			if _, err := svc.UpsertProject(ctx, lineage.Project{Name: proj, ArtifactPath: path}); err != nil {
				t.Fatalf("step %d (%s): %v", step, what, err)
			}
			if path == "" {
				m.projectDir[proj] = root + "/" + proj
			} else {
				m.projectDir[proj] = fill(path, proj)
			}
		}
		check(step, what)
	}
	checkNoMissingBlobs(t, r.store, r.fs)
	t.Logf("coverage: %+v", cover)
	for name, n := range map[string]int{
		"crash before commit": cover.crashes, "orphan left by a crash whose cleanup failed": cover.crashOrphans,
		"identical log": cover.dedups, "log in place at a fresh file": cover.inPlaceFresh,
		"log in place at stored content": cover.inPlaceShared, "per-call artifact path": cover.callPath,
		"delete of nothing": cover.notFound, "DATA_FORCE with the blob store unreachable": cover.unavailable,
		"failing metadata delete": cover.storeFailed, "deletion whose blob delete failed": cover.blobDeleteFailed,
		"blob deleted with its version": cover.blobsDeleted, "blob kept as another version uses it": cover.keptShared,
		"orphan collected": cover.gcRemoved, "gc whose delete failed": cover.gcFailed, "gc with grace": cover.gcGrace,
		"project artifact path changed": cover.repoints, "key with versions in several directories": cover.keysAtSeveralDirs,
	} {
		if n == 0 {
			t.Errorf("the walk never reached: %s", name)
		}
	}
}
