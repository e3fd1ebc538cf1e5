package lineage

import (
	"context"
	"encoding/json"
	"path"
	"reflect"
	"sort"
	"strings"
	"time"
)

// Document is a version's metadata in MLRun's kind/metadata/spec/status
// shape: what the yaml field exports and importArtifact reads back. Field
// tags are for any YAML or JSON encoder; this package imports none.
//
// Every section has an Other map (inlined in YAML) for the fields MLRun
// writes and Artigraph does not model (spec.viewer, spec.license,
// status.header_original_length, a model's inputs and outputs, ...): an
// import keeps them in the version's extra under MLRunExtraKey and an
// export writes them back where they were, so nothing MLRun wrote is lost.
type Document struct {
	Kind     string         `yaml:"kind" json:"kind"`
	Metadata DocMetadata    `yaml:"metadata" json:"metadata"`
	Spec     DocSpec        `yaml:"spec" json:"spec"`
	Status   DocStatus      `yaml:"status" json:"status"`
	Other    map[string]any `yaml:",inline" json:"-"`
}

type DocMetadata struct {
	Key     string `yaml:"key" json:"key"`
	Project string `yaml:"project" json:"project"`
	Iter    int    `yaml:"iter" json:"iter"`
	Tree    string `yaml:"tree,omitempty" json:"tree,omitempty"`
	UID     string `yaml:"uid,omitempty" json:"uid,omitempty"`
	// Hash is where MLRun reads an artifact's hash: MLRun's own (the sha1
	// of the content, hex) or Artigraph's "sha256:<hex>".
	Hash        string             `yaml:"hash,omitempty" json:"hash,omitempty"`
	Tag         string             `yaml:"tag,omitempty" json:"tag,omitempty"`
	Tags        []string           `yaml:"tags,omitempty" json:"tags,omitempty"`
	Labels      map[string]*string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Description string             `yaml:"description,omitempty" json:"description,omitempty"`
	Created     *time.Time         `yaml:"created,omitempty" json:"created,omitempty"`
	Updated     *time.Time         `yaml:"updated,omitempty" json:"updated,omitempty"`
	Other       map[string]any     `yaml:",inline" json:"-"`
}

type DocSource struct {
	Name  string         `yaml:"name,omitempty" json:"name,omitempty"`
	Path  string         `yaml:"path" json:"path"`
	Other map[string]any `yaml:",inline" json:"-"`
}

// DocProducer is spec.producer: Artigraph's Producer and whatever else
// MLRun writes there (workflow, tag, ...).
type DocProducer struct {
	Kind  string         `yaml:"kind" json:"kind"`
	Name  string         `yaml:"name" json:"name"`
	URI   string         `yaml:"uri,omitempty" json:"uri,omitempty"`
	Owner string         `yaml:"owner,omitempty" json:"owner,omitempty"`
	Other map[string]any `yaml:",inline" json:"-"`
}

type DocSpec struct {
	DBKey      string       `yaml:"db_key" json:"db_key"`
	TargetPath string       `yaml:"target_path" json:"target_path"`
	Format     string       `yaml:"format,omitempty" json:"format,omitempty"`
	Size       *int64       `yaml:"size,omitempty" json:"size,omitempty"`
	Hash       string       `yaml:"hash,omitempty" json:"hash,omitempty"` // Artigraph's sha256 of the content
	Producer   *DocProducer `yaml:"producer,omitempty" json:"producer,omitempty"`
	Sources    []DocSource  `yaml:"sources,omitempty" json:"sources,omitempty"`
	// ExtraData is MLRun's extra_data: store:// URIs are links to other
	// versions; anything else (paths, URLs) is kept as it is.
	ExtraData map[string]any `yaml:"extra_data,omitempty" json:"extra_data,omitempty"`
	// Dataset. Preview and Stats are read here too (older exports put them
	// in spec); exports write them in status, where MLRun reads them.
	Schema  any      `yaml:"schema,omitempty" json:"schema,omitempty"`
	Header  []string `yaml:"header,omitempty" json:"header,omitempty"`
	Length  *int     `yaml:"length,omitempty" json:"length,omitempty"`
	Preview [][]any  `yaml:"preview,omitempty" json:"preview,omitempty"`
	Stats   any      `yaml:"stats,omitempty" json:"stats,omitempty"`
	// Model
	ModelFile     string         `yaml:"model_file,omitempty" json:"model_file,omitempty"`
	Framework     string         `yaml:"framework,omitempty" json:"framework,omitempty"`
	Algorithm     string         `yaml:"algorithm,omitempty" json:"algorithm,omitempty"`
	Metrics       any            `yaml:"metrics,omitempty" json:"metrics,omitempty"`
	Parameters    any            `yaml:"parameters,omitempty" json:"parameters,omitempty"`
	FeatureVector string         `yaml:"feature_vector,omitempty" json:"feature_vector,omitempty"`
	Extra         any            `yaml:"extra,omitempty" json:"extra,omitempty"` // Artigraph's free-form extra
	Other         map[string]any `yaml:",inline" json:"-"`
}

