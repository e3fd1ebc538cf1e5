package api_test

// The access-control matrix: every query and mutation × every role × a
// token scoped to the probed project ("own"), to another one ("other") and
// to all projects ("all"), on the embedded store and on Neo4j. It asserts
// that no token reads or writes a project it does not cover: not directly,
// not through lineage or impact, and not through any nested field
// (sources, consumers, links, linkedFrom, run, inputs, outputs,
// Pipeline.runs), and that an uncovered project answers exactly as one that
// does not exist.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"io/fs"
	"maps"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/artigraph/artigraph/api"
	"github.com/artigraph/artigraph/internal/neo4jlock"
	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/storage/neo4j"
)

// absentProject never exists: an uncovered project must answer as it does.
const absentProject = "zzz"

func TestAccessMatrix(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		admin, opt := accessAuth(t)
		runAccessMatrix(t, newServer(t, opt), admin)
	})
	t.Run("neo4j", func(t *testing.T) {
		store := openNeo4jForAccess(t)
		admin, opt := accessAuth(t)
		runAccessMatrix(t, newServerOn(t, t.TempDir(), store, nil, opt), admin)
	})
}

// accessAuth turns token auth on with a random admin token and server key,
// and lifts the query limits that the deep leak queries would trip.
func accessAuth(t *testing.T) (string, serverOption) {
	key := make([]byte, 32)
	rand.Read(key)
	admin := "admin-" + rand.Text()
	return admin, func(o *api.Options, c *lineage.Config, _ lineage.BlobRouter) {
		c.Auth = lineage.AuthToken
		c.AdminToken = admin
		c.ServerKey = key
		o.MaxQueryDepth = 30
		o.MaxComplexity = 1 << 30
		o.MaxQueryFields = 1 << 20
	}
}

// openNeo4jForAccess opens the Neo4j store NEO4J_URI names, wiped first.
// Without NEO4J_URI it skips, unless ARTIGRAPH_REQUIRE_NEO4J is set.
func openNeo4jForAccess(t *testing.T) lineage.Store {
	t.Helper()
	uri := os.Getenv("NEO4J_URI")
	if uri == "" {
		if os.Getenv("ARTIGRAPH_REQUIRE_NEO4J") != "" {
			t.Fatal("ARTIGRAPH_REQUIRE_NEO4J is set but NEO4J_URI is not: start a server with scripts/neo4j start and export the NEO4J_URI it prints")
		}
		t.Skip("NEO4J_URI is not set: scripts/neo4j start runs a server and prints it")
	}
	neo4jlock.Hold(t, uri) // the conformance tests wipe the same database
	cfg := neo4j.Config{URI: uri, User: os.Getenv("NEO4J_USER"), Password: os.Getenv("NEO4J_PASSWORD"),
		Database: os.Getenv("NEO4J_DATABASE")}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, err := neo4j.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("neo4j.Open %s: %v", uri, err)
	}
	t.Cleanup(func() { store.Close() })
	// Wipe, as the conformance tests do: every node and relationship.
	auth := neo.NoAuth()
	if cfg.User != "" {
		auth = neo.BasicAuth(cfg.User, cfg.Password, "")
	}
	d, err := neo.NewDriverWithContext(uri, auth)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close(ctx)
	sess := d.NewSession(ctx, neo.SessionConfig{DatabaseName: cfg.Database, AccessMode: neo.AccessModeWrite})
	defer sess.Close(ctx)
	res, err := sess.Run(ctx, "MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS", nil)
	if err == nil {
		_, err = res.Consume(ctx)
	}
	if err != nil {
		t.Fatalf("wipe: %v", err)
	}
	return store
}

// ---- the seeded world -------------------------------------------------

// world is what the admin seeded: uids by project and key, and what the
// probes need.
type world struct {
	admin  string
	uid    map[string]map[string]string // project → key → version uid
	dsYAML string                       // a's dataset export, for importArtifact
}

// prefixes of the seeded keys, by kind.
var seededPrefix = map[string]string{
	"ds": "datasets", "model": "models", "chart": "artifacts", "xout": "models", "derived": "models",
	"chain1": "datasets", "chain2": "datasets", "relayed": "datasets",
}

func suri(project, key string) string {
	return "store://" + seededPrefix[key] + "/" + project + "/" + key
}

func (s *testServer) mustAs(t *testing.T, token, query string, vars map[string]any, out any) {
	t.Helper()
	r := s.doAs(t, token, query, vars)
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %+v\nquery: %s\nvars: %v", r.Errors, query, vars)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			t.Fatalf("decode %s: %v", r.Data, err)
		}
	}
}

// seedAccess builds projects a, b and c, each with a dataset, a run (in
// pipeline "nightly") consuming it and producing a model and a chart, the
// model linked to the chart; and cross-project edges: a run in a consuming
// b's dataset, a version in a derived from c's model, links a→b and b→a,
// and a chain a/chain1 → run b/b-relay → b/relayed → a/chain2.
func seedAccess(t *testing.T, s *testServer, admin string) *world {
	t.Helper()
	w := &world{admin: admin, uid: map[string]map[string]string{}}
	log := func(project, key, kind, runUID string, sources []string, body string) {
		t.Helper()
		in := map[string]any{"project": project, "key": key, "kind": kind, "body": body,
			"description": "desc-" + project, "format": "txt"}
		if runUID != "" {
			in["runUid"] = runUID
		}
		if sources != nil {
			in["sources"] = sources
		}
		var out struct{ LogArtifact struct{ UID, Project string } }
		s.mustAs(t, admin, `mutation($in: LogArtifactInput!) { logArtifact(input: $in) { uid project } }`,
			map[string]any{"in": in}, &out)
		if w.uid[project] == nil {
			w.uid[project] = map[string]string{}
		}
		w.uid[project][key] = out.LogArtifact.UID
	}
	startRun := func(project, name, uid string, inputs []string) {
		t.Helper()
		s.mustAs(t, admin, `mutation($in: StartRunInput!) { startRun(input: $in) { uid } }`,
			map[string]any{"in": map[string]any{"project": project, "name": name, "uid": uid, "user": "user-" + project,
				"pipeline": "nightly", "inputs": inputs}}, nil)
	}
	finish := func(project, uid string) {
		t.Helper()
		s.mustAs(t, admin, `mutation($p: String!, $u: String!) { finishRun(project: $p, uid: $u, state: COMPLETED) { state } }`,
			map[string]any{"p": project, "u": uid}, nil)
	}
	link := func(from, to, rel string) {
		t.Helper()
		s.mustAs(t, admin, `mutation($f: String!, $t: String!, $r: String!) { linkArtifacts(from: $f, to: $t, relation: $r) { uid } }`,
			map[string]any{"f": from, "t": to, "r": rel}, nil)
	}
	for _, p := range []string{"a", "b", "c"} {
		s.mustAs(t, admin, `mutation($p: String!, $d: String) { upsertProject(input: {name: $p, description: $d}) { name } }`,
			map[string]any{"p": p, "d": "desc-" + p}, nil)
		log(p, "ds", "DATASET", "", nil, p+"-data")
		startRun(p, "train", p+"-train", []string{suri(p, "ds")})
		log(p, "model", "MODEL", p+"-train", []string{suri(p, "ds")}, p+"-weights")
		log(p, "chart", "PLOT", p+"-train", nil, p+"-chart")
		link(suri(p, "model"), suri(p, "chart"), "chart")
		finish(p, p+"-train")
	}
	// a run in a consuming b's dataset
	startRun("a", "xrun", "a-xrun", []string{suri("b", "ds")})
	log("a", "xout", "MODEL", "a-xrun", nil, "a-xout")
	finish("a", "a-xrun")
	// a version in a derived from one in c
	log("a", "derived", "MODEL", "", []string{suri("c", "model")}, "a-derived")
	// links across projects, both ways
	link(suri("a", "model"), suri("b", "chart"), "chart-b")
	link(suri("b", "model"), suri("a", "chart"), "chart-a")
	// the chain a → b → a
	log("a", "chain1", "DATASET", "", nil, "a-chain1")
	startRun("b", "relay", "b-relay", []string{suri("a", "chain1")})
	log("b", "relayed", "DATASET", "b-relay", nil, "b-relayed")
	finish("b", "b-relay")
	log("a", "chain2", "DATASET", "", []string{suri("b", "relayed")}, "a-chain2")
	s.mustAs(t, admin, `mutation($u: String!) { tagArtifact(uri: $u, tag: "prod") { uid } }`,
		map[string]any{"u": suri("a", "model")}, nil)
	var y struct{ Artifact struct{ YAML string } }
	s.mustAs(t, admin, `query($u: String!) { artifact(uri: $u) { yaml } }`, map[string]any{"u": suri("a", "ds")}, &y)
	w.dsYAML = y.Artifact.YAML
	return w
}

// forbidden lists what must never appear in an answer to a token that
// covers only a: b's and c's names, URIs, run ids, keys, contents and uids.
func (w *world) forbidden() []string {
	f := []string{`"b"`, `"c"`, `/b/`, `/c/`, `"b/`, `"c/`, `run:b`, `run:c`, `b-train`, `c-train`, `b-relay`,
		`relayed`, `desc-b`, `desc-c`, `b-data`, `c-data`, `b-weights`, `c-weights`, `b-chart`, `c-chart`, `user-b`, `user-c`}
	for _, p := range []string{"b", "c"} {
		for _, uid := range w.uid[p] {
			f = append(f, uid)
		}
	}
	return f
}

