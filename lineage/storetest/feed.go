package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// RunFeed checks a store's lineage.Feed: every store that several servers
// share implements it, and calls RunFeed beside Run.
func RunFeed(t *testing.T, open func(t *testing.T) lineage.Store) {
	t.Run("Feed", func(t *testing.T) {
		s := open(t)
		f, ok := s.(lineage.Feed)
		if !ok {
			t.Fatalf("%T has no Feed", s)
		}
		ctx := t.Context()
		start, err := f.FeedClock(ctx)
		if err != nil {
			t.Fatalf("FeedClock: %v", err)
		}
		// CreatedAt is the caller's (an event's, in the past); the feed
		// goes by the store's clock at the write.
		a := mustPutVersion(t, s, newVersion("fraud", "table", "v-a", 0))
		mustPutVersion(t, s, newVersion("other", "table", "v-other", 0))
		b := mustPutVersion(t, s, newVersion("fraud", "table", "v-b", 0))
		mustTag(t, s, a.UID, "prod", at(9)) // a tag moved is no new version
		vs, next, err := f.VersionsLoggedSince(ctx, "fraud", start.Add(-time.Second), 10)
		if err != nil {
			t.Fatalf("VersionsLoggedSince: %v", err)
		}
		if got := uidsOf(vs); !slices.Equal(got, []string{a.UID, b.UID}) {
			t.Fatalf("logged since the start: %q, want %q oldest first", got, []string{a.UID, b.UID})
		}
		assertTags(t, vs[0], "prod")
		if next.Before(start) {
			t.Errorf("next %v is before the clock at the start %v", next, start)
		}
		vs, next2, err := f.VersionsLoggedSince(ctx, "fraud", start.Add(-time.Second), 1)
		if err != nil || len(vs) != 1 || vs[0].UID != a.UID || next2.After(next) {
			t.Fatalf("a batch of one: %v %v, next %v", uidsOf(vs), err, next2)
		}
		later := next.Add(time.Hour)
		if vs, _, err := f.VersionsLoggedSince(ctx, "fraud", later, 10); err != nil || len(vs) != 0 {
			t.Errorf("logged since an hour ahead: %v %v", uidsOf(vs), err)
		}
	})
}