type DocStatus struct {
	State   string         `yaml:"state" json:"state"`
	Preview [][]any        `yaml:"preview,omitempty" json:"preview,omitempty"`
	Stats   any            `yaml:"stats,omitempty" json:"stats,omitempty"`
	Other   map[string]any `yaml:",inline" json:"-"`
}

// MLRunExtraKey is the member of a version's extra holding the MLRun fields
// an import kept: {"document"|"metadata"|"spec"|"status"|"producer":
// {field: value}}, each at the place MLRun writes it. Besides fields
// Artigraph does not model at all, it holds MLRun's values that differ from
// Artigraph's: metadata.hash when it is not a sha256 (MLRun's sha1),
// spec.db_key when it is not the key, a kind Artigraph has no name for,
// status.state other than "created", extra_data that is not a store:// URI,
// metadata.uid (MLRun's uid; the version has Artigraph's) and a
// metadata.tag that is not a valid tag. Its "artigraph" section is what
// an export needs besides ("source_names": the names of external sources).
const MLRunExtraKey = "mlrun"

// mlrunSections are the sections of the MLRunExtraKey member, in order.
var mlrunSections = []string{"document", "metadata", "spec", "status", "producer", "artigraph"}

// stateCreated is MLRun's status.state of a logged artifact.
const stateCreated = "created"

// docKind is MLRun's lowercase kind name.
func docKind(k Kind) string { return strings.ReplaceAll(strings.ToLower(string(k)), "_", "-") }

func kindOfDoc(s string) Kind {
	return Kind(strings.ReplaceAll(strings.ToUpper(s), "-", "_"))
}

// mlrunFields are the kept MLRun fields of a version, by section.
type mlrunFields map[string]map[string]any

func (m mlrunFields) set(section, field string, v any) {
	if m[section] == nil {
		m[section] = map[string]any{}
	}
	m[section][field] = v
}

func (m mlrunFields) get(section, field string) (any, bool) {
	v, ok := m[section][field]
	return v, ok
}

func (m mlrunFields) str(section, field string) string {
	v, _ := m[section][field].(string)
	return v
}

// splitExtra separates a version's extra into the kept MLRun fields and
// the rest, Artigraph's own extra (nil when nothing is left of it).
func splitExtra(raw json.RawMessage) (mlrunFields, any) {
	x := rawToAny(raw)
	obj, ok := x.(map[string]any)
	if !ok {
		return nil, x
	}
	kept := mlrunFields{}
	if sections, ok := obj[MLRunExtraKey].(map[string]any); ok {
		for _, s := range mlrunSections {
			if fields, ok := sections[s].(map[string]any); ok && len(fields) > 0 {
				kept[s] = fields
			}
		}
		rest := make(map[string]any, len(obj))
		for k, v := range obj {
			if k != MLRunExtraKey {
				rest[k] = v
			}
		}
		if len(rest) == 0 {
			return kept, nil
		}
		return kept, rest
	}
	return kept, x
}

// joinExtra is splitExtra's inverse: the document's own extra with the
// kept MLRun fields added. A non-object extra with MLRun fields to keep
// becomes {"value": extra, "mlrun": ...}.
func joinExtra(kept mlrunFields, extra any) any {
	if len(kept) == 0 {
		return extra
	}
	out := map[string]any{}
	switch x := extra.(type) {
	case nil:
	case map[string]any:
		for k, v := range x {
			out[k] = v
		}
	default:
		out["value"] = x
	}
	sections := map[string]any{}
	for s, fields := range kept {
		sections[s] = fields
	}
	out[MLRunExtraKey] = sections
	return out
}

// yamlFields are the names a struct's fields have in a Document, so kept
// fields never collide with them.
func yamlFields(t reflect.Type) map[string]bool {
	f := map[string]bool{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			f[name] = true
		}
	}
	return f
}

var (
	metadataFields = yamlFields(reflect.TypeFor[DocMetadata]())
	specFields     = yamlFields(reflect.TypeFor[DocSpec]())
	statusFields   = yamlFields(reflect.TypeFor[DocStatus]())
	producerFields = yamlFields(reflect.TypeFor[DocProducer]())
	documentFields = yamlFields(reflect.TypeFor[Document]())
)

