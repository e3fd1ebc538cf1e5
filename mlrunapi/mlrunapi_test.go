package mlrunapi_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/artigraph/artigraph/internal/servicetest"
	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/mlrunapi"
)

// server is the MLRun handler over a real Service: the embedded store and
// local blobs in a temporary directory (no authentication: --auth none).
type server struct {
	*httptest.Server
	dir string
}

func newServer(t *testing.T) *server {
	t.Helper()
	rig := servicetest.New(t, func(c *lineage.Config) {
		c.BlobRoots = []string{c.DefaultArtifactPath[:len(c.DefaultArtifactPath)-len("/{{project}}")]}
	})
	svc, dir := rig.Service, rig.Dir
	srv := httptest.NewServer(mlrunapi.New(svc, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	s := &server{Server: srv, dir: dir}
	s.call(t, http.MethodPut, "/api/v1/projects/p", `{"metadata":{"name":"p"}}`, http.StatusOK)
	return s
}

func (s *server) call(t *testing.T, method, path, body string, want int) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, want)
	}
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// write puts a file where MLRun's client would, and stores its document.
func (s *server) write(t *testing.T, key, path, content, query string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := `{"kind":"artifact","metadata":{"key":"` + key + `"},"spec":{"target_path":"` + path + `"}}`
	out := s.call(t, http.MethodPut, "/api/v2/projects/p/artifacts/"+key+query, doc, http.StatusOK)
	return out["metadata"].(map[string]any)["uid"].(string)
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

func TestDeletionStrategies(t *testing.T) {
	s := newServer(t)
	inProject := s.dir + "/artifacts/p/a.txt"
	t.Run("metadata-only keeps the file", func(t *testing.T) {
		s.write(t, "a", inProject, "a", "")
		s.call(t, http.MethodDelete, "/api/v2/projects/p/artifacts/a?deletion_strategy=metadata-only", "", http.StatusNoContent)
		s.call(t, http.MethodGet, "/api/v2/projects/p/artifacts/a", "", http.StatusNotFound)
		if !exists(inProject) {
			t.Fatal("metadata-only removed the file")
		}
	})
	t.Run("data-force removes a file in the project's artifact path", func(t *testing.T) {
		uid := s.write(t, "a", inProject, "a", "")
		s.call(t, http.MethodDelete, "/api/v2/projects/p/artifacts/a?object-uid="+uid+"&deletion_strategy=data-force", "", http.StatusNoContent)
		if exists(inProject) {
			t.Fatal("data-force kept the file")
		}
	})
	t.Run("a file another version points at is kept", func(t *testing.T) {
		path := s.dir + "/artifacts/p/shared.txt"
		s.write(t, "one", path, "s", "")
		s.write(t, "two", path, "s", "")
		s.call(t, http.MethodDelete, "/api/v2/projects/p/artifacts/one?deletion_strategy=data-force", "", http.StatusNoContent)
		if !exists(path) {
			t.Fatal("a file still referenced was removed")
		}
	})
	t.Run("a file outside the project's artifact path is kept", func(t *testing.T) {
		// Inside the blob roots, but another project's place.
		path := s.dir + "/artifacts/other/b.txt"
		s.write(t, "b", path, "b", "")
		s.call(t, http.MethodDelete, "/api/v2/projects/p/artifacts/b?deletion_strategy=data-force", "", http.StatusNoContent)
		if !exists(path) {
			t.Fatal("a file outside the project's path was removed")
		}
	})
	t.Run("an unknown strategy is refused", func(t *testing.T) {
		out := s.call(t, http.MethodDelete, "/api/v2/projects/p/artifacts/b?deletion_strategy=everything", "", http.StatusBadRequest)
		if out["detail"] == nil {
			t.Fatalf("want detail: %v", out)
		}
	})
}

func TestListPagesWithATokenThatKeepsTheFilters(t *testing.T) {
	s := newServer(t)
	for _, k := range []string{"a1", "a2", "a3", "b1"} {
		s.write(t, k, s.dir+"/artifacts/p/"+k, k, "")
	}
	out := s.call(t, http.MethodGet, "/api/v2/projects/p/artifacts?name=~a&page=1&page-size=2", "", http.StatusOK)
	if n := len(out["artifacts"].([]any)); n != 2 {
		t.Fatalf("page 1: %d items", n)
	}
	token, _ := out["pagination"].(map[string]any)["page-token"].(string)
	if token == "" {
		t.Fatalf("no token: %v", out["pagination"])
	}
	out = s.call(t, http.MethodGet, "/api/v2/projects/p/artifacts?page-token="+token, "", http.StatusOK)
	items := out["artifacts"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["metadata"].(map[string]any)["key"] == "b1" {
		t.Fatalf("page 2: %v", items)
	}
	if out["pagination"].(map[string]any)["page-token"] != nil {
		t.Fatalf("a last page has no token: %v", out["pagination"])
	}
	s.call(t, http.MethodGet, "/api/v2/projects/p/artifacts?page-token=garbage", "", http.StatusNotFound)
}

func TestRunLifecycle(t *testing.T) {
	s := newServer(t)
	in := s.write(t, "raw", s.dir+"/artifacts/p/raw.csv", "x\n1\n", "")
	run := `{"metadata":{"name":"job","uid":"r1","project":"p","labels":{"owner":"ann"}},
		"spec":{"inputs":{"data":"store://artifacts/p/raw","local":"/tmp/not-a-version.csv"}},"status":{"state":"running"}}`
	s.call(t, http.MethodPost, "/api/v1/projects/p/runs/r1", run, http.StatusOK)
	s.call(t, http.MethodPost, "/api/v1/projects/p/runs/r1", run, http.StatusOK) // the client stores it again
	s.write(t, "out", s.dir+"/artifacts/p/job/0/out.txt", "o", "?tree=r1")
	s.call(t, http.MethodPatch, "/api/v1/projects/p/runs/r1", `{"status.state":"completed"}`, http.StatusOK)
	data := s.call(t, http.MethodGet, "/api/v1/projects/p/runs/r1", "", http.StatusOK)["data"].(map[string]any)
	if st := data["status"].(map[string]any)["state"]; st != "completed" {
		t.Fatalf("state %v", st)
	}
	inputs := data["spec"].(map[string]any)["inputs"].(map[string]any)
	if uri, _ := inputs["raw"].(string); !strings.HasSuffix(uri, "^"+in) {
		t.Fatalf("inputs %v", inputs)
	}
	got := s.call(t, http.MethodGet, "/api/v2/projects/p/artifacts/out", "", http.StatusOK)
	if tree := got["metadata"].(map[string]any)["tree"]; tree != "r1" {
		t.Fatalf("tree %v", tree)
	}
	// A finished run cannot change its state.
	s.call(t, http.MethodPatch, "/api/v1/projects/p/runs/r1", `{"status.state":"error"}`, http.StatusConflict)
	s.call(t, http.MethodGet, "/api/v1/projects/p/runs/nope", "", http.StatusNotFound)
}

func TestSessionCookieBecomesTheBearerToken(t *testing.T) {
	var got string
	h := mlrunapi.SessionAsBearer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization")
	}))
	for _, tc := range []struct{ cookie, header, want string }{
		{`session=j:{"sid": "agt_a-b_c"}`, "", "Bearer agt_a-b_c"},
		{`other=1; session=j%3A%7B%22sid%22%3A%20%22agt_x-y%22%7D`, "", "Bearer agt_x-y"},
		{`session=j:{"sid": "from-cookie"}`, "Bearer from-header", "Bearer from-header"},
		{`session=plain`, "", ""},
	} {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/projects", nil)
		req.Header.Set("Cookie", tc.cookie)
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
		if got != tc.want {
			t.Errorf("cookie %q, header %q: Authorization %q, want %q", tc.cookie, tc.header, got, tc.want)
		}
	}
}
