package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/cors"
)

// Defaults of the HTTP limits (Options override them).
const (
	DefaultMaxRequestBytes = 16 << 20
	DefaultBodyIdleTimeout = 60 * time.Second
)

// PreflightHeaders are request headers a browser cannot send cross-origin
// without a CORS preflight, which only allowed origins pass. A request
// carrying one of them is exempt from the cross-site request check, as
// Apollo's CSRF prevention does.
var PreflightHeaders = []string{"Apollo-Require-Preflight", "X-Apollo-Operation-Name", "Authorization"}

// corsHandler allows the listed origins and nobody else. rs/cors treats an
// empty list as "every origin", so with none listed there is no CORS at all;
// "*" allows every origin only when it is listed.
func corsHandler(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	return cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodOptions},
		AllowedHeaders: append([]string{"Content-Type"}, PreflightHeaders...),
	}).Handler(next)
}

// guard applies the checks every request passes before any handler runs:
// nosniff on every answer, the Host allow-list (DNS rebinding), the
// cross-site request check (CSRF) and the request-body cap.
type guard struct {
	hosts      hostList
	bound      string // the listen address, always allowed as Host
	origins    []string
	anyOrigin  bool
	maxBody    int64
	maxUpload  int64 // multipart GraphQL requests: uploads plus the rest
	bodyIdle   time.Duration
	next       http.Handler
	uploadPath string
}

func newGuard(o Options, next http.Handler) *guard {
	g := &guard{hosts: parseHosts(o.AllowedHosts), bound: strings.ToLower(o.ListenAddr), origins: o.AllowedOrigins,
		maxBody: o.MaxRequestBytes, bodyIdle: o.BodyIdleTimeout, next: next, uploadPath: UploadPath("")}
	if g.maxBody <= 0 {
		g.maxBody = DefaultMaxRequestBytes
	}
	g.maxUpload = o.MaxUploadBytes + g.maxBody
	for _, origin := range o.AllowedOrigins {
		if origin == "*" {
			g.anyOrigin = true
		}
	}
	return g
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if !g.hostAllowed(r) {
		refuse(w, http.StatusForbidden, "PERMISSION_DENIED", "host not allowed")
		return
	}
	if g.crossSite(r) {
		refuse(w, http.StatusForbidden, "PERMISSION_DENIED",
			"cross-site request refused: send it from an allowed origin, or with the header Apollo-Require-Preflight: true")
		return
	}
	switch {
	case r.Header.Get("Upgrade") != "":
		// A websocket outlives the server's read timeout: the connection
		// keeps its own keep-alive pings instead.
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Time{})
		_ = rc.SetWriteDeadline(time.Time{})
	case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, g.uploadPath):
		// Streamed uploads are capped by the service (max-upload-bytes)
		// and may take longer than the read timeout, as long as they move.
		r.Body = progressDeadline(w, r.Body, g.bodyIdle)
	case isMultipart(r) && r.URL.Path == "/graphql":
		if r.ContentLength > g.maxUpload {
			tooLarge(w, g.maxUpload)
			return
		}
		r.Body = progressDeadline(w, &limitedBody{ReadCloser: http.MaxBytesReader(w, r.Body, g.maxUpload), limit: g.maxUpload}, g.bodyIdle)
	case r.Body != nil && r.Body != http.NoBody:
		if r.ContentLength > g.maxBody {
			tooLarge(w, g.maxBody)
			return
		}
		r.Body = &limitedBody{ReadCloser: http.MaxBytesReader(w, r.Body, g.maxBody), limit: g.maxBody}
	}
	g.next.ServeHTTP(w, r)
}

func isMultipart(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "multipart/form-data"
}

// refuse answers a request-level error in the GraphQL error shape, which
// plain HTTP clients read as well as GraphQL ones.
func refuse(w http.ResponseWriter, status int, code, message string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Error-Code", code)
	h.Del("Content-Length")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{
		"message": message, "extensions": map[string]string{"code": code}}}})
}

func tooLarge(w http.ResponseWriter, limit int64) {
	// Closing lets the server drop the connection instead of draining a
	// body it will not read.
	w.Header().Set("Connection", "close")
	refuse(w, http.StatusRequestEntityTooLarge, "LIMIT_EXCEEDED", fmt.Sprintf("request body is larger than %d bytes", limit))
}

// limitedBody remembers that the body went over its cap (an
// http.MaxBytesReader below it), so that whichever handler read it, the
// answer is 413 LIMIT_EXCEEDED.
type limitedBody struct {
	io.ReadCloser
	limit    int64
	exceeded bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		b.exceeded = true
	}
	return n, err
}

