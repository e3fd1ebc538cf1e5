package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/mlrunyaml"
)

// ContentPath and YAMLPath are where a version's content and metadata are
// downloaded from; the GraphQL downloadUrl field points at ContentPath
// (ContentURL: signed under --auth token).
func ContentPath(v lineage.Version) string {
	return "/api/v1/artifacts/" + v.Project + "/" + v.UID + "/content"
}

// UploadPath is where an upload ticket's content is PUT.
func UploadPath(ticket string) string { return "/api/v1/uploads/" + ticket }

func YAMLPath(v lineage.Version) string {
	return "/api/v1/artifacts/" + v.Project + "/" + v.UID + "/yaml"
}

// Query parameters of a signed download link.
const (
	linkExpires   = "expires"
	linkSignature = "signature"
)

// ContentURL is where a browser fetches v's content from this server:
// ContentPath, with a signed link (?expires=<unix>&signature=<sig>) when
// the server needs tokens, so that following it needs no header.
func ContentURL(ctx context.Context, svc *lineage.Service, v lineage.Version) (string, error) {
	u := ContentPath(v)
	l, ok, err := svc.SignLink(ctx, v)
	if err != nil || !ok {
		return u, err
	}
	q := url.Values{linkExpires: {strconv.FormatInt(l.Expires.Unix(), 10)}, linkSignature: {l.Signature}}
	return u + "?" + q.Encode(), nil
}

// signedLink is the signed link a content request carries, if any: either
// parameter makes it one (a link missing a part is refused, not ignored).
func signedLink(r *http.Request) (lineage.SignedLink, bool) {
	q := r.URL.Query()
	if !q.Has(linkExpires) && !q.Has(linkSignature) {
		return lineage.SignedLink{}, false
	}
	l := lineage.SignedLink{Project: r.PathValue("project"), UID: r.PathValue("uid"), Signature: q.Get(linkSignature)}
	if n, err := strconv.ParseInt(q.Get(linkExpires), 10, 64); err == nil {
		l.Expires = time.Unix(n, 0)
	}
	return l, true
}

type downloads struct {
	svc *lineage.Service
	log *slog.Logger
	// timeout bounds each route's metadata work (lookups, exports), as
	// GraphQL's requests are bounded. Content streams are bounded by the
	// connection's idle timeouts instead: a large blob may take longer.
	timeout time.Duration
}

// bounded is r's context under the request deadline.
func (d downloads) bounded(r *http.Request) (context.Context, context.CancelFunc) {
	if d.timeout <= 0 {
		return context.WithCancel(r.Context())
	}
	return context.WithTimeout(r.Context(), d.timeout)
}

// version finds the version a download URL names, answering the error itself.
func (d downloads) version(w http.ResponseWriter, r *http.Request) (lineage.Version, bool) {
	ctx, cancel := d.bounded(r)
	defer cancel()
	v, err := d.svc.VersionIn(ctx, r.PathValue("project"), r.PathValue("uid"))
	if err != nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		d.fail(w, r, err)
		return lineage.Version{}, false
	}
	return v, true
}