// forbiddenFor is w.forbidden without what the request itself names, which
// an answer may echo (e.g. in "no artifact version matches <uri>").
func (w *world) forbiddenFor(vars map[string]any) []string {
	asked, _ := json.Marshal(vars)
	var out []string
	for _, f := range w.forbidden() {
		if !strings.Contains(string(asked), strings.Trim(f, `"`)) {
			out = append(out, f)
		}
	}
	return out
}

func leaksIn(raw string, forbidden []string) []string {
	var found []string
	for _, f := range forbidden {
		if strings.Contains(raw, f) {
			found = append(found, f)
		}
	}
	return found
}

// ---- tokens ------------------------------------------------------------

type accessToken struct {
	role, scope string // scope: own (["a"]), other (["b"]), all (no projects)
	secret      string
}

func (k accessToken) label() string { return k.role + "/" + k.scope }

// covers reports whether the token covers project p (the probe "a" or "b").
func (k accessToken) covers(p string) bool {
	switch k.scope {
	case "all":
		return true
	case "own":
		return p == "a"
	case "other":
		return p == "b"
	}
	return false
}

func (k accessToken) canWrite(p string) bool { return k.role != "VIEWER" && k.covers(p) }
func (k accessToken) isAdmin() bool          { return k.role == "ADMIN" && k.scope == "all" }

// sfx is a suffix that keeps each token's writes apart (and key-valid).
func (k accessToken) sfx() string { return strings.ToLower(k.role) + "-" + k.scope }

func createTokens(t *testing.T, s *testServer, admin string) []accessToken {
	t.Helper()
	var toks []accessToken
	for _, role := range []string{"VIEWER", "EDITOR", "ADMIN"} {
		for _, scope := range []string{"own", "other", "all"} {
			in := map[string]any{"name": role + "-" + scope, "role": role}
			switch scope {
			case "own":
				in["projects"] = []string{"a"}
			case "other":
				in["projects"] = []string{"b"}
			}
			var out struct {
				CreateToken struct {
					Token string
					Info  struct {
						Role     string
						Projects []string
					}
				}
			}
			s.mustAs(t, admin, `mutation($in: TokenInput!) { createToken(input: $in) { token info { id role projects } } }`,
				map[string]any{"in": in}, &out)
			if out.CreateToken.Token == "" || out.CreateToken.Info.Role != role {
				t.Fatalf("createToken %v: %+v", in, out)
			}
			toks = append(toks, accessToken{role: role, scope: scope, secret: out.CreateToken.Token})
		}
	}
	return toks
}

// ---- GraphQL documents ---------------------------------------------------

// fragV selects every field of a version, each nested list one hop on.
const fragV = `
fragment V on ArtifactVersion {
  uri project key kind uid iteration tree tags labels { key value } description createdAt updatedAt
  targetPath format size hash producer { kind name uri owner } owner { name } externalSources extra yaml downloadUrl
  dataset { header length } model { framework featureVector }
  sources(first: 50) { uri project key uid }
  consumers(first: 50) { project uid name inputs(first: 50) { uri project uid } outputs(first: 50) { uri project uid } }
  links(first: 50) { relation target { uri project key uid } }
  linkedFrom(first: 50) { relation target { uri project key uid } }
  run { project uid name user { name }
    inputs(first: 50) { uri project uid sources(first: 50) { uri project } }
    outputs(first: 50) { uri project uid links(first: 50) { target { uri project } } }
    pipeline { project id runs(first: 50) { project uid inputs(first: 50) { uri project } outputs(first: 50) { uri project } } } }
}`

// fragR selects every field of a run, with its versions in full.
const fragR = `
fragment R on Run {
  project uid name state user { name } startedAt finishedAt artifactPath labels { key value }
  pipeline { project id runs(first: 50) { project uid inputs(first: 50) { uri project uid } outputs(first: 50) { uri project uid } } }
  inputs(first: 50) { ...V }
  outputs(first: 50) { ...V }
}`

const lineageSel = `{ nodes { id type depth artifact { ...V } run { ...R } } edges { from to relation } truncated hidden }`
const impactSel = `{ artifacts { ...V } runs { ...R } pipelines { project id runs(first: 50) { project uid inputs(first: 50) { uri project } outputs(first: 50) { uri project } } } truncated hidden }`

// readProbe is one query about project p; ref names the project whose uids
// it borrows (the probed one, also for the absent twin).
type readProbe struct {
	name  string
	query string
	vars  func(w *world, p, ref string) map[string]any
	field string // top-level field that must be non-null for a covering token ("" : none)
	onlyB bool   // it names what only b has: on a, a covering token may get NOT_FOUND
}

func uriVars(key string) func(w *world, p, ref string) map[string]any {
	return func(w *world, p, ref string) map[string]any { return map[string]any{"u": suri(p, key)} }
}

func lineageVars(key, dir string) func(w *world, p, ref string) map[string]any {
	return func(w *world, p, ref string) map[string]any { return map[string]any{"u": suri(p, key), "d": dir} }
}

func readProbes() []readProbe {
	var ps []readProbe
	ps = append(ps, readProbe{name: "project", field: "project",
		query: `query($p: String!) { project(name: $p) { name description artifactPath labels { key value } createdAt } }`,
		vars:  func(w *world, p, ref string) map[string]any { return map[string]any{"p": p} }})
	for _, key := range []string{"model", "ds", "chart", "xout", "derived", "chain1", "chain2", "relayed"} {
		field := "artifact"
		if key == "relayed" {
			field = "" // only b has it
		}
		ps = append(ps, readProbe{name: "artifact(" + key + ")", field: field,
			query: `query($u: String!) { artifact(uri: $u) { ...V } }` + fragV, vars: uriVars(key)})
	}
	ps = append(ps, readProbe{name: "artifact(model^uid)", field: "artifact",
		query: `query($u: String!) { artifact(uri: $u) { ...V } }` + fragV,
		vars: func(w *world, p, ref string) map[string]any {
			return map[string]any{"u": suri(p, "model") + "^" + w.uid[ref]["model"]}
		}})
	ps = append(ps, readProbe{name: "artifact(model:prod)", field: "",
		query: `query($u: String!) { artifact(uri: $u) { ...V } }` + fragV,
		vars:  func(w *world, p, ref string) map[string]any { return map[string]any{"u": suri(p, "model") + ":prod"} }})
	ps = append(ps, readProbe{name: "artifacts", field: "artifacts",
		query: `query($p: String!) { artifacts(project: $p, first: 100) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ...V } } } }` + fragV,
		vars:  func(w *world, p, ref string) map[string]any { return map[string]any{"p": p} }})
	ps = append(ps, readProbe{name: "artifacts(filter)", field: "artifacts",
		query: `query($p: String!) { artifacts(project: $p, filter: {kind: MODEL, keyContains: "o"}, first: 100) { totalCount edges { node { ...V } } } }` + fragV,
		vars:  func(w *world, p, ref string) map[string]any { return map[string]any{"p": p} }})
	for _, uid := range []string{"train", "xrun", "relay"} {
		field := "run"
		if uid != "train" {
			field = ""
		}
		ps = append(ps, readProbe{name: "run(" + uid + ")", field: field,
			query: `query($p: String!, $u: String!) { run(project: $p, uid: $u) { ...R } }` + fragR + fragV,
			vars: func(w *world, p, ref string) map[string]any {
				return map[string]any{"p": p, "u": ref + "-" + uid}
			}})
	}
	ps = append(ps, readProbe{name: "runs", field: "runs",
		query: `query($p: String!) { runs(project: $p, first: 100) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ...R } } } }` + fragR + fragV,
		vars:  func(w *world, p, ref string) map[string]any { return map[string]any{"p": p} }})
	for _, l := range []struct{ key, dir string }{{"model", "BOTH"}, {"ds", "DOWNSTREAM"}, {"ds", "UPSTREAM"},
		{"xout", "UPSTREAM"}, {"xout", "BOTH"}, {"derived", "UPSTREAM"}, {"derived", "BOTH"}, {"chain1", "DOWNSTREAM"},
		{"chain1", "BOTH"}, {"chain2", "UPSTREAM"}, {"chain2", "BOTH"}, {"chart", "BOTH"}, {"relayed", "BOTH"}} {
		ps = append(ps, readProbe{name: "lineage(" + l.key + "," + l.dir + ")", onlyB: l.key == "relayed",
			query: `query($u: String!, $d: LineageDirection!) { lineage(uri: $u, direction: $d, depth: 10) ` + lineageSel + ` }` + fragR + fragV,
			vars:  lineageVars(l.key, l.dir)})
	}
	for _, key := range []string{"ds", "model", "chain1", "xout", "derived"} {
		ps = append(ps, readProbe{name: "impact(" + key + ")",
			query: `query($u: String!) { impact(uri: $u, depth: 10) ` + impactSel + ` }` + fragR + fragV,
			vars:  uriVars(key)})
	}
	for _, uid := range []string{"train", "xrun", "relay"} {
		ps = append(ps, readProbe{name: "impact(run:" + uid + ")", onlyB: uid == "relay",
			query: `query($u: String!) { impact(uri: $u, depth: 10) ` + impactSel + ` }` + fragR + fragV,
			vars: func(w *world, p, ref string) map[string]any {
				return map[string]any{"u": "run:" + p + "/" + ref + "-" + uid}
			}})
	}
	return ps
}

// comparable renders an answer for comparison: its data and each error's
// message and code.
func comparable(r gqlResponse) string {
	type e struct {
		Message string `json:"message"`
		Code    string `json:"code"`
	}
	var errs []e
	for _, x := range r.Errors {
		errs = append(errs, e{Message: x.Message, Code: x.code()})
	}
	data := r.Data
	if data == nil {
		data = json.RawMessage("null")
	}
	b, _ := json.Marshal(struct {
		Data   json.RawMessage `json:"data"`
		Errors []e             `json:"errors"`
	}{data, errs})
	return string(b)
}

