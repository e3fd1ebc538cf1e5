package mlrunyaml_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/artigraph/artigraph/mlrunyaml"
)

// TestDecodeMLRunDocuments reads the documents MLRun's own classes wrote
// (testdata/mlrun, made by generate.py): every one decodes, and encoding
// the result writes every field of the original back, where it was.
func TestDecodeMLRunDocuments(t *testing.T) {
	files, _ := filepath.Glob("testdata/mlrun/*-mlrun-*.*")
	if len(files) < 8 {
		t.Fatalf("found %d MLRun documents", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			d, err := mlrunyaml.Decode(string(in))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if d.Metadata.Updated == nil || d.Metadata.Updated.Year() != 2026 || d.Metadata.Updated.Nanosecond() != 12485000 {
				t.Errorf("metadata.updated = %v", d.Metadata.Updated)
			}
			out, err := mlrunyaml.Encode(d)
			if err != nil {
				t.Fatal(err)
			}
			want, got := generic(t, string(in)), generic(t, out)
			delete(want["metadata"].(map[string]any), "updated") // written in Go's form
			for _, p := range missingFrom(want, got, "") {
				t.Errorf("the encoded document lost %s\n%s", p, out)
			}
		})
	}
}

// generic is a YAML or JSON document as plain values, numbers as JSON has them.
func generic(t *testing.T, s string) map[string]any {
	t.Helper()
	var x any
	if err := yaml.Unmarshal([]byte(s), &x); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// missingFrom lists the paths of want's leaves that got lacks or has
// another value at.
func missingFrom(want, got any, at string) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{at + " (not a mapping)"}
		}
		var out []string
		for k, v := range w {
			gv, ok := g[k]
			if !ok {
				out = append(out, strings.TrimPrefix(at+"."+k, "."))
				continue
			}
			out = append(out, missingFrom(v, gv, at+"."+k)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{at + fmt.Sprintf(" (want %d items, got %v)", len(w), got)}
		}
		var out []string
		for i := range w {
			out = append(out, missingFrom(w[i], g[i], fmt.Sprintf("%s[%d]", at, i))...)
		}
		return out
	}
	if !reflect.DeepEqual(want, got) {
		return []string{fmt.Sprintf("%s (want %v, got %v)", strings.TrimPrefix(at, "."), want, got)}
	}
	return nil
}
