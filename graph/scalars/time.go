package scalars

import (
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/artigraph/artigraph/lineage"
)

// MarshalTime writes RFC 3339 with nanoseconds, as gqlgen's Time does.
func MarshalTime(t time.Time) graphql.Marshaler { return graphql.MarshalTime(t) }

// UnmarshalTime reads RFC 3339. A malformed value is the caller's mistake
// (INVALID_ARGUMENT), not an internal error.
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, lineage.Errorf(lineage.EINVALID, "a Time is an RFC 3339 string, not %T", v)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, lineage.Errorf(lineage.EINVALID, "%q is not an RFC 3339 time such as 2026-01-31T12:00:00Z", s)
	}
	return t, nil
}
