package mlrunyaml_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/mlrunyaml"
)

// doc is a minimal valid document with extra spec lines.
func doc(spec string) string {
	return "kind: dataset\nmetadata:\n  key: k\n  project: p\nspec:\n  db_key: k\n  target_path: /x\n" + spec
}

// labelsDoc is a document with n labels, the shape that was quadratic.
func labelsDoc(n int) string {
	var b strings.Builder
	b.WriteString("kind: model\nmetadata:\n  key: k\n  project: p\n  labels:\n")
	for i := range n {
		fmt.Fprintf(&b, "    label%d: v%d\n", i, i)
	}
	b.WriteString("spec:\n  db_key: k\n  target_path: /x\n")
	return b.String()
}

func TestDecodeManyLabels(t *testing.T) {
	d, err := mlrunyaml.Decode(labelsDoc(20000))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Metadata.Labels) != 20000 || *d.Metadata.Labels["label19999"] != "v19999" {
		t.Fatalf("%d labels", len(d.Metadata.Labels))
	}
}

func TestDecodeRefusesDuplicateKeys(t *testing.T) {
	for name, in := range map[string]string{
		"label":        labelsDoc(3) + "metadata:\n  key: again\n",
		"label twice":  strings.Replace(labelsDoc(3), "    label2: v2\n", "    label2: v2\n    label0: w\n", 1),
		"struct field": doc("  format: csv\n  format: txt\n"),
		"free-form":    doc("  schema: {a: 1, b: 2, a: 3}\n"),
		"int and text": doc("  extra_data: {1: x, \"1\": y}\n"),
	} {
		_, err := mlrunyaml.Decode(in)
		if lineage.ErrorCode(err) != lineage.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
}

func TestDecodeRefusesOversizedDocuments(t *testing.T) {
	big := doc("  description: " + strings.Repeat("x", mlrunyaml.MaxDocumentBytes) + "\n")
	_, err := mlrunyaml.Decode(big)
	if lineage.ErrorCode(err) != lineage.ELIMIT {
		t.Fatalf("%d bytes: %v, want ELIMIT", len(big), err)
	}
	// Limits can be lowered.
	_, err = mlrunyaml.DecodeWithLimits(labelsDoc(100), mlrunyaml.Limits{MaxBytes: 1000})
	if lineage.ErrorCode(err) != lineage.ELIMIT {
		t.Fatalf("over MaxBytes 1000: %v", err)
	}
}

func TestDecodeRefusesDeepNesting(t *testing.T) {
	n := mlrunyaml.MaxDocumentDepth
	deep := doc("  schema: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n")
	if _, err := mlrunyaml.Decode(deep); lineage.ErrorCode(err) != lineage.ELIMIT {
		t.Fatalf("%d levels: %v, want ELIMIT", n+2, err)
	}
	ok := doc("  schema: " + strings.Repeat("[", n-3) + strings.Repeat("]", n-3) + "\n")
	if _, err := mlrunyaml.Decode(ok); err != nil {
		t.Fatalf("%d levels: %v", n-1, err)
	}
	// Deeper than the parser allows: still a coded error, not a crash.
	deeper := doc("  schema: " + strings.Repeat("[", 20000) + "\n")
	if code := lineage.ErrorCode(mustFail(t, deeper)); code != lineage.EINVALID && code != lineage.ELIMIT {
		t.Fatalf("20000 levels: %s", code)
	}
}

// billionLaughs nests levels of n aliases to the level below: n^levels
// strings from a few hundred bytes.
func billionLaughs(levels, n int) string {
	var b strings.Builder
	b.WriteString(`  schema:` + "\n" + `    l0: &l0 "lol"` + "\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "    l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), n), ", "))
	}
	return doc(b.String())
}

func TestDecodeRefusesAliasBombs(t *testing.T) {
	for name, in := range map[string]string{
		"billion laughs": billionLaughs(9, 10),
		"wide":           billionLaughs(2, 2000),
		"long scalar": doc("  schema:\n    s: &s " + strings.Repeat("x", 100000) + "\n    t: [" +
			strings.TrimSuffix(strings.Repeat("*s, ", 20), ", ") + "]\n"),
	} {
		_, err := mlrunyaml.Decode(in)
		if lineage.ErrorCode(err) != lineage.ELIMIT {
			t.Errorf("%s: %v, want ELIMIT", name, err)
		}
	}
	// A few aliases are fine.
	d, err := mlrunyaml.Decode(billionLaughs(3, 3))
	if err != nil {
		t.Fatal(err)
	}
	if l3 := d.Spec.Schema.(map[string]any)["l3"].([]any); len(l3) != 3 || len(l3[2].([]any)) != 3 {
		t.Fatalf("l3 = %v", l3)
	}
}

func TestDecodeRefusesCyclesMergesAndBadTags(t *testing.T) {
	for name, in := range map[string]string{
		"tagged null": doc("  schema: {a: !!null foo}\n"),
		"null key":    doc("  extra_data: {~: x}\n"),
		"cycle":       doc("  schema: &a [1, *a]\n"),
		"map cycle":   doc("  schema: &a {x: *a}\n"),
		"merge":       doc("  stats: {base: &b {n: 1}, more: {<<: *b, m: 2}}\n"),
		"map key":     doc("  schema: {[1, 2]: x}\n"),
	} {
		if _, err := mlrunyaml.Decode(in); lineage.ErrorCode(err) != lineage.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
}

func TestDecodeFreeFormFields(t *testing.T) {
	d, err := mlrunyaml.Decode(doc("  metrics: {auc: 0.91, n: 3, ok: true, none: ~, 7: seven}\n  preview: [[1, a], [2.5, null]]\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := d.Spec.Metrics.(map[string]any)
	if m["auc"] != 0.91 || m["n"] != 3 || m["ok"] != true || m["none"] != nil || m["7"] != "seven" {
		t.Fatalf("metrics = %#v", m)
	}
	if p := d.Spec.Preview; len(p) != 2 || p[0][1] != "a" || p[1][0] != 2.5 || p[1][1] != nil {
		t.Fatalf("preview = %#v", p)
	}
}

func mustFail(t *testing.T, in string) error {
	t.Helper()
	_, err := mlrunyaml.Decode(in)
	if err == nil {
		t.Fatalf("Decode of %.40q... succeeded", in)
	}
	return err
}

// BenchmarkDecodeLabels shows decoding is linear in a mapping's size: the
// ns/key it reports stays flat from 1k to 64k keys (yaml.v3's own duplicate
// check made it grow 30-fold).
func BenchmarkDecodeLabels(b *testing.B) {
	for _, n := range []int{1 << 10, 4 << 10, 16 << 10, 64 << 10} {
		in := labelsDoc(n)
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := mlrunyaml.Decode(in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/key")
		})
	}
}
