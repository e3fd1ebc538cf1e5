package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// APIError is an error the server answered: its message and its
// extensions.code (or X-Error-Code outside GraphQL).
type APIError struct {
	Message string
	Code    string
}

func (e *APIError) Error() string {
	if e.Code == "" {
		return e.Message
	}
	return fmt.Sprintf("%s (%s)", e.Message, e.Code)
}

// Client talks GraphQL, and plain HTTP for content, to one server.
type Client struct {
	Server string // http://host:port, no trailing slash
	Token  string // sent as a bearer token when set
	HTTP   *http.Client
}

func (c *Client) authorize(req *http.Request) {
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	// A request with this header cannot come from a cross-site form, so
	// the server's CSRF check lets it through (api/guard.go).
	req.Header.Set("Apollo-Require-Preflight", "true")
}

// Do runs one GraphQL operation and decodes its data into out. The first
// GraphQL error, if any, is returned as an *APIError.
func (c *Client) Do(ctx context.Context, query string, vars map[string]any, out any) error {
	raw, err := c.DoRaw(ctx, query, vars)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// DoRaw is Do answering the data as the server sent it.
func (c *Client) DoRaw(ctx context.Context, query string, vars map[string]any) (json.RawMessage, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Server+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	c.authorize(req)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the server at %s: %w", c.Server, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var answer struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(data, &answer); err != nil {
		return nil, httpError(resp, data)
	}
	if len(answer.Errors) > 0 {
		e := answer.Errors[0]
		return nil, &APIError{Message: e.Message, Code: e.Extensions.Code}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, httpError(resp, data)
	}
	return answer.Data, nil
}