// content streams a version's content. Local files are served with
// http.ServeContent, which honours Range and conditional requests. Content
// is read only through the Service, which serves nothing outside the blob
// roots (data logged in place elsewhere, the metadata store).
func (d downloads) content(w http.ResponseWriter, r *http.Request) {
	// A signed link (downloadUrl under --auth token) authorises this one
	// version instead of a bearer token.
	if l, ok := signedLink(r); ok {
		ctx, err := d.svc.AuthenticateLink(r.Context(), l)
		if err != nil {
			d.fail(w, r, err)
			return
		}
		r = r.WithContext(ctx)
	}
	v, ok := d.version(w, r)
	if !ok {
		return
	}
	if r.URL.Query().Get("verify") == "1" {
		if err := d.verify(r, v); err != nil {
			d.fail(w, r, err)
			return
		}
	}
	b, err := d.svc.OpenContent(r.Context(), v)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	defer b.Close()
	name := path.Base(d.svc.ContentLocation(v))
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("X-Content-Type-Options", "nosniff")
	if v.Hash != "" {
		h.Set("ETag", strconv.Quote(v.Hash))
	}
	if b.Seeker != nil {
		http.ServeContent(w, r, "", v.UpdatedAt, b.Seeker)
		return
	}
	// Stores without seeking (GCS) serve one byte range by reading only it.
	h.Set("Accept-Ranges", "bytes")
	if start, length, ok := singleRange(r.Header.Get("Range"), b.Size); ok {
		b.Close()
		rc, err := d.svc.OpenContentRange(r.Context(), v, start, length)
		if err != nil {
			d.fail(w, r, err)
			return
		}
		defer rc.Close()
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, start+length-1, b.Size))
		h.Set("Content-Length", strconv.FormatInt(length, 10))
		w.WriteHeader(http.StatusPartialContent)
		d.copy(w, r, rc, v)
		return
	}
	h.Set("Content-Length", strconv.FormatInt(b.Size, 10))
	d.copy(w, r, b, v)
}

func (d downloads) copy(w http.ResponseWriter, r *http.Request, src io.Reader, v lineage.Version) {
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, src); err != nil {
		d.log.WarnContext(r.Context(), "download interrupted", "uid", v.UID, "err", err)
	}
}

// singleRange parses "bytes=a-b", "bytes=a-" or "bytes=-n" against size.
// Anything else (several ranges, garbage) is served whole, as RFC 9110 allows.
func singleRange(header string, size int64) (start, length int64, ok bool) {
	spec, found := strings.CutPrefix(header, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false
	}
	a, b, _ := strings.Cut(spec, "-")
	switch {
	case a == "":
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, false
		}
		n = min(n, size)
		return size - n, n, n > 0
	default:
		s, err := strconv.ParseInt(a, 10, 64)
		if err != nil || s < 0 || s >= size {
			return 0, 0, false
		}
		end := size - 1
		if b != "" {
			e, err := strconv.ParseInt(b, 10, 64)
			if err != nil || e < s {
				return 0, 0, false
			}
			end = min(e, size-1)
		}
		return s, end - s + 1, true
	}
}

// verify reads the content once to check it against the recorded hash.
func (d downloads) verify(r *http.Request, v lineage.Version) error {
	err := d.svc.VerifyContent(r.Context(), v)
	if lineage.ErrorCode(err) == lineage.ECONFLICT {
		d.log.ErrorContext(r.Context(), "content does not match its hash", "uid", v.UID, "recorded", v.Hash)
	}
	return err
}

// uploadTimeout is how long one upload's body may take to arrive: far more
// than the server's read timeout for ordinary requests.
const uploadTimeout = time.Hour

// upload streams a PUT body to an upload ticket's target path. A body that
// ends before its Content-Length (the client went away) is the client's
// failure: 400, logged at INFO, and nothing is left behind; the ticket stays
// valid until it expires, so the client may retry.
func (d downloads) upload(w http.ResponseWriter, r *http.Request) {
	// Past the server's read timeout; the guard keeps moving the deadline
	// while the body arrives.
	_ = ExtendReadDeadline(w, uploadTimeout)
	if limit := d.svc.Config.MaxUploadBytes; limit > 0 && r.ContentLength > limit {
		d.fail(w, r, lineage.Errorf(lineage.ELIMIT, "the body of %d bytes is larger than the upload limit of %d bytes", r.ContentLength, limit))
		return
	}
	body := &bodyReader{r: r.Body, announced: r.ContentLength}
	v, err := d.svc.CompleteUpload(r.Context(), r.PathValue("ticket"), body)
	if err != nil {
		if body.short != nil {
			d.log.InfoContext(r.Context(), "upload body ended early", "read", body.n, "announced", r.ContentLength, "err", body.readErr)
			err = body.short
		}
		d.fail(w, r, err)
		return
	}
	download, err := ContentURL(r.Context(), d.svc, v)
	if err != nil {
		download = ContentPath(v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]any{
		"uri": lineage.CanonicalURI(v, ""), "uid": v.UID, "project": v.Project, "key": v.Key,
		"size": v.Size, "hash": v.Hash, "targetPath": v.TargetPath, "downloadUrl": download,
	})
}

