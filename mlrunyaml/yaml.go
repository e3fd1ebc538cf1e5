// Package mlrunyaml reads and writes artifact Documents as YAML, the format
// MLRun's UI downloads and its SDK imports.
//
// Decode reads untrusted input (the importArtifact mutation), so it works in
// time linear in the document and refuses, with lineage.ELIMIT, documents over
// Limits: larger than MaxBytes, nested deeper than MaxDepth, or whose aliases
// would expand them by more than MaxAliasExpansion ("billion laughs").
package mlrunyaml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/artigraph/artigraph/lineage"
)

// Default limits of Decode.
const (
	// MaxDocumentBytes is the largest document Decode reads: far above any
	// real artifact's metadata, a dataset preview included. The parse tree
	// of the densest such document (a flow list of 2M one-digit numbers)
	// takes about 0.6 GB and 2 s to build; ordinary documents a fraction.
	MaxDocumentBytes = 4 << 20
	// MaxDocumentDepth is the deepest nesting of mappings and sequences.
	MaxDocumentDepth = 64
	// MaxAliasExpansion bounds what aliases add to a document: each node
	// decoded through an alias counts 1 plus the length of its scalar value.
	MaxAliasExpansion = 1 << 20
)

// Limits bound the work DecodeWithLimits does on one document; zero fields
// take the defaults above.
type Limits struct {
	MaxBytes          int
	MaxDepth          int
	MaxAliasExpansion int
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = MaxDocumentBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = MaxDocumentDepth
	}
	if l.MaxAliasExpansion <= 0 {
		l.MaxAliasExpansion = MaxAliasExpansion
	}
	return l
}

// Encode returns d as YAML. Fields of a section's Other map are written
// after its own fields; those with the name of one of its fields are not
// written (the field is).
func Encode(d lineage.Document) (string, error) {
	d.Other = withoutFields(d.Other, reflect.TypeFor[lineage.Document]())
	d.Metadata.Other = withoutFields(d.Metadata.Other, reflect.TypeFor[lineage.DocMetadata]())
	d.Spec.Other = withoutFields(d.Spec.Other, reflect.TypeFor[lineage.DocSpec]())
	d.Status.Other = withoutFields(d.Status.Other, reflect.TypeFor[lineage.DocStatus]())
	if p := d.Spec.Producer; p != nil {
		c := *p
		c.Other = withoutFields(c.Other, reflect.TypeFor[lineage.DocProducer]())
		d.Spec.Producer = &c
	}
	if len(d.Spec.Sources) > 0 {
		srcs := make([]lineage.DocSource, len(d.Spec.Sources))
		for i, src := range d.Spec.Sources {
			src.Other = withoutFields(src.Other, reflect.TypeFor[lineage.DocSource]())
			srcs[i] = src
		}
		d.Spec.Sources = srcs
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(d); err != nil {
		return "", err
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// withoutFields is m without the keys t has fields for (yaml.v3 refuses
// to write a map inlined in a struct that repeats one of its fields).
func withoutFields(m map[string]any, t reflect.Type) map[string]any {
	if len(m) == 0 {
		return nil
	}
	fields := fieldsOf(t)
	out := make(map[string]any, len(m))
	for k, v := range m {
		if _, ok := fields[k]; !ok {
			out[k] = v
		}
	}
	return out
}

// Decode parses YAML (or JSON, which is YAML) into a Document with the
// default limits. Fields the Document has no place for go to the Other map
// of their section, so a document MLRun writes (to_yaml, to_dict, export)
// is read whole. Malformed input and duplicate keys are EINVALID; input
// over the limits is ELIMIT.
func Decode(s string) (lineage.Document, error) {
	return DecodeWithLimits(s, Limits{})
}

// DecodeWithLimits is Decode with other limits.
//
// yaml.v3 is used only to parse the text into its node tree (linear); the
// tree is decoded here, because yaml.v3's own decoding checks a mapping for
// duplicate keys by comparing every key with every other, which made a
// document with 16k labels take seconds and one with 300k take minutes. The
// rules are yaml.v3's with KnownFields, except that merge keys (<<) and null
// keys are refused, and mappings in free-form fields (schema, stats, metrics, ...)
// always have string keys, as JSON needs.
func DecodeWithLimits(s string, l Limits) (lineage.Document, error) {
	l = l.withDefaults()
	if len(s) > l.MaxBytes {
		return lineage.Document{}, lineage.Errorf(lineage.ELIMIT,
			"artifact YAML is %d bytes, more than the limit of %d", len(s), l.MaxBytes)
	}
	var root yaml.Node
	if err := yaml.NewDecoder(strings.NewReader(s)).Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return lineage.Document{}, lineage.Errorf(lineage.EINVALID, "artifact YAML: empty document")
		}
		return lineage.Document{}, lineage.Errorf(lineage.EINVALID, "artifact YAML: %v", err)
	}
	var d lineage.Document
	dec := decoder{limits: l, expanding: map[*yaml.Node]bool{}}
	n := &root
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) != 1 {
			return lineage.Document{}, lineage.Errorf(lineage.EINVALID, "artifact YAML: empty document")
		}
		n = n.Content[0]
	}
	if err := dec.decode(n, reflect.ValueOf(&d).Elem(), 0); err != nil {
		return lineage.Document{}, err
	}
	return d, nil
}

