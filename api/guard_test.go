package api_test

// Security issue #8, browsers: what a page on another site, or a rebound DNS
// name, can make a browser do to a server on the user's machine.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/artigraph/artigraph/api"
	"github.com/artigraph/artigraph/lineage"
)

// send makes one request and returns the status, the answer's headers and
// its first error (code and message) if it has one.
func (s *testServer) send(t *testing.T, method, path, ctype string, body io.Reader, header ...string) (int, http.Header, gqlError, string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out gqlResponse
	json.Unmarshal(raw, &out)
	var first gqlError
	if len(out.Errors) > 0 {
		first = out.Errors[0]
	}
	return resp.StatusCode, resp.Header, first, string(raw)
}

// Hole 1a: with no --cors-origins, rs/cors answered every origin with
// Access-Control-Allow-Origin: *, so any page could read every answer.
// preflight sends the CORS preflight a browser sends before a JSON POST
// from origin, and returns the answer's headers.
func preflight(t *testing.T, s *testServer, origin string) http.Header {
	t.Helper()
	req, _ := http.NewRequest(http.MethodOptions, s.URL+"/graphql", nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header
}

func TestCORSIsClosedUnlessOriginsAreListed(t *testing.T) {
	closed := newServer(t)
	if got := preflight(t, closed, "https://evil.example").Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("no origins configured, preflight answered Access-Control-Allow-Origin: %q", got)
	}
	_, h, _, _ := closed.send(t, http.MethodGet, "/graphql?query=%7B__typename%7D", "", nil, "Origin", "https://evil.example")
	if got := h.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("no origins configured, GET answered Access-Control-Allow-Origin: %q", got)
	}
	open := newServer(t, func(o *api.Options, _ *lineage.Config, _ lineage.BlobRouter) { o.AllowedOrigins = []string{"*"} })
	if got := preflight(t, open, "https://any.example").Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf(`origins "*": Access-Control-Allow-Origin %q, want *`, got)
	}
}

// multipartMutation is what a <form enctype="multipart/form-data"> on any
// site can post without a preflight: a GraphQL multipart request.
func multipartMutation(query string) (string, *bytes.Buffer) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	ops, _ := json.Marshal(map[string]any{"query": query})
	mw.WriteField("operations", string(ops))
	mw.WriteField("map", `{}`)
	mw.Close()
	return mw.FormDataContentType(), &buf
}

// Hole 1b: a page on any site could post a multipart form to /graphql and
// run mutations on a server that trusts loopback callers.
func TestCrossSiteRequestsAreRefused(t *testing.T) {
	s := newServer(t, func(o *api.Options, c *lineage.Config, _ lineage.BlobRouter) {
		o.AllowedOrigins = []string{"https://dash.example"}
		c.AdminToken = "t" // a token that is one: an unknown token is refused (401)
	})
	const create = `mutation { upsertProject(input: {name: "csrf"}) { name } }`
	ctype, body := multipartMutation(create)
	status, _, e, raw := s.send(t, http.MethodPost, "/graphql", ctype, body, "Origin", "https://evil.example")
	if status != http.StatusForbidden || e.code() != "PERMISSION_DENIED" || !strings.Contains(e.Message, "cross-site") {
		t.Fatalf("cross-site multipart mutation: %d %s", status, raw)
	}
	var p struct{ Project *struct{ Name string } }
	s.mustDo(t, `{ project(name: "csrf") { name } }`, nil, &p)
	if p.Project != nil {
		t.Fatal("the cross-site mutation ran")
	}

	refused := []struct {
		name, method, path, ctype, origin string
	}{
		{"text/plain", "POST", "/graphql", "text/plain", "https://evil.example"},
		{"form", "POST", "/graphql", "application/x-www-form-urlencoded", "https://evil.example"},
		{"no content type", "POST", "/graphql", "", "https://evil.example"},
		{"Origin null", "POST", "/graphql", "text/plain", "null"},
		{"upload PUT", "PUT", "/api/v1/uploads/abc", "text/plain", "https://evil.example"},
		{"other scheme's port", "POST", "/graphql", "text/plain", "http://127.0.0.1:1"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			status, h, e, raw := s.send(t, c.method, c.path, c.ctype, strings.NewReader(create), "Origin", c.origin)
			if status != http.StatusForbidden || e.code() != "PERMISSION_DENIED" {
				t.Fatalf("%d %s", status, raw)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no nosniff on the refusal")
			}
		})
	}
	// Basic credentials a browser cached (for a proxy in front) ride along
	// on simple requests by themselves: they do not exempt one.
	status, _, e, raw = s.send(t, http.MethodPost, "/graphql", "text/plain", strings.NewReader(create),
		"Origin", "https://evil.example", "Authorization", "Basic dXNlcjpwYXNz")
	if status != http.StatusForbidden || e.code() != "PERMISSION_DENIED" {
		t.Fatalf("cross-site text/plain with Basic credentials: %d %s", status, raw)
	}
	// What a browser cannot send cross-site without a preflight, and
	// requests that are not a browser's, pass the check.
	passed := []struct {
		name   string
		header []string
	}{
		{"no Origin (curl, jobs)", nil},
		{"the server's own page", []string{"Origin", s.URL}},
		{"an allowed origin", []string{"Origin", "https://dash.example"}},
		{"Apollo-Require-Preflight", []string{"Origin", "https://evil.example", "Apollo-Require-Preflight", "true"}},
		{"X-Apollo-Operation-Name", []string{"Origin", "https://evil.example", "X-Apollo-Operation-Name", "x"}},
		{"a Bearer token", []string{"Origin", "https://evil.example", "Authorization", "Bearer t"}},
	}
	for _, c := range passed {
		t.Run(c.name, func(t *testing.T) {
			ctype, body := multipartMutation(`mutation { upsertProject(input: {name: "ok"}) { name } }`)
			status, _, e, raw := s.send(t, http.MethodPost, "/graphql", ctype, body, c.header...)
			if status != http.StatusOK || e.Message != "" {
				t.Fatalf("%d %s", status, raw)
			}
		})
	}
	// JSON needs a preflight, which CORS refuses to other origins.
	status, _, _, raw = s.send(t, http.MethodPost, "/graphql", "application/json",
		strings.NewReader(`{"query":"{ __typename }"}`), "Origin", "https://evil.example")
	if status != http.StatusOK {
		t.Fatalf("JSON from another origin (only after a preflight): %d %s", status, raw)
	}
}

