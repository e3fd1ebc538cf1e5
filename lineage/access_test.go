package lineage_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/artigraph/artigraph/internal/servicetest"
	"github.com/artigraph/artigraph/lineage"
)

// accessRig is a Service under --auth token with projects a and b, and a
// chain a → b → a: a run in b consumes a's raw and produces b's mid, and a
// run in a consumes b's mid and produces a's out.
type accessRig struct {
	svc             *lineage.Service
	store           lineage.Store
	dir             string
	admin           context.Context
	raw, mid, out   lineage.Version
	runB, runA      lineage.Run
	now             time.Time
	editorA, viewer context.Context
}

func newAccessRig(t *testing.T) *accessRig {
	t.Helper()
	rig := servicetest.New(t, servicetest.WithTokens)
	svc := rig.Service
	r := &accessRig{svc: svc, store: rig.Store, dir: rig.Dir, now: time.Now().UTC()}
	svc.Now = func() time.Time { return r.now }
	r.admin = r.login(t, servicetest.AdminToken)
	var err error
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"a", "b"} {
		_, err := svc.UpsertProject(r.admin, lineage.Project{Name: p})
		must(err)
	}
	body := func(s string) *string { return &s }
	r.raw, err = svc.LogArtifact(r.admin, lineage.LogRequest{Project: "a", Key: "raw", Kind: lineage.KindDataset, Body: body("raw")})
	must(err)
	r.runB, err = svc.StartRun(r.admin, lineage.StartRunRequest{Project: "b", Name: "clean", Pipeline: "etl", Inputs: []string{lineage.CanonicalURI(r.raw, "")}})
	must(err)
	r.mid, err = svc.LogArtifact(r.admin, lineage.LogRequest{Project: "b", Key: "mid", Kind: lineage.KindDataset, RunUID: r.runB.UID, Body: body("mid")})
	must(err)
	r.runA, err = svc.StartRun(r.admin, lineage.StartRunRequest{Project: "a", Name: "train", Inputs: []string{lineage.CanonicalURI(r.mid, "")}})
	must(err)
	r.out, err = svc.LogArtifact(r.admin, lineage.LogRequest{Project: "a", Key: "out", Kind: lineage.KindModel, RunUID: r.runA.UID, Body: body("out")})
	must(err)
	r.editorA = r.login(t, r.token(t, lineage.TokenInput{Name: "ds", Role: lineage.RoleEditor, Projects: []string{"a"}}))
	r.viewer = r.login(t, r.token(t, lineage.TokenInput{Name: "dash", Role: lineage.RoleViewer}))
	return r
}

