package storetest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// t0 is the suite's clock origin. Its sub-second part has microsecond
// precision, which every backend keeps.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)

// at returns the time n minutes after t0.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

func ptr[T any](v T) *T { return &v }

// versionBuilder makes a VersionWrite step by step:
//
//	newVersion("p", "iris", "v1", 3).kind(lineage.KindDataset).labels("team=ml")
type versionBuilder struct{ w lineage.VersionWrite }

// newVersion starts a version of project/key with the given uid, created and
// updated n minutes after t0, logged outside any run.
func newVersion(project, key, uid string, n int) *versionBuilder {
	return &versionBuilder{w: lineage.VersionWrite{Version: lineage.Version{
		UID:        uid,
		Project:    project,
		Key:        key,
		Kind:       lineage.KindArtifact,
		CreatedAt:  at(n),
		UpdatedAt:  at(n),
		TargetPath: "file:///data/" + project + "/" + key + "-" + uid,
		Producer:   lineage.Producer{Kind: "project", Name: project},
	}}}
}

func (b *versionBuilder) kind(k lineage.Kind) *versionBuilder { b.w.Version.Kind = k; return b }
func (b *versionBuilder) iter(i int) *versionBuilder          { b.w.Version.Iteration = i; return b }
func (b *versionBuilder) owner(o string) *versionBuilder      { b.w.Version.Owner = o; return b }
func (b *versionBuilder) target(p string) *versionBuilder     { b.w.Version.TargetPath = p; return b }

// by makes the version an output of run r: its Run, Tree and Producer.
func (b *versionBuilder) by(r lineage.Run) *versionBuilder {
	k := r.Key()
	b.w.Version.Run = &k
	b.w.Version.Tree = r.UID
	b.w.Version.Producer = lineage.Producer{Kind: "run", Name: r.Name, URI: r.Project + "/" + r.UID, Owner: r.User}
	return b
}

// labels adds labels written as filters are: "k=v", or "k" for a key
// without a value.
func (b *versionBuilder) labels(ls ...string) *versionBuilder {
	for _, l := range ls {
		k, v, ok := strings.Cut(l, "=")
		label := lineage.Label{Key: k}
		if ok {
			label.Value = ptr(v)
		}
		b.w.Version.Labels = append(b.w.Version.Labels, label)
	}
	return b
}

func (b *versionBuilder) tags(ts ...string) *versionBuilder {
	b.w.Tags = append(b.w.Tags, ts...)
	return b
}

func (b *versionBuilder) sources(uids ...string) *versionBuilder {
	b.w.Sources = append(b.w.Sources, uids...)
	return b
}

func (b *versionBuilder) link(relation, uid string) *versionBuilder {
	b.w.Links = append(b.w.Links, lineage.Link{Relation: relation, UID: uid})
	return b
}

// newRun returns a running run of project started n minutes after t0.
func newRun(project, uid, name string, n int) lineage.Run {
	return lineage.Run{
		Project:      project,
		UID:          uid,
		Name:         name,
		State:        lineage.RunRunning,
		User:         "ada",
		ArtifactPath: "file:///data/" + project + "/" + uid,
		StartedAt:    at(n),
	}
}

// mustPutVersion writes a new version and returns what the store returned.
func mustPutVersion(t testing.TB, s lineage.Store, b *versionBuilder) lineage.Version {
	t.Helper()
	v, created, err := s.PutVersion(t.Context(), b.w)
	if err != nil {
		t.Fatalf("PutVersion %s: %v", b.w.Version.UID, err)
	}
	if !created {
		t.Fatalf("PutVersion %s: created = false for a new uid", b.w.Version.UID)
	}
	return v
}

func mustCreateRun(t testing.TB, s lineage.Store, r lineage.Run, inputs ...string) lineage.Run {
	t.Helper()
	got, err := s.CreateRun(t.Context(), r, inputs)
	if err != nil {
		t.Fatalf("CreateRun %s: %v", r.UID, err)
	}
	return got
}

// mustGetVersion returns the stored version with uid, which must exist.
func mustGetVersion(t testing.TB, s lineage.Store, uid string) lineage.Version {
	t.Helper()
	vs, err := s.GetVersions(t.Context(), []string{uid})
	if err != nil {
		t.Fatalf("GetVersions %s: %v", uid, err)
	}
	if len(vs) != 1 {
		t.Fatalf("GetVersions %s: got %d versions, want 1", uid, len(vs))
	}
	return vs[0]
}

func mustTag(t testing.TB, s lineage.Store, uid, tag string, when time.Time) lineage.Version {
	t.Helper()
	v, err := s.TagVersion(t.Context(), uid, tag, when)
	if err != nil {
		t.Fatalf("TagVersion %s %s: %v", uid, tag, err)
	}
	return v
}

func mustEdges(t testing.TB, s lineage.Store, nodes []lineage.NodeRef, dir lineage.EdgeDirection, rels ...lineage.Relation) []lineage.Edge {
	t.Helper()
	es, err := s.Edges(t.Context(), nodes, dir, rels...)
	if err != nil {
		t.Fatalf("Edges: %v", err)
	}
	return es
}

// listAll walks every page of a listing, three versions at a time, checking
// that the pages agree with each other, and returns the versions in order.
func listAll(t testing.TB, s lineage.Store, project string, f lineage.VersionFilter) []lineage.Version {
	t.Helper()
	return listPages(t, s, project, f, 3)
}

