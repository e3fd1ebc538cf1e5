package embedded

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// The slot sets count what a walk of the lists counts, for label filters of
// every kind, while versions come and go: enough of them that chunks turn
// from arrays into bitmaps, and slots are reused.
func TestLabelTotalCountsWhatTheListsHold(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := newProjectIndex()
	live := map[int]*lineage.Version{}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 70000 {
		v := &lineage.Version{UID: fmt.Sprintf("v%06d", i), Project: "p", Key: "k", UpdatedAt: t0.Add(time.Duration(i) * time.Second),
			Labels: []lineage.Label{{Key: "team", Value: ptr(fmt.Sprintf("t%d", i%3))}}}
		if i%2 == 0 {
			v.Labels = append(v.Labels, lineage.Label{Key: "even"})
		}
		if rng.IntN(50) == 0 {
			v.Labels = append(v.Labels, lineage.Label{Key: "rare", Value: ptr("yes")})
		}
		x.add(v)
		live[i] = v
		if rng.IntN(4) == 0 { // remove an older one: its slot is reused
			j := rng.IntN(i + 1)
			if old, ok := live[j]; ok {
				x.remove(old)
				delete(live, j)
			}
		}
	}
	for _, labels := range [][]string{
		{"team=t1", "even"}, {"even", "team=t2", "rare"}, {"rare=yes", "team"}, {"team=t1", "team=t2"},
		{"even", "even"}, {"team=t0", "nobody"}, {"rare", "team=t1", "even"},
	} {
		f := lineage.VersionFilter{Labels: labels}
		q, ok := x.labelQuery(f)
		if !ok {
			t.Fatalf("%v: not answered by the slot sets", labels)
		}
		want, match := 0, matcher(f)
		for _, v := range live {
			if match(v) {
				want++
			}
			inAll := q.lead != nil
			for _, set := range q.sets {
				inAll = inAll && set.has(x.slots[v])
			}
			if match(v) != inAll || inAll && !q.matches(v) {
				t.Fatalf("%v: %s matches: %v, in every slot set: %v", labels, v.UID, match(v), inAll)
			}
		}
		if got := q.total(); got != want {
			t.Errorf("%v: slot sets count %d, the versions %d", labels, got, want)
		}
	}
}

// A labels-only listing (slot sets) pages exactly as the general walk does:
// here the same labels with a Since before every version, which takes the
// walk. The versions go straight into memory, as the listing reads only it.
func TestLabelListingPagesAsTheWalkDoes(t *testing.T) {
	s := openWithProject(t, filepath.Join(t.TempDir(), "artigraph.db"), Options{})
	defer s.Close()
	s.mu.Lock()
	for i := range 20000 {
		w := groupWrite(i)
		w.Version.Labels = []lineage.Label{{Key: "team", Value: ptr(fmt.Sprintf("t%d", i%3))}}
		if i%2 == 0 {
			w.Version.Labels = append(w.Version.Labels, lineage.Label{Key: "even"})
		}
		v := w.Version
		s.applyVersion(&v)
	}
	s.mu.Unlock()
	epoch := time.Unix(0, 0)
	for _, labels := range [][]string{{"team=t1", "even"}, {"even", "team"}, {"team=t2", "nobody"}} {
		fast := lineage.VersionFilter{Labels: labels}
		walked := fast
		walked.Since = &epoch
		var after string
		for pages := 0; ; pages++ {
			got, err := s.ListVersions(t.Context(), "p", fast, lineage.Page{First: 1000, After: after})
			if err != nil {
				t.Fatal(err)
			}
			want, err := s.ListVersions(t.Context(), "p", walked, lineage.Page{First: 1000, After: after})
			if err != nil {
				t.Fatal(err)
			}
			if got.Total != want.Total || got.HasNext != want.HasNext || got.EndCursor != want.EndCursor || len(got.Versions) != len(want.Versions) {
				t.Fatalf("%v page %d: total %d, next %v, %d versions; the walk: %d, %v, %d",
					labels, pages, got.Total, got.HasNext, len(got.Versions), want.Total, want.HasNext, len(want.Versions))
			}
			if !got.HasNext {
				break
			}
			after = got.EndCursor
		}
	}
}
