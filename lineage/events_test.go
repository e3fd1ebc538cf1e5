package lineage_test

import (
	"testing"

	"github.com/artigraph/artigraph/lineage"
)

// A version is sent once, whether it is published twice (a server's own
// log, then a poll of the shared store's feed) or was marked published
// before the subscription began.
func TestBrokerSendsAVersionOnce(t *testing.T) {
	var b lineage.Broker
	ch, cancel := b.Subscribe("p")
	defer cancel()
	b.Published("old")
	for _, uid := range []string{"a", "a", "old", "b", "a"} {
		b.Publish(lineage.Version{Project: "p", UID: uid})
	}
	b.Publish(lineage.Version{Project: "other", UID: "c"})
	cancel()
	var got []string
	for v := range ch {
		got = append(got, v.UID)
	}
	if len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("sent %v, want [a b]", got)
	}
}