// others returns the kept fields of one section that are not fields of its
// struct (those are written from what the version knows).
func others(fields map[string]any, known map[string]bool) map[string]any {
	var out map[string]any
	for k, v := range fields {
		if known[k] {
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		out[k] = v
	}
	return out
}

// ExportTag is the tag an export names: the one asked for, else "latest"
// when v holds it, else v's first tag.
func ExportTag(v Version, askedTag string) string {
	switch {
	case askedTag != "":
		return askedTag
	case v.HasTag(TagLatest):
		return TagLatest
	case len(v.Tags) > 0:
		return v.Tags[0]
	}
	return ""
}

// Export builds the Document of v, with its sources and links as URIs and
// every field where MLRun reads it.
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
	kept, extra := splitExtra(v.Extra)
	d := Document{
		Kind: docKind(v.Kind),
		Metadata: DocMetadata{Key: v.Key, Project: v.Project, Iter: v.Iteration, Tree: v.Tree, UID: v.UID,
			Hash: v.Hash, Tag: ExportTag(v, askedTag), Tags: v.Tags, Description: v.Description,
			Created: &v.CreatedAt, Updated: &v.UpdatedAt, Other: others(kept["metadata"], metadataFields)},
		Spec: DocSpec{DBKey: v.Key, TargetPath: v.TargetPath, Format: v.Format, Size: v.Size, Hash: v.Hash,
			Producer: &DocProducer{Kind: v.Producer.Kind, Name: v.Producer.Name, URI: v.Producer.URI,
				Owner: v.Producer.Owner, Other: others(kept["producer"], producerFields)},
			Other: others(kept["spec"], specFields)},
		Status: DocStatus{State: stateCreated, Other: others(kept["status"], statusFields)},
		Other:  others(kept["document"], documentFields),
	}
	if k := kept.str("document", "kind"); k != "" {
		d.Kind = k
	}
	if h := kept.str("metadata", "hash"); h != "" {
		d.Metadata.Hash = h // MLRun's own; Artigraph's stays in spec.hash
	}
	if d.Metadata.Tag == "" {
		d.Metadata.Tag = kept.str("metadata", "tag")
	}
	if k := kept.str("spec", "db_key"); k != "" {
		d.Spec.DBKey = k
	}
	if st := kept.str("status", "state"); st != "" {
		d.Status.State = st
	}
	if len(v.Labels) > 0 {
		d.Metadata.Labels = map[string]*string{}
		for _, l := range v.Labels {
			d.Metadata.Labels[l.Key] = l.Value
		}
	}
	if x, ok := kept.get("spec", "extra_data"); ok {
		if m, ok := x.(map[string]any); ok && len(m) > 0 {
			d.Spec.ExtraData = map[string]any{}
			for k, val := range m {
				d.Spec.ExtraData[k] = val
			}
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
				d.Spec.ExtraData = map[string]any{}
			}
			d.Spec.ExtraData[e.Name] = CanonicalURI(t, "")
		}
	}
	names, _ := kept["artigraph"]["source_names"].(map[string]any)
	for _, src := range v.ExternalSources {
		name, _ := names[src].(string)
		d.Spec.Sources = append(d.Spec.Sources, DocSource{Name: name, Path: src})
	}
	if ds := v.Dataset; ds != nil {
		d.Spec.Schema, d.Spec.Header, d.Spec.Length = rawToAny(ds.Schema), ds.Header, ds.Length
		d.Status.Preview, d.Status.Stats = ds.Preview, rawToAny(ds.Stats)
	}
	if m := v.Model; m != nil {
		d.Spec.ModelFile, d.Spec.Framework, d.Spec.Algorithm = m.ModelFile, m.Framework, m.Algorithm
		d.Spec.Metrics, d.Spec.Parameters, d.Spec.FeatureVector = rawToAny(m.Metrics), rawToAny(m.Parameters), m.FeatureVector
		exportModelPath(&d, v)
	}
	d.Spec.Extra = extra
	return d, nil
}

// exportModelPath writes a model's location as MLRun reads it. MLRun's
// get_model() opens dirname(target_path)/(model_target_file or model_file):
// a model logged as a directory (target_path ending in "/", as MLRun logs
// models) is exported as it is; a model whose content is one file at
// target_path names that file in model_target_file when model_file is
// another name, so get_model() finds it.
func exportModelPath(d *Document, v Version) {
	if strings.HasSuffix(v.TargetPath, "/") || v.Model.ModelFile == "" {
		return
	}
	if file := path.Base(v.TargetPath); file != v.Model.ModelFile && file != "." && file != "/" {
		if d.Spec.Other == nil {
			d.Spec.Other = map[string]any{}
		}
		d.Spec.Other["model_target_file"] = file
	}
}