func listPages(t testing.TB, s lineage.Store, project string, f lineage.VersionFilter, first int) []lineage.Version {
	t.Helper()
	var all []lineage.Version
	total := -1
	page := lineage.Page{First: first}
	for i := 0; ; i++ {
		if i > 1000 {
			t.Fatal("ListVersions: more than 1000 pages, the cursor does not advance")
		}
		p, err := s.ListVersions(t.Context(), project, f, page)
		if err != nil {
			t.Fatalf("ListVersions %s %+v page %d: %v", project, f, i, err)
		}
		if total >= 0 && p.Total != total {
			t.Fatalf("ListVersions: Total changed from %d to %d between pages", total, p.Total)
		}
		total = p.Total
		if len(p.Versions) > first {
			t.Fatalf("ListVersions: %d versions on a page of %d", len(p.Versions), first)
		}
		all = append(all, p.Versions...)
		if !p.HasNext {
			break
		}
		if len(p.Versions) != first || p.EndCursor == "" {
			t.Fatalf("ListVersions: HasNext with %d versions on a page of %d, cursor %q", len(p.Versions), first, p.EndCursor)
		}
		page.After = p.EndCursor
	}
	if total != len(all) {
		t.Fatalf("ListVersions: Total = %d, but the pages hold %d versions", total, len(all))
	}
	return all
}

func uidsOf(vs []lineage.Version) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, v.UID)
	}
	return out
}

func runUIDs(rs []lineage.Run) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.UID)
	}
	return out
}

func assertUIDs(t testing.TB, what string, got []lineage.Version, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if g := uidsOf(got); !slices.Equal(g, want) {
		t.Fatalf("%s: got uids %q, want %q", what, g, want)
	}
}

func wantCode(t testing.TB, what string, err error, code string) {
	t.Helper()
	if got := lineage.ErrorCode(err); got != code {
		t.Fatalf("%s: got error %v (code %q), want code %q", what, err, got, code)
	}
}

func assertTags(t testing.TB, v lineage.Version, want ...string) {
	t.Helper()
	got := slices.Sorted(slices.Values(v.Tags))
	want = slices.Sorted(slices.Values(want))
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Fatalf("version %s: tags %q, want %q", v.UID, got, want)
	}
}

func assertTime(t testing.TB, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("%s: got %s, want %s", what, got.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
	}
}

// canonical renders a version for comparison: tags sorted, times in UTC,
// absent and empty lists alike, JSON values compared by meaning rather than
// spelling.
func canonical(v lineage.Version) string {
	v.Tags = slices.Sorted(slices.Values(v.Tags))
	v.CreatedAt, v.UpdatedAt = v.CreatedAt.UTC(), v.UpdatedAt.UTC()
	return canonicalJSON(v)
}

func canonicalJSON(x any) string {
	b, err := json.Marshal(x)
	if err != nil {
		return fmt.Sprintf("unencodable: %v", err)
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return fmt.Sprintf("undecodable: %v", err)
	}
	b, _ = json.MarshalIndent(generic, "", "  ")
	return string(b)
}

func assertVersion(t testing.TB, what string, got, want lineage.Version) {
	t.Helper()
	if g, w := canonical(got), canonical(want); g != w {
		t.Fatalf("%s: version differs\n got: %s\nwant: %s", what, g, w)
	}
}

func assertRun(t testing.TB, what string, got, want lineage.Run) {
	t.Helper()
	norm := func(r lineage.Run) string {
		r.StartedAt = r.StartedAt.UTC()
		if r.FinishedAt != nil {
			r.FinishedAt = ptr(r.FinishedAt.UTC())
		}
		return canonicalJSON(r)
	}
	if g, w := norm(got), norm(want); g != w {
		t.Fatalf("%s: run differs\n got: %s\nwant: %s", what, g, w)
	}
}

func assertProject(t testing.TB, what string, got, want lineage.Project) {
	t.Helper()
	norm := func(p lineage.Project) string {
		p.CreatedAt = p.CreatedAt.UTC()
		return canonicalJSON(p)
	}
	if g, w := norm(got), norm(want); g != w {
		t.Fatalf("%s: project differs\n got: %s\nwant: %s", what, g, w)
	}
}

// Graph nodes and edges, written briefly.

func vnode(project, uid string) lineage.NodeRef {
	return lineage.NodeRef{Type: lineage.NodeArtifact, Project: project, UID: uid}
}

func rnode(project, uid string) lineage.NodeRef {
	return lineage.NodeRef{Type: lineage.NodeRun, Project: project, UID: uid}
}

func edge(from lineage.NodeRef, rel lineage.Relation, to lineage.NodeRef) lineage.Edge {
	return lineage.Edge{From: from, To: to, Relation: rel}
}

func linkEdge(from lineage.NodeRef, name string, to lineage.NodeRef) lineage.Edge {
	return lineage.Edge{From: from, To: to, Relation: lineage.RelLinksTo, Name: name}
}

// assertEdges checks that got is sorted as Store.Edges promises and holds
// exactly want, given in any order.
func assertEdges(t testing.TB, what string, got []lineage.Edge, want ...lineage.Edge) {
	t.Helper()
	if !slices.IsSortedFunc(got, lineage.CompareEdges) {
		t.Errorf("%s: edges not sorted by (From, To, Relation, Name):\n%s", what, formatEdges(got))
	}
	want = slices.Clone(want)
	lineage.SortEdges(want)
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: edges differ\n got:\n%s\nwant:\n%s", what, formatEdges(got), formatEdges(want))
	}
}

func formatNode(n lineage.NodeRef) string {
	return fmt.Sprintf("%s:%s/%s", n.Type, n.Project, n.UID)
}

func formatEdges(es []lineage.Edge) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "  %s -%s", formatNode(e.From), e.Relation)
		if e.Name != "" {
			fmt.Fprintf(&b, "(%s)", e.Name)
		}
		fmt.Fprintf(&b, "-> %s\n", formatNode(e.To))
	}
	if len(es) == 0 {
		b.WriteString("  (none)\n")
	}
	return b.String()
}