func rawOf(r gqlResponse) string {
	b, _ := json.Marshal(r)
	return string(b)
}

func fieldIsNull(r gqlResponse, field string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(r.Data, &m) != nil {
		return true
	}
	v, ok := m[field]
	return !ok || string(v) == "null"
}

// ---- the matrix --------------------------------------------------------

// accessCounts counts what must stay zero.
type accessCounts struct {
	reads  atomic.Int64 // answers that showed (or told apart) a project the token does not cover
	writes atomic.Int64 // writes that took effect without the right to make them
}

func runAccessMatrix(t *testing.T, s *testServer, admin string) {
	w := seedAccess(t, s, admin)
	toks := createTokens(t, s, admin)
	var n accessCounts
	before := snapshotOthers(t, s, admin)

	t.Run("seed", func(t *testing.T) { checkSeedAsAdmin(t, s, w) })
	t.Run("unauthenticated", func(t *testing.T) { checkUnauthenticated(t, s, w) })
	// Reads first (the shapes assume the seeded graph), then writes.
	for _, k := range toks {
		run := func(name string, f func(t *testing.T)) { t.Run(k.label()+"/"+name, f) }
		run("viewer", func(t *testing.T) { checkViewer(t, s, k) })
		run("projects", func(t *testing.T) { checkProjects(t, s, w, k, &n) })
		run("tokens", func(t *testing.T) { checkTokensQuery(t, s, k) })
		run("shape", func(t *testing.T) { checkShapes(t, s, w, k, &n) })
		for _, pr := range readProbes() {
			run(pr.name, func(t *testing.T) { checkRead(t, s, w, k, pr, "a", &n) })
			if k.scope == "own" { // and b, from a's side: b is not covered
				run(pr.name+"@b", func(t *testing.T) { checkRead(t, s, w, k, pr, "b", &n) })
			}
		}
		run("uidSwap", func(t *testing.T) { checkUIDSwap(t, s, w, k, &n) })
		run("rest", func(t *testing.T) { checkREST(t, s, w, k, &n) })
	}
	for _, k := range append([]accessToken{{role: "NONE", scope: "none"}}, toks...) {
		t.Run(k.label()+"/artifactLogged", func(t *testing.T) { checkSubscription(t, s, w, k, &n) })
		if k.secret != "" {
			t.Run(k.label()+"/downloadUrl", func(t *testing.T) { checkSignedLink(t, s, w, k, &n) })
		}
	}
	for _, k := range toks {
		run := func(name string, f func(t *testing.T)) { t.Run(k.label()+"/"+name, f) }
		for _, wp := range writeProbes() {
			run(wp.name, func(t *testing.T) { checkWrite(t, s, w, k, wp, "a", &n) })
			if !wp.adminOnly && k.scope == "own" {
				run(wp.name+"@b", func(t *testing.T) { checkWrite(t, s, w, k, wp, "b", &n) })
			}
			if !wp.adminOnly && !(k.scope == "all" && k.role != "VIEWER") {
				run(wp.name+"@"+absentProject, func(t *testing.T) { checkWrite(t, s, w, k, wp, absentProject, &n) })
			}
		}
		if k.scope == "own" {
			for _, cp := range crossProbes() {
				run("cross/"+cp.name, func(t *testing.T) { checkCross(t, s, w, k, cp, &n) })
			}
		}
	}
	t.Run("ticketTheft", func(t *testing.T) { checkTicketTheft(t, s, w, toks, &n) })
	t.Run("b-and-c-unchanged", func(t *testing.T) {
		after := snapshotOthers(t, s, admin)
		if before != after {
			n.writes.Add(1)
			t.Errorf("b's or c's seeded data changed during the matrix:\nbefore %s\nafter  %s", before, after)
		}
	})
	t.Run("zero", func(t *testing.T) {
		if r, wr := n.reads.Load(), n.writes.Load(); r != 0 || wr != 0 {
			t.Errorf("%d cross-project reads and %d unauthorised writes (each reported above)", r, wr)
		}
	})
}

func checkSeedAsAdmin(t *testing.T, s *testServer, w *world) {
	// The admin sees the cross-project edges the probes rely on.
	var out struct {
		Artifact struct {
			Sources []struct{ Project string }
		}
	}
	s.mustAs(t, w.admin, `query($u: String!) { artifact(uri: $u) { sources { project } } }`,
		map[string]any{"u": suri("a", "derived")}, &out)
	if len(out.Artifact.Sources) != 1 || out.Artifact.Sources[0].Project != "c" {
		t.Fatalf("a/derived's sources as admin: %+v", out)
	}
}

func checkUnauthenticated(t *testing.T, s *testServer, w *world) {
	// A revoked token, and one past its expiresAt, count as no token.
	newToken := func(name string, expires *time.Time) (string, string) {
		in := map[string]any{"name": name, "role": "ADMIN"}
		if expires != nil {
			in["expiresAt"] = expires.Format(time.RFC3339Nano)
		}
		var out struct {
			CreateToken struct {
				Token string
				Info  struct{ ID string }
			}
		}
		r := s.doAs(t, w.admin, `mutation($in: TokenInput!) { createToken(input: $in) { token info { id } } }`, map[string]any{"in": in})
		if len(r.Errors) > 0 || json.Unmarshal(r.Data, &out) != nil {
			t.Logf("createToken %v: %s (left out)", in, rawOf(r))
			return "", ""
		}
		return out.CreateToken.Token, out.CreateToken.Info.ID
	}
	toks := map[string]string{"none": "", "bad-agt": "agt_nosuch_secret", "bad-gar": "garbage"}
	if tok, id := newToken("to-revoke", nil); tok != "" {
		s.mustAs(t, w.admin, `mutation($id: ID!) { revokeToken(id: $id) }`, map[string]any{"id": id}, nil)
		toks["revoked"] = tok
	}
	soon := time.Now().Add(time.Second)
	if tok, _ := newToken("to-expire", &soon); tok != "" {
		toks["expired"] = tok
		time.Sleep(time.Until(soon) + 100*time.Millisecond)
	}
	for _, name := range []string{"none", "bad-agt", "bad-gar", "revoked", "expired"} {
		tok, ok := toks[name]
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			check := func(what, query string, vars map[string]any, send func() gqlResponse) {
				t.Run(what, func(t *testing.T) {
					var r gqlResponse
					if send != nil {
						r = send()
					} else {
						r = s.doAs(t, tok, query, vars)
					}
					if len(r.Errors) == 0 || r.Errors[0].code() != "UNAUTHENTICATED" || !fieldIsNull(r, firstField(query)) {
						t.Errorf("%s without a valid token (%q): want UNAUTHENTICATED, got %s", what, tok, rawOf(r))
					}
				})
			}
			for _, pr := range readProbes() {
				check(pr.name, pr.query, pr.vars(w, "a", "a"), nil)
			}
			check("projects", `{ projects { name } }`, nil, nil)
			check("viewer", `{ viewer { id } }`, nil, nil)
			check("tokens", `{ tokens { id } }`, nil, nil)
			k := accessToken{role: "NONE", scope: name}
			for _, wp := range writeProbes() {
				vars := wp.vars(w, "a", k.sfx())
				if wp.setup != nil {
					for key, v := range wp.setup(t, s, w, "a", k.sfx()) {
						if !strings.HasPrefix(key, "_") {
							vars[key] = v
						}
					}
				}
				check(wp.name, wp.query, vars, func() gqlResponse { return s.sendWrite(t, tok, wp, vars) })
				if wp.effect != nil && wp.effect(t, s, w, "a", k.sfx()) {
					t.Errorf("UNAUTHORISED WRITE: %s without a valid token (%q) took effect", wp.name, tok)
				}
			}
			// REST routes
			for _, what := range []string{"content", "yaml"} {
				resp, _ := s.get(t, "/api/v1/artifacts/a/"+w.uid["a"]["ds"]+"/"+what, authHeader(tok)...)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("GET %s without a valid token (%q): %d, want 401", what, tok, resp.StatusCode)
				}
			}
		})
	}
}

func authHeader(tok string) []string {
	if tok == "" {
		return nil
	}
	return []string{"Authorization", "Bearer " + tok}
}

// firstField is the name of the first top-level field of a document.
func firstField(query string) string {
	i := strings.Index(query, "{")
	rest := strings.TrimSpace(query[i+1:])
	end := strings.IndexAny(rest, "({ \n")
	return rest[:end]
}

