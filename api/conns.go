package api

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// ExtendReadDeadline lets a handler read its request body for d more (no
// deadline when d <= 0), past the server's read timeout. Streamed upload
// routes get this from the guard on every read; other long readers may call
// it themselves.
func ExtendReadDeadline(w http.ResponseWriter, d time.Duration) error {
	var t time.Time
	if d > 0 {
		t = time.Now().Add(d)
	}
	return http.NewResponseController(w).SetReadDeadline(t)
}

// deadlineBody moves the read deadline forward before every read: an upload
// may take as long as it needs while it keeps sending, and a stalled one
// ends idle later.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
}

func progressDeadline(w http.ResponseWriter, body io.ReadCloser, idle time.Duration) io.ReadCloser {
	if idle <= 0 {
		idle = DefaultBodyIdleTimeout
	}
	return &deadlineBody{ReadCloser: body, rc: http.NewResponseController(w), idle: idle}
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	_ = b.rc.SetReadDeadline(time.Now().Add(b.idle))
	return b.ReadCloser.Read(p)
}

// ConnLimiter caps a server's open connections. At the cap, accepting a new
// connection first closes an idle keep-alive one (the longest idle), else one
// that has not sent a request yet; only when every connection is busy does
// the next Accept wait for one to close. So idle connections, however many,
// never lock new clients out. Install it with Listener and ConnState.
type ConnLimiter struct {
	max   int
	mu    sync.Mutex
	freed *sync.Cond
	conns map[*limitedConn]struct{}
}

// NewConnLimiter allows max open connections (max <= 0: no cap).
func NewConnLimiter(max int) *ConnLimiter {
	l := &ConnLimiter{max: max, conns: map[*limitedConn]struct{}{}}
	l.freed = sync.NewCond(&l.mu)
	return l
}

type limitedConn struct {
	net.Conn
	l     *ConnLimiter
	state http.ConnState
	since time.Time
	once  sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
		c.l.freed.Signal()
	})
	return err
}

// Open is the number of open connections.
func (l *ConnLimiter) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// Listener wraps ln so that its connections are counted.
func (l *ConnLimiter) Listener(ln net.Listener) net.Listener {
	return &limitedListener{Listener: ln, l: l}
}

type limitedListener struct {
	net.Listener
	l *ConnLimiter
}

func (ll *limitedListener) Accept() (net.Conn, error) {
	c, err := ll.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return ll.l.admit(c), nil
}

func (l *ConnLimiter) admit(c net.Conn) net.Conn {
	lc := &limitedConn{Conn: c, l: l, state: http.StateNew, since: time.Now()}
	l.mu.Lock()
	for l.max > 0 && len(l.conns) >= l.max {
		victim := l.evictable()
		if victim == nil {
			l.freed.Wait()
			continue
		}
		delete(l.conns, victim)
		// Close outside the lock would be tidier, but Close only takes the
		// lock through once, which the delete above has made a no-op.
		victim.once.Do(func() {})
		_ = victim.Conn.Close()
	}
	l.conns[lc] = struct{}{}
	l.mu.Unlock()
	return lc
}

// evictable is the longest-idle keep-alive connection, else the oldest that
// has sent nothing yet; nil when all are busy. Called with l.mu held.
func (l *ConnLimiter) evictable() *limitedConn {
	var idle, fresh *limitedConn
	for c := range l.conns {
		switch c.state {
		case http.StateIdle:
			if idle == nil || c.since.Before(idle.since) {
				idle = c
			}
		case http.StateNew:
			if fresh == nil || c.since.Before(fresh.since) {
				fresh = c
			}
		}
	}
	if idle != nil {
		return idle
	}
	return fresh
}

// ConnState is the http.Server hook that tells the limiter which
// connections are idle.
func (l *ConnLimiter) ConnState(c net.Conn, s http.ConnState) {
	lc, ok := c.(*limitedConn)
	if !ok {
		return
	}
	l.mu.Lock()
	lc.state, lc.since = s, time.Now()
	l.mu.Unlock()
	if s == http.StateIdle {
		l.freed.Broadcast() // an Accept waiting at the cap may evict it now
	}
}

// ---- websockets and subscriptions ----

// DefaultMaxSubscriptions caps open websockets and, separately, running
// subscriptions across all of them.
const DefaultMaxSubscriptions = 256

// subscriptionLimit counts websockets (at upgrade) and subscriptions (as
// operations), refusing both over the cap.
type subscriptionLimit struct {
	max     int64
	sockets atomic.Int64
	subs    atomic.Int64
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = (*subscriptionLimit)(nil)

func (*subscriptionLimit) ExtensionName() string                   { return "SubscriptionLimit" }
func (*subscriptionLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (s *subscriptionLimit) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	op := graphql.GetOperationContext(ctx)
	if op.Operation == nil || op.Operation.Operation != ast.Subscription {
		return next(ctx)
	}
	if s.subs.Add(1) > s.max {
		s.subs.Add(-1)
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{
			limitError("the server runs %d subscriptions, its limit; try again later", s.max)}})
	}
	// The operation's context ends when the client completes it, the
	// stream ends or the socket closes.
	var once sync.Once
	release := func() { once.Do(func() { s.subs.Add(-1) }) }
	context.AfterFunc(ctx, release)
	h := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		r := h(ctx)
		if r == nil {
			release()
		}
		return r
	}
}

// sockets refuses a websocket upgrade over the cap with 503 and a coded
// error, before the upgrade, and counts the socket while it lives.
func (s *subscriptionLimit) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "" {
			next.ServeHTTP(w, r)
			return
		}
		if s.sockets.Add(1) > s.max {
			s.sockets.Add(-1)
			refuse(w, http.StatusServiceUnavailable, "LIMIT_EXCEEDED", "too many open websockets; try again later")
			return
		}
		defer s.sockets.Add(-1)
		next.ServeHTTP(w, r)
	})
}
