// Package scalars holds hand-written marshallers for the schema's custom
// scalars that gqlgen does not provide. It is not generated.
package scalars

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/99designs/gqlgen/graphql"
	"github.com/artigraph/artigraph/lineage"
)

// MarshalRawJSON writes the JSON scalar as the raw bytes it holds, so values
// pass through untouched (numbers keep their precision, objects their key
// order). An empty value is written as null; bytes that are not valid JSON
// are an error rather than a corrupt response.
func MarshalRawJSON(v json.RawMessage) graphql.ContextMarshaler {
	return graphql.ContextWriterFunc(func(_ context.Context, w io.Writer) error {
		if len(v) == 0 {
			_, err := io.WriteString(w, "null")
			return err
		}
		if !json.Valid(v) {
			return fmt.Errorf("JSON scalar holds invalid JSON")
		}
		_, err := w.Write(v)
		return err
	})
}

// UnmarshalRawJSON reads the JSON scalar from an input value: a variable
// (decoded by gqlgen with json.Number, so numbers keep their precision) or a
// literal in the query. Null becomes a nil RawMessage. Objects arrive as Go
// maps, so their keys come out sorted, as encoding/json writes maps.
func UnmarshalRawJSON(_ context.Context, v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, lineage.Errorf(lineage.EINVALID, "JSON scalar: %v", err)
	}
	return b, nil
}
