package neo4j

import (
	"context"
	"slices"
	"time"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/artigraph/artigraph/lineage"
)

// Every version records loggedAt, the database's clock (milliseconds) when
// PutVersion created it: one clock for every server sharing the graph, so
// that subscribers on each see what the others log (lineage.Feed).
var _ lineage.Feed = (*Store)(nil)

// FeedClock is the database's clock now.
func (s *Store) FeedClock(ctx context.Context) (time.Time, error) {
	return read(ctx, s, func(tx neo.ManagedTransaction) (time.Time, error) {
		rec, err := single(ctx, tx, "RETURN timestamp()", nil)
		if err != nil {
			return time.Time{}, err
		}
		return time.UnixMilli(num(rec.Values[0])).UTC(), nil
	})
}

// VersionsLoggedSince returns up to limit versions of project created at or
// after since by the database's clock, oldest first.
func (s *Store) VersionsLoggedSince(ctx context.Context, project string, since time.Time, limit int) ([]lineage.Version, time.Time, error) {
	type page struct {
		uids []string
		next time.Time
	}
	p, err := read(ctx, s, func(tx neo.ManagedTransaction) (page, error) {
		recs, err := collect(ctx, tx, `
			MATCH (v:Version) WHERE v.project = $project AND v.loggedAt >= $since
			RETURN v.uid, v.loggedAt ORDER BY v.loggedAt, v.uid LIMIT $limit`,
			map[string]any{"project": project, "since": since.UnixMilli(), "limit": int64(limit)})
		if err != nil {
			return page{}, err
		}
		var p page
		for _, rec := range recs {
			p.uids = append(p.uids, str(rec.Values[0]))
			p.next = time.UnixMilli(num(rec.Values[1])).UTC()
		}
		if len(recs) < limit {
			now, err := single(ctx, tx, "RETURN timestamp()", nil)
			if err != nil {
				return page{}, err
			}
			p.next = time.UnixMilli(num(now.Values[0])).UTC()
		}
		return p, nil
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	vs, err := s.GetVersions(ctx, p.uids)
	if err != nil {
		return nil, time.Time{}, err
	}
	at := map[string]int{}
	for i, uid := range p.uids {
		at[uid] = i
	}
	slices.SortFunc(vs, func(a, b lineage.Version) int { return at[a.UID] - at[b.UID] })
	return vs, p.next, nil
}