func checkViewer(t *testing.T, s *testServer, k accessToken) {
	r := s.doAs(t, k.secret, `{ viewer { id name role projects } }`, nil)
	var out struct {
		Viewer *struct {
			Name, Role string
			Projects   []string
		}
	}
	if len(r.Errors) > 0 || json.Unmarshal(r.Data, &out) != nil || out.Viewer == nil {
		t.Fatalf("viewer: %s", rawOf(r))
	}
	want := map[string][]string{"own": {"a"}, "other": {"b"}, "all": {}}[k.scope]
	if out.Viewer.Role != k.role || !slices.Equal(nonNil(out.Viewer.Projects), want) {
		t.Errorf("viewer: %s, want role %s projects %v", rawOf(r), k.role, want)
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func checkProjects(t *testing.T, s *testServer, w *world, k accessToken, n *accessCounts) {
	r := s.doAs(t, k.secret, `{ projects { name description labels { key value } } }`, nil)
	var out struct{ Projects []struct{ Name string } }
	if len(r.Errors) > 0 || json.Unmarshal(r.Data, &out) != nil {
		t.Fatalf("projects: %s", rawOf(r))
	}
	var names []string
	for _, p := range out.Projects {
		names = append(names, p.Name)
	}
	switch k.scope {
	case "own", "other":
		want := map[string]string{"own": "a", "other": "b"}[k.scope]
		if !slices.Equal(names, []string{want}) {
			n.reads.Add(1)
			t.Errorf("projects for %s: %v, want [%s]: %s", k.label(), names, want, rawOf(r))
		}
	case "all":
		for _, p := range []string{"a", "b", "c"} {
			if !slices.Contains(names, p) {
				t.Errorf("projects for %s: %v lacks %s", k.label(), names, p)
			}
		}
	}
}

func checkTokensQuery(t *testing.T, s *testServer, k accessToken) {
	r := s.doAs(t, k.secret, `{ tokens { id name role projects } }`, nil)
	if k.isAdmin() {
		var out struct{ Tokens []struct{ Name string } }
		if len(r.Errors) > 0 || json.Unmarshal(r.Data, &out) != nil || len(out.Tokens) < 9 {
			t.Errorf("tokens as %s: %s", k.label(), rawOf(r))
		}
		if strings.Contains(rawOf(r), "agt_") {
			t.Errorf("tokens shows a secret: %s", rawOf(r))
		}
		return
	}
	if len(r.Errors) == 0 || r.Errors[0].code() != "PERMISSION_DENIED" || !fieldIsNull(r, "tokens") {
		t.Errorf("tokens as %s: want PERMISSION_DENIED, got %s", k.label(), rawOf(r))
	}
}

// checkRead runs one probe about project p: a covering token gets an
// answer with nothing of another project in it (own scope: nothing of b or
// c); any other token gets exactly the answer about a project that does not
// exist.
func checkRead(t *testing.T, s *testServer, w *world, k accessToken, pr readProbe, p string, n *accessCounts) {
	vars := pr.vars(w, p, p)
	r := s.doAs(t, k.secret, pr.query, vars)
	if k.covers(p) {
		if len(r.Errors) > 0 && !(pr.onlyB && p == "a" && r.Errors[0].code() == "NOT_FOUND") {
			t.Errorf("%s %s on %s: errors for a covering token: %s", k.label(), pr.name, p, rawOf(r))
			return
		}
		if pr.field != "" && fieldIsNull(r, pr.field) {
			t.Errorf("%s %s on %s: null for a covering token: %s", k.label(), pr.name, p, rawOf(r))
		}
		if k.scope == "own" {
			if l := leaksIn(rawOf(r), w.forbiddenFor(vars)); len(l) > 0 {
				n.reads.Add(1)
				t.Errorf("LEAK: token %s, field %s on project %s shows %q of an uncovered project:\n%s", k.label(), pr.name, p, l, rawOf(r))
			}
		}
		return
	}
	z := s.doAs(t, k.secret, pr.query, pr.vars(w, absentProject, p))
	got, want := comparable(r), strings.ReplaceAll(comparable(z), absentProject, p)
	if got != want {
		n.reads.Add(1)
		t.Errorf("LEAK: token %s, field %s: uncovered project %s answers unlike absent project %s\n%s: %s\n%s: %s",
			k.label(), pr.name, p, absentProject, p, got, absentProject, comparable(z))
	}
	// Nothing of p may show, whatever the absent answer is (but the
	// request's own uid may be echoed in an error).
	asked, _ := json.Marshal(pr.vars(w, p, p))
	for key, uid := range w.uid[p] {
		if strings.Contains(rawOf(r), uid) && !strings.Contains(string(asked), uid) {
			n.reads.Add(1)
			t.Errorf("LEAK: token %s, field %s shows the uid of %s/%s: %s", k.label(), pr.name, p, key, rawOf(r))
		}
	}
}

// checkUIDSwap asks for a covered project's URI with an uncovered version's
// uid, and the reverse: neither may answer the uncovered version.
func checkUIDSwap(t *testing.T, s *testServer, w *world, k accessToken, n *accessCounts) {
	if k.scope == "all" {
		return
	}
	covered, uncovered := "a", "b"
	if k.scope == "other" {
		covered, uncovered = "b", "a"
	}
	for _, u := range []string{
		suri(covered, "model") + "^" + w.uid[uncovered]["model"],
		suri(covered, "ds") + "^" + w.uid[uncovered]["ds"],
		"store://models/" + covered + "/ds^" + w.uid[uncovered]["ds"],
	} {
		for _, q := range []string{
			`query($u: String!) { artifact(uri: $u) { ...V } }` + fragV,
			`query($u: String!) { lineage(uri: $u, direction: BOTH, depth: 10) ` + lineageSel + ` }` + fragR + fragV,
			`query($u: String!) { impact(uri: $u, depth: 10) ` + impactSel + ` }` + fragR + fragV,
		} {
			r := s.doAs(t, k.secret, q, map[string]any{"u": u})
			for key, uid := range w.uid[uncovered] {
				if strings.Contains(rawOf(r), `"`+uid+`"`) || (strings.Contains(rawOf(r), uid) && !strings.Contains(u, uid)) {
					n.reads.Add(1)
					t.Errorf("LEAK: token %s, %s(%s) shows %s/%s: %s", k.label(), firstField(q), u, uncovered, key, rawOf(r))
				}
			}
			if firstField(q) == "artifact" && !fieldIsNull(r, "artifact") {
				n.reads.Add(1)
				t.Errorf("LEAK: token %s, artifact(%s) is not null: %s", k.label(), u, rawOf(r))
			}
		}
	}
}

// checkREST reads a's content and metadata over the REST routes (and, for
// a token covering only a, b's): an uncovered project answers exactly as an
// absent one.
func checkREST(t *testing.T, s *testServer, w *world, k accessToken, n *accessCounts) {
	projects := []string{"a"}
	if k.scope == "own" {
		projects = append(projects, "b")
	}
	for _, p := range projects {
		uid := w.uid[p]["ds"]
		for _, what := range []string{"content", "yaml"} {
			resp, body := s.get(t, "/api/v1/artifacts/"+p+"/"+uid+"/"+what, authHeader(k.secret)...)
			if k.covers(p) {
				if resp.StatusCode != http.StatusOK {
					t.Errorf("GET %s of %s/ds as %s: %d %s", what, p, k.label(), resp.StatusCode, body)
				}
				if what == "content" && string(body) != p+"-data" {
					t.Errorf("GET content of %s/ds as %s: %q", p, k.label(), body)
				}
				continue
			}
			zr, zbody := s.get(t, "/api/v1/artifacts/"+absentProject+"/"+uid+"/"+what, authHeader(k.secret)...)
			if resp.StatusCode != zr.StatusCode || string(body) != strings.ReplaceAll(string(zbody), absentProject, p) {
				n.reads.Add(1)
				t.Errorf("LEAK: token %s, GET %s of %s/ds answers unlike an absent project: %d %s vs %d %s",
					k.label(), what, p, resp.StatusCode, body, zr.StatusCode, zbody)
			}
			if resp.StatusCode == http.StatusOK {
				n.reads.Add(1)
				t.Errorf("LEAK: token %s, GET %s of %s/ds: 200 %s", k.label(), what, p, body)
			}
		}
	}
}

// ---- the lineage and impact shapes --------------------------------------

type shape struct {
	nodes  []string // "project/key" or "run:project/uid"
	hidden int
	trunc  bool
}

type lineageCase struct {
	key, dir     string
	own, all     shape
	depth, limit int // 0: depth 10, no limit
}

var lineageCases = []lineageCase{
	{"model", "BOTH", shape{[]string{"a/model", "run:a/a-train", "a/ds"}, 0, false}, shape{[]string{"a/model", "run:a/a-train", "a/ds"}, 0, false}, 0, 0},
	{"ds", "DOWNSTREAM", shape{[]string{"a/ds", "run:a/a-train", "a/model", "a/chart"}, 0, false}, shape{[]string{"a/ds", "run:a/a-train", "a/model", "a/chart"}, 0, false}, 0, 0},
	{"xout", "UPSTREAM", shape{[]string{"a/xout", "run:a/a-xrun"}, 1, false}, shape{[]string{"a/xout", "run:a/a-xrun", "b/ds"}, 0, false}, 0, 0},
	{"xout", "BOTH", shape{[]string{"a/xout", "run:a/a-xrun"}, 1, false}, shape{[]string{"a/xout", "run:a/a-xrun", "b/ds"}, 0, false}, 0, 0},
	{"derived", "UPSTREAM", shape{[]string{"a/derived"}, 1, false}, shape{[]string{"a/derived", "c/model", "run:c/c-train", "c/ds"}, 0, false}, 0, 0},
	{"chain1", "DOWNSTREAM", shape{[]string{"a/chain1"}, 1, false}, shape{[]string{"a/chain1", "run:b/b-relay", "b/relayed", "a/chain2"}, 0, false}, 0, 0},
	{"chain1", "BOTH", shape{[]string{"a/chain1"}, 1, false}, shape{[]string{"a/chain1", "run:b/b-relay", "b/relayed", "a/chain2"}, 0, false}, 0, 0},
	{"chain2", "UPSTREAM", shape{[]string{"a/chain2"}, 1, false}, shape{[]string{"a/chain2", "b/relayed", "run:b/b-relay", "a/chain1"}, 0, false}, 0, 0},
	{"chain2", "BOTH", shape{[]string{"a/chain2"}, 1, false}, shape{[]string{"a/chain2", "b/relayed", "run:b/b-relay", "a/chain1"}, 0, false}, 0, 0},
	// A hidden node beyond the limit or the depth does not make the answer
	// truncated: that would tell that something is there.
	{key: "xout", dir: "UPSTREAM", limit: 2,
		own: shape{[]string{"a/xout", "run:a/a-xrun"}, 1, false}, all: shape{[]string{"a/xout", "run:a/a-xrun"}, 0, true}},
	{key: "chain1", dir: "DOWNSTREAM", depth: 1,
		own: shape{[]string{"a/chain1"}, 1, false}, all: shape{[]string{"a/chain1", "run:b/b-relay"}, 0, true}},
	{key: "chain2", dir: "UPSTREAM", depth: 2,
		own: shape{[]string{"a/chain2"}, 1, false}, all: shape{[]string{"a/chain2", "b/relayed", "run:b/b-relay"}, 0, true}},
}

type impactCase struct {
	uri      func() string
	name     string
	own, all shape // nodes: the artifacts, then the runs; pipelines separately
	ownPipes []string
	allPipes []string
	runsToo  bool // whether to check the runs (not for a run's own impact)
}

var impactCases = []impactCase{
	{func() string { return suri("a", "ds") }, "ds",
		shape{[]string{"a/model", "a/chart", "run:a/a-train"}, 0, false}, shape{[]string{"a/model", "a/chart", "run:a/a-train"}, 0, false},
		[]string{"a/nightly"}, []string{"a/nightly"}, true},
	{func() string { return suri("a", "chain1") }, "chain1",
		shape{nil, 1, false}, shape{[]string{"b/relayed", "a/chain2", "run:b/b-relay"}, 0, false},
		nil, []string{"b/nightly"}, true},
	{func() string { return "run:a/a-xrun" }, "run:a-xrun",
		shape{[]string{"a/xout"}, 0, false}, shape{[]string{"a/xout"}, 0, false}, nil, nil, false},
}

type nodeJSON struct {
	ID       string
	Type     string
	Artifact *struct{ Project, Key string }
	Run      *struct{ Project, UID string }
}

func shortName(nd nodeJSON) string {
	switch {
	case nd.Artifact != nil:
		return nd.Artifact.Project + "/" + nd.Artifact.Key
	case nd.Run != nil:
		return "run:" + nd.Run.Project + "/" + nd.Run.UID
	}
	return "?" + nd.ID
}

func sorted(s []string) []string {
	c := slices.Clone(nonNil(s))
	sort.Strings(c)
	return c
}

// checkShapes checks, for tokens that cover a, exactly which nodes lineage
// and impact answer and how many they hide: a token covering only a sees
// the a nodes it reaches without passing through b or c, and counts the
// hidden nodes next to them; a token covering everything sees it all.
func checkShapes(t *testing.T, s *testServer, w *world, k accessToken, n *accessCounts) {
	if !k.covers("a") {
		return
	}
	for _, c := range lineageCases {
		want := c.all
		if k.scope == "own" {
			want = c.own
		}
		depth := c.depth
		if depth == 0 {
			depth = 10
		}
		vars := map[string]any{"u": suri("a", c.key), "d": c.dir, "depth": depth}
		if c.limit > 0 {
			vars["limit"] = c.limit
		}
		r := s.doAs(t, k.secret, `query($u: String!, $d: LineageDirection!, $depth: Int, $limit: Int) {
			lineage(uri: $u, direction: $d, depth: $depth, limit: $limit) {
			nodes { id type artifact { project key } run { project uid } } edges { from to relation } truncated hidden } }`, vars)
		var out struct {
			Lineage struct {
				Nodes     []nodeJSON
				Edges     []struct{ From, To, Relation string }
				Truncated bool
				Hidden    int
			}
		}
		if len(r.Errors) > 0 || json.Unmarshal(r.Data, &out) != nil {
			t.Errorf("lineage(%s, %s) as %s: %s", c.key, c.dir, k.label(), rawOf(r))
			continue
		}
		var got []string
		ids := map[string]bool{}
		for _, nd := range out.Lineage.Nodes {
			got = append(got, shortName(nd))
			ids[nd.ID] = true
		}
		if !slices.Equal(sorted(got), sorted(want.nodes)) || out.Lineage.Hidden != want.hidden || out.Lineage.Truncated != want.trunc {
			if k.scope == "own" && (len(leaksIn(rawOf(r), w.forbidden())) > 0 || out.Lineage.Truncated != want.trunc) {
				n.reads.Add(1)
			}
			t.Errorf("lineage(a/%s, %s, depth %d, limit %d) as %s: nodes %v hidden %d truncated %v; want nodes %v hidden %d truncated %v\n%s",
				c.key, c.dir, depth, c.limit, k.label(), sorted(got), out.Lineage.Hidden, out.Lineage.Truncated, sorted(want.nodes),
				want.hidden, want.trunc, rawOf(r))
		}
		for _, e := range out.Lineage.Edges {
			if !ids[e.From] || !ids[e.To] {
				n.reads.Add(1)
				t.Errorf("LEAK: lineage(a/%s, %s) as %s has an edge to a node not in the answer: %+v", c.key, c.dir, k.label(), e)
			}
		}
	}
	for _, c := range impactCases {
		want, wantPipes := c.all, c.allPipes
		if k.scope == "own" {
			want, wantPipes = c.own, c.ownPipes
		}
		r := s.doAs(t, k.secret, `query($u: String!) { impact(uri: $u, depth: 10) {
			artifacts { project key } runs { project uid } pipelines { project id } truncated hidden } }`,
			map[string]any{"u": c.uri()})
		var out struct {
			Impact struct {
				Artifacts []struct{ Project, Key string }
				Runs      []struct{ Project, UID string }
				Pipelines []struct{ Project, ID string }
				Truncated bool
				Hidden    int
			}
		}
		if len(r.Errors) > 0 || json.Unmarshal(r.Data, &out) != nil {
			t.Errorf("impact(%s) as %s: %s", c.name, k.label(), rawOf(r))
			continue
		}
		var got, pipes []string
		for _, a := range out.Impact.Artifacts {
			got = append(got, a.Project+"/"+a.Key)
		}
		if c.runsToo {
			for _, r := range out.Impact.Runs {
				got = append(got, "run:"+r.Project+"/"+r.UID)
			}
		} else {
			for _, r := range out.Impact.Runs {
				if r.Project != "a" && k.scope == "own" {
					n.reads.Add(1)
					t.Errorf("LEAK: impact(%s) as %s lists run %s/%s", c.name, k.label(), r.Project, r.UID)
				}
			}
		}
		for _, p := range out.Impact.Pipelines {
			pipes = append(pipes, p.Project+"/"+p.ID)
		}
		if !c.runsToo { // a run's own impact: its pipeline may or may not count
			pipes, wantPipes = nil, nil
			for _, p := range out.Impact.Pipelines {
				if p.Project != "a" && k.scope == "own" {
					n.reads.Add(1)
					t.Errorf("LEAK: impact(%s) as %s lists pipeline %s/%s", c.name, k.label(), p.Project, p.ID)
				}
			}
		}
		if !slices.Equal(sorted(got), sorted(want.nodes)) || out.Impact.Hidden != want.hidden || out.Impact.Truncated ||
			!slices.Equal(sorted(pipes), sorted(wantPipes)) {
			if k.scope == "own" && len(leaksIn(rawOf(r), w.forbidden())) > 0 {
				n.reads.Add(1)
			}
			t.Errorf("impact(%s, depth 10) as %s: %v pipelines %v hidden %d truncated %v; want %v pipelines %v hidden %d truncated false\n%s",
				c.name, k.label(), sorted(got), sorted(pipes), out.Impact.Hidden, out.Impact.Truncated, sorted(want.nodes),
				sorted(wantPipes), want.hidden, rawOf(r))
		}
	}
}

// ---- writes ------------------------------------------------------------

// writeProbe is one mutation on project p. setup (as the admin, in p when p
// exists) prepares what it acts on and may add variables; effect (as the
// admin) reports whether it took effect.
type writeProbe struct {
	name      string
	adminOnly bool
	file      string // sent as the multipart upload $file
	query     string
	vars      func(w *world, p, sfx string) map[string]any
	setup     func(t *testing.T, s *testServer, w *world, p, sfx string) map[string]any
	effect    func(t *testing.T, s *testServer, w *world, p, sfx string) bool
}

func (s *testServer) adminNonNull(t *testing.T, w *world, query string, vars map[string]any, field string) bool {
	t.Helper()
	r := s.doAs(t, w.admin, query, vars)
	if len(r.Errors) > 0 && r.Errors[0].code() != "NOT_FOUND" {
		t.Errorf("admin check %s: %s", query, rawOf(r))
	}
	return !fieldIsNull(r, field)
}

func artifactExists(t *testing.T, s *testServer, w *world, uri string) bool {
	return s.adminNonNull(t, w, `query($u: String!) { artifact(uri: $u) { uid } }`, map[string]any{"u": uri}, "artifact")
}

func writeProbes() []writeProbe {
	exists := func(p string) bool { return p != absentProject }
	return []writeProbe{
		{name: "upsertProject",
			query: `mutation($p: String!, $d: String) { upsertProject(input: {name: $p, description: $d}) { name description } }`,
			vars:  func(w *world, p, sfx string) map[string]any { return map[string]any{"p": p, "d": "by-" + sfx} },
			effect: func(t *testing.T, s *testServer, w *world, p, sfx string) bool {
				var out struct {
					Project *struct{ Description *string }
				}
				r := s.doAs(t, w.admin, `query($p: String!) { project(name: $p) { description } }`, map[string]any{"p": p})
				json.Unmarshal(r.Data, &out)
				ok := out.Project != nil && out.Project.Description != nil && *out.Project.Description == "by-"+sfx
				// put the seeded description back
				if exists(p) {
					s.mustAs(t, w.admin, `mutation($p: String!, $d: String) { upsertProject(input: {name: $p, description: $d}) { name } }`,
						map[string]any{"p": p, "d": "desc-" + p}, nil)
				}
				return ok
			}},
		{name: "startRun",
			query: `mutation($p: String!, $u: String!) { startRun(input: {project: $p, name: "probe", uid: $u, pipeline: "nightly"}) { project uid state } }`,
			vars:  func(w *world, p, sfx string) map[string]any { return map[string]any{"p": p, "u": "sr-" + sfx} },
			effect: func(t *testing.T, s *testServer, w *world, p, sfx string) bool {
				return s.adminNonNull(t, w, `query($p: String!, $u: String!) { run(project: $p, uid: $u) { uid } }`,
					map[string]any{"p": p, "u": "sr-" + sfx}, "run")
			}},
		{name: "finishRun",
			query: `mutation($p: String!, $u: String!) { finishRun(project: $p, uid: $u, state: FAILED) { project uid state } }`,
			vars:  func(w *world, p, sfx string) map[string]any { return map[string]any{"p": p, "u": "fin-" + sfx} },
			setup: func(t *testing.T, s *testServer, w *world, p, sfx string) map[string]any {
				if exists(p) {
					s.mustAs(t, w.admin, `mutation($p: String!, $u: String!) { startRun(input: {project: $p, name: "fin", uid: $u}) { uid } }`,
						map[string]any{"p": p, "u": "fin-" + sfx}, nil)
				}
				return nil
			},
			effect: func(t *testing.T, s *testServer, w *world, p, sfx string) bool {
				var out struct{ Run *struct{ State string } }
				r := s.doAs(t, w.admin, `query($p: String!, $u: String!) { run(project: $p, uid: $u) { state } }`,
					map[string]any{"p": p, "u": "fin-" + sfx})
				json.Unmarshal(r.Data, &out)
				return out.Run != nil && out.Run.State == "FAILED"
			}},
		{name: "logArtifact",
			query: `mutation($p: String!, $k: String!) { logArtifact(input: {project: $p, key: $k, kind: MODEL, body: "probe"}) { project key } }`,
			vars:  func(w *world, p, sfx string) map[string]any { return map[string]any{"p": p, "k": "log-" + sfx} },
			effect: func(t *testing.T, s *testServer, w *world, p, sfx string) bool {
				return artifactExists(t, s, w, "store://models/"+p+"/log-"+sfx)
			}},
		{name: "logArtifact(file)", file: "uploaded-content",
			query: `mutation($p: String!, $k: String!, $file: Upload) { logArtifact(input: {project: $p, key: $k, kind: MODEL, format: "bin"}, file: $file) { project key } }`,
			vars:  func(w *world, p, sfx string) map[string]any { return map[string]any{"p": p, "k": "logf-" + sfx} },
			effect: func(t *testing.T, s *testServer, w *world, p, sfx string) bool {
				return artifactExists(t, s, w, "store://models/"+p+"/logf-"+sfx)
			}},
		{name: "createUpload",
			query: `mutation($p: String!, $k: String!) { createUpload(input: {project: $p, key: $k, kind: MODEL}) { url } }`,
			vars:  func(w *world, p, sfx string) map[string]any { return map[string]any{"p": p, "k": "up-" + sfx} }},
		{name: "tagArtifact",
			query: `mutation($u: String!, $t: String!) { tagArtifact(uri: $u, tag: $t) { project key } }`,
			vars: func(w *world, p, sfx string) map[string]any {
				return map[string]any{"u": "store://models/" + p + "/model", "t": "t-" + sfx}
			},
			effect: func(t *testing.T, s *testServer, w *world, p, sfx string) bool {
				return artifactExists(t, s, w, "store://models/"+p+"/model:t-"+sfx)
			}},
		{name: "untagArtifact",
			query: `mutation($u: String!, $t: String!) { untagArtifact(uri: $u, tag: $t) { project key } }`,
			vars: func(w *world, p, sfx string) map[string]any {
				return map[string]any{"u": "store://models/" + p + "/model", "t": "u-" + sfx}
			},
			setup: func(t *testing.T, s *testServer, w *world, p, sfx string) map[string]any {
				if exists(p) {
					s.mustAs(t, w.admin, `mutation($u: String!, $t: String!) { tagArtifact(uri: $u, tag: $t) { uid } }`,
						map[string]any{"u": "store://models/" + p + "/model", "t": "u-" + sfx}, nil)
				}
				return nil
			},
			effect: func(t *testing.T, s *testServer, w *world, p, sfx string) bool {
				return exists(p) && !artifactExists(t, s, w, "store://models/"+p+"/model:u-"+sfx)
			}},
		{name: "linkArtifacts",
			query: `mutation($f: String!, $t: String!, $r: String!) { linkArtifacts(from: $f, to: $t, relation: $r) { project key } }`,
			vars: func(w *world, p, sfx string) map[string]any {
				return map[string]any{"f": "store://models/" + p + "/model", "t": "store://artifacts/" + p + "/chart", "r": "l-" + sfx}
			},
			effect: func(t *testing.T, s *testServer, w *world, p, sfx string) bool {
				r := s.doAs(t, w.admin, `query($u: String!) { artifact(uri: $u) { links(first: 1000) { relation } } }`,
					map[string]any{"u": "store://models/" + p + "/model"})
				return strings.Contains(string(r.Data), `"l-`+sfx+`"`)
			}},
		{name: "deleteArtifact",
			query: `mutation($u: String!) { deleteArtifact(uri: $u, strategy: METADATA_ONLY) }`,
			vars: func(w *world, p, sfx string) map[string]any {
				return map[string]any{"u": "store://artifacts/" + p + "/del-" + sfx}
			},
			setup: func(t *testing.T, s *testServer, w *world, p, sfx string) map[string]any {
				if exists(p) {
					s.mustAs(t, w.admin, `mutation($p: String!, $k: String!) { logArtifact(input: {project: $p, key: $k, kind: ARTIFACT, body: "del"}) { uid } }`,
						map[string]any{"p": p, "k": "del-" + sfx}, nil)
				}
				return nil
			},
			effect: func(t *testing.T, s *testServer, w *world, p, sfx string) bool {
				return exists(p) && !artifactExists(t, s, w, "store://artifacts/"+p+"/del-"+sfx)
			}},
		{name: "importArtifact",
			query: `mutation($y: String!, $p: String, $k: String) { importArtifact(yaml: $y, project: $p, newKey: $k) { project key } }`,
			vars: func(w *world, p, sfx string) map[string]any {
				return map[string]any{"y": w.dsYAML, "p": p, "k": "imp-" + sfx}
			},
			effect: func(t *testing.T, s *testServer, w *world, p, sfx string) bool {
				return artifactExists(t, s, w, "store://datasets/"+p+"/imp-"+sfx)
			}},
		{name: "gc", adminOnly: true,
			query: `mutation { gc(dryRun: true) { scanned removed } }`,
			vars:  func(w *world, p, sfx string) map[string]any { return nil }},
		{name: "createToken", adminOnly: true,
			query: `mutation($n: String!) { createToken(input: {name: $n, role: ADMIN}) { token info { id } } }`,
			vars:  func(w *world, p, sfx string) map[string]any { return map[string]any{"n": "ct-" + sfx} },
			effect: func(t *testing.T, s *testServer, w *world, p, sfx string) bool {
				r := s.doAs(t, w.admin, `{ tokens { name } }`, nil)
				return strings.Contains(string(r.Data), `"ct-`+sfx+`"`)
			}},
		{name: "revokeToken", adminOnly: true,
			query: `mutation($id: ID!) { revokeToken(id: $id) }`,
			vars:  func(w *world, p, sfx string) map[string]any { return map[string]any{} },
			setup: func(t *testing.T, s *testServer, w *world, p, sfx string) map[string]any {
				var out struct {
					CreateToken struct {
						Token string
						Info  struct{ ID string }
					}
				}
				s.mustAs(t, w.admin, `mutation($n: String!) { createToken(input: {name: $n, role: VIEWER, projects: ["a"]}) { token info { id } } }`,
					map[string]any{"n": "rv-" + sfx}, &out)
				return map[string]any{"id": out.CreateToken.Info.ID, "_secret": out.CreateToken.Token}
			},
			effect: func(t *testing.T, s *testServer, w *world, p, sfx string) bool {
				r := s.doAs(t, w.admin, `{ tokens { name } }`, nil)
				return !strings.Contains(string(r.Data), `"rv-`+sfx+`"`)
			}},
	}
}

// checkWrite runs one mutation on project p ("a", "b" for a token that
// covers only a, or the absent project): it succeeds and takes effect iff
// the token may write p (ADMIN-only ones: iff it is an ADMIN of every
// project); otherwise it answers PERMISSION_DENIED and changes nothing, and
// for a token that may not even read p, exactly as for the absent project.
func checkWrite(t *testing.T, s *testServer, w *world, k accessToken, wp writeProbe, p string, n *accessCounts) {
	sfx := k.sfx()
	vars := wp.vars(w, p, sfx)
	if wp.setup != nil {
		for key, v := range wp.setup(t, s, w, p, sfx) {
			if !strings.HasPrefix(key, "_") {
				vars[key] = v
			}
		}
	}
	allowed := k.canWrite(p)
	if p == absentProject {
		allowed = k.scope == "all" && k.role != "VIEWER"
	}
	if wp.adminOnly {
		allowed = k.isAdmin()
	}
	r := s.sendWrite(t, k.secret, wp, vars)
	took := wp.effect != nil && wp.effect(t, s, w, p, sfx)
	if prefix := blobPrefix[wp.name]; !allowed && prefix != "" {
		if f := blobsOf(t, s, p, prefix+sfx); len(f) > 0 {
			took = true
			t.Errorf("UNAUTHORISED WRITE: token %s, %s on %s left data in its artifact path: %v", k.label(), wp.name, p, f)
		}
	}
	if allowed {
		if len(r.Errors) > 0 {
			t.Errorf("%s %s on %s: want success, got %s", k.label(), wp.name, p, rawOf(r))
		} else if wp.effect != nil && !took {
			t.Errorf("%s %s on %s: answered %s but did not take effect", k.label(), wp.name, p, rawOf(r))
		}
		if wp.name == "createUpload" && len(r.Errors) == 0 {
			checkUploadTicket(t, s, w, k, p, r)
		}
		return
	}
	if len(r.Errors) == 0 || r.Errors[0].code() != "PERMISSION_DENIED" || !fieldIsNull(r, firstField(wp.query)) {
		if len(r.Errors) == 0 {
			n.writes.Add(1)
		}
		t.Errorf("%s %s on %s: want PERMISSION_DENIED, got %s", k.label(), wp.name, p, rawOf(r))
	}
	if took {
		n.writes.Add(1)
		t.Errorf("UNAUTHORISED WRITE: token %s, %s on project %s took effect: %s", k.label(), wp.name, p, rawOf(r))
	}
	if !k.covers(p) && p != absentProject && !wp.adminOnly {
		z := s.sendWrite(t, k.secret, wp, wp.vars(w, absentProject, sfx))
		got, want := comparable(r), strings.ReplaceAll(comparable(z), absentProject, p)
		if got != want {
			n.reads.Add(1)
			t.Errorf("LEAK: token %s, %s on uncovered project %s answers unlike the absent project\n%s: %s\n%s: %s",
				k.label(), wp.name, p, p, got, absentProject, comparable(z))
		}
	}
}

// sendWrite sends a write probe: as JSON, or as a multipart upload.
func (s *testServer) sendWrite(t *testing.T, token string, wp writeProbe, vars map[string]any) gqlResponse {
	t.Helper()
	if wp.file == "" {
		return s.doAs(t, token, wp.query, vars)
	}
	vars = maps.Clone(vars)
	vars["file"] = nil
	ops, _ := json.Marshal(map[string]any{"query": wp.query, "variables": vars})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("operations", string(ops))
	mw.WriteField("map", `{"0":["variables.file"]}`)
	fw, _ := mw.CreateFormFile("0", "upload.bin")
	fw.Write([]byte(wp.file))
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out gqlResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("response is not JSON (%d): %s", resp.StatusCode, raw)
	}
	return out
}

// blobPrefix is the key prefix of the writes that store data.
var blobPrefix = map[string]string{"logArtifact": "log-", "logArtifact(file)": "logf-", "createUpload": "up-", "importArtifact": "imp-"}

// blobsOf lists the files named after key under project p's artifact path.
func blobsOf(t *testing.T, s *testServer, p, key string) []string {
	var found []string
	root := filepath.Join(s.dir, "artifacts", p)
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if base := filepath.Base(path); base == key || strings.HasPrefix(base, key+".") {
			found = append(found, path)
		}
		return nil
	})
	return found
}

