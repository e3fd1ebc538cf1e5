package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/artigraph/artigraph/api"
	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/storage/gcs"
)

// The README's Security section, access control: each claim is pinned here.

const adminSecret = "admin-bootstrap-secret"

// authServer is a server with --auth token, the bootstrap admin token and
// a fixed server key; its log is recorded.
func authServer(t *testing.T, opts ...serverOption) (*testServer, *recorded) {
	t.Helper()
	logs := newRecorded()
	all := append([]serverOption{func(o *api.Options, c *lineage.Config, _ lineage.BlobRouter) {
		o.Logger = slog.New(logs)
		c.Auth = lineage.AuthToken
		c.AdminToken = adminSecret
		c.ServerKey = bytes.Repeat([]byte{7}, 32)
	}}, opts...)
	return newServer(t, all...), logs
}

// asDo runs a request with token that must succeed, decoding its data.
func (s *testServer) asDo(t *testing.T, token, query string, vars map[string]any, out any) {
	t.Helper()
	r := s.doAs(t, token, query, vars)
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %+v\nquery: %s", r.Errors, query)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			t.Fatalf("decode %s: %v", r.Data, err)
		}
	}
}

// asCode runs a request with token that must fail with code.
func (s *testServer) asCode(t *testing.T, token, code, query string, vars map[string]any) gqlError {
	t.Helper()
	r := s.doAs(t, token, query, vars)
	if len(r.Errors) == 0 || r.Errors[0].code() != code {
		t.Fatalf("want %s, got data %s errors %+v\nquery: %s", code, r.Data, r.Errors, query)
	}
	return r.Errors[0]
}

type tokenInfo struct {
	ID, Name, Role        string
	Projects              []string
	CreatedAt             string
	ExpiresAt, LastUsedAt *string
}

// newToken creates a token as the admin and returns its secret and info.
func (s *testServer) newToken(t *testing.T, name, role string, projects []string, expiresAt *time.Time) (string, tokenInfo) {
	t.Helper()
	in := map[string]any{"name": name, "role": role}
	if projects != nil {
		in["projects"] = projects
	}
	if expiresAt != nil {
		in["expiresAt"] = expiresAt.Format(time.RFC3339Nano)
	}
	var out struct {
		CreateToken struct {
			Token string
			Info  tokenInfo
		}
	}
	s.asDo(t, adminSecret, `mutation($in: TokenInput!) { createToken(input: $in) {
		token info { id name role projects createdAt expiresAt lastUsedAt } } }`, map[string]any{"in": in}, &out)
	return out.CreateToken.Token, out.CreateToken.Info
}

