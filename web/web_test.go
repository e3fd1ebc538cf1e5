package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, path string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// anAsset is the name of one built script, found through index.html.
func anAsset(t *testing.T) string {
	t.Helper()
	index, err := fs.ReadFile(dist, "dist/index.html")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`src="(/assets/[^"]+\.js)"`).FindSubmatch(index)
	if m == nil {
		t.Fatal("index.html loads no script")
	}
	return string(m[1])
}

func TestPages(t *testing.T) {
	h := Handler()
	for _, tc := range []struct {
		name, path, want string
	}{
		{"root is the browser", "/", `<div id="root">`},
		{"a deep link is the browser", "/projects/fraud/models/classifier?tag=v1", `<div id="root">`},
		{"graphiql", "/graphiql", "<title>Artigraph GraphiQL</title>"},
		{"graphiql with a slash", "/graphiql/", "<title>Artigraph GraphiQL</title>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := get(t, h, http.MethodGet, tc.path)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if b := body(t, resp); !strings.Contains(b, tc.want) {
				t.Fatalf("body lacks %q:\n%s", tc.want, b)
			}
			if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
				t.Errorf("Cache-Control %q, want no-cache", got)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
		})
	}
}

func TestPagesLoadNothingFromOutside(t *testing.T) {
	for _, name := range []string{"dist/index.html", "dist/graphiql.html"} {
		b, err := fs.ReadFile(dist, name)
		if err != nil {
			t.Fatal(err)
		}
		if m := regexp.MustCompile(`(src|href)="(https?:)?//`).Find(b); m != nil {
			t.Errorf("%s loads %s from elsewhere", name, m)
		}
	}
}

func TestAssets(t *testing.T) {
	h := Handler()
	path := anAsset(t)

	resp := get(t, h, http.MethodGet, path)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	plain := body(t, resp)
	if got := resp.Header.Get("Cache-Control"); !strings.Contains(got, "immutable") || !strings.Contains(got, "max-age=31536000") {
		t.Errorf("Cache-Control %q", got)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("Content-Type %q", ct)
	}

	t.Run("gzip", func(t *testing.T) {
		resp := get(t, h, http.MethodGet, path, "Accept-Encoding", "gzip, br")
		if resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("not gzipped: %v", resp.Header)
		}
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(zr)
		if !bytes.Equal(b, []byte(plain)) {
			t.Error("gzipped body differs")
		}
		if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
			t.Error("no Vary: Accept-Encoding")
		}
		if r := get(t, h, http.MethodGet, path, "Accept-Encoding", "gzip;q=0"); r.Header.Get("Content-Encoding") != "" {
			t.Error("gzipped although q=0")
		}
	})

	t.Run("revalidation", func(t *testing.T) {
		etag := resp.Header.Get("ETag")
		if etag == "" {
			t.Fatal("no ETag")
		}
		if r := get(t, h, http.MethodGet, path, "If-None-Match", etag); r.StatusCode != http.StatusNotModified {
			t.Errorf("status %d, want 304", r.StatusCode)
		}
	})

	t.Run("a missing asset is a 404, not index.html", func(t *testing.T) {
		if r := get(t, h, http.MethodGet, "/assets/gone-123.js"); r.StatusCode != http.StatusNotFound {
			t.Errorf("status %d", r.StatusCode)
		}
	})
}

func TestNotTheUI(t *testing.T) {
	h := Handler()
	for _, path := range []string{"/graphql", "/graphql/x", "/api/v1/nope", "/api", "/healthz", "/readyz/x", "/assets/../index.html"} {
		if r := get(t, h, http.MethodGet, path); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, r.StatusCode)
		}
	}
	r := get(t, h, http.MethodPost, "/projects")
	if r.StatusCode != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: status %d, Allow %q", r.StatusCode, r.Header.Get("Allow"))
	}
	if r := get(t, h, http.MethodHead, "/"); r.StatusCode != http.StatusOK {
		t.Errorf("HEAD /: status %d", r.StatusCode)
	}
}

func TestRootFiles(t *testing.T) {
	r := get(t, Handler(), http.MethodGet, "/favicon.svg")
	if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("status %d, type %q", r.StatusCode, r.Header.Get("Content-Type"))
	}
}
