package api_test

// Security issue #8, bounded work: what one request can make the server do.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/artigraph/artigraph/api"
	"github.com/artigraph/artigraph/lineage"
)

// fragmentBomb is a ~1 KB query that expands to 2^levels fields: each
// fragment spreads the previous one twice.
func fragmentBomb(levels int) string {
	var b strings.Builder
	b.WriteString("query Bomb { ...F")
	fmt.Fprint(&b, levels)
	b.WriteString(" }\nfragment F0 on Query { project(name: \"p\") { name } }\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i-1, i-1)
	}
	return b.String()
}

// Hole 2b: the bomb pinned a core for minutes (depth, complexity and
// validation all expanded the fragments); now it is refused before any of
// them run.
func TestFragmentBombIsRefused(t *testing.T) {
	s := newServer(t)
	q := fragmentBomb(48)
	if len(q) > 2048 {
		t.Fatalf("the bomb is %d bytes", len(q))
	}
	e := s.wantCode(t, "LIMIT_EXCEEDED", q, nil)
	if !strings.Contains(e.Message, "fields") {
		t.Fatalf("message %q", e.Message)
	}
	// The same bomb in a deep shape, and over a websocket.
	deep := "query { ...D40 }\nfragment D0 on Query { __typename }\n"
	for i := 1; i <= 40; i++ {
		deep += fmt.Sprintf("fragment D%d on Query { a: artifact(uri: \"x\") { run { pipeline { project } } } ...D%d ...D%d }\n", i, i-1, i-1)
	}
	s.wantCode(t, "LIMIT_EXCEEDED", deep, nil)
	if got := wsFirstError(t, s, q); got != "LIMIT_EXCEEDED" {
		t.Fatalf("over the websocket: %q", got)
	}
	// Under the field limit, validation compares same-named fields and
	// side-by-side fragments pairwise: one field repeated 2,500 times took
	// 14 s to validate, 2,500 fragments side by side seconds too.
	s.wantCode(t, "LIMIT_EXCEEDED", "{"+strings.Repeat(` project(name: "p") { name }`, 2500)+" }", nil)
	var side strings.Builder
	side.WriteString("{")
	for i := range 2000 {
		fmt.Fprintf(&side, " ...S%d", i)
	}
	side.WriteString(" }\n")
	for i := range 2000 {
		fmt.Fprintf(&side, "fragment S%d on Query { s%d: __typename }\n", i, i)
	}
	s.wantCode(t, "LIMIT_EXCEEDED", side.String(), nil)
	// A fragment that spreads itself is refused, not followed.
	s.wantCode(t, "INVALID_ARGUMENT", "{ ...A }\nfragment A on Query { ...B }\nfragment B on Query { ...A }", nil)
}

// wsFirstError subscribes with query over graphql-transport-ws and returns
// the code of the first error it gets back.
func wsFirstError(t *testing.T, s *testServer, query string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	wsjson.Write(ctx, conn, wsMsg{Type: "connection_init"})
	payload, _ := json.Marshal(map[string]string{"query": query})
	wsjson.Write(ctx, conn, wsMsg{ID: "1", Type: "subscribe", Payload: payload})
	for {
		var m wsMsg
		if err := wsjson.Read(ctx, conn, &m); err != nil {
			t.Fatal(err)
		}
		if m.ID != "1" {
			continue
		}
		var errs []gqlError
		var withErrors struct{ Errors []gqlError }
		if json.Unmarshal(m.Payload, &errs) != nil || len(errs) == 0 {
			json.Unmarshal(m.Payload, &withErrors)
			errs = withErrors.Errors
		}
		if len(errs) == 0 {
			t.Fatalf("%s %s", m.Type, m.Payload)
		}
		return errs[0].code()
	}
}

