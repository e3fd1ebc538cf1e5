package embedded

import (
	"fmt"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"

	"github.com/artigraph/artigraph/lineage"
)

// groupCommitter writes the mutations that wait for the disk together: one
// bbolt transaction and one fsync for every change queued while the previous
// group was being written.
//
// A mutation checks and builds its change under wmu, as before, and applies
// it to memory at once, so that the next writer's checks see it. Readers must
// not see it before it is durable, so from the first pending change until the
// last group is written, s.mu stays locked for writing, on behalf of the
// pending changes rather than of one goroutine: readers wait for the fsync,
// never see what the disk lacks. The writer then lets go of wmu while the
// fsync runs; the next writers apply their changes and queue them; the loop
// writes them as the next group.
//
// A failed write (an I/O error, a full disk) leaves memory ahead of the file,
// and the file's state after a failed fsync is unknown. The store then fails
// stop: every member of that group and of the groups queued behind it (whose
// checks saw it) gets the error, and every later call gets EUNAVAILABLE before
// it can read memory. A restart loads the file, which holds exactly the
// acknowledged changes.
type groupCommitter struct {
	s       *Store
	enabled bool

	mu      sync.Mutex
	wake    *sync.Cond // a change was queued, or stop was called
	idle    *sync.Cond // holding became false
	pending []*groupMember
	holding bool // s.mu is locked for writing on behalf of queued or written changes
	groups  int  // groups started since holding became true
	started bool
	stopped bool
	done    chan struct{} // closed when the loop has returned

	failed atomic.Pointer[error] // the write that stopped the store

	// Tests hold a group with these: queued runs under mu once a change is
	// queued, with the queue's length; beforeWrite runs before a group's
	// transaction.
	queued      func(pending int)
	beforeWrite func()
}

type groupMember struct {
	enc  *encodedChange
	done chan error
}

func newGroupCommitter(s *Store, enabled bool) *groupCommitter {
	g := &groupCommitter{s: s, enabled: enabled, done: make(chan struct{})}
	g.wake = sync.NewCond(&g.mu)
	g.idle = sync.NewCond(&g.mu)
	return g
}

// start runs the loop, once the store is loaded.
func (g *groupCommitter) start() {
	if !g.enabled {
		return
	}
	g.mu.Lock()
	g.started = true
	g.mu.Unlock()
	go g.loop()
}

// stop ends the loop. The caller holds wmu and s.mu, so nothing is pending.
func (g *groupCommitter) stop() {
	g.mu.Lock()
	g.stopped = true
	started := g.started
	g.wake.Signal()
	g.mu.Unlock()
	if started {
		<-g.done
	}
}

// failure is the error every call gets once a group failed to be written.
func (g *groupCommitter) failure() error {
	if p := g.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// commit applies enc to memory, calls read, queues enc and waits for its
// group's fsync. The caller holds wmu, and holds it again when commit
// returns; without read, only once no group is pending, so that memory then
// holds nothing the disk lacks.
func (g *groupCommitter) commit(enc *encodedChange, read func()) error {
	m := &groupMember{enc: enc, done: make(chan error, 1)}
	g.mu.Lock()
	// Under a steady stream of writes the queue might never empty and the
	// readers never get in: after two groups, new changes wait until the
	// readers have had their turn.
	for g.holding && g.groups >= 2 {
		g.idle.Wait()
	}
	if !g.holding {
		// Only a writer, and it holds wmu, sets holding: it stays false
		// while this one waits for the readers.
		g.mu.Unlock()
		g.s.mu.Lock()
		g.mu.Lock()
		g.holding, g.groups = true, 0
	}
	// Under g.mu, so that the loop cannot find the queue empty and let the
	// readers in between the apply and the queueing.
	g.s.apply(enc)
	if read != nil {
		read()
	}
	g.pending = append(g.pending, m)
	if g.queued != nil {
		g.queued(len(g.pending))
	}
	g.wake.Signal()
	g.mu.Unlock()

	g.s.wmu.Unlock()
	err := <-m.done
	g.s.wmu.Lock()
	if read == nil {
		g.waitIdle()
	}
	return err
}

// waitIdle waits until no change is pending. The caller holds wmu, so none
// is queued meanwhile.
func (g *groupCommitter) waitIdle() {
	g.mu.Lock()
	for g.holding {
		g.idle.Wait()
	}
	g.mu.Unlock()
}

// loop writes the queued changes, a group at a time, until stop.
func (g *groupCommitter) loop() {
	defer close(g.done)
	g.mu.Lock()
	defer g.mu.Unlock()
	for {
		for len(g.pending) == 0 && !g.stopped {
			g.wake.Wait()
		}
		if len(g.pending) == 0 {
			return
		}
		group := g.pending
		g.pending = nil
		g.groups++
		g.mu.Unlock()
		if g.beforeWrite != nil {
			g.beforeWrite()
		}
		err := g.write(group)
		g.mu.Lock()
		for _, m := range group {
			m.done <- err
		}
		if len(g.pending) == 0 {
			g.holding = false
			g.s.mu.Unlock() // memory and file agree: readers may look
			g.idle.Broadcast()
		}
	}
}

// write commits a group in one transaction, or fails it (and the store) if
// this write or an earlier one failed.
func (g *groupCommitter) write(group []*groupMember) error {
	if err := g.failure(); err != nil {
		return err
	}
	err := g.s.db.Update(func(tx *bolt.Tx) error {
		for _, m := range group {
			if err := writeChange(tx, m.enc); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		g.s.txs.Add(1)
		return nil
	}
	var failed error = lineage.Errorf(lineage.EUNAVAILABLE,
		"the embedded store stopped after a failed write (restart the server to reload the file): %v", err)
	g.failed.CompareAndSwap(nil, &failed)
	return fmt.Errorf("embedded: write: %w", err)
}
