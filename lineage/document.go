package lineage

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// Document is a version's metadata in MLRun's kind/metadata/spec/status
// shape: what the yaml field exports and importArtifact reads back. Field
// tags are for any YAML or JSON encoder; this package imports none.
type Document struct {
	Kind     string      `yaml:"kind" json:"kind"`
	Metadata DocMetadata `yaml:"metadata" json:"metadata"`
	Spec     DocSpec     `yaml:"spec" json:"spec"`
	Status   DocStatus   `yaml:"status" json:"status"`
}

type DocMetadata struct {
	Key         string             `yaml:"key" json:"key"`
	Project     string             `yaml:"project" json:"project"`
	Iter        int                `yaml:"iter" json:"iter"`
	Tree        string             `yaml:"tree,omitempty" json:"tree,omitempty"`
	UID         string             `yaml:"uid,omitempty" json:"uid,omitempty"`
	Tag         string             `yaml:"tag,omitempty" json:"tag,omitempty"`
	Tags        []string           `yaml:"tags,omitempty" json:"tags,omitempty"`
	Labels      map[string]*string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Description string             `yaml:"description,omitempty" json:"description,omitempty"`
	Created     *time.Time         `yaml:"created,omitempty" json:"created,omitempty"`
	Updated     *time.Time         `yaml:"updated,omitempty" json:"updated,omitempty"`
}

type DocSource struct {
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	Path string `yaml:"path" json:"path"`
}

type DocSpec struct {
	DBKey      string            `yaml:"db_key" json:"db_key"`
	TargetPath string            `yaml:"target_path" json:"target_path"`
	Format     string            `yaml:"format,omitempty" json:"format,omitempty"`
	Size       *int64            `yaml:"size,omitempty" json:"size,omitempty"`
	Hash       string            `yaml:"hash,omitempty" json:"hash,omitempty"`
	Producer   *Producer         `yaml:"producer,omitempty" json:"producer,omitempty"`
	Sources    []DocSource       `yaml:"sources,omitempty" json:"sources,omitempty"`
	ExtraData  map[string]string `yaml:"extra_data,omitempty" json:"extra_data,omitempty"` // links: relation → uri
	// Dataset
	Schema  any      `yaml:"schema,omitempty" json:"schema,omitempty"`
	Header  []string `yaml:"header,omitempty" json:"header,omitempty"`
	Length  *int     `yaml:"length,omitempty" json:"length,omitempty"`
	Preview [][]any  `yaml:"preview,omitempty" json:"preview,omitempty"`
	Stats   any      `yaml:"stats,omitempty" json:"stats,omitempty"`
	// Model
	ModelFile     string `yaml:"model_file,omitempty" json:"model_file,omitempty"`
	Framework     string `yaml:"framework,omitempty" json:"framework,omitempty"`
	Algorithm     string `yaml:"algorithm,omitempty" json:"algorithm,omitempty"`
	Metrics       any    `yaml:"metrics,omitempty" json:"metrics,omitempty"`
	Parameters    any    `yaml:"parameters,omitempty" json:"parameters,omitempty"`
	FeatureVector string `yaml:"feature_vector,omitempty" json:"feature_vector,omitempty"`
	Extra         any    `yaml:"extra,omitempty" json:"extra,omitempty"`
}

type DocStatus struct {
	State string `yaml:"state" json:"state"`
}

// docKind is MLRun's lowercase kind name.
func docKind(k Kind) string { return strings.ReplaceAll(strings.ToLower(string(k)), "_", "-") }

func kindOfDoc(s string) Kind {
	return Kind(strings.ReplaceAll(strings.ToUpper(s), "-", "_"))
}

