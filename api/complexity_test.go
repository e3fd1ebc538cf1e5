package api_test

import (
	"strings"
	"testing"
)

// The queries the API documents (README, the CLI, the web UI), each at its
// maximum limits: lineage and impact at limit 10000, pages at their page
// size (the CLI's ls pages by 100, the UI by 25; a page of versions with no
// nested list at 1000). Copied here so that a change to the cost model that
// refuses one of them fails.
const (
	versionV = `fragment V on ArtifactVersion {
  uri project key kind uid iteration tree tags labels { key value } description
  createdAt updatedAt targetPath format size hash
  producer { kind name uri owner } owner { name }
  sources { uri } externalSources downloadUrl
}`
	runR = `fragment R on Run {
  project uid name state user { name } pipeline { id } startedAt finishedAt artifactPath labels { key value }
  inputs { uri } outputs { uri }
}`
	summary = `fragment VersionSummary on ArtifactVersion {
  uri project key kind uid iteration tree tags labels { key value } createdAt updatedAt targetPath format size
  producer { kind name uri owner } owner { name } dataset { header length } model { framework algorithm metrics } downloadUrl
}`
	versionRef  = `uri project key kind uid iteration tags format downloadUrl updatedAt`
	graphFields = `nodes { id type depth artifact { uri kind } run { name state } } edges { from to relation } truncated hidden`
)

var documentedQueries = map[string]string{
	"README lineage and impact": `{
  lineage(uri: "store://models/p/m", direction: UPSTREAM, depth: 10, limit: 10000) { nodes { id type depth } edges { from relation to } truncated }
  impact(uri: "store://datasets/p/d", depth: 10, limit: 10000) { artifacts { uri } runs { name } pipelines { id } truncated } }`,
	"issue 13: lineage nodes and edges": `{ lineage(uri: "store://models/p/m", direction: BOTH, depth: 10, limit: 10000) {
  nodes { id type depth artifact { uri key kind } run { uid name state } } edges { from to relation } truncated hidden } }`,
	"CLI lineage": `{ lineage(uri: "store://models/p/m", direction: BOTH, depth: 10, limit: 10000) { ` + graphFields + ` } }`,
	"CLI impact --json, with counts": `{ impact(uri: "store://datasets/p/d", depth: 10, limit: 10000) {
  artifacts { uri kind key } runs { project uid name state } pipelines { project id } truncated hidden
  counts { artifacts artifactsByKind { kind count } runs pipelines byDepth { depth artifacts runs } hidden complete } } }`,
	"CLI impact tree": `{ impact(uri: "store://datasets/p/d", depth: 10, limit: 10000) { artifacts { uri } runs { uid } pipelines { project id } }
  lineage(uri: "store://datasets/p/d", direction: DOWNSTREAM, depth: 10, limit: 10000) { ` + graphFields + ` } }`,
	"CLI ls page": `{ artifacts(project: "p", first: 100) { edges { node { ...V } } pageInfo { hasNextPage endCursor } totalCount } } ` + versionV,
	"CLI get":     `{ artifact(uri: "store://models/p/m") { ...V } } ` + versionV,
	"CLI runs":    `{ runs(project: "p", first: 100) { edges { node { ...R } } } } ` + runR,
	"UI artifacts page of 1000": `{ artifacts(project: "p", first: 1000) { totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { ...VersionSummary } } } } ` + summary,
	"UI artifact": `{ artifact(uri: "store://models/p/m") { ...VersionSummary description hash externalSources extra yaml
  run { project uid name state startedAt finishedAt pipeline { id } } sources { ` + versionRef + ` }
  consumers { project uid name state startedAt finishedAt } links { relation target { ` + versionRef + ` } }
  linkedFrom { relation target { ` + versionRef + ` } } dataset { schema header length preview stats }
  model { modelFile framework algorithm metrics parameters featureVector } } } ` + summary,
	"UI versions page of 1000": `{ artifacts(project: "p", first: 1000) { totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { uri project key kind uid iteration tree tags updatedAt createdAt size hash producer { kind name uri owner } } } } }`,
	"UI impact": `{ impact(uri: "store://datasets/p/d", depth: 10, limit: 10000) { artifacts { ` + versionRef + ` }
  runs { project uid name state startedAt } pipelines { project id } truncated } }`,
	"UI runs page": `{ runs(project: "p", first: 25) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node {
  project uid name state startedAt finishedAt user { name } pipeline { id } labels { key value } inputs { uri } outputs { uri } } } } }`,
	"UI run": `{ run(project: "p", uid: "r") { project uid name state startedAt finishedAt artifactPath user { name } labels { key value }
  pipeline { id runs { project uid name state startedAt finishedAt } } inputs { ...VersionSummary } outputs { ...VersionSummary } } } ` + summary,
	"UI lineage": `{ lineage(uri: "store://models/p/m", direction: BOTH, depth: 10, limit: 10000) { truncated
  nodes { id type depth artifact { ` + versionRef + ` } run { project uid name state startedAt finishedAt pipeline { id } } }
  edges { from to relation } } }`,
}

// Every documented query passes the default budget (the test server's is
// the server's default, 50,000) at its maximum limits.
func TestDocumentedQueriesFitTheBudget(t *testing.T) {
	s := newServer(t)
	for name, q := range documentedQueries {
		for _, e := range s.do(t, q, nil).Errors {
			if e.code() == "LIMIT_EXCEEDED" {
				t.Errorf("%s: %s", name, e.Message)
			}
		}
	}
}

// Queries whose answers could hold far more than the budget's worth of
// objects are still refused.
func TestAbusiveQueriesAreRefused(t *testing.T) {
	s := newServer(t)
	for _, q := range []string{
		// 10,000 nodes, each with 100 sources: a million versions.
		`{ lineage(uri: "store://models/p/m", direction: BOTH, limit: 10000) { nodes { artifact { sources { uri } } } } }`,
		// 1000 versions × 1000 consumers × 1000 outputs.
		`{ artifacts(project: "p", first: 1000) { edges { node { consumers(first: 1000) { outputs(first: 1000) { uri } } } } } }`,
		// 10,000 impacted artifacts, each exported as YAML with its runs' inputs.
		`{ impact(uri: "store://datasets/p/d", limit: 10000) { artifacts { yaml run { inputs { uri } } } } }`,
	} {
		e := s.wantCode(t, "LIMIT_EXCEEDED", q, nil)
		if !strings.Contains(e.Message, "complexity") {
			t.Errorf("%s: %s", q, e.Message)
		}
	}
}