// bodyReader counts a request body and turns its failure to arrive whole
// (a closed connection, a broken chunked encoding) into a coded error, so
// the blob store fails the write instead of keeping a short blob.
type bodyReader struct {
	r         io.Reader
	n         int64
	announced int64 // Content-Length, -1 when unknown
	short     error // set when the body broke off
	readErr   error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if err == nil || err == io.EOF {
		return n, err
	}
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return n, err
	}
	b.readErr = err
	if b.announced >= 0 {
		b.short = lineage.Errorf(lineage.EINVALID, "the body ended after %d of %d bytes", b.n, b.announced)
	} else {
		b.short = lineage.Errorf(lineage.EINVALID, "the body ended after %d bytes, before it was complete", b.n)
	}
	return n, b.short
}

// yaml downloads a version's metadata as MLRun YAML.
func (d downloads) yaml(w http.ResponseWriter, r *http.Request) {
	v, ok := d.version(w, r)
	if !ok {
		return
	}
	ctx, cancel := d.bounded(r)
	defer cancel()
	doc, err := d.svc.Export(ctx, v, "")
	if err != nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	out, err := mlrunyaml.Encode(doc)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": v.Key + ".yaml"}))
	io.WriteString(w, out)
}

var httpStatus = map[string]int{
	lineage.ENOTFOUND:     http.StatusNotFound,
	lineage.EINVALID:      http.StatusBadRequest,
	lineage.ECONFLICT:     http.StatusConflict,
	lineage.EUNAUTHORIZED: http.StatusUnauthorized,
	lineage.EFORBIDDEN:    http.StatusForbidden,
	lineage.ELIMIT:        http.StatusRequestEntityTooLarge,
	lineage.EUNAVAILABLE:  http.StatusServiceUnavailable,
}

// fail answers a plain-HTTP error with the same codes GraphQL uses.
func (d downloads) fail(w http.ResponseWriter, r *http.Request, err error) {
	if code, msg, ok := interrupted(r.Context(), err); ok {
		d.failInterrupted(w, r, code, msg)
		return
	}
	code := lineage.ErrorCode(err)
	status, ok := httpStatus[code]
	if !ok {
		status = http.StatusInternalServerError
		var e *lineage.Error
		if !errors.As(err, &e) {
			d.log.ErrorContext(r.Context(), "download failed", "err", err)
		}
	}
	w.Header().Set("X-Error-Code", graphqlCodes[code])
	if strings.HasPrefix(r.URL.Path, "/api/v1/uploads/") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{
			"message": lineage.ErrorMessage(err), "code": graphqlCodes[code]}})
		return
	}
	http.Error(w, lineage.ErrorMessage(err), status)
}

// failInterrupted answers a request stopped at its deadline (504) or left
// by its client (nobody reads the answer), logged once like GraphQL's.
func (d downloads) failInterrupted(w http.ResponseWriter, r *http.Request, code, msg string) {
	status := http.StatusServiceUnavailable
	if code == "LIMIT_EXCEEDED" {
		status = http.StatusGatewayTimeout
		d.log.WarnContext(r.Context(), "request stopped at its deadline", "path", r.URL.Path)
	} else {
		d.log.InfoContext(r.Context(), "request canceled by its client", "path", r.URL.Path)
	}
	w.Header().Set("X-Error-Code", code)
	http.Error(w, msg, status)
}
