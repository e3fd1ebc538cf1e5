package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/artigraph/artigraph/lineage"
)

var concurrencyTests = []test{
	{"RacingTagsLeaveOneHolder", testTagRace},
	{"RacingWritesLeaveOneLatest", testPutRace},
}

const racers = 32

func testTagRace(t *testing.T, s lineage.Store) {
	var uids []string
	for i := range racers {
		uid := fmt.Sprintf("v%02d", i)
		mustPutVersion(t, s, newVersion("p", "model", uid, i))
		uids = append(uids, uid)
	}
	errs := make(chan error, racers)
	var wg sync.WaitGroup
	for i, uid := range uids {
		wg.Go(func() {
			if _, err := s.TagVersion(t.Context(), uid, "champion", at(100+i)); err != nil {
				errs <- fmt.Errorf("TagVersion %s: %w", uid, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assertOneHolder(t, s, uids, "champion")
}

func testPutRace(t *testing.T, s lineage.Store) {
	var uids []string
	for i := range racers {
		uids = append(uids, fmt.Sprintf("v%02d", i))
	}
	errs := make(chan error, racers)
	var wg sync.WaitGroup
	for i, uid := range uids {
		wg.Go(func() {
			_, created, err := s.PutVersion(t.Context(), newVersion("p", "model", uid, i).tags("candidate").w)
			if err != nil || !created {
				errs <- fmt.Errorf("PutVersion %s: created %v, %v", uid, created, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assertOneHolder(t, s, uids, lineage.TagLatest)
	assertOneHolder(t, s, uids, "candidate")
}

// assertOneHolder checks, through both ListVersions and GetVersions, that
// exactly one of the versions holds tag.
func assertOneHolder(t *testing.T, s lineage.Store, uids []string, tag string) {
	t.Helper()
	listed := holders(t, s, "p", "model", tag)
	if len(listed) != 1 {
		t.Fatalf("ListVersions finds %d holders of %s: %q", len(listed), tag, listed)
	}
	vs, err := s.GetVersions(t.Context(), uids)
	if err != nil {
		t.Fatalf("GetVersions: %v", err)
	}
	if len(vs) != len(uids) {
		t.Fatalf("GetVersions: %d versions, want %d", len(vs), len(uids))
	}
	var held []string
	for _, v := range vs {
		if v.HasTag(tag) {
			held = append(held, v.UID)
		}
	}
	if len(held) != 1 || held[0] != listed[0] {
		t.Fatalf("GetVersions finds %q holding %s, ListVersions %q", held, tag, listed)
	}
}