// checkTicketTheft: an upload ticket is bound to the token that asked for
// it; no other token may use it to write a.
func checkTicketTheft(t *testing.T, s *testServer, w *world, toks []accessToken, n *accessCounts) {
	for _, thief := range append([]accessToken{{role: "NONE", scope: "none"}}, toks...) {
		key := "stolen-" + thief.sfx()
		var out struct{ CreateUpload struct{ URL string } }
		s.mustAs(t, w.admin, `mutation($k: String!) { createUpload(input: {project: "a", key: $k, kind: MODEL}) { url } }`,
			map[string]any{"k": key}, &out)
		status, _, _, body := s.send(t, http.MethodPut, out.CreateUpload.URL, "application/octet-stream",
			strings.NewReader("stolen"), authHeader(thief.secret)...)
		if status/100 == 2 || artifactExists(t, s, w, "store://models/a/"+key) {
			n.writes.Add(1)
			t.Errorf("UNAUTHORISED WRITE: token %s used the admin's upload ticket for a: %d %s", thief.label(), status, body)
		}
	}
}

// checkUploadTicket streams the content to a ticket the token was given.
func checkUploadTicket(t *testing.T, s *testServer, w *world, k accessToken, p string, r gqlResponse) {
	var out struct{ CreateUpload struct{ URL string } }
	if err := json.Unmarshal(r.Data, &out); err != nil || out.CreateUpload.URL == "" {
		t.Errorf("createUpload: %s", rawOf(r))
		return
	}
	status, _, _, body := s.send(t, http.MethodPut, out.CreateUpload.URL, "application/octet-stream",
		strings.NewReader("uploaded"), authHeader(k.secret)...)
	if status/100 != 2 {
		t.Errorf("PUT %s as %s: %d %s", out.CreateUpload.URL, k.label(), status, body)
		return
	}
	if !artifactExists(t, s, w, "store://models/"+p+"/up-"+k.sfx()) {
		t.Errorf("PUT %s as %s: %d but no version", out.CreateUpload.URL, k.label(), status)
	}
}

