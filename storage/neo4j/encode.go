package neo4j

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// Times are stored as int64 Unix nanoseconds: exact, and compared as plain
// integers by the keyset cursors. The zero time is stored as the smallest
// int64 and read back as the zero time; times beyond what int64 nanoseconds
// hold (before 1678, after 2262) are clamped.

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

func encTime(t time.Time) int64 {
	switch {
	case t.IsZero() || !t.After(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

func decTime(n int64) time.Time {
	if n == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func encTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return encTime(*t)
}

// encLabels stores labels as JSON, keeping their order and telling a missing
// value from an empty one; nil when there are none.
func encLabels(ls []lineage.Label) (any, error) {
	if len(ls) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(ls)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func decLabels(v any) ([]lineage.Label, error) {
	s, _ := v.(string)
	if s == "" {
		return nil, nil
	}
	var ls []lineage.Label
	if err := json.Unmarshal([]byte(s), &ls); err != nil {
		return nil, fmt.Errorf("stored labels: %w", err)
	}
	return ls, nil
}

// labelIndex returns what label filters compare with: every key, and a
// "k=v" entry for the first label of each key when it has a value, as
// lineage.LabelSelector.Matches looks at the first label of the key only.
// The pair is JSON encoded, so that no key or value containing "=" can make
// two pairs alike.
func labelIndex(ls []lineage.Label) (keys, pairs []string) {
	keys, pairs = []string{}, []string{}
	seen := map[string]bool{}
	for _, l := range ls {
		if seen[l.Key] {
			continue
		}
		seen[l.Key] = true
		keys = append(keys, l.Key)
		if l.Value != nil {
			pairs = append(pairs, labelPair(l.Key, *l.Value))
		}
	}
	return keys, pairs
}

func labelPair(k, v string) string {
	b, _ := json.Marshal([2]string{k, v})
	return string(b)
}

// encJSON stores an optional structured value as a JSON string.
func encJSON[T any](p *T) (any, error) {
	if p == nil {
		return nil, nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func decJSON[T any](v any) (*T, error) {
	s, _ := v.(string)
	if s == "" {
		return nil, nil
	}
	var out T
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// versionProps returns the properties of a Version node. Tags are not among
// them: they are Tag nodes whose holder is the version's uid.
func versionProps(v lineage.Version) (map[string]any, error) {
	labels, err := encLabels(v.Labels)
	if err != nil {
		return nil, err
	}
	keys, pairs := labelIndex(v.Labels)
	dataset, err := encJSON(v.Dataset)
	if err != nil {
		return nil, lineage.Errorf(lineage.EINVALID, "artifact version %q: dataset metadata is not valid JSON", v.UID)
	}
	model, err := encJSON(v.Model)
	if err != nil {
		return nil, lineage.Errorf(lineage.EINVALID, "artifact version %q: model metadata is not valid JSON", v.UID)
	}
	var extra any
	if len(v.Extra) > 0 {
		if !json.Valid(v.Extra) {
			return nil, lineage.Errorf(lineage.EINVALID, "artifact version %q: extra is not valid JSON", v.UID)
		}
		extra = string(v.Extra)
	}
	var size any
	if v.Size != nil {
		size = *v.Size
	}
	var runProject, runUID any
	if v.Run != nil {
		runProject, runUID = v.Run.Project, v.Run.UID
	}
	var external any
	if len(v.ExternalSources) > 0 {
		external = v.ExternalSources
	}
	props := map[string]any{
		"uid":             v.UID,
		"project":         v.Project,
		"key":             v.Key,
		"keyLower":        strings.ToLower(v.Key),
		"kind":            string(v.Kind),
		"iteration":       int64(v.Iteration),
		"tree":            v.Tree,
		"labels":          labels,
		"labelKeys":       keys,
		"labelPairs":      pairs,
		"description":     v.Description,
		"createdAt":       encTime(v.CreatedAt),
		"updatedAt":       encTime(v.UpdatedAt),
		"targetPath":      v.TargetPath,
		"format":          v.Format,
		"size":            size,
		"hash":            v.Hash,
		"stored":          v.Stored,
		"runProject":      runProject,
		"runUid":          runUID,
		"producerKind":    v.Producer.Kind,
		"producerName":    v.Producer.Name,
		"producerUri":     v.Producer.URI,
		"producerOwner":   v.Producer.Owner,
		"owner":           v.Owner,
		"externalSources": external,
		"dataset":         dataset,
		"model":           model,
		"extra":           extra,
	}
	// Empty optional strings are not stored: a property costs its write and
	// its index entries (tree and targetPath are indexed), and decVersion
	// reads an absent one as "". No query compares them with "".
	for _, k := range []string{"tree", "description", "targetPath", "format", "hash", "producerKind", "producerName", "producerUri", "producerOwner", "owner"} {
		if props[k] == "" {
			delete(props, k)
		}
	}
	return props, nil
}

// versionReturn is the projection every query returning versions uses: the
// node's properties and its tags.
const versionReturn = "v{.*, tags: COLLECT { MATCH (t:Tag {holder: v.uid}) RETURN t.name }}"

// decVersion reads a map built by versionReturn.
func decVersion(m map[string]any) (lineage.Version, error) {
	v := lineage.Version{
		UID:         str(m["uid"]),
		Project:     str(m["project"]),
		Key:         str(m["key"]),
		Kind:        lineage.Kind(str(m["kind"])),
		Iteration:   int(num(m["iteration"])),
		Tree:        str(m["tree"]),
		Description: str(m["description"]),
		CreatedAt:   decTime(num(m["createdAt"])),
		UpdatedAt:   decTime(num(m["updatedAt"])),
		TargetPath:  str(m["targetPath"]),
		Format:      str(m["format"]),
		Hash:        str(m["hash"]),
		Stored:      m["stored"] == true,
		Producer: lineage.Producer{
			Kind:  str(m["producerKind"]),
			Name:  str(m["producerName"]),
			URI:   str(m["producerUri"]),
			Owner: str(m["producerOwner"]),
		},
		Owner:           str(m["owner"]),
		Tags:            sortedStrings(m["tags"]),
		ExternalSources: strs(m["externalSources"]),
	}
	if n, ok := m["size"].(int64); ok {
		v.Size = &n
	}
	if p, ok := m["runProject"].(string); ok {
		v.Run = &lineage.RunKey{Project: p, UID: str(m["runUid"])}
	}
	var err error
	if v.Labels, err = decLabels(m["labels"]); err != nil {
		return v, err
	}
	if v.Dataset, err = decJSON[lineage.DatasetInfo](m["dataset"]); err != nil {
		return v, fmt.Errorf("stored dataset of %s: %w", v.UID, err)
	}
	if v.Model, err = decJSON[lineage.ModelInfo](m["model"]); err != nil {
		return v, fmt.Errorf("stored model of %s: %w", v.UID, err)
	}
	if s, ok := m["extra"].(string); ok {
		v.Extra = json.RawMessage(s)
	}
	return v, nil
}

func runProps(r lineage.Run) (map[string]any, error) {
	labels, err := encLabels(r.Labels)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"project":      r.Project,
		"uid":          r.UID,
		"name":         r.Name,
		"state":        string(r.State),
		"user":         r.User,
		"pipeline":     r.Pipeline,
		"artifactPath": r.ArtifactPath,
		"labels":       labels,
		"startedAt":    encTime(r.StartedAt),
		"finishedAt":   encTimePtr(r.FinishedAt),
	}, nil
}

func decRun(m map[string]any) (lineage.Run, error) {
	r := lineage.Run{
		Project:      str(m["project"]),
		UID:          str(m["uid"]),
		Name:         str(m["name"]),
		State:        lineage.RunState(str(m["state"])),
		User:         str(m["user"]),
		Pipeline:     str(m["pipeline"]),
		ArtifactPath: str(m["artifactPath"]),
		StartedAt:    decTime(num(m["startedAt"])),
	}
	if n, ok := m["finishedAt"].(int64); ok {
		t := decTime(n)
		r.FinishedAt = &t
	}
	var err error
	r.Labels, err = decLabels(m["labels"])
	return r, err
}

func projectProps(p lineage.Project) (map[string]any, error) {
	labels, err := encLabels(p.Labels)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"name":         p.Name,
		"description":  p.Description,
		"artifactPath": p.ArtifactPath,
		"labels":       labels,
		"createdAt":    encTime(p.CreatedAt),
	}, nil
}

func decProject(m map[string]any) (lineage.Project, error) {
	p := lineage.Project{
		Name:         str(m["name"]),
		Description:  str(m["description"]),
		ArtifactPath: str(m["artifactPath"]),
		CreatedAt:    decTime(num(m["createdAt"])),
	}
	var err error
	p.Labels, err = decLabels(m["labels"])
	return p, err
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) int64 {
	n, _ := v.(int64)
	return n
}

// strs returns a stored list of strings, nil when absent or empty.
func strs(v any) []string {
	if l, ok := v.([]string); ok {
		return slices.Clone(l)
	}
	l, _ := v.([]any)
	if len(l) == 0 {
		return nil
	}
	out := make([]string, 0, len(l))
	for _, e := range l {
		out = append(out, str(e))
	}
	return out
}

func sortedStrings(v any) []string {
	out := strs(v)
	slices.Sort(out)
	return out
}

// recMap returns a record's first value as a map.
func recMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