// Websockets are not covered by CORS: the origin check is the only guard.
func TestWebsocketOriginsAreChecked(t *testing.T) {
	s := newServer(t, func(o *api.Options, _ *lineage.Config, _ lineage.BlobRouter) {
		o.AllowedOrigins = []string{"https://dash.example"}
	})
	url := "ws" + strings.TrimPrefix(s.URL, "http") + "/graphql"
	for origin, ok := range map[string]bool{"https://evil.example": false, "null": false,
		"https://dash.example": true, s.URL: true} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		conn, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"},
			HTTPHeader: http.Header{"Origin": {origin}}})
		cancel()
		if ok != (err == nil) {
			t.Errorf("origin %s: connected=%v, want %v (%v)", origin, err == nil, ok, err)
		}
		if err == nil {
			conn.CloseNow()
		} else if resp != nil && resp.StatusCode != http.StatusForbidden {
			t.Errorf("origin %s refused with %d, want 403", origin, resp.StatusCode)
		}
	}
}

// Hole 1c: a page whose DNS name was rebound to 127.0.0.1 reached the
// server as same-origin; only the Host header tells it apart.
func TestHostAllowList(t *testing.T) {
	s := newServer(t, func(o *api.Options, _ *lineage.Config, _ lineage.BlobRouter) {
		o.AllowedHosts = api.LoopbackHosts
	})
	port := s.URL[strings.LastIndex(s.URL, ":")+1:]
	for host, ok := range map[string]bool{
		"evil.example:" + port: false, "evil.example": false, "127.0.0.1.evil.example": false, "localhost.evil": false,
		"localhost:" + port: true, "127.0.0.1:" + port: true, "127.1.2.3": true, "[::1]:" + port: true, "ui.localhost:" + port: true,
	} {
		status, h, e, raw := s.send(t, http.MethodPost, "/graphql", "application/json",
			strings.NewReader(`{"query":"{ __typename }"}`), "Host", host)
		if ok != (status == http.StatusOK) {
			t.Errorf("Host %s: %d %s", host, status, raw)
		}
		if !ok && (status != http.StatusForbidden || e.Message != "host not allowed" || e.code() != "PERMISSION_DENIED") {
			t.Errorf("Host %s: %d %s", host, status, raw)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("Host %s: no nosniff", host)
		}
	}
	// Health checks by IP (Kubernetes probes name the pod's IP) always
	// pass; a name not on the list does not.
	if status, _, _, raw := s.send(t, http.MethodGet, "/healthz", "", nil, "Host", "10.1.2.3:8080"); status != http.StatusOK {
		t.Errorf("healthz by IP: %d %s", status, raw)
	}
	if status, _, _, _ := s.send(t, http.MethodGet, "/readyz", "", nil, "Host", "evil.example"); status != http.StatusForbidden {
		t.Errorf("readyz from a foreign name: %d", status)
	}

	list := newServer(t, func(o *api.Options, _ *lineage.Config, _ lineage.BlobRouter) {
		o.AllowedHosts = []string{"artigraph.example:443", ".corp.example"}
		o.ListenAddr = "10.0.0.7:8080"
	})
	for host, ok := range map[string]bool{"artigraph.example:443": true, "artigraph.example:80": false,
		"corp.example": true, "a.b.corp.example:8080": true, "xcorp.example": false, "10.0.0.7:8080": true, "localhost": false} {
		status, _, _, raw := list.send(t, http.MethodGet, "/graphql?query=%7B__typename%7D", "", nil, "Host", host)
		if ok != (status == http.StatusOK) {
			t.Errorf("list, Host %s: %d %s", host, status, raw)
		}
	}
}

// Hole 1d: answers could be sniffed as HTML by old browsers.
func TestEveryAnswerIsNosniff(t *testing.T) {
	s := newServer(t)
	for _, path := range []string{"/healthz", "/readyz", "/graphql?query=%7B__typename%7D", "/graphiql", "/",
		"/api/v1/artifacts/p/nope/yaml", "/api/v1/artifacts/p/nope/content"} {
		resp, _ := s.get(t, path)
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s (%d): no X-Content-Type-Options: nosniff", path, resp.StatusCode)
		}
	}
}