// capOf finds the cap under a request body (nil when there is none).
// Handlers may wrap r.Body further, so callers look it up before they run.
func capOf(body io.ReadCloser) *limitedBody {
	for body != nil {
		switch b := body.(type) {
		case *limitedBody:
			return b
		case *deadlineBody:
			body = b.ReadCloser
		default:
			return nil
		}
	}
	return nil
}

// ---- Host allow-list ----

// LoopbackHosts are the Host names of a server bound to a loopback
// address: what a DNS-rebinding page cannot make a browser send.
var LoopbackHosts = []string{"localhost", ".localhost", "127.0.0.0/8", "::1"}

// hostList is --allowed-hosts: "*", "host", "host:port", ".suffix" (the
// domain and its subdomains) or an IP network ("127.0.0.0/8"). No entries
// means any host: the server's configuration picks the default.
type hostList struct {
	any      bool
	names    map[string]bool // host without port
	withPort map[string]bool // host:port
	suffixes []string        // ".example.com"
	nets     []*net.IPNet
}

func parseHosts(entries []string) hostList {
	h := hostList{names: map[string]bool{}, withPort: map[string]bool{}}
	for _, e := range entries {
		e = strings.ToLower(strings.TrimSpace(e))
		if _, n, err := net.ParseCIDR(e); err == nil {
			h.nets = append(h.nets, n)
			continue
		}
		switch {
		case e == "":
		case e == "*":
			h.any = true
		case strings.HasPrefix(e, "."):
			h.suffixes = append(h.suffixes, e)
		default:
			if host, port, err := net.SplitHostPort(e); err == nil && port != "" {
				h.withPort[net.JoinHostPort(host, port)] = true
			} else {
				h.names[strings.Trim(e, "[]")] = true
			}
		}
	}
	if len(h.names) == 0 && len(h.withPort) == 0 && len(h.suffixes) == 0 && len(h.nets) == 0 {
		h.any = true
	}
	return h
}

// splitHost splits a Host header into a lower-case host and its port.
func splitHost(hostport string) (host, port string) {
	hostport = strings.ToLower(hostport)
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		return h, p
	}
	return strings.Trim(hostport, "[]"), ""
}

func (h hostList) allows(hostport string) bool {
	if h.any {
		return true
	}
	host, port := splitHost(hostport)
	if h.names[host] || (port != "" && h.withPort[net.JoinHostPort(host, port)]) {
		return true
	}
	for _, s := range h.suffixes {
		if host == s[1:] || strings.HasSuffix(host, s) {
			return true
		}
	}
	if ip := net.ParseIP(host); ip != nil {
		for _, n := range h.nets {
			if n.Contains(ip) {
				return true
			}
		}
	}
	return false
}

func (g *guard) hostAllowed(r *http.Request) bool {
	if g.hosts.allows(r.Host) || (g.bound != "" && strings.ToLower(r.Host) == g.bound) {
		return true
	}
	// Health checks name the server by IP (the healthcheck command,
	// Kubernetes probes): an IP literal is never a rebound DNS name.
	if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
		host, _ := splitHost(r.Host)
		return net.ParseIP(host) != nil
	}
	return false
}

// ---- Cross-site requests ----

// crossSite reports a state-changing request that a page on another origin
// could have sent without a preflight: a form or text body (or none), from a
// foreign Origin, without a header that forces a preflight. Requests without
// Origin (curl, scripts, jobs) are not a browser's and pass.
func (g *guard) crossSite(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err == nil && mt != "multipart/form-data" && mt != "application/x-www-form-urlencoded" && mt != "text/plain" {
			return false // only a preflighted request can carry it
		}
	}
	for _, h := range PreflightHeaders {
		v := r.Header.Get(h)
		// A browser attaches Basic credentials it cached for a proxy to
		// simple requests by itself; only a Bearer token needs a script.
		if v != "" && (h != "Authorization" || strings.HasPrefix(v, "Bearer ")) {
			return false
		}
	}
	return !g.originAllowed(r, origin)
}

func (g *guard) originAllowed(r *http.Request, origin string) bool {
	if origin == "null" {
		return false // sandboxed frames, file: pages, redirects
	}
	if g.anyOrigin {
		return true
	}
	for _, o := range g.origins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	// The server's own pages. Either scheme: TLS often ends in a proxy.
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Host, r.Host)
}
