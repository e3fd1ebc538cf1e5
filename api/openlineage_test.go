package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/artigraph/artigraph/lineage"
)

// POST /api/v1/lineage is mounted beside the MLRun routes, behind the same
// authentication: the OpenLineage client's api_key is the Bearer token.
const olEvent = `{"eventType":"COMPLETE","eventTime":"2026-03-01T10:00:00Z","producer":"https://example.com/p",
 "schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
 "run":{"runId":"0190a1b2-0000-7000-8000-0000000000aa"},"job":{"namespace":"fraud","name":"train"},
 "outputs":[{"namespace":"s3://lake","name":"models/fraud"}]}`

func postLineage(t *testing.T, url, token string, body []byte, gz bool) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/lineage", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestOpenLineageRoute(t *testing.T) {
	s, _ := authServer(t)
	admin, err := s.svc.Authenticate(context.Background(), adminSecret)
	if err != nil {
		t.Fatal(err)
	}
	editor, _, err := s.svc.CreateToken(admin, lineage.TokenInput{Name: "ol", Role: lineage.RoleEditor, Projects: []string{"fraud"}})
	if err != nil {
		t.Fatal(err)
	}
	viewer, _, err := s.svc.CreateToken(admin, lineage.TokenInput{Name: "v", Role: lineage.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, token string
		want        int
	}{{"no token", "", 401}, {"unknown token", "agt_x_y", 401}, {"viewer", viewer, 403}} {
		if code, body := postLineage(t, s.URL, c.token, []byte(olEvent), false); code != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, code, body, c.want)
		}
	}
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write([]byte("[" + olEvent + "]"))
	zw.Close()
	if code, body := postLineage(t, s.URL, editor, zipped.Bytes(), true); code != http.StatusCreated {
		t.Fatalf("editor: %d %s", code, body)
	}
	if code, body := postLineage(t, s.URL, editor, []byte(strings.Replace(olEvent, `"fraud"`, `"payments"`, 1)), false); code != http.StatusForbidden {
		t.Errorf("another project: %d %s", code, body)
	}
	r, err := s.svc.Run(admin, lineage.RunKey{Project: "fraud", UID: "0190a1b2-0000-7000-8000-0000000000aa"})
	if err != nil || r.State != lineage.RunCompleted || r.Name != "train" {
		t.Fatalf("run %+v %v", r, err)
	}
}