// decoder decodes a yaml.v3 node tree into Go values by reflection.
type decoder struct {
	limits     Limits
	aliasDepth int                 // > 0 while decoding through an alias
	expansion  int                 // cost of what aliases added so far
	expanding  map[*yaml.Node]bool // anchors being decoded, to refuse cycles
}

func invalidf(n *yaml.Node, format string, args ...any) error {
	return lineage.Errorf(lineage.EINVALID, "artifact YAML: line %d: %s", n.Line, fmt.Sprintf(format, args...))
}

// visit accounts for decoding n at depth: what aliases add, and nesting. It
// returns the depth of n's children.
func (d *decoder) visit(n *yaml.Node, depth int) (int, error) {
	if d.aliasDepth > 0 {
		d.expansion += 1 + len(n.Value)
		if d.expansion > d.limits.MaxAliasExpansion {
			return 0, lineage.Errorf(lineage.ELIMIT, "artifact YAML: aliases expand the document by more than %d nodes and bytes",
				d.limits.MaxAliasExpansion)
		}
	}
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		if depth++; depth > d.limits.MaxDepth {
			return 0, lineage.Errorf(lineage.ELIMIT, "artifact YAML: line %d: nested deeper than %d levels", n.Line, d.limits.MaxDepth)
		}
	}
	return depth, nil
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, depth int) error {
	if n.Kind == yaml.AliasNode {
		return d.alias(n, v, depth)
	}
	depth, err := d.visit(n, depth)
	if err != nil {
		return err
	}
	return d.value(n, v, depth)
}

// value decodes visited node n into v.
func (d *decoder) value(n *yaml.Node, v reflect.Value, depth int) error {
	if null, err := isNull(n); err != nil {
		return err
	} else if null {
		// As yaml.v3 does: null empties pointers, maps, slices and any.
		switch v.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
			v.SetZero()
			return nil
		}
	}
	if v.Type() == timeType {
		return d.timestamp(n, v)
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return d.value(n, v.Elem(), depth)
	case reflect.Interface:
		x, err := d.generic(n, depth)
		if err != nil {
			return err
		}
		if x == nil {
			v.SetZero()
		} else {
			v.Set(reflect.ValueOf(x))
		}
		return nil
	case reflect.Struct:
		return d.structure(n, v, depth)
	case reflect.Map:
		return d.mapping(n, v, depth)
	case reflect.Slice:
		return d.sequence(n, v, depth)
	}
	return d.scalar(n, v)
}

func (d *decoder) alias(n *yaml.Node, v reflect.Value, depth int) error {
	if n.Alias == nil {
		return invalidf(n, "unknown anchor %q", n.Value)
	}
	if d.expanding[n.Alias] {
		return invalidf(n, "anchor %q contains itself", n.Value)
	}
	d.expanding[n.Alias] = true
	d.aliasDepth++
	err := d.decode(n.Alias, v, depth)
	d.aliasDepth--
	delete(d.expanding, n.Alias)
	return err
}

// scalar decodes a leaf value with yaml.v3's own rules. The node is a scalar,
// so yaml.v3 does no mapping work.
func (d *decoder) scalar(n *yaml.Node, v reflect.Value) error {
	if n.Kind != yaml.ScalarNode {
		return invalidf(n, "a %s cannot be a %s", kindName(n), v.Type())
	}
	if v.Kind() == reflect.String && n.ShortTag() == "!!str" {
		v.SetString(n.Value) // the common case, without a decoder per value
		return nil
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		return lineage.Errorf(lineage.EINVALID, "artifact YAML: %v", err)
	}
	return nil
}

