package lineage

import "sync"

// Broker fans committed versions out to subscribers in this process.
// A slow subscriber loses events rather than slowing writers down.
type Broker struct {
	mu   sync.Mutex
	subs map[chan Version]string // channel → project
}

// subscriberBuffer is how many events a subscriber may fall behind.
const subscriberBuffer = 64

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

// Publish sends v to the subscribers of its project without blocking.
func (b *Broker) Publish(v Version) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch, project := range b.subs {
		if project == v.Project {
			select {
			case ch <- v:
			default:
			}
		}
	}
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