// contentLocation is where v's content is read from: its target path, or,
// for a model whose target path is a directory (as MLRun logs models), the
// model file inside it, spec.model_target_file or spec.model_file as
// MLRun's get_model() finds it. A model file naming a location of its own
// (absolute, or a URL) is that location.
func contentLocation(v Version) string {
	if v.Kind != KindModel || v.Model == nil || !strings.HasSuffix(v.TargetPath, "/") {
		return v.TargetPath
	}
	kept, _ := splitExtra(v.Extra)
	name := kept.str("spec", "model_target_file")
	if name == "" {
		name = v.Model.ModelFile
	}
	if name == "" {
		return v.TargetPath
	}
	if IsURL(name) || strings.HasPrefix(name, "/") {
		return name
	}
	clean := strings.TrimPrefix(path.Clean("/"+name), "/")
	if clean != strings.TrimPrefix(path.Clean(name), "./") || clean == "" {
		return v.TargetPath // ".." would leave the directory: no file to serve
	}
	// Not path.Join, which would fold "gs://" into "gs:/".
	return v.TargetPath + clean
}

// ImportRequest reads a Document back into a project.
type ImportRequest struct {
	Doc     Document
	Project string // "" keeps the document's
	NewKey  string // "" keeps the document's
	Tag     string // "" takes the document's metadata.tag
}

