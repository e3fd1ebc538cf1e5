package mlrunapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// MLRun's artifact documents ({kind, metadata, spec, status}) travel as
// loose JSON: their spec differs by kind and grows with each MLRun release.
// The document the client stored is kept whole in the version's extra
// ({"mlrun": doc}), so that reading it back gives the client every field
// it wrote (extra_data, producer, inputs, …); the fields Artigraph knows
// (labels, model metrics, dataset schema, sources) are also recorded as
// Artigraph's own, so GraphQL shows them.

type object = map[string]any

func sub(m object, key string) object {
	o, _ := m[key].(object)
	return o
}

func str(m object, key string) string {
	s, _ := m[key].(string)
	return s
}

// intOf reads a JSON number (or a decimal string) as an int.
func intOf(v any) (int, bool) {
	switch n := v.(type) {
	case float64:
		return int(n), n == float64(int(n))
	case string:
		var i int
		_, err := fmt.Sscanf(n, "%d", &i)
		return i, err == nil
	}
	return 0, false
}

func raw(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

// kindOf maps MLRun's kind names ("model", "feature-vector") to
// Artigraph's; kinds Artigraph has no name for are generic artifacts (the
// stored document keeps the client's kind).
func kindOf(k string) lineage.Kind {
	kind := lineage.Kind(strings.ReplaceAll(strings.ToUpper(k), "-", "_"))
	if k == "" || !kind.Valid() {
		return lineage.KindArtifact
	}
	return kind
}

// logRequest translates a store_artifact call into an MLRunLog.
func logRequest(project, key string, doc object, tag, tree string, iter *int) (lineage.MLRunLog, error) {
	meta, spec := sub(doc, "metadata"), sub(doc, "spec")
	req := lineage.MLRunLog{Tree: firstOf(tree, str(meta, "tree"))}
	lr := &req.LogRequest
	lr.Project, lr.Key, lr.Kind = project, key, kindOf(str(doc, "kind"))
	lr.Tag = firstOf(tag, str(meta, "tag"))
	if iter != nil {
		lr.Iteration = *iter
	} else if n, ok := intOf(meta["iter"]); ok {
		lr.Iteration = n
	}
	lr.Description = str(meta, "description")
	for k, v := range sub(meta, "labels") {
		l := lineage.Label{Key: k}
		if v != nil {
			s := fmt.Sprint(v)
			l.Value = &s
		}
		lr.Labels = append(lr.Labels, l)
	}
	lineage.SortLabels(lr.Labels)
	lr.Format = str(spec, "format")
	if target := str(spec, "target_path"); target != "" {
		lr.TargetPath = target
		if n, ok := intOf(spec["size"]); ok {
			size := int64(n)
			lr.KnownSize = &size
		}
	} else {
		// An inline artifact (its body is in the document) or one without
		// content (a link): Artigraph stores what there is.
		body := str(spec, "body")
		lr.Body = &body
	}
	if srcs, ok := spec["sources"].([]any); ok {
		for _, s := range srcs {
			if p := str(asObject(s), "path"); p != "" && (strings.HasPrefix(p, lineage.URIScheme) || lineage.IsURL(p) || strings.HasPrefix(p, "/")) {
				lr.Sources = append(lr.Sources, p)
			}
		}
	}
	switch lr.Kind {
	case lineage.KindModel:
		lr.Model = &lineage.ModelInfo{ModelFile: str(spec, "model_file"), Framework: str(spec, "framework"),
			Algorithm: str(spec, "algorithm"), Metrics: raw(spec["metrics"]), Parameters: raw(spec["parameters"]),
			FeatureVector: str(spec, "feature_vector")}
	case lineage.KindDataset:
		ds := &lineage.DatasetInfo{Schema: raw(spec["schema"]), Stats: raw(spec["stats"])}
		if hs, ok := spec["header"].([]any); ok {
			for _, h := range hs {
				ds.Header = append(ds.Header, fmt.Sprint(h))
			}
		}
		if n, ok := intOf(spec["length"]); ok {
			ds.Length = &n
		}
		if rows, ok := spec["preview"].([]any); ok {
			for _, row := range rows {
				if cells, ok := row.([]any); ok {
					ds.Preview = append(ds.Preview, cells)
				}
			}
		}
		lr.Dataset = ds
	}
	// What identifies the version is its content; the tag, uid and times
	// the client put in its copy are Artigraph's to give.
	kept := object{}
	for k, v := range doc {
		kept[k] = v
	}
	m := object{}
	for k, v := range meta {
		switch k {
		case "tag", "uid", "updated", "created", "tree":
		default:
			m[k] = v
		}
	}
	kept["metadata"] = m
	lr.Extra = raw(object{"mlrun": kept})
	return req, nil
}

func asObject(v any) object { o, _ := v.(object); return o }

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// tagOf is the tag an entry shows: the one asked for, else "latest" when
// the version holds it, else its first tag.
func tagOf(v lineage.Version, asked string) string {
	switch {
	case asked != "" && asked != lineage.TagAll && v.HasTag(asked):
		return asked
	case v.HasTag(lineage.TagLatest):
		return lineage.TagLatest
	case len(v.Tags) > 0:
		return v.Tags[0]
	}
	return ""
}

// document is v as MLRun's client reads it: the document it stored, or,
// for a version logged through Artigraph's own API, its export, with
// Artigraph's identity, tags, labels and times.
func (h *Handler) document(ctx context.Context, v lineage.Version, askedTag string) (object, error) {
	var doc object
	var extra struct {
		MLRun object `json:"mlrun"`
	}
	if len(v.Extra) > 0 && json.Unmarshal(v.Extra, &extra) == nil && extra.MLRun != nil {
		doc = extra.MLRun
	} else {
		d, err := h.svc.Export(ctx, v, askedTag)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw(d), &doc); err != nil {
			return nil, err
		}
	}
	meta, spec := sub(doc, "metadata"), sub(doc, "spec")
	if meta == nil {
		meta = object{}
	}
	if spec == nil {
		spec = object{}
	}
	meta["key"], meta["project"], meta["iter"], meta["uid"] = v.Key, v.Project, v.Iteration, v.UID
	meta["tree"] = v.Tree
	meta["tag"] = tagOf(v, askedTag)
	meta["created"], meta["updated"] = v.CreatedAt.Format(time.RFC3339Nano), v.UpdatedAt.Format(time.RFC3339Nano)
	if v.Description != "" {
		meta["description"] = v.Description
	}
	delete(meta, "labels")
	if len(v.Labels) > 0 {
		meta["labels"] = labelMap(v.Labels)
	}
	spec["db_key"], spec["target_path"] = v.Key, v.TargetPath
	if v.Size != nil {
		spec["size"] = *v.Size
	}
	doc["metadata"], doc["spec"] = meta, spec
	if _, ok := doc["status"]; !ok {
		doc["status"] = object{"state": "created"}
	}
	if str(doc, "kind") == "" {
		doc["kind"] = strings.ReplaceAll(strings.ToLower(string(v.Kind)), "_", "-")
	}
	return doc, nil
}
