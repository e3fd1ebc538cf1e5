package lineage

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// feedFollow is a poller of one project's feed and how many subscriptions
// need it.
type feedFollow struct {
	n      int
	cancel context.CancelFunc
}

// followFeed keeps a poller of project's feed running (one per project)
// until the function it returns has been called as often as followFeed.
// The first follower waits for the poller's start, so that what is
// committed once followFeed returns is shown. Without a feed it does
// nothing.
func (s *Service) followFeed(ctx context.Context, project string) (unfollow func()) {
	if s.feed == nil {
		return func() {}
	}
	s.feedMu.Lock()
	defer s.feedMu.Unlock()
	if s.feeds == nil {
		s.feeds = map[string]*feedFollow{}
	}
	f := s.feeds[project]
	if f == nil {
		start, stop := context.WithTimeout(ctx, 10*time.Second)
		since, err := s.feedStart(start, project)
		stop()
		poll, cancel := context.WithCancel(context.Background())
		f = &feedFollow{cancel: cancel}
		s.feeds[project] = f
		go s.pollFeed(poll, project, since, err)
	}
	f.n++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.feedMu.Lock()
			defer s.feedMu.Unlock()
			if f.n--; f.n == 0 {
				f.cancel()
				delete(s.feeds, project)
			}
		})
	}
}

// Feed is what a store that several servers share offers so that a
// subscriber on one server sees the versions logged through another: the
// versions in the order the store committed them, by the store's clock.
// A Store that implements it is polled while a project has subscribers.
type Feed interface {
	// FeedClock is the store's clock now.
	FeedClock(ctx context.Context) (time.Time, error)
	// VersionsLoggedSince returns up to limit versions of project committed
	// at or after since by the store's clock, oldest first, and the time
	// to ask from next: the store's clock now when fewer than limit came,
	// else the commit time of the last one.
	VersionsLoggedSince(ctx context.Context, project string, since time.Time, limit int) (vs []Version, next time.Time, err error)
}

// Feed polling: how often, how far back each poll looks (commits that were
// under way at the last poll finish later with an earlier time), and how
// many versions one poll takes.
const (
	DefaultFeedInterval = time.Second
	feedOverlap         = 10 * time.Second
	feedBatch           = 1000
)

// pollFeed publishes, until ctx ends, the versions of project that the feed
// shows from since on (feedStart's answer); the Broker drops those already
// published (by this server's own logs, or an earlier poll).
func (s *Service) pollFeed(ctx context.Context, project string, since time.Time, err error) {
	interval := s.Config.FeedInterval
	if interval <= 0 {
		interval = DefaultFeedInterval
	}
	for err != nil { // the store was away: wait for it
		if !sleep(ctx, interval) {
			return
		}
		since, err = s.feedStart(ctx, project)
	}
	for sleep(ctx, interval) {
		from := since.Add(-feedOverlap)
		for {
			vs, next, err := s.feed.VersionsLoggedSince(ctx, project, from, feedBatch)
			if err != nil {
				if ctx.Err() == nil {
					slog.Warn("subscriptions: reading the store's feed", "project", project, "err", err)
				}
				break
			}
			for _, v := range vs {
				s.events.Publish(v)
			}
			if len(vs) < feedBatch || !next.After(from) {
				since = next
				break
			}
			from = next // a full batch: go on from its last commit
		}
	}
}

// feedStart returns the store's clock and marks as published what the
// first polls will look back on: versions committed before the
// subscriptions began.
func (s *Service) feedStart(ctx context.Context, project string) (time.Time, error) {
	now, err := s.feed.FeedClock(ctx)
	if err != nil {
		return now, err
	}
	from := now.Add(-feedOverlap)
	for {
		vs, next, err := s.feed.VersionsLoggedSince(ctx, project, from, feedBatch)
		if err != nil {
			return now, err
		}
		for _, v := range vs {
			s.events.Published(v.UID)
		}
		if len(vs) < feedBatch || !next.After(from) {
			return now, nil
		}
		from = next
	}
}

// sleep waits d, or less if ctx ends first; it reports whether ctx is live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
