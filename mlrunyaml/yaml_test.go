package mlrunyaml_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/mlrunyaml"
)

func TestRoundTrip(t *testing.T) {
	created := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	size := int64(42)
	length := 3
	v := "prod"
	d := lineage.Document{
		Kind: "dataset",
		Metadata: lineage.DocMetadata{Key: "clean", Project: "fraud", Iter: 0, Tree: "r1", UID: "abc",
			Tag: "latest", Tags: []string{"latest", "v1"}, Labels: map[string]*string{"env": &v, "gold": nil},
			Description: "cleaned", Created: &created, Updated: &created},
		Spec: lineage.DocSpec{DBKey: "clean", TargetPath: "/data/clean.csv", Format: "csv", Size: &size,
			Hash: "sha256:00", Producer: &lineage.DocProducer{Kind: "run", Name: "prep", URI: "fraud/r1", Owner: "ana"},
			Sources:   []lineage.DocSource{{Name: "raw", Path: "store://datasets/fraud/raw^u1"}},
			ExtraData: map[string]any{"chart": "store://artifacts/fraud/roc^u2"},
			Schema:    map[string]any{"fields": []any{map[string]any{"name": "amount", "type": "number"}}},
			Header:    []string{"id", "amount"}, Length: &length, Preview: [][]any{{1, 9.5}, {2, "x"}},
			Stats: map[string]any{"amount": map[string]any{"mean": 4.5}}},
		Status: lineage.DocStatus{State: "created"},
	}
	s, err := mlrunyaml.Encode(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kind: dataset", "target_path: /data/clean.csv", "db_key: clean", "gold: null"} {
		if !strings.Contains(s, want) {
			t.Errorf("YAML lacks %q:\n%s", want, s)
		}
	}
	back, err := mlrunyaml.Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	// Compare through JSON: YAML decodes numbers as int/float like JSON does.
	a, _ := json.Marshal(d)
	b, _ := json.Marshal(back)
	var x, y any
	json.Unmarshal(a, &x)
	json.Unmarshal(b, &y)
	if !reflect.DeepEqual(x, y) {
		t.Fatalf("round trip changed the document:\n%s\n%s", a, b)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, in := range []string{"kind: [", "kind: model\nmetadata: {key: [1]}\n", "metadata: 3\n",
		"metadata: {viewer: 1, viewer: 2}\n", "metadata: {updated: yesterday}\n"} {
		if _, err := mlrunyaml.Decode(in); lineage.ErrorCode(err) != lineage.EINVALID {
			t.Errorf("Decode(%q) = %v, want EINVALID", in, err)
		}
	}
}