func (r *accessRig) token(t *testing.T, in lineage.TokenInput) string {
	t.Helper()
	secret, _, err := r.svc.CreateToken(r.admin, in)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

func (r *accessRig) login(t *testing.T, bearer string) context.Context {
	t.Helper()
	ctx, err := r.svc.Authenticate(context.Background(), bearer)
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	return ctx
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if lineage.ErrorCode(err) != code {
		t.Fatalf("%s: got %v (%q), want %s", what, err, lineage.ErrorCode(err), code)
	}
}

func TestNoTokenIsUnauthenticated(t *testing.T) {
	r := newAccessRig(t)
	ctx := context.Background()
	_, err := r.svc.ListProjects(ctx)
	wantCode(t, "projects without a token", err, lineage.EUNAUTHORIZED)
	_, err = r.svc.UpsertProject(ctx, lineage.Project{Name: "c"})
	wantCode(t, "upsertProject without a token", err, lineage.EUNAUTHORIZED)
	// Who asks is checked before anything is looked up, so that an
	// existing version and a missing one answer alike.
	for _, uri := range []string{lineage.CanonicalURI(r.out, ""), "store://models/a/nope"} {
		_, _, err = r.svc.Resolve(ctx, uri)
		wantCode(t, "resolve without a token", err, lineage.EUNAUTHORIZED)
		_, err = r.svc.Lineage(ctx, uri, lineage.Upstream, nil, nil)
		wantCode(t, "lineage without a token", err, lineage.EUNAUTHORIZED)
	}
	for _, uid := range []string{r.out.UID, "nope"} {
		_, err = r.svc.VersionIn(ctx, "a", uid)
		wantCode(t, "a version without a token", err, lineage.EUNAUTHORIZED)
	}
	for _, bad := range []string{"nope", "agt_", "agt_x_y", "bootstrap-secret2"} {
		_, err := r.svc.Authenticate(ctx, bad)
		wantCode(t, "token "+bad, err, lineage.EUNAUTHORIZED)
	}
}

func TestScopesAndRoles(t *testing.T) {
	r := newAccessRig(t)
	// An EDITOR of a sees a only; b behaves as absent, exactly as a
	// project that does not exist does.
	ps, err := r.svc.ListProjects(r.editorA)
	if err != nil || len(ps) != 1 || ps[0].Name != "a" {
		t.Fatalf("projects of an editor of a: %v %v", ps, err)
	}
	_, errB := r.svc.Project(r.editorA, "b")
	_, errNone := r.svc.Project(r.editorA, "zzz")
	wantCode(t, "project b", errB, lineage.ENOTFOUND)
	if strings.ReplaceAll(errB.Error(), `"b"`, `"zzz"`) != errNone.Error() {
		t.Fatalf("a hidden project answers %q, an absent one %q", errB, errNone)
	}
	_, _, err = r.svc.Resolve(r.editorA, lineage.CanonicalURI(r.mid, ""))
	wantCode(t, "resolve b's version", err, lineage.ENOTFOUND)
	// Writes to b: PERMISSION_DENIED, whether b exists or not.
	_, err = r.svc.LogArtifact(r.editorA, lineage.LogRequest{Project: "b", Key: "x", Kind: lineage.KindArtifact, Body: str("x")})
	wantCode(t, "log into b", err, lineage.EFORBIDDEN)
	_, err = r.svc.UpsertProject(r.editorA, lineage.Project{Name: "new"})
	wantCode(t, "create a project outside the scope", err, lineage.EFORBIDDEN)
	_, err = r.svc.TagArtifact(r.editorA, lineage.CanonicalURI(r.mid, ""), "prod")
	wantCode(t, "tag b's version", err, lineage.EFORBIDDEN)
	_, err = r.svc.DeleteArtifact(r.editorA, "store://datasets/b/mid", lineage.MetadataOnly)
	wantCode(t, "delete b's version", err, lineage.EFORBIDDEN)
	// A source in a hidden project cannot be named.
	_, err = r.svc.LogArtifact(r.editorA, lineage.LogRequest{Project: "a", Key: "y", Kind: lineage.KindArtifact, Body: str("y"),
		Sources: []string{lineage.CanonicalURI(r.mid, "")}})
	wantCode(t, "source in b", err, lineage.ENOTFOUND)
	// In its own project the editor writes.
	if _, err := r.svc.TagArtifact(r.editorA, lineage.CanonicalURI(r.out, ""), "prod"); err != nil {
		t.Fatal(err)
	}
	// A VIEWER of everything reads b and writes nothing.
	if _, err := r.svc.Project(r.viewer, "b"); err != nil {
		t.Fatal(err)
	}
	_, err = r.svc.UntagArtifact(r.viewer, lineage.CanonicalURI(r.out, ""), "prod")
	wantCode(t, "viewer untag", err, lineage.EFORBIDDEN)
	// ADMIN operations.
	_, err = r.svc.GC(r.editorA, lineage.GCOptions{})
	wantCode(t, "gc by an editor", err, lineage.EFORBIDDEN)
	_, err = r.svc.Tokens(r.viewer)
	wantCode(t, "tokens by a viewer", err, lineage.EFORBIDDEN)
	scopedAdmin := r.login(t, r.token(t, lineage.TokenInput{Name: "pa", Role: lineage.RoleAdmin, Projects: []string{"a"}}))
	_, _, err = r.svc.CreateToken(scopedAdmin, lineage.TokenInput{Name: "x", Role: lineage.RoleAdmin})
	wantCode(t, "createToken by an admin of one project", err, lineage.EFORBIDDEN)
}

// Lineage leaves out what the caller may not read, counts it in Hidden,
// and does not walk through it: from a's out, upstream, an editor of a
// sees runA and stops at b's mid, so a's raw beyond it stays unseen.
func TestLineageHidesAndDoesNotWalkThroughHiddenNodes(t *testing.T) {
	r := newAccessRig(t)
	uri := lineage.CanonicalURI(r.out, "")
	full, err := r.svc.Lineage(r.admin, uri, lineage.Upstream, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Nodes) != 5 || full.Hidden != 0 {
		t.Fatalf("admin sees %d nodes, %d hidden: %+v", len(full.Nodes), full.Hidden, full.Nodes)
	}
	g, err := r.svc.Lineage(r.editorA, uri, lineage.Upstream, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range g.Nodes {
		got = append(got, n.Ref.Project+"/"+n.Ref.UID)
	}
	want := []string{"a/" + r.out.UID, "a/" + r.runA.UID}
	if !slices.Equal(got, want) || g.Hidden != 1 || g.Truncated {
		t.Fatalf("editor of a sees %v (hidden %d, truncated %v), want %v with 1 hidden", got, g.Hidden, g.Truncated, want)
	}
	for _, e := range g.Edges {
		if e.From.Project != "a" || e.To.Project != "a" {
			t.Fatalf("edge into a hidden project: %+v", e)
		}
	}
	imp, err := r.svc.Impact(r.editorA, lineage.CanonicalURI(r.raw, ""), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Versions) != 0 || len(imp.Runs) != 0 || len(imp.Pipelines) != 0 || imp.Hidden != 1 {
		t.Fatalf("impact of raw for an editor of a: %+v", imp)
	}
	// The batched reads behind nested fields filter the same way.
	es, err := r.svc.Edges(r.editorA, []lineage.NodeRef{lineage.VersionNode(r.raw)}, lineage.Incoming, lineage.RelConsumed)
	if err != nil || len(es) != 0 {
		t.Fatalf("consumers of raw seen by an editor of a: %v %v", es, err)
	}
	vs, err := r.svc.Versions(r.editorA, []string{r.raw.UID, r.mid.UID})
	if err != nil || len(vs) != 1 || vs[0].UID != r.raw.UID {
		t.Fatalf("versions seen by an editor of a: %v %v", vs, err)
	}
	rs, err := r.svc.Runs(r.editorA, []lineage.RunKey{r.runA.Key(), r.runB.Key()})
	if err != nil || len(rs) != 1 || rs[0].UID != r.runA.UID {
		t.Fatalf("runs seen by an editor of a: %v %v", rs, err)
	}
	if _, err := r.svc.PipelineRunsPage(r.editorA, lineage.PipelineKey{Project: "b", ID: "etl"}, lineage.Page{}); lineage.ErrorCode(err) != lineage.ENOTFOUND {
		t.Fatalf("b's pipeline seen by an editor of a: %v", err)
	}
}

func TestTokensAreStoredHashedAndExpire(t *testing.T) {
	r := newAccessRig(t)
	exp := r.now.Add(time.Hour)
	secret := r.token(t, lineage.TokenInput{Name: "short", Role: lineage.RoleViewer, ExpiresAt: &exp})
	if !strings.HasPrefix(secret, "agt_") {
		t.Fatalf("token %q", secret)
	}
	ctx := r.login(t, secret)
	if _, err := r.svc.ListProjects(ctx); err != nil {
		t.Fatal(err)
	}
	// Neither the secret nor its random part is anywhere in the data dir.
	_, random, _ := strings.Cut(strings.TrimPrefix(secret, "agt_"), "_")
	filepath.Walk(r.dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			if strings.Contains(string(b), random) {
				t.Errorf("%s holds the token's secret", p)
			}
		}
		return nil
	})
	ts, err := r.svc.Tokens(r.admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range ts {
		if tk.Hash != "" {
			t.Fatalf("Tokens shows a hash: %+v", tk)
		}
	}
	// Past its expiry the token fails, also for a request already in.
	r.now = exp
	_, err = r.svc.ListProjects(ctx)
	wantCode(t, "an expired token mid-request", err, lineage.EUNAUTHORIZED)
	_, err = r.svc.Authenticate(context.Background(), secret)
	wantCode(t, "an expired token", err, lineage.EUNAUTHORIZED)
}

// lastUsedAt is written on first use and then at most once a minute.
func TestLastUsedAtIsWrittenAtMostOnceAMinute(t *testing.T) {
	r := newAccessRig(t)
	secret := r.token(t, lineage.TokenInput{Name: "job", Role: lineage.RoleEditor})
	id := strings.SplitN(strings.TrimPrefix(secret, "agt_"), "_", 2)[0]
	lastUsed := func() time.Time {
		tk, err := r.store.GetToken(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if tk.LastUsedAt == nil {
			return time.Time{}
		}
		return *tk.LastUsedAt
	}
	if !lastUsed().IsZero() {
		t.Fatal("used before its first request")
	}
	first := r.now
	r.login(t, secret)
	if !lastUsed().Equal(first.Truncate(time.Microsecond)) {
		t.Fatalf("lastUsedAt %v after the first use at %v", lastUsed(), first)
	}
	r.now = first.Add(59 * time.Second)
	r.login(t, secret)
	if !lastUsed().Equal(first.Truncate(time.Microsecond)) {
		t.Fatalf("lastUsedAt rewritten within a minute: %v", lastUsed())
	}
	r.now = first.Add(61 * time.Second)
	r.login(t, secret)
	if !lastUsed().Equal(r.now.Truncate(time.Microsecond)) {
		t.Fatalf("lastUsedAt %v, want %v", lastUsed(), r.now)
	}
}

func TestRevocationEndsSubscriptionsAndTokens(t *testing.T) {
	r := newAccessRig(t)
	secret, info, err := r.svc.CreateToken(r.admin, lineage.TokenInput{Name: "watch", Role: lineage.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	ctx := r.login(t, secret)
	events, cancel, err := r.svc.Subscribe(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	if _, err := r.svc.LogArtifact(r.admin, lineage.LogRequest{Project: "a", Key: "n1", Kind: lineage.KindArtifact, Body: str("1")}); err != nil {
		t.Fatal(err)
	}
	if v := <-events; v.Key != "n1" {
		t.Fatalf("event %+v", v)
	}
	if ok, err := r.svc.RevokeToken(r.admin, info.ID); !ok || err != nil {
		t.Fatalf("revoke: %v %v", ok, err)
	}
	if _, open := <-events; open {
		t.Fatal("the subscription outlived its token")
	}
	_, err = r.svc.Authenticate(context.Background(), secret)
	wantCode(t, "a revoked token", err, lineage.EUNAUTHORIZED)
	if ok, _ := r.svc.RevokeToken(r.admin, info.ID); ok {
		t.Fatal("revoked twice")
	}
}

func TestSignedLinksAndBoundUploads(t *testing.T) {
	r := newAccessRig(t)
	link, ok, err := r.svc.SignLink(r.editorA, r.out)
	if err != nil || !ok {
		t.Fatalf("sign: %v %v", ok, err)
	}
	ctx, err := r.svc.AuthenticateLink(context.Background(), link)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.VersionIn(ctx, "a", r.out.UID); err != nil {
		t.Fatalf("the link does not open its version: %v", err)
	}
	_, err = r.svc.VersionIn(ctx, "a", r.raw.UID)
	wantCode(t, "another version with the link", err, lineage.ENOTFOUND)
	_, err = r.svc.ListProjects(ctx)
	if ps, _ := r.svc.ListProjects(ctx); len(ps) != 0 {
		t.Fatalf("a link lists projects: %v", ps)
	}
	for name, bad := range map[string]lineage.SignedLink{
		"other uid":  {Project: link.Project, UID: r.raw.UID, Expires: link.Expires, Signature: link.Signature},
		"later":      {Project: link.Project, UID: link.UID, Expires: link.Expires.Add(time.Hour), Signature: link.Signature},
		"signature":  {Project: link.Project, UID: link.UID, Expires: link.Expires, Signature: link.Signature[1:] + "A"},
		"no project": {Project: "b", UID: link.UID, Expires: link.Expires, Signature: link.Signature},
	} {
		_, err := r.svc.AuthenticateLink(context.Background(), bad)
		wantCode(t, "tampered link: "+name, err, lineage.EFORBIDDEN)
	}
	r.now = link.Expires
	_, err = r.svc.AuthenticateLink(context.Background(), link)
	wantCode(t, "expired link", err, lineage.EFORBIDDEN)
	r.now = time.Now().UTC()

	ticket, err := r.svc.CreateUpload(r.editorA, lineage.LogRequest{Project: "a", Key: "up", Kind: lineage.KindArtifact})
	if err != nil {
		t.Fatal(err)
	}
	other := r.login(t, r.token(t, lineage.TokenInput{Name: "other", Role: lineage.RoleEditor, Projects: []string{"a"}}))
	_, err = r.svc.CompleteUpload(other, ticket.ID, strings.NewReader("x"))
	wantCode(t, "another token's ticket", err, lineage.ENOTFOUND)
	if _, err := r.svc.CompleteUpload(r.editorA, ticket.ID, strings.NewReader("x")); err != nil {
		t.Fatalf("the ticket's own token: %v", err)
	}
}

// BenchmarkAuthenticate is what a token costs per request (a store read
// and a keyed hash), against the anonymous caller of --auth none.
func BenchmarkAuthenticate(b *testing.B) {
	rig := servicetest.New(b, servicetest.WithTokens)
	svc, store := rig.Service, rig.Store
	admin, _ := svc.Authenticate(context.Background(), servicetest.AdminToken)
	secret, _, err := svc.CreateToken(admin, lineage.TokenInput{Name: "bench", Role: lineage.RoleViewer})
	if err != nil {
		b.Fatal(err)
	}
	open := lineage.NewService(store, nil, lineage.DefaultConfig())
	b.Run("anonymous", func(b *testing.B) {
		for b.Loop() {
			ctx, _ := open.Authenticate(context.Background(), "")
			if _, err := open.ListProjects(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("token", func(b *testing.B) {
		for b.Loop() {
			ctx, err := svc.Authenticate(context.Background(), secret)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := svc.ListProjects(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