// timeLayouts are the timestamp forms read besides yaml.v3's: MLRun
// writes Python's str(datetime) ("2026-12-01 06:01:22.012485+00:00", a
// valid YAML timestamp yaml.v3 does not read) and isoformat(); times
// without a zone are UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999 Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// timestamp decodes a time.Time: as yaml.v3 does, else in MLRun's forms.
func (d *decoder) timestamp(n *yaml.Node, v reflect.Value) error {
	err := d.scalar(n, v)
	if err == nil || n.Kind != yaml.ScalarNode {
		return err
	}
	if tag := n.ShortTag(); tag != "!!str" && tag != "!!timestamp" {
		return err
	}
	s := strings.TrimSpace(n.Value)
	for _, layout := range timeLayouts {
		if t, perr := time.Parse(layout, s); perr == nil {
			v.Set(reflect.ValueOf(t))
			return nil
		}
	}
	return err
}

// generic is the value of n in an `any` field: map[string]any, []any or a
// scalar as yaml.v3 decodes it. n has been visited.
func (d *decoder) generic(n *yaml.Node, depth int) (any, error) {
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		var later scalars[string]
		err := d.pairs(n, func(k *yaml.Node, val *yaml.Node) error {
			if _, dup := m[k.Value]; dup {
				return invalidf(k, "mapping key %q defined twice", k.Value)
			}
			x, err := element(d, val, depth, &later, k.Value)
			m[k.Value] = x
			return err
		})
		if err != nil {
			return nil, err
		}
		return m, later.decode(func(k string, x any) { m[k] = x })
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		var later scalars[int]
		for i, c := range n.Content {
			x, err := element(d, c, depth, &later, i)
			if err != nil {
				return nil, err
			}
			s[i] = x
		}
		return s, later.decode(func(i int, x any) { s[i] = x })
	case yaml.ScalarNode:
		if x, ok := plain(n); ok {
			return x, nil
		}
		var x any
		if err := n.Decode(&x); err != nil {
			return nil, lineage.Errorf(lineage.EINVALID, "artifact YAML: %v", err)
		}
		return x, nil
	}
	return nil, invalidf(n, "unexpected %s", kindName(n))
}

// element decodes n, a child of a collection at depth, as an `any`. Scalars
// other than text and null are left to later, to be decoded by yaml.v3
// together (a yaml.v3 decoder per scalar costs more than the rest of the work).
func element[K any](d *decoder, n *yaml.Node, depth int, later *scalars[K], at K) (any, error) {
	if n.Kind != yaml.ScalarNode {
		return d.decodeAny(n, depth) // collections and aliases
	}
	if _, err := d.visit(n, depth); err != nil {
		return nil, err
	}
	if x, ok := plain(n); ok {
		return x, nil
	}
	later.nodes = append(later.nodes, n)
	later.at = append(later.at, at)
	return nil, nil
}

// decodeAny decodes n, an alias or not, as an `any`.
func (d *decoder) decodeAny(n *yaml.Node, depth int) (any, error) {
	var x any
	err := d.decode(n, reflect.ValueOf(&x).Elem(), depth)
	return x, err
}

// plain is the value of a text or untagged null scalar, which needs no
// yaml.v3 rules.
func plain(n *yaml.Node) (any, bool) {
	switch n.ShortTag() {
	case "!!str":
		return n.Value, true
	case "!!null":
		return nil, n.Style&yaml.TaggedStyle == 0
	}
	return nil, false
}

// isNull reports whether n is a null scalar. An explicit !!null tag on
// anything but a null is an error, as in yaml.v3.
func isNull(n *yaml.Node) (bool, error) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!null" {
		return false, nil
	}
	if n.Style&yaml.TaggedStyle != 0 {
		var x any
		if err := n.Decode(&x); err != nil {
			return false, lineage.Errorf(lineage.EINVALID, "artifact YAML: %v", err)
		}
	}
	return true, nil
}

// scalars collects scalar nodes to decode in one yaml.v3 call, and where
// each result goes.
type scalars[K any] struct {
	nodes []*yaml.Node
	at    []K
}

func (s *scalars[K]) decode(set func(K, any)) error {
	if len(s.nodes) == 0 {
		return nil
	}
	var xs []any
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: s.nodes}
	if err := seq.Decode(&xs); err != nil {
		return lineage.Errorf(lineage.EINVALID, "artifact YAML: %v", err)
	}
	if len(xs) != len(s.nodes) { // yaml.v3 drops what it cannot decode
		return invalidf(s.nodes[0], "a value cannot be decoded")
	}
	for i, x := range xs {
		set(s.at[i], x)
	}
	return nil
}

