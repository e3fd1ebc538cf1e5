package api

import (
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strconv"

	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/mlrunyaml"
)

// ContentPath and YAMLPath are where a version's content and metadata are
// downloaded from; the GraphQL downloadUrl field points at ContentPath.
func ContentPath(v lineage.Version) string {
	return "/api/v1/artifacts/" + v.Project + "/" + v.UID + "/content"
}

func YAMLPath(v lineage.Version) string {
	return "/api/v1/artifacts/" + v.Project + "/" + v.UID + "/yaml"
}

type downloads struct {
	svc *lineage.Service
	log *slog.Logger
}

// version finds the version a download URL names, answering the error itself.
func (d downloads) version(w http.ResponseWriter, r *http.Request) (lineage.Version, bool) {
	project, uid := r.PathValue("project"), r.PathValue("uid")
	vs, err := d.svc.Store.GetVersions(r.Context(), []string{uid})
	if err != nil {
		d.fail(w, r, err)
		return lineage.Version{}, false
	}
	if len(vs) == 0 || vs[0].Project != project {
		d.fail(w, r, lineage.Errorf(lineage.ENOTFOUND, "no artifact version %s in project %q", uid, project))
		return lineage.Version{}, false
	}
	return vs[0], true
}

// content streams a version's content. Local files are served with
// http.ServeContent, which honours Range and conditional requests.
func (d downloads) content(w http.ResponseWriter, r *http.Request) {
	v, ok := d.version(w, r)
	if !ok {
		return
	}
	b, err := d.svc.Blobs.Open(r.Context(), v.TargetPath)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	defer b.Close()
	name := path.Base(v.TargetPath)
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if v.Hash != "" {
		w.Header().Set("ETag", strconv.Quote(v.Hash))
	}
	if b.Seeker != nil {
		http.ServeContent(w, r, "", v.UpdatedAt, b.Seeker)
		return
	}
	w.Header().Set("Content-Length", strconv.FormatInt(b.Size, 10))
	if _, err := io.Copy(w, b); err != nil {
		d.log.WarnContext(r.Context(), "download interrupted", "uid", v.UID, "err", err)
	}
}

// yaml downloads a version's metadata as MLRun YAML.
func (d downloads) yaml(w http.ResponseWriter, r *http.Request) {
	v, ok := d.version(w, r)
	if !ok {
		return
	}
	doc, err := d.svc.Export(r.Context(), v, "")
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
	http.Error(w, lineage.ErrorMessage(err), status)
}