type wsMsg struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// BenchmarkFragmentBombRefusal measures how long refusing the 48-level bomb
// takes (it took minutes before the limit).
func BenchmarkFragmentBombRefusal(b *testing.B) {
	s := newServer(b)
	body, _ := json.Marshal(map[string]string{"query": fragmentBomb(48)})
	for b.Loop() {
		resp, err := http.Post(s.URL+"/graphql", "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Contains(raw, []byte("LIMIT_EXCEEDED")) {
			b.Fatalf("%s", raw)
		}
	}
}

// BenchmarkCostliestAllowedQueries are the queries under the limits that
// cost gqlparser's validation most (its overlapping-fields rule compares
// same-named fields and side-by-side fragments pairwise), with the query
// cache defeated so that every request is parsed and validated.
func BenchmarkCostliestAllowedQueries(b *testing.B) {
	s := newServer(b)
	s.mustDoB(b, `mutation { upsertProject(input: {name: "p"}) { name } }`)
	var aliased, frags strings.Builder
	for i := range api.DefaultMaxQueryFields / 2 {
		fmt.Fprintf(&aliased, ` p%d: project(name: "p") { name }`, i)
	}
	frags.WriteString("{")
	for i := range 140 {
		fmt.Fprintf(&frags, " ...F%d", i)
	}
	frags.WriteString(" }\n")
	for i := range 140 {
		fmt.Fprintf(&frags, "fragment F%d on Query { f%d: project(name: \"p\") { name } }\n", i, i)
	}
	for _, c := range []struct{ name, query string }{
		{"repeated field", "{" + strings.Repeat(` project(name: "p") { name }`, 100) + " }"},
		{"distinct fields", "{" + aliased.String() + " }"},
		{"fragments side by side", frags.String()},
	} {
		b.Run(c.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				// A new comment each time: the query cache would skip validation.
				i++
				body, _ := json.Marshal(map[string]string{"query": fmt.Sprintf("# %d\n%s", i, c.query)})
				resp, err := http.Post(s.URL+"/graphql", "application/json", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if bytes.Contains(raw, []byte(`"errors"`)) {
					b.Fatalf("%.300s", raw)
				}
			}
		})
	}
}