// ---- cross-project references in writes ----------------------------------

// crossProbe is a write to a that names a version of project q: b (not
// covered by an own token) must answer exactly as zzz (absent).
type crossProbe struct {
	name  string
	query string
	vars  func(q, sfx string) map[string]any
}

func crossProbes() []crossProbe {
	return []crossProbe{
		{"startRun.inputs",
			`mutation($u: String!, $in: String!) { startRun(input: {project: "a", name: "x", uid: $u, inputs: [$in]}) { project uid inputs { uri project uid } } }`,
			func(q, sfx string) map[string]any {
				return map[string]any{"u": "xin-" + q + "-" + sfx, "in": suri(q, "ds")}
			}},
		{"logArtifact.sources",
			`mutation($k: String!, $src: String!) { logArtifact(input: {project: "a", key: $k, kind: MODEL, body: "x", sources: [$src]}) { project key sources { uri project uid } externalSources } }`,
			func(q, sfx string) map[string]any {
				return map[string]any{"k": "xsrc-" + q + "-" + sfx, "src": suri(q, "model")}
			}},
		{"logArtifact.links",
			`mutation($k: String!, $to: String!) { logArtifact(input: {project: "a", key: $k, kind: MODEL, body: "x", links: [{relation: "x", uri: $to}]}) { project key links { relation target { uri project uid } } } }`,
			func(q, sfx string) map[string]any {
				return map[string]any{"k": "xlnk-" + q + "-" + sfx, "to": suri(q, "chart")}
			}},
		{"logArtifact.featureVector",
			`mutation($k: String!, $fv: String!) { logArtifact(input: {project: "a", key: $k, kind: MODEL, body: "x", model: {featureVector: $fv}}) { project key model { featureVector } } }`,
			func(q, sfx string) map[string]any {
				return map[string]any{"k": "xfv-" + q + "-" + sfx, "fv": suri(q, "model")}
			}},
		{"linkArtifacts.to",
			`mutation($to: String!, $r: String!) { linkArtifacts(from: "store://models/a/model", to: $to, relation: $r) { project key links(first: 1000) { relation target { project key uid } } } }`,
			func(q, sfx string) map[string]any {
				return map[string]any{"to": suri(q, "chart"), "r": "xl-" + q + "-" + sfx}
			}},
		{"linkArtifacts.from",
			`mutation($from: String!, $r: String!) { linkArtifacts(from: $from, to: "store://artifacts/a/chart", relation: $r) { project key } }`,
			func(q, sfx string) map[string]any {
				return map[string]any{"from": suri(q, "model"), "r": "xf-" + q + "-" + sfx}
			}},
		{"lineage-after-write", // not a write: a's view after the writes above
			`query($u: String!) { lineage(uri: $u, direction: BOTH, depth: 10) { nodes { id } hidden } }`,
			func(q, sfx string) map[string]any {
				return map[string]any{"u": "store://models/a/xsrc-" + q + "-" + sfx}
			}},
	}
}

