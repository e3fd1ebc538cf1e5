// Package mlrunyaml reads and writes artifact Documents as YAML, the format
// MLRun's UI downloads and its SDK imports.
package mlrunyaml

import (
	"bytes"

	"go.yaml.in/yaml/v3"

	"github.com/artigraph/artigraph/lineage"
)

// Encode returns d as YAML.
func Encode(d lineage.Document) (string, error) {
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

// Decode parses YAML into a Document; malformed input is EINVALID.
func Decode(s string) (lineage.Document, error) {
	var d lineage.Document
	dec := yaml.NewDecoder(bytes.NewReader([]byte(s)))
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil {
		return lineage.Document{}, lineage.Errorf(lineage.EINVALID, "artifact YAML: %v", err)
	}
	return d, nil
}
