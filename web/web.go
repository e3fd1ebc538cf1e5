// Package web serves Artigraph's browser UI: the artifact browser (a
// single-page app) and GraphiQL. Both are built from the npm sources in this
// folder into dist/ (`npm run build`), which is committed and embedded, so the
// binary serves every byte a page loads and nothing comes from the internet.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed all:dist
var dist embed.FS

// contentSecurityPolicy keeps pages to their own origin: scripts, styles,
// fonts, workers and API calls (websockets included) all come from the server.
// Inline styles are allowed because Monaco and Cytoscape set them; plots are
// shown in sandboxed srcdoc frames, hence frame-src 'self'.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' ws: wss:; worker-src 'self' blob:; " +
	"frame-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"

// Handler serves the UI:
//
//   - /graphiql: the GraphiQL page;
//   - /assets/...: the built files, which have content hashes in their names
//     and so are cached for a year;
//   - any other GET path that is not an API path: index.html, whose client-side
//     router shows the page the path names (so every UI URL can be shared).
//
// API paths (/graphql, /api/, /healthz, /readyz) that reach it are not the UI's
// and answer 404. It answers GET and HEAD only.
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the folder
	}
	return &handler{files: sub}
}

type handler struct {
	files fs.FS
	cache sync.Map // name → *file
}

// file is one embedded file, read once, with its ETag and gzipped form.
type file struct {
	name string
	data []byte
	etag string
	gzip []byte // nil when not worth compressing
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	switch {
	case isAPIPath(p):
		http.NotFound(w, r)
	case p == "/graphiql" || p == "/graphiql/":
		h.serve(w, r, "graphiql.html", "no-cache")
	case strings.HasPrefix(p, "/assets/"):
		// A missing asset is a 404, never index.html: a stale page asking
		// for an old chunk must fail loudly, not parse HTML as JavaScript.
		h.serve(w, r, strings.TrimPrefix(p, "/"), "public, max-age=31536000, immutable")
	case p != "/" && h.exists(strings.TrimPrefix(p, "/")):
		h.serve(w, r, strings.TrimPrefix(p, "/"), "public, max-age=3600")
	default:
		h.serve(w, r, "index.html", "no-cache")
	}
}

// isAPIPath reports whether p belongs to the server's API rather than the UI.
func isAPIPath(p string) bool {
	for _, prefix := range []string{"/graphql", "/api/", "/healthz", "/readyz"} {
		if p == prefix || strings.HasPrefix(p, strings.TrimSuffix(prefix, "/")+"/") {
			return true
		}
	}
	return p == "/api"
}

func (h *handler) exists(name string) bool {
	if !fs.ValidPath(name) || strings.HasSuffix(name, ".html") {
		return false
	}
	st, err := fs.Stat(h.files, name)
	return err == nil && !st.IsDir()
}

// load reads an embedded file once and keeps it with its ETag and gzip form.
func (h *handler) load(name string) (*file, bool) {
	if f, ok := h.cache.Load(name); ok {
		return f.(*file), true
	}
	if !fs.ValidPath(name) {
		return nil, false
	}
	data, err := fs.ReadFile(h.files, name)
	if err != nil {
		return nil, false
	}
	sum := sha256.Sum256(data)
	f := &file{name: name, data: data, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	if compressible(name) && len(data) > 1024 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(data)
		zw.Close()
		if buf.Len() < len(data) {
			f.gzip = buf.Bytes()
		}
	}
	actual, _ := h.cache.LoadOrStore(name, f)
	return actual.(*file), true
}

func compressible(name string) bool {
	switch path.Ext(name) {
	case ".js", ".mjs", ".css", ".html", ".svg", ".json", ".txt", ".map", ".ttf":
		return true
	}
	return false
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, name, cacheControl string) {
	f, ok := h.load(name)
	if !ok {
		http.NotFound(w, r)
		return
	}
	hdr := w.Header()
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	hdr.Set("Content-Type", ctype)
	hdr.Set("Cache-Control", cacheControl)
	hdr.Set("X-Content-Type-Options", "nosniff")
	if strings.HasSuffix(name, ".html") {
		hdr.Set("Content-Security-Policy", contentSecurityPolicy)
		hdr.Set("Referrer-Policy", "same-origin")
		hdr.Set("X-Frame-Options", "SAMEORIGIN")
	}
	data, etag := f.data, f.etag
	if f.gzip != nil {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			data, etag = f.gzip, `W/`+f.etag
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	hdr.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		name, value, _ := strings.Cut(strings.TrimSpace(params), "=")
		if strings.TrimSpace(name) != "q" {
			return true
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		return err == nil && q > 0
	}
	return false
}