// Export builds the Document of v, with its sources and links as URIs.
func (s *Service) Export(ctx context.Context, v Version, askedTag string) (Document, error) {
	if err := s.readsVersion(ctx, v); err != nil {
		return Document{}, err
	}
	node := VersionNode(v)
	edges, err := s.Edges(ctx, []NodeRef{node}, Outgoing, RelDerivedFrom, RelLinksTo)
	if err != nil {
		return Document{}, err
	}
	uids := make([]string, 0, len(edges))
	for _, e := range edges {
		uids = append(uids, e.To.UID)
	}
	targets, err := s.Versions(ctx, uids)
	if err != nil {
		return Document{}, err
	}
	byUID := map[string]Version{}
	for _, t := range targets {
		byUID[t.UID] = t
	}
	d := Document{
		Kind: docKind(v.Kind),
		Metadata: DocMetadata{Key: v.Key, Project: v.Project, Iter: v.Iteration, Tree: v.Tree, UID: v.UID,
			Tag: askedTag, Tags: v.Tags, Description: v.Description, Created: &v.CreatedAt, Updated: &v.UpdatedAt},
		Spec: DocSpec{DBKey: v.Key, TargetPath: v.TargetPath, Format: v.Format, Size: v.Size, Hash: v.Hash,
			Producer: &v.Producer},
		Status: DocStatus{State: "created"},
	}
	if len(v.Labels) > 0 {
		d.Metadata.Labels = map[string]*string{}
		for _, l := range v.Labels {
			d.Metadata.Labels[l.Key] = l.Value
		}
	}
	for _, e := range edges {
		t, ok := byUID[e.To.UID]
		if !ok {
			continue
		}
		switch e.Relation {
		case RelDerivedFrom:
			d.Spec.Sources = append(d.Spec.Sources, DocSource{Name: t.Key, Path: CanonicalURI(t, "")})
		case RelLinksTo:
			if d.Spec.ExtraData == nil {
				d.Spec.ExtraData = map[string]string{}
			}
			d.Spec.ExtraData[e.Name] = CanonicalURI(t, "")
		}
	}
	for _, src := range v.ExternalSources {
		d.Spec.Sources = append(d.Spec.Sources, DocSource{Path: src})
	}
	if ds := v.Dataset; ds != nil {
		d.Spec.Schema, d.Spec.Header, d.Spec.Length, d.Spec.Preview, d.Spec.Stats =
			rawToAny(ds.Schema), ds.Header, ds.Length, ds.Preview, rawToAny(ds.Stats)
	}
	if m := v.Model; m != nil {
		d.Spec.ModelFile, d.Spec.Framework, d.Spec.Algorithm = m.ModelFile, m.Framework, m.Algorithm
		d.Spec.Metrics, d.Spec.Parameters, d.Spec.FeatureVector = rawToAny(m.Metrics), rawToAny(m.Parameters), m.FeatureVector
	}
	d.Spec.Extra = rawToAny(v.Extra)
	return d, nil
}

// ImportRequest reads a Document back into a project.
type ImportRequest struct {
	Doc     Document
	Project string // "" keeps the document's
	NewKey  string // "" keeps the document's
	Tag     string
}

// Import records the version a Document describes, pointing at its content
// in place. When this server can read that content, its sha256 must match
// the document's hash: metadata never points at missing or different data.
func (s *Service) Import(ctx context.Context, req ImportRequest) (Version, error) {
	d := req.Doc
	if d.Metadata.Key == "" || d.Spec.TargetPath == "" {
		return Version{}, Errorf(EINVALID, "the document needs metadata.key and spec.target_path")
	}
	lr := LogRequest{
		Project: firstOf(req.Project, d.Metadata.Project), Key: firstOf(req.NewKey, d.Metadata.Key),
		Kind: kindOfDoc(d.Kind), Iteration: d.Metadata.Iter, Tag: req.Tag, Description: d.Metadata.Description,
		TargetPath: d.Spec.TargetPath, Format: d.Spec.Format, Producer: d.Spec.Producer,
	}
	for k, v := range d.Metadata.Labels {
		lr.Labels = append(lr.Labels, Label{Key: k, Value: v})
	}
	SortLabels(lr.Labels)
	for _, src := range d.Spec.Sources {
		lr.Sources = append(lr.Sources, src.Path)
	}
	for rel, uri := range d.Spec.ExtraData {
		lr.Links = append(lr.Links, LinkRequest{Relation: rel, URI: uri})
	}
	if d.Spec.Schema != nil || d.Spec.Header != nil || d.Spec.Length != nil || d.Spec.Preview != nil || d.Spec.Stats != nil {
		lr.Dataset = &DatasetInfo{Schema: anyToRaw(d.Spec.Schema), Header: d.Spec.Header, Length: d.Spec.Length,
			Preview: d.Spec.Preview, Stats: anyToRaw(d.Spec.Stats)}
	}
	if d.Spec.ModelFile != "" || d.Spec.Framework != "" || d.Spec.Algorithm != "" || d.Spec.Metrics != nil ||
		d.Spec.Parameters != nil || d.Spec.FeatureVector != "" {
		lr.Model = &ModelInfo{ModelFile: d.Spec.ModelFile, Framework: d.Spec.Framework, Algorithm: d.Spec.Algorithm,
			Metrics: anyToRaw(d.Spec.Metrics), Parameters: anyToRaw(d.Spec.Parameters), FeatureVector: d.Spec.FeatureVector}
	}
	lr.Extra = anyToRaw(d.Spec.Extra)
	lr.KnownSize, lr.KnownHash = d.Spec.Size, d.Spec.Hash
	return s.LogArtifact(ctx, lr)
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// rawToAny and anyToRaw carry free-form JSON through encoders that need Go values.
func rawToAny(r json.RawMessage) any {
	if len(r) == 0 {
		return nil
	}
	var v any
	if json.Unmarshal(r, &v) != nil {
		return nil
	}
	return v
}

func anyToRaw(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}
