package lineage

import "sync"

// Broker fans committed versions out to subscribers in this process.
// A slow subscriber loses events rather than slowing writers down.
// A version is published once: the same uid again (a poll of a shared
// store's feed after this server's own log) is dropped.
type Broker struct {
	mu     sync.Mutex
	subs   map[chan Version]string // channel → project
	seen   map[string]bool         // uids published lately
	recent []string                // the same, oldest first, at most brokerMemory
}

// subscriberBuffer is how many events a subscriber may fall behind;
// brokerMemory how many uids the broker remembers to drop repeats.
const (
	subscriberBuffer = 64
	brokerMemory     = 1 << 14
)

// Subscribe returns a channel of the project's new versions and a function
// that ends the subscription and closes the channel.
func (b *Broker) Subscribe(project string) (<-chan Version, func()) {
	ch := make(chan Version, subscriberBuffer)
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[chan Version]string{}
	}
	b.subs[ch] = project
	b.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, ch)
			b.mu.Unlock()
			close(ch)
		})
	}
}

// Publish sends v to the subscribers of its project without blocking,
// once per uid.
func (b *Broker) Publish(v Version) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.remember(v.UID) {
		return
	}
	for ch, project := range b.subs {
		if project == v.Project {
			select {
			case ch <- v:
			default:
			}
		}
	}
}

// Published marks uid as published without sending it: a version committed
// before a subscription began.
func (b *Broker) Published(uid string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.remember(uid)
}

// remember adds uid to the published ones and reports whether it is new
// there; b.mu is held.
func (b *Broker) remember(uid string) bool {
	if b.seen[uid] {
		return false
	}
	if b.seen == nil {
		b.seen = map[string]bool{}
	}
	if len(b.recent) == brokerMemory {
		delete(b.seen, b.recent[0])
		b.recent = b.recent[1:]
	}
	b.seen[uid] = true
	b.recent = append(b.recent, uid)
	return true
}

// Subscribers counts the live subscriptions to a project's versions.
func (b *Broker) Subscribers(project string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, p := range b.subs {
		if p == project {
			n++
		}
	}
	return n
}
