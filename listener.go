package main

import (
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/artigraph/artigraph/api"
)

// Connection defaults (flags override them).
const (
	defaultMaxConnections = 512
	defaultIdleTimeout    = 60 * time.Second
	defaultReadTimeout    = 60 * time.Second
	readHeaderTimeout     = 10 * time.Second
	maxHeaderBytes        = 64 << 10
)

// allowedHosts is --allowed-hosts as a list. Unset, a server bound to a
// loopback address answers only loopback names (a DNS-rebinding page names
// its own domain), and one bound to another address answers any Host, as it
// is reached by names this process cannot know; "*" says so explicitly.
func allowedHosts(flag, addr string) []string {
	var out []string
	for _, h := range strings.Split(flag, ",") {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, h)
		}
	}
	if len(out) > 0 {
		return out
	}
	if isLoopbackAddr(addr) {
		return api.LoopbackHosts
	}
	return []string{"*"}
}

// isLoopbackAddr reports whether a listen address binds loopback only
// ("127.0.0.1:8080", "localhost:8080", "[::1]:0"); ":8080" binds every
// interface.
func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// newHTTPServer is the server's HTTP side: timeouts for slow or idle
// clients, a header cap, and a connection cap that closes idle keep-alive
// connections to make room, so that no number of idle clients locks out a
// new one. Streamed uploads move their own read deadline forward as they
// read (api.ExtendReadDeadline), and websockets clear it.
func newHTTPServer(c Config, h http.Handler, ln net.Listener) (*http.Server, net.Listener) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: c.ReadTimeout,
		IdleTimeout: c.IdleTimeout, MaxHeaderBytes: maxHeaderBytes}
	if c.MaxConnections > 0 {
		limiter := api.NewConnLimiter(c.MaxConnections)
		srv.ConnState = limiter.ConnState
		ln = limiter.Listener(ln)
	}
	return srv, ln
}
