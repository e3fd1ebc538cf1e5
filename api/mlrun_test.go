package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
)

// The MLRun routes are mounted under /api/v1 and /api/v2 beside
// Artigraph's own plain routes, behind the same authentication.

func decodeDetail(t *testing.T, body []byte) string {
	t.Helper()
	var out struct {
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Detail == "" {
		t.Fatalf("want MLRun's {\"detail\": …}, got %s", body)
	}
	return out.Detail
}

func TestMLRunRoutesBesideArtigraphsOwn(t *testing.T) {
	s := newServer(t)
	resp, body := s.request(t, http.MethodPut, "/api/v1/projects/p", "", strings.NewReader(`{"metadata":{"name":"p"},"spec":{"description":"d"}}`))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("store project: %d %s", resp.StatusCode, body)
	}
	// MLRun's client writes the file into the artifact path, then stores
	// the document.
	target := s.dir + "/artifacts/p/data.txt"
	if err := os.MkdirAll(s.dir+"/artifacts/p", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := `{"kind":"artifact","metadata":{"key":"data","project":"p","labels":{"a":"b"}},"spec":{"target_path":"` + target + `","size":5}}`
	resp, body = s.request(t, http.MethodPut, "/api/v2/projects/p/artifacts/data?tag=v1&tree=t1", "", strings.NewReader(doc))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("store artifact: %d %s", resp.StatusCode, body)
	}
	var stored struct {
		Metadata struct{ UID, Tag, Tree string }
	}
	if err := json.Unmarshal(body, &stored); err != nil || stored.Metadata.UID == "" || stored.Metadata.Tag != "v1" || stored.Metadata.Tree != "t1" {
		t.Fatalf("stored: %s", body)
	}
	uid := stored.Metadata.UID

	t.Run("Artigraph's content route still serves", func(t *testing.T) {
		resp, body := s.get(t, "/api/v1/artifacts/p/"+uid+"/content")
		if resp.StatusCode != http.StatusOK || string(body) != "hello" {
			t.Fatalf("content: %d %q", resp.StatusCode, body)
		}
	})
	t.Run("Artigraph's yaml route still serves", func(t *testing.T) {
		resp, body := s.get(t, "/api/v1/artifacts/p/"+uid+"/yaml")
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "key: data") {
			t.Fatalf("yaml: %d %s", resp.StatusCode, body)
		}
	})
	t.Run("Artigraph's upload route still answers in its own shape", func(t *testing.T) {
		resp, body := s.request(t, http.MethodPut, "/api/v1/uploads/nope", "", strings.NewReader("x"))
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `"error"`) {
			t.Fatalf("upload: %d %s", resp.StatusCode, body)
		}
	})
	t.Run("an MLRun read gives the document back", func(t *testing.T) {
		resp, body := s.get(t, "/api/v2/projects/p/artifacts/data?tag=v1")
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"target_path":"`+target+`"`) || !strings.Contains(string(body), `"a":"b"`) {
			t.Fatalf("read: %d %s", resp.StatusCode, body)
		}
	})
	t.Run("errors take MLRun's shape", func(t *testing.T) {
		resp, body := s.get(t, "/api/v2/projects/p/artifacts/missing")
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("missing: %d %s", resp.StatusCode, body)
		}
		decodeDetail(t, body)
		resp, body = s.get(t, "/api/v2/projects/p/artifacts/data?iter=-1")
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("bad iter: %d %s", resp.StatusCode, body)
		}
		decodeDetail(t, body)
		resp, body = s.request(t, http.MethodPost, "/api/v1/projects", "", strings.NewReader(`{"metadata":{"name":"p"}}`))
		if resp.StatusCode != http.StatusConflict {
			t.Fatalf("create existing: %d %s", resp.StatusCode, body)
		}
		decodeDetail(t, body)
		resp, body = s.get(t, "/api/v1/no-such-thing")
		if resp.StatusCode != http.StatusNotFound || decodeDetail(t, body) != "Not Found" {
			t.Fatalf("unknown route: %d %s", resp.StatusCode, body)
		}
	})
	t.Run("client-spec names the server's artifact path", func(t *testing.T) {
		resp, body := s.get(t, "/api/v1/client-spec", "X-MLRun-Client-Version", "1.12.1")
		var spec struct{ Version, ArtifactPath string }
		json.Unmarshal(body, &struct {
			Version      *string `json:"version"`
			ArtifactPath *string `json:"artifact_path"`
		}{&spec.Version, &spec.ArtifactPath})
		if resp.StatusCode != http.StatusOK || spec.Version != "1.12.1" || spec.ArtifactPath != s.dir+"/artifacts/{{project}}" {
			t.Fatalf("client-spec: %d %s", resp.StatusCode, body)
		}
	})
}

func TestMLRunRoutesAuthenticateLikeTheRest(t *testing.T) {
	s, _ := authServer(t)
	s.asDo(t, adminSecret, `mutation { upsertProject(input: {name: "p"}) { name } }`, nil, nil)
	viewer, _ := s.newToken(t, "viewer", "VIEWER", []string{"p"}, nil)

	resp, body := s.request(t, http.MethodGet, "/api/v1/projects/p", "", nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: %d %s", resp.StatusCode, body)
	}
	decodeDetail(t, body)
	resp, body = s.request(t, http.MethodGet, "/api/v1/projects/p", "not-a-token", nil)
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("bad token: %d %s", resp.StatusCode, body)
	}
	decodeDetail(t, body)
	resp, body = s.request(t, http.MethodGet, "/api/v1/projects/p", viewer, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"name":"p"`) {
		t.Fatalf("viewer reads: %d %s", resp.StatusCode, body)
	}
	// MLRun's client sends a token that looks like an Iguazio session to it
	// as a session cookie: the same caller.
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/v1/projects/p", nil)
	req.Header.Set("Cookie", `session=j:{"sid": "`+viewer+`"}`)
	cresp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	cresp.Body.Close()
	if cresp.StatusCode != http.StatusOK {
		t.Fatalf("viewer by session cookie: %d", cresp.StatusCode)
	}
	// The cookie counts on MLRun's routes only.
	req, _ = http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(`{"query":"{ projects { name } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", `session=j:{"sid": "`+adminSecret+`"}`)
	gresp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	gbody, _ := io.ReadAll(gresp.Body)
	gresp.Body.Close()
	if strings.Contains(string(gbody), `"name":"p"`) {
		t.Fatalf("graphql took the session cookie: %s", gbody)
	}
	// A viewer may not write: MLRun's 403.
	resp, body = s.request(t, http.MethodPut, "/api/v1/projects/p", viewer, strings.NewReader(`{"metadata":{"name":"p"}}`))
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer writes: %d %s", resp.StatusCode, body)
	}
	decodeDetail(t, body)
	resp, body = s.request(t, http.MethodPut, "/api/v2/projects/p/artifacts/k", viewer, strings.NewReader(`{"kind":"artifact","spec":{"body":"x"}}`))
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer logs: %d %s", resp.StatusCode, body)
	}
	resp, body = s.request(t, http.MethodPut, "/api/v2/projects/p/artifacts/k", adminSecret, strings.NewReader(`{"kind":"artifact","spec":{"body":"x"}}`))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("admin logs: %d %s", resp.StatusCode, body)
	}
}