// Import records the version a Document describes, pointing at its content
// in place. When this server can read that content, its sha256 must match
// the document's sha256 hash (spec.hash, or metadata.hash when it is one):
// metadata never points at missing or different data. MLRun's own hash
// (the sha1 of the content) is kept as an MLRun field and not compared.
//
// Fields of an MLRun document Artigraph does not model are kept (see
// MLRunExtraKey) and exported again; none is refused.
func (s *Service) Import(ctx context.Context, req ImportRequest) (Version, error) {
	d := req.Doc
	if d.Metadata.Key == "" || d.Spec.TargetPath == "" {
		return Version{}, Errorf(EINVALID, "the document needs metadata.key and spec.target_path")
	}
	kept, extra := splitExtra(anyToRaw(d.Spec.Extra))
	if kept == nil {
		kept = mlrunFields{}
	}
	keep := func(section string, m map[string]any) {
		for k, v := range m {
			kept.set(section, k, v)
		}
	}
	keep("document", d.Other)
	keep("metadata", d.Metadata.Other)
	keep("spec", d.Spec.Other)
	keep("status", d.Status.Other)
	if d.Spec.Producer != nil {
		keep("producer", d.Spec.Producer.Other)
	}
	kind := kindOfDoc(d.Kind)
	if d.Kind == "" {
		kind = KindArtifact
	} else if !kind.Valid() {
		kept.set("document", "kind", d.Kind) // chart, plotly, ...: exported as written
		kind = KindArtifact
	}
	key := firstOf(req.NewKey, d.Metadata.Key)
	if d.Spec.DBKey != "" && d.Spec.DBKey != d.Metadata.Key && key == d.Metadata.Key {
		kept.set("spec", "db_key", d.Spec.DBKey) // MLRun's URIs name it; not under a new key
	}
	if f, ok := kept.get("spec", "model_target_file"); ok && !strings.HasSuffix(d.Spec.TargetPath, "/") &&
		f == path.Base(d.Spec.TargetPath) {
		delete(kept["spec"], "model_target_file") // what an export adds for a one-file model
		if len(kept["spec"]) == 0 {
			delete(kept, "spec")
		}
	}
	if d.Metadata.UID != "" {
		if _, ok := kept.get("metadata", "uid"); !ok && !isHexUID(d.Metadata.UID) {
			kept.set("metadata", "uid", d.Metadata.UID)
		}
	}
	tag := ImportTag(req)
	if tag == "" && d.Metadata.Tag != "" {
		kept.set("metadata", "tag", d.Metadata.Tag) // not a tag Artigraph can hold
	}
	known, err := knownHash(d, kept)
	if err != nil {
		return Version{}, err
	}
	if st := d.Status.State; st != "" && st != stateCreated {
		kept.set("status", "state", st)
	}
	lr := LogRequest{
		Project: firstOf(req.Project, d.Metadata.Project), Key: key,
		Kind: kind, Iteration: d.Metadata.Iter, Tag: tag, Description: d.Metadata.Description,
		TargetPath: d.Spec.TargetPath, Format: d.Spec.Format,
	}
	if p := d.Spec.Producer; p != nil {
		lr.Producer = &Producer{Kind: p.Kind, Name: p.Name, URI: p.URI, Owner: p.Owner}
	}
	for k, v := range d.Metadata.Labels {
		lr.Labels = append(lr.Labels, Label{Key: k, Value: v})
	}
	SortLabels(lr.Labels)
	names := map[string]any{}
	for _, src := range d.Spec.Sources {
		lr.Sources = append(lr.Sources, src.Path)
		if src.Name != "" && !strings.HasPrefix(src.Path, URIScheme) {
			names[src.Path] = src.Name // a store:// source is exported with its key
		}
	}
	if len(names) > 0 {
		kept.set("artigraph", "source_names", names)
	}
	var plain map[string]any
	for _, rel := range sortedKeys(d.Spec.ExtraData) {
		val := d.Spec.ExtraData[rel]
		if uri, ok := val.(string); ok && strings.HasPrefix(uri, URIScheme) {
			lr.Links = append(lr.Links, LinkRequest{Relation: rel, URI: uri})
			continue
		}
		if plain == nil {
			plain = map[string]any{}
		}
		plain[rel] = val // a path or URL: MLRun's extra data, kept as it is
	}
	if plain != nil {
		kept.set("spec", "extra_data", plain)
	}
	preview, stats := d.Status.Preview, d.Status.Stats
	if preview == nil {
		preview = d.Spec.Preview
	}
	if stats == nil {
		stats = d.Spec.Stats
	}
	if d.Spec.Schema != nil || d.Spec.Header != nil || d.Spec.Length != nil || preview != nil || stats != nil {
		lr.Dataset = &DatasetInfo{Schema: anyToRaw(d.Spec.Schema), Header: d.Spec.Header, Length: d.Spec.Length,
			Preview: preview, Stats: anyToRaw(stats)}
	}
	if d.Spec.ModelFile != "" || d.Spec.Framework != "" || d.Spec.Algorithm != "" || d.Spec.Metrics != nil ||
		d.Spec.Parameters != nil || d.Spec.FeatureVector != "" {
		lr.Model = &ModelInfo{ModelFile: d.Spec.ModelFile, Framework: d.Spec.Framework, Algorithm: d.Spec.Algorithm,
			Metrics: anyToRaw(d.Spec.Metrics), Parameters: anyToRaw(d.Spec.Parameters), FeatureVector: d.Spec.FeatureVector}
	}
	lr.Extra = anyToRaw(joinExtra(kept, extra))
	lr.KnownSize, lr.KnownHash = d.Spec.Size, known
	p, err := s.prepareLog(ctx, lr)
	if err != nil {
		return Version{}, err
	}
	if p.version.Tree == "" {
		p.version.Tree = d.Metadata.Tree // MLRun's run (or workflow) uid
	}
	// A model's file inside its directory is checked here: the commit
	// checks the directory, which is not read.
	if loc := contentLocation(p.version); loc != p.version.TargetPath && known != "" {
		if err := s.verifyInPlace(ctx, loc, known); err != nil {
			return Version{}, err
		}
	}
	return s.commitLog(ctx, p)
}

// ImportTag is the tag an import gives its version: the request's, else
// the document's metadata.tag when it is a valid tag ("" when neither).
func ImportTag(req ImportRequest) string {
	if req.Tag != "" {
		return req.Tag
	}
	if t := req.Doc.Metadata.Tag; t != "" && ValidateTag(t) == nil {
		return t
	}
	return ""
}

// knownHash is the sha256 a document gives for its content: spec.hash,
// or metadata.hash when it is a sha256. Any other metadata.hash is MLRun's
// (sha1) and is kept as an MLRun field.
func knownHash(d Document, kept mlrunFields) (string, error) {
	mh, sh := d.Metadata.Hash, d.Spec.Hash
	if mh != "" && !strings.HasPrefix(mh, "sha256:") {
		kept.set("metadata", "hash", mh)
		mh = ""
	}
	if mh != "" && sh != "" && mh != sh {
		return "", Errorf(EINVALID, "metadata.hash and spec.hash differ")
	}
	return firstOf(sh, mh), nil
}

// isHexUID reports whether uid has the shape of an Artigraph version uid
// (32 hex digits): an export's own uid, which an import does not keep.
func isHexUID(uid string) bool {
	if len(uid) != 32 {
		return false
	}
	for _, c := range uid {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
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