// httpError is the error of an answer that is not GraphQL's: its text (or
// the JSON error of the upload route) and X-Error-Code.
func httpError(resp *http.Response, body []byte) error {
	var e struct {
		Error struct{ Message, Code string } `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		return &APIError{Message: e.Error.Message, Code: e.Error.Code}
	}
	msg := strings.TrimSpace(string(body))
	if msg == "" || len(msg) > 500 {
		msg = resp.Status
	}
	return &APIError{Message: msg, Code: resp.Header.Get("X-Error-Code")}
}

// resolve turns a URL the server gave (relative, or a signed blob-store
// URL) into one to request, and says whether it is this server's.
func (c *Client) resolve(u string) (string, bool, error) {
	ref, err := url.Parse(u)
	if err != nil {
		return "", false, err
	}
	if ref.IsAbs() {
		base, _ := url.Parse(c.Server)
		return u, base != nil && base.Host == ref.Host, nil
	}
	return c.Server + u, true, nil
}

// Uploaded is what the upload route answers once the version is committed.
type Uploaded struct {
	URI         string `json:"uri"`
	UID         string `json:"uid"`
	Project     string `json:"project"`
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	Hash        string `json:"hash"`
	TargetPath  string `json:"targetPath"`
	DownloadURL string `json:"downloadUrl"`
}

// Upload logs a file through createUpload and a streamed PUT: the file is
// never held in memory. bar, when not nil, shows the progress.
func (c *Client) Upload(ctx context.Context, input map[string]any, path string, bar *progress) (Uploaded, error) {
	f, err := os.Open(path)
	if err != nil {
		return Uploaded{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Uploaded{}, err
	}
	var ticket struct {
		CreateUpload struct {
			URL string `json:"url"`
		} `json:"createUpload"`
	}
	if err := c.Do(ctx, `mutation($input: LogArtifactInput!) { createUpload(input: $input) { url } }`,
		map[string]any{"input": input}, &ticket); err != nil {
		return Uploaded{}, err
	}
	target, own, err := c.resolve(ticket.CreateUpload.URL)
	if err != nil {
		return Uploaded{}, err
	}
	var body io.Reader = f
	if bar != nil {
		bar.Start(st.Size())
		defer bar.Done()
		body = bar.Reader(f)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, target, io.NopCloser(body))
	if err != nil {
		return Uploaded{}, err
	}
	req.ContentLength = st.Size()
	if st.Size() == 0 {
		req.Body = http.NoBody
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	if own {
		c.authorize(req)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Uploaded{}, fmt.Errorf("upload to %s: %w", c.Server, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Uploaded{}, err
	}
	if resp.StatusCode/100 != 2 {
		return Uploaded{}, httpError(resp, data)
	}
	var up Uploaded
	if err := json.Unmarshal(data, &up); err != nil {
		return Uploaded{}, fmt.Errorf("upload: unexpected answer: %w", err)
	}
	return up, nil
}

// Download streams the content at link to out (a file path, or "" and "-"
// for w), checking it against want ("sha256:<hex>") when known. A file is
// written under a temporary name and renamed once complete.
func (c *Client) Download(ctx context.Context, link, want, out string, w io.Writer, bar *progress) (int64, error) {
	target, own, err := c.resolve(link)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, err
	}
	if own {
		c.authorize(req)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, fmt.Errorf("download from %s: %w", c.Server, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return 0, httpError(resp, data)
	}
	var src io.Reader = resp.Body
	if bar != nil {
		bar.Start(resp.ContentLength)
		defer bar.Done()
		src = bar.Reader(resp.Body)
	}
	h := sha256.New()
	src = io.TeeReader(src, h)
	check := func(n int64) error {
		if resp.ContentLength >= 0 && n != resp.ContentLength {
			return fmt.Errorf("download ended after %d of %d bytes", n, resp.ContentLength)
		}
		if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); strings.HasPrefix(want, "sha256:") && got != want {
			return &APIError{Message: fmt.Sprintf("the content's hash is %s, the version records %s", got, want), Code: "CONFLICT"}
		}
		return nil
	}
	if out == "" || out == "-" {
		n, err := io.CopyBuffer(w, src, make([]byte, copyBuffer))
		if err != nil {
			return n, err
		}
		return n, check(n)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.partial")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	n, err := io.CopyBuffer(struct{ io.Writer }{tmp}, src, make([]byte, copyBuffer))
	if err == nil {
		err = tmp.Sync() // complete on disk before it takes the name
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = check(n)
	}
	if err != nil {
		return n, err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return n, err
	}
	return n, os.Rename(tmp.Name(), out)
}

// copyBuffer is the buffer content streams through: large reads and
// writes keep a 100 MiB transfer near disk speed.
const copyBuffer = 1 << 20

// NewHTTPClient is the client the commands use: the default transport with
// larger buffers for content streams.
func NewHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.WriteBufferSize = 256 << 10
	t.ReadBufferSize = 256 << 10
	return &http.Client{Transport: t}
}

// progress draws a one-line progress bar on a terminal.
type progress struct {
	w     io.Writer
	label string
	total int64
	n     int64
	start time.Time
	last  time.Time
}

func newProgress(w io.Writer, label string) *progress { return &progress{w: w, label: label} }

func (p *progress) Start(total int64) {
	p.total, p.n, p.start = total, 0, time.Now()
	p.draw()
}

func (p *progress) Reader(r io.Reader) io.Reader { return &progressReader{r: r, p: p} }

func (p *progress) add(n int) {
	p.n += int64(n)
	if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond {
		p.draw()
	}
}

func (p *progress) draw() {
	p.last = time.Now()
	rate := ""
	if d := time.Since(p.start).Seconds(); d > 0.2 {
		rate = fmt.Sprintf(" %s/s", size(int64(float64(p.n)/d)))
	}
	if p.total <= 0 {
		fmt.Fprintf(p.w, "\r%s %s%s\x1b[K", p.label, size(p.n), rate)
		return
	}
	const width = 30
	done := int(float64(width) * float64(p.n) / float64(p.total))
	done = min(max(done, 0), width)
	fmt.Fprintf(p.w, "\r%s [%s%s] %3d%% %s / %s%s\x1b[K", p.label, strings.Repeat("=", done), strings.Repeat(" ", width-done),
		100*p.n/p.total, size(p.n), size(p.total), rate)
}

func (p *progress) Done() {
	p.draw()
	fmt.Fprintln(p.w)
}

type progressReader struct {
	r io.Reader
	p *progress
}

func (r *progressReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.p.add(n)
	return n, err
}

// size is n bytes for people: 1.5 MiB.
func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