// checkCross runs a cross probe with q = b and q = zzz: the answers must be
// the same apart from the name, and b must not change.
func checkCross(t *testing.T, s *testServer, w *world, k accessToken, cp crossProbe, n *accessCounts) {
	sfx := k.sfx()
	r := s.doAs(t, k.secret, cp.query, cp.vars("b", sfx))
	z := s.doAs(t, k.secret, cp.query, cp.vars(absentProject, sfx))
	got, want := comparable(r), strings.ReplaceAll(comparable(z), absentProject, "b")
	if got != want {
		n.reads.Add(1)
		t.Errorf("LEAK: token %s, %s naming uncovered project b answers unlike absent project %s\nb:   %s\n%s: %s",
			k.label(), cp.name, absentProject, got, absentProject, comparable(z))
	}
	// What the request itself names (e.g. a featureVector string, kept
	// as given) may be echoed; anything else of b may not show.
	if l := leaksIn(string(r.Data), w.forbiddenFor(cp.vars("b", sfx))); len(l) > 0 {
		n.reads.Add(1)
		t.Errorf("LEAK: token %s, %s shows %q: %s", k.label(), cp.name, l, rawOf(r))
	}
	if k.role == "VIEWER" && !strings.HasPrefix(cp.name, "lineage") {
		if len(r.Errors) == 0 || r.Errors[0].code() != "PERMISSION_DENIED" {
			if len(r.Errors) == 0 {
				n.writes.Add(1)
			}
			t.Errorf("%s %s: want PERMISSION_DENIED, got %s", k.label(), cp.name, rawOf(r))
		}
	}
	if cp.name == "linkArtifacts.from" && len(r.Errors) == 0 {
		n.writes.Add(1)
		t.Errorf("UNAUTHORISED WRITE: token %s linked from b's model: %s", k.label(), rawOf(r))
	}
}