// pairs calls f with each key and value of mapping n. Keys are scalars
// (through aliases too); merge keys and null keys are refused.
func (d *decoder) pairs(n *yaml.Node, f func(k, v *yaml.Node) error) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		for k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			return invalidf(n.Content[i], "a mapping key must be a scalar, not a %s", kindName(k))
		}
		switch k.ShortTag() {
		case "!!merge":
			return invalidf(k, "merge keys (<<) are not supported")
		case "!!null":
			// yaml.v3 drops such a pair silently; it is a mistake.
			return invalidf(k, "a mapping key cannot be null")
		}
		if err := f(k, n.Content[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, depth int) error {
	if null, err := isNull(n); err != nil {
		return err
	} else if null {
		v.SetZero()
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return invalidf(n, "a %s cannot be a %s", kindName(n), v.Type())
	}
	fields := fieldsOf(v.Type())
	set := make([]bool, v.NumField())
	return d.pairs(n, func(k, val *yaml.Node) error {
		name := k.Value
		if k.ShortTag() != "!!str" {
			if err := d.scalar(k, reflect.ValueOf(&name).Elem()); err != nil {
				return err
			}
		}
		i, ok := fields[name]
		if !ok {
			other, ok := fields[inlineField]
			if !ok {
				return invalidf(k, "field %s not found in type %s", name, v.Type())
			}
			m := v.Field(other)
			if m.IsNil() {
				m.Set(reflect.MakeMap(m.Type()))
			}
			if m.MapIndex(reflect.ValueOf(name)).IsValid() {
				return invalidf(k, "field %s set twice", name)
			}
			x, err := d.decodeAny(val, depth)
			if err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(name), reflect.ValueOf(&x).Elem())
			return nil
		}
		if set[i] {
			return invalidf(k, "field %s set twice", name)
		}
		set[i] = true
		return d.decode(val, v.Field(i), depth)
	})
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, depth int) error {
	if n.Kind != yaml.MappingNode {
		return invalidf(n, "a %s cannot be a %s", kindName(n), v.Type())
	}
	t := v.Type()
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(t, len(n.Content)/2))
	}
	return d.pairs(n, func(k, val *yaml.Node) error {
		key := reflect.New(t.Key()).Elem()
		if err := d.decode(k, key, depth); err != nil {
			return err
		}
		// A map lookup, not yaml.v3's comparison with every other key.
		if v.MapIndex(key).IsValid() {
			return invalidf(k, "mapping key %q defined twice", k.Value)
		}
		elem := reflect.New(t.Elem()).Elem()
		if err := d.decode(val, elem, depth); err != nil {
			return err
		}
		v.SetMapIndex(key, elem)
		return nil
	})
}

func (d *decoder) sequence(n *yaml.Node, v reflect.Value, depth int) error {
	if n.Kind != yaml.SequenceNode {
		return invalidf(n, "a %s cannot be a %s", kindName(n), v.Type())
	}
	if v.Type() == anySliceType { // a preview row: its scalars decoded together
		x, err := d.generic(n, depth)
		if err == nil {
			v.Set(reflect.ValueOf(x))
		}
		return err
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, c := range n.Content {
		if err := d.decode(c, s.Index(i), depth); err != nil {
			return err
		}
	}
	v.Set(s)
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	case yaml.AliasNode:
		return "alias"
	case yaml.DocumentNode:
		return "document"
	}
	return "scalar " + n.ShortTag()
}

// timeType is decoded as a scalar, by yaml.v3, not as a struct.
var timeType = reflect.TypeFor[time.Time]()

var anySliceType = reflect.TypeFor[[]any]()

var anyMapType = reflect.TypeFor[map[string]any]()

// inlineField is fieldsOf's name for a struct's inlined map of other
// fields, one no field tag can spell.
const inlineField = ",inline"

// fieldsOf maps a struct's YAML field names to field indexes.
func fieldsOf(t reflect.Type) map[string]int {
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]int)
	}
	f := map[string]int{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" && opts == "inline" && sf.Type == anyMapType {
			f[inlineField] = i // the map of fields the struct has none for
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name) // yaml.v3's default
		}
		f[name] = i
	}
	fieldCache.Store(t, f)
	return f
}

var fieldCache sync.Map // reflect.Type → map[string]int
