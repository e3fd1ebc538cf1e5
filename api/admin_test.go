package api_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/artigraph/artigraph/api"
	"github.com/artigraph/artigraph/lineage"
)

func TestGCMutationNeedsTheAdminToken(t *testing.T) {
	const gc = `mutation { gc(dryRun: false, graceSeconds: 0) { roots scanned orphans removed } }`
	disabled := newServer(t)
	if r := disabled.do(t, gc, nil); len(r.Errors) == 0 || r.Errors[0].code() != "PERMISSION_DENIED" {
		t.Fatalf("gc by an anonymous caller: %+v", r.Errors)
	}
	// A token that is not one is refused before anything runs.
	if r := disabled.doAs(t, "anything", gc, nil); len(r.Errors) == 0 || r.Errors[0].code() != "UNAUTHENTICATED" {
		t.Fatalf("gc with a token that is not one: %+v", r.Errors)
	}

	s := newServer(t, func(o *api.Options, c *lineage.Config, _ lineage.BlobRouter) { c.AdminToken = "s3cret" })
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	s.mustDo(t, `mutation { logArtifact(input: {project: "p", key: "kept", kind: MODEL, body: "x"}) { uid } }`, nil, nil)
	orphan := s.dir + "/artifacts/p/orphan.bin"
	os.WriteFile(orphan, []byte("left by a crash"), 0o644)
	// Under --auth none an anonymous caller is an EDITOR: not enough.
	if r := s.doAs(t, "", gc, nil); len(r.Errors) == 0 || r.Errors[0].code() != "PERMISSION_DENIED" {
		t.Fatalf("gc without a token: %+v", r.Errors)
	}
	if r := s.doAs(t, "wrong", gc, nil); len(r.Errors) == 0 || r.Errors[0].code() != "UNAUTHENTICATED" {
		t.Fatalf("gc with a wrong token: %+v", r.Errors)
	}
	r := s.doAs(t, "s3cret", gc, nil)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	var out struct {
		Gc struct {
			Roots   []string
			Scanned int
			Orphans []string
			Removed int
		}
	}
	json.Unmarshal(r.Data, &out)
	if out.Gc.Scanned != 2 || len(out.Gc.Orphans) != 1 || out.Gc.Orphans[0] != orphan || out.Gc.Removed != 1 {
		t.Fatalf("report %+v", out.Gc)
	}
	if _, err := os.Stat(orphan); err == nil {
		t.Fatal("orphan still there")
	}
	var v struct{ Artifact struct{ DownloadURL string } }
	s.mustDo(t, `{ artifact(uri: "store://models/p/kept") { downloadUrl } }`, nil, &v)
	if resp, _ := s.get(t, v.Artifact.DownloadURL); resp.StatusCode != 200 {
		t.Fatal("gc removed referenced content")
	}
}