// snapshotOthers is what b and c were seeded with, which the matrix must
// not change: their projects, versions (tags, sources, consumers, links both
// ways) and runs (state, inputs, outputs). The tags the untag probes set up
// on b's model ("u-…") are left out.
func snapshotOthers(t *testing.T, s *testServer, admin string) string {
	t.Helper()
	var b strings.Builder
	for _, p := range []string{"b", "c"} {
		r := s.doAs(t, admin, `query($p: String!) { project(name: $p) { name description artifactPath labels { key value } } }`,
			map[string]any{"p": p})
		b.WriteString(comparable(r) + "\n")
		keys := []string{"ds", "model", "chart"}
		runs := []string{p + "-train"}
		if p == "b" {
			keys = append(keys, "relayed")
			runs = append(runs, "b-relay")
		}
		for _, key := range keys {
			r := s.doAs(t, admin, `query($u: String!) { artifact(uri: $u) { uri tags labels { key value } description
				sources(first: 1000) { uri } consumers(first: 1000) { project uid } links(first: 1000) { relation target { uri } }
				linkedFrom(first: 1000) { relation target { uri } } } }`, map[string]any{"u": suri(p, key)})
			b.WriteString(setupTags.ReplaceAllString(comparable(r), "") + "\n")
		}
		for _, uid := range runs {
			r := s.doAs(t, admin, `query($p: String!, $u: String!) { run(project: $p, uid: $u) { uid state finishedAt
				inputs(first: 1000) { uri } outputs(first: 1000) { uri } pipeline { id } } }`, map[string]any{"p": p, "u": uid})
			b.WriteString(comparable(r) + "\n")
		}
	}
	return b.String()
}

var setupTags = regexp.MustCompile(`,"u-[a-z]+-[a-z]+"`)

// ---- subscriptions and signed links ---------------------------------------

// readWS reads the next message that is not a ping, answering pings.
func readWS(ctx context.Context, conn *websocket.Conn) (wsMsg, error) {
	for {
		var m wsMsg
		if err := wsjson.Read(ctx, conn, &m); err != nil {
			return m, err
		}
		if m.Type == "ping" {
			wsjson.Write(ctx, conn, wsMsg{Type: "pong"})
			continue
		}
		if m.Type == "pong" || m.Type == "ka" {
			continue
		}
		return m, nil
	}
}

// checkSubscription subscribes to artifactLogged on a and on the absent
// project with the token in connection_init: a covering token gets a's
// new version (for an own token, without anything of b in it); any other
// gets exactly the absent project's answer and no event; no token gets
// UNAUTHENTICATED (or a refused connection) and no event.
func checkSubscription(t *testing.T, s *testServer, w *world, k accessToken, n *accessCounts) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		if k.secret == "" {
			return // refused outright: fine without a token
		}
		t.Fatal(err)
	}
	defer conn.CloseNow()
	init := wsMsg{Type: "connection_init"}
	if k.secret != "" {
		init.Payload, _ = json.Marshal(map[string]string{"Authorization": "Bearer " + k.secret})
	}
	wsjson.Write(ctx, conn, init)
	m, err := readWS(ctx, conn)
	if err != nil || m.Type != "connection_ack" {
		if k.secret == "" {
			return
		}
		t.Fatalf("connection_init as %s: %+v %v", k.label(), m, err)
	}
	// Earlier sockets are closed: wait until their subscriptions are gone,
	// so that the count below is this socket's alone.
	waitFor(t, ctx, "earlier subscriptions to end", func() bool { return s.svc.Subscribers("a") == 0 })
	before := s.svc.Subscribers("a")
	sub := func(id, project string) {
		p, _ := json.Marshal(map[string]any{"query": `subscription($p: String!) { artifactLogged(project: $p) { ...V } }` + fragV,
			"variables": map[string]any{"p": project}})
		wsjson.Write(ctx, conn, wsMsg{ID: id, Type: "subscribe", Payload: p})
	}
	// readFor reads the next message about subscription id (a "complete"
	// of another one is skipped).
	readFor := func(ctx context.Context, id string) (wsMsg, error) {
		for {
			m, err := readWS(ctx, conn)
			if err != nil || m.ID == id {
				return m, err
			}
		}
	}
	sub("z", absentProject)
	zm, err := readFor(ctx, "z")
	if err != nil {
		t.Fatalf("subscription to %s as %s: %+v %v", absentProject, k.label(), zm, err)
	}
	sub("a", "a")
	key := "sub-" + k.sfx()
	logInA := func() {
		s.mustAs(t, w.admin, `mutation($k: String!, $src: [String!], $to: String!) { logArtifact(input: {project: "a", key: $k, kind: MODEL,
			body: "sub", sources: $src, links: [{relation: "x", uri: $to}]}) { uid } }`,
			map[string]any{"k": key, "src": []string{suri("b", "model"), suri("a", "ds")}, "to": suri("a", "chart")}, nil)
	}
	if k.secret == "" || !k.covers("a") {
		first, cancelFirst := context.WithTimeout(ctx, 2*time.Second)
		am, err := readFor(first, "a")
		cancelFirst()
		if err != nil {
			// No answer: the subscription was accepted.
			n.reads.Add(1)
			t.Errorf("LEAK: token %s, subscription to a was accepted (no error in 2s), unlike %s: %s %s",
				k.label(), absentProject, zm.Type, zm.Payload)
		} else if k.secret == "" {
			if strings.Contains(string(am.Payload), `"data":{`) || !strings.Contains(string(am.Payload), `"UNAUTHENTICATED"`) {
				n.reads.Add(1)
				t.Errorf("subscription to a without a token: want UNAUTHENTICATED, got %s %s", am.Type, am.Payload)
			}
		} else if am.Type != zm.Type || string(am.Payload) != strings.ReplaceAll(string(zm.Payload), absentProject, "a") {
			n.reads.Add(1)
			t.Errorf("LEAK: token %s, subscription to uncovered a answers unlike absent %s: %s %s vs %s %s",
				k.label(), absentProject, am.Type, am.Payload, zm.Type, zm.Payload)
		}
		logInA()
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		for {
			m, err := readFor(short, "a")
			if err != nil {
				break
			}
			var p struct{ Data json.RawMessage }
			json.Unmarshal(m.Payload, &p)
			if m.Type == "next" && len(p.Data) > 0 && string(p.Data) != "null" {
				n.reads.Add(1)
				t.Errorf("LEAK: token %s got an event of uncovered a: %s", k.label(), m.Payload)
			}
		}
		return
	}
	waitFor(t, ctx, "the subscription to a", func() bool { return s.svc.Subscribers("a") > before })
	logInA()
	for {
		m, err := readFor(ctx, "a")
		if err != nil {
			t.Fatalf("waiting for the event as %s: %v", k.label(), err)
		}
		if m.Type != "next" || !strings.Contains(string(m.Payload), `"key":"`+key+`"`) {
			t.Fatalf("subscription to a as %s: %s %s", k.label(), m.Type, m.Payload)
		}
		if k.scope == "own" {
			if l := leaksIn(string(m.Payload), w.forbidden()); len(l) > 0 {
				n.reads.Add(1)
				t.Errorf("LEAK: token %s, artifactLogged(a) event shows %q: %s", k.label(), l, m.Payload)
			}
		}
		return
	}
}

// checkSignedLink fetches a's content by its downloadUrl without a header,
// and checks that the link does not open another version in b.
func checkSignedLink(t *testing.T, s *testServer, w *world, k accessToken, n *accessCounts) {
	if !k.covers("a") {
		return
	}
	var out struct{ Artifact struct{ DownloadURL string } }
	s.mustAs(t, k.secret, `query($u: String!) { artifact(uri: $u) { downloadUrl } }`, map[string]any{"u": suri("a", "ds")}, &out)
	link := out.Artifact.DownloadURL
	if link == "" {
		t.Fatalf("no downloadUrl for a/ds as %s", k.label())
	}
	fetch := func(link string) (int, string) {
		if strings.HasPrefix(link, "http") {
			resp, err := http.Get(link)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		resp, b := s.get(t, link)
		return resp.StatusCode, string(b)
	}
	if status, body := fetch(link); status != http.StatusOK || body != "a-data" {
		t.Errorf("GET downloadUrl of a/ds (%s) as %s: %d %q", link, k.label(), status, body)
	}
	from := "/a/" + w.uid["a"]["ds"] + "/"
	if !strings.Contains(link, from) {
		return // not a link to this server's route: nothing to retarget
	}
	for _, to := range []string{"/b/" + w.uid["b"]["ds"] + "/", "/a/" + w.uid["a"]["model"] + "/", "/b/" + w.uid["a"]["ds"] + "/"} {
		status, body := fetch(strings.Replace(link, from, to, 1))
		if status == http.StatusOK || strings.Contains(body, "-data") || strings.Contains(body, "-weights") {
			n.reads.Add(1)
			t.Errorf("LEAK: a/ds's signed link retargeted to %s opens it: %d %q", to, status, body)
		}
	}
}