func (s *testServer) mustDoB(b *testing.B, query string) {
	body, _ := json.Marshal(map[string]string{"query": query})
	resp, err := http.Post(s.URL+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
}

// GraphiQL's introspection query (graphql-js getIntrospectionQuery with
// every option GraphiQL 5 turns on) stays well inside every limit.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    description
    queryType { name kind }
    mutationType { name kind }
    subscriptionType { name kind }
    types { ...FullType }
    directives { name description isRepeatable locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description specifiedByURL isOneOf
  fields(includeDeprecated: true) { name description args(includeDeprecated: true) { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue isDeprecated deprecationReason }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
}`

func TestIntrospectionPasses(t *testing.T) {
	s := newServer(t)
	var out struct {
		Schema struct{ Types []struct{ Name string } } `json:"__schema"`
	}
	s.mustDo(t, introspectionQuery, nil, &out)
	if len(out.Schema.Types) < 20 {
		t.Fatalf("%d types", len(out.Schema.Types))
	}
}

// Hole 2c: Pipeline.runs was costed as 10 runs and answered all of them, so
// runs(first: 1000) { … pipeline { runs } } over 3,000 runs answered 47 MB
// in 38 s. It now takes a page (50 by default) and costs what it asks.
func TestNestedListsCostTheirBound(t *testing.T) {
	s := newServer(t)
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	for i := range 5 {
		s.mustDo(t, fmt.Sprintf(`mutation { startRun(input: {project: "p", name: "step", uid: "n%d", pipeline: "nightly"}) { uid } }`, i), nil, nil)
	}
	s.mustDo(t, `mutation { startRun(input: {project: "p", name: "other", uid: "o1", pipeline: "weekly"}) { uid } }`, nil, nil)
	e := s.wantCode(t, "LIMIT_EXCEEDED", `{ runs(project: "p", first: 1000) { edges { node { pipeline { runs { uid } } } } } }`, nil)
	if !strings.Contains(e.Message, "complexity") {
		t.Fatalf("message %q", e.Message)
	}
	s.wantCode(t, "LIMIT_EXCEEDED", `{ runs(project: "p", first: 100) { edges { node { pipeline { runs(first: 1000) { uid } } } } } }`, nil)
	s.wantCode(t, "LIMIT_EXCEEDED", `{ runs(project: "p", first: 1000) { edges { node { outputs { key } } } } }`, nil)
	// The answer pages newest first, one pipeline only.
	page := func(args string) []string {
		var out struct {
			Run struct {
				Pipeline struct{ Runs []struct{ UID string } }
			}
		}
		s.mustDo(t, `{ run(project: "p", uid: "n0") { pipeline { runs`+args+` { uid } } } }`, nil, &out)
		var uids []string
		for _, r := range out.Run.Pipeline.Runs {
			uids = append(uids, r.UID)
		}
		return uids
	}
	if got := strings.Join(page(""), ","); got != "n4,n3,n2,n1,n0" {
		t.Fatalf("all runs: %s", got)
	}
	if got := strings.Join(page("(first: 2)"), ","); got != "n4,n3" {
		t.Fatalf("first page: %s", got)
	}
	if got := strings.Join(page(`(first: 2, after: "n3")`), ","); got != "n2,n1" {
		t.Fatalf("second page: %s", got)
	}
	if got := strings.Join(page(`(first: 2, after: "n1")`), ","); got != "n0" {
		t.Fatalf("last page: %s", got)
	}
	s.wantCode(t, "LIMIT_EXCEEDED", `{ run(project: "p", uid: "n0") { pipeline { runs(first: 1001) { uid } } } }`, nil)
	s.wantCode(t, "INVALID_ARGUMENT", `{ run(project: "p", uid: "n0") { pipeline { runs(after: "o1") { uid } } } }`, nil)

	// Run.inputs and outputs honour first too.
	for _, k := range []string{"a", "b", "c"} {
		s.mustDo(t, `mutation { logArtifact(input: {project: "p", key: "`+k+`", kind: MODEL, runUid: "n0", body: "x"}) { uid } }`, nil, nil)
	}
	var outs struct {
		Run struct{ All, Two []struct{ Key string } }
	}
	s.mustDo(t, `{ run(project: "p", uid: "n0") { all: outputs { key } two: outputs(first: 2) { key } } }`, nil, &outs)
	if len(outs.Run.All) != 3 || len(outs.Run.Two) != 2 {
		t.Fatalf("outputs: %+v", outs.Run)
	}
}

// Hole 2a: bodies were read whole whatever their size, and a body that was
// not JSON came back in the error message.
func TestRequestBodyLimitsAndTransportErrors(t *testing.T) {
	s := newServer(t, func(o *api.Options, _ *lineage.Config, _ lineage.BlobRouter) {
		o.MaxRequestBytes = 4096
		o.MaxUploadBytes = 8192
	})
	big := `{"query":"{ __typename }","variables":{"x":"` + strings.Repeat("a", 5000) + `"}}`
	const wantBig = "request body is larger than 4096 bytes"
	status, _, e, raw := s.send(t, http.MethodPost, "/graphql", "application/json", strings.NewReader(big))
	if status != http.StatusRequestEntityTooLarge || e.code() != "LIMIT_EXCEEDED" || e.Message != wantBig {
		t.Fatalf("declared length over the cap: %d %s", status, raw)
	}
	// Without a declared length (chunked) the cap applies as it is read.
	status, _, e, raw = s.send(t, http.MethodPost, "/graphql", "application/json", io.MultiReader(strings.NewReader(big)))
	if status != http.StatusRequestEntityTooLarge || e.code() != "LIMIT_EXCEEDED" || e.Message != wantBig {
		t.Fatalf("chunked over the cap: %d %s", status, raw)
	}
	// Other routes too.
	status, _, e, _ = s.send(t, http.MethodPost, "/api/v1/lineage", "application/json", strings.NewReader(big))
	if status != http.StatusRequestEntityTooLarge || e.code() != "LIMIT_EXCEEDED" {
		t.Fatalf("another route: %d", status)
	}

	const secret = "SECRET-TOKEN-123"
	mp := func(parts ...string) (string, io.Reader) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for i := 0; i+1 < len(parts); i += 2 {
			if parts[i] == "0" {
				fw, _ := mw.CreateFormFile("0", "f.bin")
				fw.Write([]byte(parts[i+1]))
				continue
			}
			mw.WriteField(parts[i], parts[i+1])
		}
		mw.Close()
		return mw.FormDataContentType(), &buf
	}
	ops := `{"query":"mutation($file: Upload) { logArtifact(input: {project: \"p\", key: \"k\", kind: MODEL}, file: $file) { uid } }","variables":{"file":null}}`
	cases := []struct {
		name, code string
		status     int
		req        func() (string, io.Reader)
	}{
		{"invalid JSON", "INVALID_ARGUMENT", 400, func() (string, io.Reader) {
			return "application/json", strings.NewReader(`{"query": "` + secret + `", oops}`)
		}},
		{"wrong JSON types", "INVALID_ARGUMENT", 400, func() (string, io.Reader) {
			return "application/json", strings.NewReader(`{"query": ["` + secret + `"]}`)
		}},
		{"variables not an object", "INVALID_ARGUMENT", 400, func() (string, io.Reader) {
			return "application/json", strings.NewReader(`{"query": "{ projects { name } }", "variables": ["` + secret + `"]}`)
		}},
		{"extensions not an object", "INVALID_ARGUMENT", 400, func() (string, io.Reader) {
			return "application/json", strings.NewReader(`{"query": "{ projects { name } }", "extensions": "` + secret + `"}`)
		}},
		{"empty body", "INVALID_ARGUMENT", 400, func() (string, io.Reader) { return "application/json", strings.NewReader("") }},
		{"unsupported content type", "INVALID_ARGUMENT", 415, func() (string, io.Reader) {
			return "application/xml", strings.NewReader("<q>" + secret + "</q>")
		}},
		{"bad multipart operations", "INVALID_ARGUMENT", 422, func() (string, io.Reader) {
			return mp("operations", "{"+secret, "map", "{}")
		}},
		{"bad multipart map", "INVALID_ARGUMENT", 422, func() (string, io.Reader) {
			return mp("operations", ops, "map", secret)
		}},
		{"missing file", "INVALID_ARGUMENT", 422, func() (string, io.Reader) {
			return mp("operations", ops, "map", `{"0":["variables.file"]}`)
		}},
		{"multipart over the cap", "LIMIT_EXCEEDED", 413, func() (string, io.Reader) {
			ct, body := mp("operations", ops, "map", `{"0":["variables.file"]}`, "0", strings.Repeat(secret, 1000))
			return ct, io.MultiReader(body) // chunked: found while reading
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ct, body := c.req()
			status, _, e, raw := s.send(t, http.MethodPost, "/graphql", ct, body)
			if status != c.status || e.code() != c.code || e.Message == "" {
				t.Fatalf("%d %s", status, raw)
			}
			if strings.Contains(raw, secret) {
				t.Fatalf("the answer echoes the request: %s", raw)
			}
		})
	}
	// The multipart cap is uploads plus the request cap: a file over the
	// request cap alone still goes through.
	s.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	r := s.upload(t, `mutation($file: Upload) { logArtifact(input: {project: "p", key: "w", kind: MODEL}, file: $file) { size } }`,
		map[string]any{}, strings.NewReader(strings.Repeat("x", 6000)))
	if len(r.Errors) > 0 {
		t.Fatalf("upload over the request cap: %+v", r.Errors)
	}
}