// request sends method path with an optional bearer token.
func (s *testServer) request(t *testing.T, method, path, token string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// seedAs logs a project p with a version "m", as the admin.
func (s *testServer) seedAs(t *testing.T, project, key string) string {
	t.Helper()
	s.asDo(t, adminSecret, `mutation($p: String!) { upsertProject(input: {name: $p}) { name } }`, map[string]any{"p": project}, nil)
	var out struct{ LogArtifact struct{ UID string } }
	s.asDo(t, adminSecret, `mutation($p: String!, $k: String!) { logArtifact(input: {project: $p, key: $k, kind: MODEL, body: "weights"}) { uid } }`,
		map[string]any{"p": project, "k": key}, &out)
	return out.LogArtifact.UID
}

func TestNoTokenIsUnauthenticated(t *testing.T) {
	s, _ := authServer(t)
	uid := s.seedAs(t, "p", "m")
	// GraphQL: the field answers UNAUTHENTICATED.
	s.asCode(t, "", "UNAUTHENTICATED", `{ projects { name } }`, nil)
	s.asCode(t, "", "UNAUTHENTICATED", `mutation { upsertProject(input: {name: "q"}) { name } }`, nil)
	// Plain routes: 401.
	for _, path := range []string{"/api/v1/artifacts/p/" + uid + "/content", "/api/v1/artifacts/p/" + uid + "/yaml"} {
		if resp, body := s.request(t, http.MethodGet, path, "", nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without a token: %d %s", path, resp.StatusCode, body)
		}
	}
	if resp, body := s.request(t, http.MethodPut, "/api/v1/uploads/whatever", "", strings.NewReader("x")); resp.StatusCode != http.StatusUnauthorized ||
		!strings.Contains(string(body), "UNAUTHENTICATED") {
		t.Errorf("upload without a token: %d %s", resp.StatusCode, body)
	}
	// Basic credentials are not a token.
	if status, r := s.post(t, "Basic dXNlcjpwYXNz", `{ projects { name } }`, nil); status != http.StatusOK ||
		len(r.Errors) == 0 || r.Errors[0].code() != "UNAUTHENTICATED" {
		t.Errorf("Basic credentials: %d %+v", status, r.Errors)
	}
	// What stays open: health checks and the UI's files.
	for _, path := range []string{"/healthz", "/readyz", "/", "/graphiql"} {
		if resp, body := s.request(t, http.MethodGet, path, "", nil); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
}

func TestBadRevokedOrExpiredTokensAreRefused(t *testing.T) {
	s, _ := authServer(t)
	uid := s.seedAs(t, "p", "m")
	secret, info := s.newToken(t, "ci", "EDITOR", nil, nil)
	soon := time.Now().Add(time.Hour)
	expiring, _ := s.newToken(t, "short", "VIEWER", nil, &soon)
	s.asDo(t, secret, `{ projects { name } }`, nil, nil)
	s.asDo(t, expiring, `{ projects { name } }`, nil, nil)

	refused := func(what, token string) {
		t.Helper()
		status, r := s.post(t, "Bearer "+token, `{ projects { name } }`, nil)
		if status != http.StatusUnauthorized || len(r.Errors) != 1 || r.Errors[0].code() != "UNAUTHENTICATED" || r.Data != nil {
			t.Errorf("%s on /graphql: %d %+v %s", what, status, r.Errors, r.Data)
		}
		resp, body := s.request(t, http.MethodGet, "/api/v1/artifacts/p/"+uid+"/content", token, nil)
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("X-Error-Code") != "UNAUTHENTICATED" {
			t.Errorf("%s on /api/v1: %d %s", what, resp.StatusCode, body)
		}
	}
	refused("garbage", "nonsense")
	refused("a wrong secret", strings.TrimSuffix(secret, secret[len(secret)-4:])+"AAAA")
	refused("an unknown id", "agt_0000000000000000_"+strings.Repeat("A", 43))

	var ok struct{ RevokeToken bool }
	s.asDo(t, adminSecret, `mutation($id: ID!) { revokeToken(id: $id) }`, map[string]any{"id": info.ID}, &ok)
	if !ok.RevokeToken {
		t.Fatal("revokeToken: the token did not exist")
	}
	refused("a revoked token", secret)
	s.asDo(t, adminSecret, `mutation($id: ID!) { revokeToken(id: $id) }`, map[string]any{"id": info.ID}, &ok)
	if ok.RevokeToken {
		t.Fatal("revoking twice: said it existed")
	}

	now := s.svc.Now
	s.svc.Now = func() time.Time { return soon.Add(time.Second) }
	defer func() { s.svc.Now = now }()
	refused("an expired token", expiring)
}

func TestCreateTokenListAndViewer(t *testing.T) {
	s, _ := authServer(t)
	s.seedAs(t, "p", "m")
	secret, info := s.newToken(t, "ci", "VIEWER", []string{"p"}, nil)
	if !strings.HasPrefix(secret, "agt_"+info.ID+"_") || len(secret) < len("agt_"+info.ID+"_")+40 {
		t.Fatalf("token %q, id %q", secret, info.ID)
	}
	if info.Name != "ci" || info.Role != "VIEWER" || len(info.Projects) != 1 || info.Projects[0] != "p" || info.CreatedAt == "" ||
		info.ExpiresAt != nil || info.LastUsedAt != nil {
		t.Fatalf("info %+v", info)
	}
	// Usable at once.
	var v struct{ Viewer *tokenInfo }
	s.asDo(t, secret, `{ viewer { id name role projects createdAt lastUsedAt } }`, nil, &v)
	if v.Viewer == nil || v.Viewer.ID != info.ID || v.Viewer.Role != "VIEWER" || v.Viewer.LastUsedAt == nil {
		t.Fatalf("viewer %+v", v.Viewer)
	}
	var ps struct{ Projects []struct{ Name string } }
	s.asDo(t, secret, `{ projects { name } }`, nil, &ps)
	if len(ps.Projects) != 1 || ps.Projects[0].Name != "p" {
		t.Fatalf("projects %+v", ps)
	}
	// A VIEWER may not write, nor manage tokens.
	s.asCode(t, secret, "PERMISSION_DENIED", `mutation { upsertProject(input: {name: "p", description: "x"}) { name } }`, nil)
	s.asCode(t, secret, "PERMISSION_DENIED", `{ tokens { id } }`, nil)
	s.asCode(t, secret, "PERMISSION_DENIED", `mutation { createToken(input: {name: "x", role: ADMIN}) { token } }`, nil)

	// tokens lists it, without any secret.
	body, _ := json.Marshal(map[string]any{"query": `{ tokens { id name role projects createdAt expiresAt lastUsedAt } }`})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+adminSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	secretPart := secret[len("agt_"+info.ID+"_"):]
	if !strings.Contains(string(raw), info.ID) || strings.Contains(string(raw), secretPart) {
		t.Fatalf("tokens: %s", raw)
	}
	var list struct{ Data struct{ Tokens []tokenInfo } }
	json.Unmarshal(raw, &list)
	if len(list.Data.Tokens) != 1 || list.Data.Tokens[0].Name != "ci" {
		t.Fatalf("tokens %+v", list.Data.Tokens)
	}

	// The bootstrap admin token: its viewer is "admin-token", created at
	// the server's start.
	s.asDo(t, adminSecret, `{ viewer { id name role projects createdAt } }`, nil, &v)
	if v.Viewer == nil || v.Viewer.ID != "admin-token" || v.Viewer.Role != "ADMIN" || len(v.Viewer.Projects) != 0 {
		t.Fatalf("admin viewer %+v", v.Viewer)
	}
	if created, err := time.Parse(time.RFC3339Nano, v.Viewer.CreatedAt); err != nil || created.IsZero() || created.After(time.Now()) {
		t.Fatalf("admin createdAt %q", v.Viewer.CreatedAt)
	}
	// Without a token under --auth none, viewer is null.
	open := newServer(t)
	var anon struct{ Viewer *tokenInfo }
	open.mustDo(t, `{ viewer { id } }`, nil, &anon)
	if anon.Viewer != nil {
		t.Fatalf("anonymous viewer %+v", anon.Viewer)
	}
}

// Reads of a project the token does not cover behave as absent; writes
// answer PERMISSION_DENIED; gc is ADMIN only.
func TestScopesAndRoles(t *testing.T) {
	s, _ := authServer(t)
	uid := s.seedAs(t, "a", "m")
	s.seedAs(t, "b", "m")
	editor, _ := s.newToken(t, "b-editor", "EDITOR", []string{"b"}, nil)
	var p struct{ Project *struct{ Name string } }
	s.asDo(t, editor, `{ project(name: "a") { name } }`, nil, &p)
	if p.Project != nil {
		t.Fatal("an uncovered project is visible")
	}
	var a struct{ Artifact *struct{ UID string } }
	s.asDo(t, editor, `{ artifact(uri: "store://models/a/m") { uid } }`, nil, &a)
	if a.Artifact != nil {
		t.Fatal("an uncovered version is visible")
	}
	s.asCode(t, editor, "PERMISSION_DENIED", `mutation { logArtifact(input: {project: "a", key: "x", kind: MODEL, body: "x"}) { uid } }`, nil)
	s.asDo(t, editor, `mutation { logArtifact(input: {project: "b", key: "x", kind: MODEL, body: "x"}) { uid } }`, nil, nil)
	if resp, _ := s.request(t, http.MethodGet, "/api/v1/artifacts/a/"+uid+"/content", editor, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("content of an uncovered project: %d", resp.StatusCode)
	}
	const gc = `mutation { gc(dryRun: true) { scanned } }`
	s.asCode(t, editor, "PERMISSION_DENIED", gc, nil)
	admin, _ := s.newToken(t, "ops", "ADMIN", nil, nil)
	s.asDo(t, admin, gc, nil, nil)
	s.asDo(t, adminSecret, gc, nil, nil)
}

// lineage and impact leave out nodes of projects the caller may not read,
// with their edges, count them in hidden, and do not walk through them.
func TestLineageHidesUncoveredNodes(t *testing.T) {
	s, _ := authServer(t)
	for _, p := range []string{"a", "b", "c"} {
		s.asDo(t, adminSecret, `mutation($p: String!) { upsertProject(input: {name: $p}) { name } }`, map[string]any{"p": p}, nil)
	}
	// a/x ← b/y ← c/z (each derived from the one before).
	s.asDo(t, adminSecret, `mutation { logArtifact(input: {project: "a", key: "x", kind: DATASET, body: "x"}) { uid } }`, nil, nil)
	s.asDo(t, adminSecret, `mutation { logArtifact(input: {project: "b", key: "y", kind: DATASET, body: "y", sources: ["store://datasets/a/x"]}) { uid } }`, nil, nil)
	s.asDo(t, adminSecret, `mutation { logArtifact(input: {project: "c", key: "z", kind: DATASET, body: "z", sources: ["store://datasets/b/y"]}) { uid } }`, nil, nil)
	type graph struct {
		Nodes  []struct{ ID string }
		Edges  []struct{ From, To string }
		Hidden int
	}
	var all struct{ Lineage graph }
	s.asDo(t, adminSecret, `{ lineage(uri: "store://datasets/c/z", direction: UPSTREAM) { nodes { id } edges { from to } hidden } }`, nil, &all)
	if len(all.Lineage.Nodes) != 3 || all.Lineage.Hidden != 0 {
		t.Fatalf("admin's lineage %+v", all.Lineage)
	}
	ac, _ := s.newToken(t, "a-and-c", "VIEWER", []string{"a", "c"}, nil)
	var g struct{ Lineage graph }
	s.asDo(t, ac, `{ lineage(uri: "store://datasets/c/z", direction: UPSTREAM) { nodes { id } edges { from to } hidden } }`, nil, &g)
	if len(g.Lineage.Nodes) != 1 || len(g.Lineage.Edges) != 0 || g.Lineage.Hidden != 1 {
		t.Fatalf("lineage through a hidden node: %+v", g.Lineage)
	}
	var im struct {
		Impact struct {
			Artifacts []struct{ URI string }
			Hidden    int
		}
	}
	s.asDo(t, ac, `{ impact(uri: "store://datasets/a/x") { artifacts { uri } hidden } }`, nil, &im)
	if len(im.Impact.Artifacts) != 0 || im.Impact.Hidden != 1 {
		t.Fatalf("impact through a hidden node: %+v", im.Impact)
	}
}

// dialAuthWS opens graphql-transport-ws with the given connection_init payload
// (nil: none) and upgrade header, and returns the connection after the
// ack, or the close error.
func (s *testServer) dialAuthWS(t *testing.T, ctx context.Context, init any, header http.Header) (*websocket.Conn, error) {
	t.Helper()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { conn.CloseNow() })
	m := wsMsg{Type: "connection_init"}
	if init != nil {
		m.Payload, _ = json.Marshal(init)
	}
	wsjson.Write(ctx, conn, m)
	var ack wsMsg
	if err := wsjson.Read(ctx, conn, &ack); err != nil {
		return nil, err
	}
	if ack.Type != "connection_ack" {
		t.Fatalf("ack: %+v", ack)
	}
	return conn, nil
}

// readAuthWS reads the next message that is not a ping (answering pings).
func readAuthWS(t *testing.T, ctx context.Context, conn *websocket.Conn) wsMsg {
	t.Helper()
	for {
		var m wsMsg
		if err := wsjson.Read(ctx, conn, &m); err != nil {
			t.Fatal(err)
		}
		if m.Type == "ping" {
			wsjson.Write(ctx, conn, wsMsg{Type: "pong"})
			continue
		}
		if m.Type == "pong" {
			continue
		}
		return m
	}
}

func TestWebsocketAuthentication(t *testing.T) {
	s, _ := authServer(t)
	s.seedAs(t, "p", "m")
	secret, info := s.newToken(t, "live", "VIEWER", []string{"p"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const sub = `{"query":"subscription { artifactLogged(project: \"p\") { key } }"}`

	// Without a token, the subscription field answers UNAUTHENTICATED.
	anon, err := s.dialAuthWS(t, ctx, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	wsjson.Write(ctx, anon, wsMsg{ID: "1", Type: "subscribe", Payload: json.RawMessage(sub)})
	if m := readAuthWS(t, ctx, anon); m.ID != "1" || !strings.Contains(string(m.Payload), "UNAUTHENTICATED") {
		t.Fatalf("subscription without a token: %s %s", m.Type, m.Payload)
	}

	// An invalid token in connection_init refuses the connection.
	if _, err := s.dialAuthWS(t, ctx, map[string]any{"Authorization": "Bearer agt_nope_nope"}, nil); err == nil {
		t.Fatal("a bad token in connection_init was accepted")
	}

	// With the token in connection_init, it works.
	conn, err := s.dialAuthWS(t, ctx, map[string]any{"Authorization": "Bearer " + secret}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wsjson.Write(ctx, conn, wsMsg{ID: "1", Type: "subscribe", Payload: json.RawMessage(sub)})
	waitFor(t, ctx, "the subscription to start", func() bool { return s.svc.Subscribers("p") == 1 })
	s.asDo(t, adminSecret, `mutation { logArtifact(input: {project: "p", key: "fresh", kind: MODEL, body: "x"}) { uid } }`, nil, nil)
	if m := readAuthWS(t, ctx, conn); m.Type != "next" || !strings.Contains(string(m.Payload), `"fresh"`) {
		t.Fatalf("event: %s %s", m.Type, m.Payload)
	}

	// A Bearer header on the upgrade request counts when connection_init
	// has none.
	hdr, err := s.dialAuthWS(t, ctx, nil, http.Header{"Authorization": {"Bearer " + secret}})
	if err != nil {
		t.Fatal(err)
	}
	wsjson.Write(ctx, hdr, wsMsg{ID: "7", Type: "subscribe", Payload: json.RawMessage(sub)})
	waitFor(t, ctx, "the second subscription to start", func() bool { return s.svc.Subscribers("p") == 2 })

	// Revoking the token ends its running subscriptions: complete.
	s.asDo(t, adminSecret, `mutation($id: ID!) { revokeToken(id: $id) }`, map[string]any{"id": info.ID}, nil)
	if m := readAuthWS(t, ctx, conn); m.Type != "complete" || m.ID != "1" {
		t.Fatalf("after revocation: %s %s %s", m.Type, m.ID, m.Payload)
	}
	if m := readAuthWS(t, ctx, hdr); m.Type != "complete" || m.ID != "7" {
		t.Fatalf("after revocation (header): %s %s %s", m.Type, m.ID, m.Payload)
	}
	waitFor(t, ctx, "the subscriptions to end", func() bool { return s.svc.Subscribers("p") == 0 })
	// Nothing more runs on a socket whose token was revoked: each
	// operation checks the token again.
	for _, c := range []*websocket.Conn{conn, hdr} {
		wsjson.Write(ctx, c, wsMsg{ID: "8", Type: "subscribe", Payload: json.RawMessage(sub)})
		if m := readAuthWS(t, ctx, c); m.ID != "8" || !strings.Contains(string(m.Payload), "UNAUTHENTICATED") {
			t.Fatalf("a subscription after revocation: %s %s", m.Type, m.Payload)
		}
		wsjson.Write(ctx, c, wsMsg{ID: "9", Type: "subscribe", Payload: json.RawMessage(`{"query":"{ projects { name } }"}`)})
		m := readAuthWS(t, ctx, c)
		for m.Type == "complete" && m.ID == "8" {
			m = readAuthWS(t, ctx, c)
		}
		if m.ID != "9" || !strings.Contains(string(m.Payload), "UNAUTHENTICATED") {
			t.Fatalf("a query after revocation: %s %s %s", m.ID, m.Type, m.Payload)
		}
	}
}

func TestSignedDownloadLinks(t *testing.T) {
	s, _ := authServer(t)
	s.seedAs(t, "p", "m")
	viewer, _ := s.newToken(t, "reader", "VIEWER", []string{"p"}, nil)
	var v struct {
		Artifact struct{ UID, DownloadURL string }
	}
	s.asDo(t, viewer, `{ artifact(uri: "store://models/p/m") { uid downloadUrl } }`, nil, &v)
	u, err := url.Parse(v.Artifact.DownloadURL)
	if err != nil || u.Path != api.ContentPath(lineage.Version{Project: "p", UID: v.Artifact.UID}) ||
		u.Query().Get("signature") == "" || u.Query().Get("expires") == "" {
		t.Fatalf("downloadUrl %q", v.Artifact.DownloadURL)
	}
	// A browser follows it with no header.
	if resp, body := s.request(t, http.MethodGet, v.Artifact.DownloadURL, "", nil); resp.StatusCode != 200 || string(body) != "weights" {
		t.Fatalf("signed link: %d %s", resp.StatusCode, body)
	}
	// A Bearer header keeps working without parameters.
	if resp, body := s.request(t, http.MethodGet, u.Path, viewer, nil); resp.StatusCode != 200 || string(body) != "weights" {
		t.Fatalf("bearer download: %d %s", resp.StatusCode, body)
	}
	// The link is for this version's content only.
	if resp, _ := s.request(t, http.MethodGet, strings.Replace(v.Artifact.DownloadURL, "/content?", "/yaml?", 1), "", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a content link used for yaml: %d", resp.StatusCode)
	}
	other := s.seedAs(t, "p", "other")
	if resp, _ := s.request(t, http.MethodGet, strings.Replace(v.Artifact.DownloadURL, v.Artifact.UID, other, 1), "", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a link moved to another version: %d", resp.StatusCode)
	}
	// Tampered: 403.
	q := u.Query()
	sig := q.Get("signature")
	q.Set("signature", "A"+sig[1:])
	if sig[0] == 'A' {
		q.Set("signature", "B"+sig[1:])
	}
	if resp, _ := s.request(t, http.MethodGet, u.Path+"?"+q.Encode(), "", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("tampered signature: %d", resp.StatusCode)
	}
	q = u.Query()
	q.Set("expires", "99999999999")
	if resp, _ := s.request(t, http.MethodGet, u.Path+"?"+q.Encode(), "", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("tampered expiry: %d", resp.StatusCode)
	}
	if resp, _ := s.request(t, http.MethodGet, u.Path+"?signature="+url.QueryEscape(sig), "", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a link without its expiry: %d", resp.StatusCode)
	}
	// Expired: 403.
	now := s.svc.Now
	s.svc.Now = func() time.Time { return time.Now().Add(lineage.DefaultLinkTTL + time.Minute) }
	defer func() { s.svc.Now = now }()
	if resp, _ := s.request(t, http.MethodGet, v.Artifact.DownloadURL, "", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("expired link: %d", resp.StatusCode)
	}

	// Under --auth none, downloadUrl is the bare route.
	open := newServer(t)
	open.mustDo(t, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	open.mustDo(t, `mutation { logArtifact(input: {project: "p", key: "m", kind: MODEL, body: "w"}) { uid } }`, nil, nil)
	var plain struct{ Artifact struct{ DownloadURL string } }
	open.mustDo(t, `{ artifact(uri: "store://models/p/m") { downloadUrl } }`, nil, &plain)
	if strings.Contains(plain.Artifact.DownloadURL, "?") {
		t.Errorf("downloadUrl under --auth none: %q", plain.Artifact.DownloadURL)
	}
}

func TestUploadTicketIsBoundToItsToken(t *testing.T) {
	s, _ := authServer(t)
	s.seedAs(t, "p", "m")
	owner, _ := s.newToken(t, "owner", "EDITOR", []string{"p"}, nil)
	other, _ := s.newToken(t, "other", "EDITOR", []string{"p"}, nil)
	var ticket struct{ CreateUpload struct{ URL string } }
	s.asDo(t, owner, `mutation { createUpload(input: {project: "p", key: "big", kind: MODEL, format: "bin"}) { url } }`, nil, &ticket)
	resp, body := s.request(t, http.MethodPut, ticket.CreateUpload.URL, other, strings.NewReader("content"))
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "NOT_FOUND") {
		t.Fatalf("another token's ticket: %d %s", resp.StatusCode, body)
	}
	resp, body = s.request(t, http.MethodPut, ticket.CreateUpload.URL, "", strings.NewReader("content"))
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a ticket without a token: %d %s", resp.StatusCode, body)
	}
	resp, body = s.request(t, http.MethodPut, ticket.CreateUpload.URL, owner, strings.NewReader("content"))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("the owner's upload: %d %s", resp.StatusCode, body)
	}
	var out struct{ DownloadURL string }
	json.Unmarshal(body, &out)
	if !strings.Contains(out.DownloadURL, "signature=") {
		t.Fatalf("upload's downloadUrl %q", out.DownloadURL)
	}
	if resp, body := s.request(t, http.MethodGet, out.DownloadURL, "", nil); resp.StatusCode != 200 || string(body) != "content" {
		t.Fatalf("download of the upload: %d %s", resp.StatusCode, body)
	}
}

// The secret is shown once: it is in no file of the data dir and in no log.
func TestTokenSecretsAreNotKept(t *testing.T) {
	s, logs := authServer(t)
	s.seedAs(t, "p", "m")
	var secrets []string
	for _, name := range []string{"one", "two"} {
		secret, info := s.newToken(t, name, "EDITOR", nil, nil)
		s.asDo(t, secret, `{ viewer { id } }`, nil, nil) // used: lastUsedAt written
		secrets = append(secrets, secret[len("agt_"+info.ID+"_"):])
	}
	// A failed attempt does not log what was sent either.
	s.post(t, "Bearer agt_0000000000000000_"+secrets[0], `{ viewer { id } }`, nil)
	s.calls.Store.Close() // everything on disk; closing twice is harmless
	err := filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, sec := range append(secrets, adminSecret) {
			if bytes.Contains(b, []byte(sec)) {
				t.Errorf("%s holds a secret", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	for _, r := range logs.records {
		line := r.Message
		r.Attrs(func(a slog.Attr) bool { line += " " + a.String(); return true })
		for _, sec := range append(secrets, adminSecret) {
			if strings.Contains(line, sec) {
				t.Errorf("the log holds a secret: %s", line)
			}
		}
	}
}

// lastUsedAt is written at most once a minute per token.
func TestLastUsedAtIsWrittenAtMostOnceAMinute(t *testing.T) {
	s, _ := authServer(t)
	secret, info := s.newToken(t, "ci", "VIEWER", nil, nil)
	lastUsed := func() string {
		t.Helper()
		var out struct{ Tokens []tokenInfo }
		s.asDo(t, adminSecret, `{ tokens { id lastUsedAt } }`, nil, &out)
		for _, tk := range out.Tokens {
			if tk.ID == info.ID && tk.LastUsedAt != nil {
				return *tk.LastUsedAt
			}
		}
		return ""
	}
	if got := lastUsed(); got != "" {
		t.Fatalf("never used, lastUsedAt %q", got)
	}
	s.asDo(t, secret, `{ viewer { id } }`, nil, nil)
	first := lastUsed()
	if first == "" {
		t.Fatal("no lastUsedAt after a use")
	}
	now := s.svc.Now
	defer func() { s.svc.Now = now }()
	s.svc.Now = func() time.Time { return time.Now().Add(30 * time.Second) }
	s.asDo(t, secret, `{ viewer { id } }`, nil, nil)
	if got := lastUsed(); got != first {
		t.Fatalf("written again within a minute: %q, then %q", first, got)
	}
	s.svc.Now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	s.asDo(t, secret, `{ viewer { id } }`, nil, nil)
	if got := lastUsed(); got == first {
		t.Fatalf("not written after a minute: %q", got)
	}
}

// A signed link lasts --download-link-ttl.
func TestSignedLinkLastsItsTTL(t *testing.T) {
	s, _ := authServer(t, func(_ *api.Options, c *lineage.Config, _ lineage.BlobRouter) { c.LinkTTL = 2 * time.Minute })
	s.seedAs(t, "p", "m")
	var v struct{ Artifact struct{ DownloadURL string } }
	s.asDo(t, adminSecret, `{ artifact(uri: "store://models/p/m") { downloadUrl } }`, nil, &v)
	u, _ := url.Parse(v.Artifact.DownloadURL)
	n, err := strconv.ParseInt(u.Query().Get("expires"), 10, 64)
	if d := time.Until(time.Unix(n, 0)); err != nil || d < time.Minute || d > 2*time.Minute {
		t.Fatalf("expires %q: in %v", u.Query().Get("expires"), d)
	}
	now := s.svc.Now
	defer func() { s.svc.Now = now }()
	s.svc.Now = func() time.Time { return time.Now().Add(time.Minute) }
	if resp, _ := s.request(t, http.MethodGet, v.Artifact.DownloadURL, "", nil); resp.StatusCode != 200 {
		t.Fatalf("within its ttl: %d", resp.StatusCode)
	}
	s.svc.Now = func() time.Time { return time.Now().Add(3 * time.Minute) }
	if resp, _ := s.request(t, http.MethodGet, v.Artifact.DownloadURL, "", nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("past its ttl: %d", resp.StatusCode)
	}
}

// GCS signed URLs take precedence over this server's signed links.
func TestGCSSignedURLsTakePrecedenceUnderAuth(t *testing.T) {
	var fake *fakestorage.Server
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	s, _ := authServer(t, onGCS(t, &fake), func(o *api.Options, c *lineage.Config, r lineage.BlobRouter) {
		signer, err := r["gs"].(*gcs.Store).WithSigning(gcs.SigningConfig{Email: "artigraph@proj.iam.gserviceaccount.com", PrivateKey: pemKey})
		if err != nil {
			t.Fatal(err)
		}
		r["gs"] = signer
		o.SignedURLTTL = 10 * time.Minute
	})
	s.asDo(t, adminSecret, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	var out struct{ LogArtifact struct{ DownloadURL string } }
	s.asDo(t, adminSecret, `mutation { logArtifact(input: {project: "p", key: "m", kind: MODEL, body: "x"}) { downloadUrl } }`, nil, &out)
	if u := out.LogArtifact.DownloadURL; !strings.Contains(u, "X-Goog-Algorithm=GOOG4-RSA-SHA256") || strings.Contains(u, "/api/v1/") {
		t.Fatalf("downloadUrl %s is not the GCS signed URL", u)
	}
	s.asDo(t, adminSecret, `mutation { logArtifact(input: {project: "p", key: "local", kind: MODEL, body: "x", artifactPath: "`+s.dir+`/artifacts/local"}) { downloadUrl } }`, nil, &out)
	if u := out.LogArtifact.DownloadURL; !strings.HasPrefix(u, "/api/v1/artifacts/p/") || !strings.Contains(u, "signature=") {
		t.Fatalf("local downloadUrl %s", u)
	}
}
