package mlrunapi

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// iterParam reads an optional ?iter=N.
func iterParam(q url.Values) (*int, error) {
	s := q.Get("iter")
	if s == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return nil, lineage.Errorf(lineage.EINVALID, "iter must be a non-negative integer, not %q", s)
	}
	return &n, nil
}

// storeArtifact is store_artifact (PUT /projects/{p}/artifacts/{key}):
// the client wrote the content at spec.target_path and sends the document.
func (h *Handler) storeArtifact(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	iter, err := iterParam(q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var doc object
	if err := readJSON(r, &doc); err != nil {
		h.fail(w, r, err)
		return
	}
	if doc == nil {
		h.fail(w, r, lineage.Errorf(lineage.EINVALID, "the artifact document is missing"))
		return
	}
	req, err := logRequest(r.PathValue("project"), r.PathValue("key"), doc, q.Get("tag"), q.Get("tree"), iter)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.svc.LogMLRunArtifact(r.Context(), req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out, err := h.document(r.Context(), v, req.Tag)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// artifactURI is the store:// URI of MLRun's (key, tag, iter, tree, uid)
// identification. A uid names one version: the client sends tag=latest
// with it by default, which must not hide a version that lost the tag.
func artifactURI(project, key, tag string, iter *int, tree, uid string) string {
	u := lineage.URI{Prefix: lineage.PrefixArtifacts, Project: project, Key: key, Iteration: iter, Tag: tag, Tree: tree, UID: uid}
	if uid != "" {
		u.Tag = ""
	}
	return u.String()
}

// readArtifact is read_artifact (GET /projects/{p}/artifacts/{key}).
func (h *Handler) readArtifact(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	iter, err := iterParam(q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	tag := q.Get("tag")
	uri := artifactURI(r.PathValue("project"), r.PathValue("key"), tag, iter, q.Get("tree"), q.Get("object-uid"))
	v, _, err := h.svc.Resolve(r.Context(), uri)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out, err := h.document(r.Context(), v, tag)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// deleteArtifact is del_artifact: a uid names one version, a tag the
// version holding it, a tree every version of that tree, nothing every
// version of the key (MLRun's semantics), always within ?iter when given.
func (h *Handler) deleteArtifact(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	iter, err := iterParam(q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	strategy, err := lineage.ParseMLRunDeletionStrategy(q.Get("deletion_strategy"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	tag, tree, uid := q.Get("tag"), q.Get("tree"), q.Get("object-uid")
	if tag == "" && uid == "" && tree == "" {
		tag = lineage.TagAll
	}
	uri := artifactURI(r.PathValue("project"), r.PathValue("key"), tag, iter, tree, uid)
	res, err := h.svc.DeleteMLRunArtifact(r.Context(), uri, strategy)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, n := range res.Notices {
		h.log.InfoContext(r.Context(), "mlrun artifact deletion", "uri", uri, "notice", n)
	}
	w.WriteHeader(http.StatusNoContent)
}

// maxSkipped is how many versions a page number may skip.
const maxSkipped = 100_000

// listQuery is a list_artifacts call's filters, kept in the page token so
// that the next page, asked with the token alone, lists the same thing.
type listQuery struct {
	Filter   url.Values `json:"q"`
	After    string     `json:"after,omitempty"`
	Page     int        `json:"page"`
	PageSize int        `json:"size"`
}

func (lq listQuery) token() string {
	b, _ := json.Marshal(lq)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseToken(s string) (listQuery, error) {
	var lq listQuery
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &lq) != nil || lq.PageSize <= 0 {
		// MLRun's server answers an unknown or expired token with 404; its
		// client then stops paging.
		return lq, lineage.Errorf(lineage.ENOTFOUND, "page token unknown or expired")
	}
	return lq, nil
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999-07:00", "2006-01-02"}

func timeParam(q url.Values, name string) (*time.Time, error) {
	s := q.Get(name)
	if s == "" {
		return nil, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, lineage.Errorf(lineage.EINVALID, "%s: %q is not an ISO 8601 time", name, s)
}

// versionFilter translates list_artifacts' filters.
func versionFilter(q url.Values) (f lineage.VersionFilter, category string, best bool, err error) {
	if name := q.Get("name"); strings.HasPrefix(name, "~") {
		f.KeyContains = name[1:]
	} else {
		f.Key = name
	}
	if tag := q.Get("tag"); tag != lineage.TagAll {
		f.Tag = tag
	}
	for _, l := range q["label"] {
		for _, part := range strings.Split(l, ",") {
			if part = strings.TrimSpace(part); part != "" {
				f.Labels = append(f.Labels, part)
			}
		}
	}
	if f.Iteration, err = iterParam(q); err != nil {
		return
	}
	if k := q.Get("kind"); k != "" {
		f.Kind = lineage.Kind(strings.ReplaceAll(strings.ToUpper(k), "-", "_"))
	}
	f.Tree = q.Get("tree")
	f.Producer = q.Get("producer_uri")
	if f.Since, err = timeParam(q, "since"); err != nil {
		return
	}
	if f.Until, err = timeParam(q, "until"); err != nil {
		return
	}
	best = q.Get("best-iteration") == "true" || q.Get("best-iteration") == "True"
	for _, unsupported := range []string{"parent", "partition-by"} {
		if q.Get(unsupported) != "" {
			err = lineage.Errorf(lineage.EINVALID, "the %s filter is not supported by this server", unsupported)
			return
		}
	}
	return f, q.Get("category"), best, nil
}

// listArtifacts is list_artifacts (GET /projects/{p}/artifacts), paged as
// MLRun pages: page and page-size, then a page-token for the next page.
func (h *Handler) listArtifacts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var lq listQuery
	if tok := q.Get("page-token"); tok != "" {
		var err error
		if lq, err = parseToken(tok); err != nil {
			h.fail(w, r, err)
			return
		}
	} else {
		lq.Filter = url.Values{}
		for k, vs := range q {
			switch k {
			case "page", "page-size", "page-token", "format":
			default:
				lq.Filter[k] = vs
			}
		}
		lq.Page, lq.PageSize = 1, h.svc.Config.MaxPageSize
		if s := q.Get("page"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				h.fail(w, r, lineage.Errorf(lineage.EINVALID, "page must be a positive integer, not %q", s))
				return
			}
			lq.Page = n
		}
		if s := q.Get("page-size"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				h.fail(w, r, lineage.Errorf(lineage.EINVALID, "page-size must be a positive integer, not %q", s))
				return
			}
			lq.PageSize = n
		}
		// MLRun's server caps the page size too; the client follows the
		// page token for the rest.
		if max := h.svc.Config.MaxPageSize; max > 0 && lq.PageSize > max {
			lq.PageSize = max
		}
		// A page number is reached by walking from the first page: bound
		// the walk as every list is bounded.
		if (lq.Page-1)*lq.PageSize > maxSkipped {
			h.fail(w, r, lineage.Errorf(lineage.ELIMIT, "page %d of %d is too far: follow the page-token instead", lq.Page, lq.PageSize))
			return
		}
	}
	f, category, best, err := versionFilter(lq.Filter)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	project := r.PathValue("project")
	page := lineage.Page{First: lq.PageSize, After: lq.After}
	var p lineage.VersionPage
	// A page number without a token: walk there from the start.
	for i := 1; ; i++ {
		p, err = h.svc.ListMLRunArtifacts(r.Context(), project, f, category, best, page)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if lq.After != "" || i >= lq.Page || !p.HasNext {
			if lq.After == "" && i < lq.Page {
				p.Versions = nil // past the last page
			}
			break
		}
		page.After = p.EndCursor
	}
	items := []any{}
	asked := lq.Filter.Get("tag")
	for _, v := range p.Versions {
		d, err := h.document(r.Context(), v, asked)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		items = append(items, d)
	}
	pagination := object{"page": lq.Page, "page-size": lq.PageSize, "page-token": nil}
	if p.HasNext {
		next := listQuery{Filter: lq.Filter, After: p.EndCursor, Page: lq.Page + 1, PageSize: lq.PageSize}
		pagination["page-token"] = next.token()
	}
	writeJSON(w, http.StatusOK, object{"artifacts": items, "pagination": pagination})
}

// tagObjects is MLRun's body for tagging: {"kind": "artifact",
// "identifiers": [{"key", "iter", "uid", "producer_id"}]}.
type tagObjects struct {
	Kind        string `json:"kind"`
	Identifiers []struct {
		Key        string `json:"key"`
		Iter       *int   `json:"iter"`
		UID        string `json:"uid"`
		ProducerID string `json:"producer_id"`
	} `json:"identifiers"`
}

func (h *Handler) tagArtifacts(w http.ResponseWriter, r *http.Request)   { h.changeTags(w, r, true) }
func (h *Handler) untagArtifacts(w http.ResponseWriter, r *http.Request) { h.changeTags(w, r, false) }

// changeTags is tag_artifacts (PUT appends, POST replaces: either way a
// tag names one version of a key and iteration, so both move it) and
// delete_artifacts_tags.
func (h *Handler) changeTags(w http.ResponseWriter, r *http.Request, add bool) {
	var body tagObjects
	if err := readJSON(r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	if body.Kind != "" && body.Kind != "artifact" {
		h.fail(w, r, lineage.Errorf(lineage.EINVALID, "only artifacts can be tagged here, not %q", body.Kind))
		return
	}
	project, tag := r.PathValue("project"), r.PathValue("tag")
	for _, id := range body.Identifiers {
		uri := artifactURI(project, id.Key, "", id.Iter, id.ProducerID, id.UID)
		var err error
		if add {
			_, err = h.svc.TagArtifact(r.Context(), uri, tag)
		} else {
			_, err = h.svc.UntagArtifact(r.Context(), uri, tag)
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, object{"name": tag, "kind": "artifact", "identifiers": body.Identifiers})
}
