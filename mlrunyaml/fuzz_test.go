package mlrunyaml_test

import (
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/mlrunyaml"
)

// FuzzDecode feeds arbitrary text to the importArtifact decoder. Properties:
// it returns quickly, never panics, refuses with EINVALID or ELIMIT only;
// it agrees with yaml.v3's own strict decoding where the two rule sets are
// meant to agree; and what it accepts exports to YAML that decodes back to
// the same export.
//
//	go test ./mlrunyaml -run '^$' -fuzz '^FuzzDecode$' -fuzztime 10m -parallel 1
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		labelsDoc(3),
		doc("  schema: {fields: [{name: amount, type: number}]}\n  header: [id, amount]\n  preview: [[1, 9.5], [2, x]]\n"),
		doc("  metrics: {auc: 0.91, n: 3, at: 2026-11-25, ok: true, none: ~}\n  size: 42\n"),
		billionLaughs(3, 3),
		doc("  schema: &a [1, *a]\n"),
		doc("  stats: {base: &b {n: 1}, more: {<<: *b}}\n"),
		"kind: model\nmetadata: {key: k, project: p, created: 2026-11-25T10:00:00Z, labels: {env: prod, gold: null}}\n",
		"--- {kind: model}\n--- {kind: dataset}\n",
		"kind: [",
		"",
		"kind: dataset\nmetadata: {key: k, updated: 2026-12-01 06:01:22.012485+00:00, hash: 3f78}\nspec: {viewer: table, has_children: false, extra_data: {a: b.html}}\nstatus: {header_original_length: 4, preview: [[1]]}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		// A hang must fail too: crashing the worker makes the fuzzer keep
		// the input, which a t.Fatal after the fact could not do.
		var phase atomic.Value
		phase.Store("Decode")
		watchdog := time.AfterFunc(time.Minute, func() { panic(phase.Load().(string) + " hangs on " + strconv.Quote(in)) })
		defer watchdog.Stop()
		d, err := mlrunyaml.Decode(in)
		phase.Store("yaml.v3")
		ref, refErr := referenceDecode(in)
		phase.Store("the round trip")
		if err != nil {
			if code := lineage.ErrorCode(err); code != lineage.EINVALID && code != lineage.ELIMIT {
				t.Fatalf("error with code %q: %v", code, err)
			}
			if lineage.ErrorCode(err) == lineage.EINVALID && refErr == nil && meantToAgree(ref) && !stricter(err) {
				t.Fatalf("Decode refused a document yaml.v3 reads: %v", err)
			}
			return
		}
		out, err := mlrunyaml.Encode(d)
		if err != nil {
			t.Fatalf("a decoded document does not encode: %v", err)
		}
		switch {
		case refErr != nil && !strings.Contains(refErr.Error(), "excessive aliasing") && !strings.Contains(refErr.Error(), "parsing time"):
			// (Decode reads MLRun's timestamps, which yaml.v3 does not.)
			t.Fatalf("Decode accepted a document yaml.v3 refuses: %v", refErr)
		case refErr == nil && meantToAgree(ref):
			if want, _ := mlrunyaml.Encode(ref); out != want {
				t.Fatalf("Decode and yaml.v3 disagree:\n%s\nyaml.v3:\n%s", out, want)
			}
		}
		if len(out) > mlrunyaml.MaxDocumentBytes {
			return // aliases expanded it past what Decode reads
		}
		back, err := mlrunyaml.Decode(out)
		if err != nil {
			t.Fatalf("the export does not decode: %v\n%s", err, out)
		}
		if again, _ := mlrunyaml.Encode(back); again != out {
			t.Fatalf("export, decode, export changed the document:\n%s\nthen:\n%s", out, again)
		}
	})
}

// stricter reports whether err is one of the refusals Decode makes where
// yaml.v3 is lenient: merge keys, and null keys (which yaml.v3 skips).
func stricter(err error) bool {
	return strings.Contains(err.Error(), "merge keys") || strings.Contains(err.Error(), "key cannot be null")
}

// referenceDecode is the decoding Decode replaced: yaml.v3 with KnownFields.
func referenceDecode(in string) (d lineage.Document, err error) {
	dec := yaml.NewDecoder(strings.NewReader(in))
	dec.KnownFields(true)
	err = dec.Decode(&d)
	return d, err
}

// meantToAgree reports whether d has no free-form mapping with non-text
// keys: yaml.v3 decodes those into map[any]any, which Decode does not.
func meantToAgree(d lineage.Document) bool {
	vs := []any{d.Spec.Schema, d.Spec.Stats, d.Spec.Metrics, d.Spec.Parameters, d.Spec.Extra, d.Spec.Preview,
		d.Status.Stats, d.Status.Preview, d.Other, d.Metadata.Other, d.Spec.Other, d.Status.Other, d.Spec.ExtraData}
	if d.Spec.Producer != nil {
		vs = append(vs, d.Spec.Producer.Other)
	}
	for _, s := range d.Spec.Sources {
		vs = append(vs, s.Other)
	}
	for _, v := range vs {
		if hasAnyKeyedMap(reflect.ValueOf(v)) {
			return false
		}
	}
	return true
}

func hasAnyKeyedMap(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		return !v.IsNil() && hasAnyKeyedMap(v.Elem())
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return true
		}
		for it := v.MapRange(); it.Next(); {
			if hasAnyKeyedMap(it.Value()) {
				return true
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			if hasAnyKeyedMap(v.Index(i)) {
				return true
			}
		}
	}
	return false
}
