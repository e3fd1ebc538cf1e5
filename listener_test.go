package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestHTTPFlags(t *testing.T) {
	none := func(string) string { return "" }
	c, err := parseConfig(nil, none)
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxRequestBytes != 16<<20 || c.MaxQueryFields != 5000 || c.MaxConnections != 512 || c.MaxSubscriptions != 256 ||
		c.ReadTimeout != 60*time.Second || c.IdleTimeout != 60*time.Second {
		t.Fatalf("defaults: %+v", c)
	}
	// Bound to loopback, only loopback names are served; bound to every
	// interface, any Host unless the flag lists them.
	if got := strings.Join(c.AllowedHosts, ","); got != "localhost,.localhost,127.0.0.0/8,::1" {
		t.Fatalf("loopback default: %s", got)
	}
	wide, _ := parseConfig([]string{"--addr", ":8080"}, none)
	if got := strings.Join(wide.AllowedHosts, ","); got != "*" {
		t.Fatalf("non-loopback default: %s", got)
	}
	env := map[string]string{"ARTIGRAPH_ALLOWED_HOSTS": "a.example, .corp.example", "ARTIGRAPH_MAX_REQUEST_BYTES": "1024",
		"ARTIGRAPH_MAX_QUERY_FIELDS": "99", "ARTIGRAPH_MAX_CONNECTIONS": "7", "ARTIGRAPH_MAX_SUBSCRIPTIONS": "3"}
	c, _ = parseConfig([]string{"--addr", "0.0.0.0:1", "--idle-timeout", "5s", "--read-timeout", "7s"}, func(k string) string { return env[k] })
	if strings.Join(c.AllowedHosts, ",") != "a.example,.corp.example" || c.MaxRequestBytes != 1024 || c.MaxQueryFields != 99 ||
		c.MaxConnections != 7 || c.MaxSubscriptions != 3 || c.IdleTimeout != 5*time.Second || c.ReadTimeout != 7*time.Second {
		t.Fatalf("from env and flags: %+v", c)
	}
}

// Hole 3: no timeouts but the header one, no cap on connections: idle or
// silent connections held file descriptors for ever.
func TestServerTimeouts(t *testing.T) {
	m := serve(t)
	h := m.HTTP
	if h.ReadHeaderTimeout != 10*time.Second || h.ReadTimeout != 60*time.Second || h.IdleTimeout != 60*time.Second ||
		h.MaxHeaderBytes != 64<<10 || h.ConnState == nil {
		t.Fatalf("%+v", h)
	}
}

// keepAlive opens a raw connection and completes one keep-alive request on
// it, leaving it idle.
func keepAlive(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return c
}

func TestIdleConnectionsDoNotLockOutNewClients(t *testing.T) {
	m := serve(t, "--max-connections", "4")
	var idle []net.Conn
	for range 8 {
		idle = append(idle, keepAlive(t, m.Addr()))
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get("http://" + m.Addr() + "/healthz")
	if err != nil {
		t.Fatalf("a new client behind 8 idle connections: %v", err)
	}
	resp.Body.Close()
	// Idle connections were closed to make room: of the 8, at most 4
	// (the cap) stay open, so at least 4 see the server close them.
	closed := make(chan struct{}, len(idle))
	for _, c := range idle {
		go func() {
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := c.Read(make([]byte, 1)); errors.Is(err, io.EOF) {
				closed <- struct{}{}
			}
		}()
	}
	timeout := time.After(10 * time.Second)
	for n := 0; n < 4; n++ {
		select {
		case <-closed:
		case <-timeout:
			t.Fatalf("only %d of 8 idle connections were closed at a cap of 4", n)
		}
	}
}

// A subscription outlives the read timeout, which is for request bodies.
func TestWebsocketOutlivesReadTimeout(t *testing.T) {
	const readTimeout = 300 * time.Millisecond
	m := serve(t, "--read-timeout", readTimeout.String())
	base := m.URL
	post(t, base, `mutation { upsertProject(input: {name: "p"}) { name } }`)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	next := subscribeLogged(t, ctx, base, "p")
	// What is tested is the passing of time: past the read timeout, which
	// the server shows by closing a stalled request opened after this one.
	<-readTimeoutPassed(t, m.Addr(), readTimeout, 20*time.Second)
	post(t, base, `mutation { logArtifact(input: {project: "p", key: "late", kind: MODEL, body: "x"}) { uid } }`)
	if key := next(); key != "late" {
		t.Fatalf("event %q, want the late log", key)
	}
}

// A streamed upload may take longer than the read timeout while it moves.
func TestSlowUploadOutlivesReadTimeout(t *testing.T) {
	const readTimeout = 300 * time.Millisecond
	m := serve(t, "--read-timeout", readTimeout.String())
	base := m.URL
	post(t, base, `mutation { upsertProject(input: {name: "p"}) { name } }`)
	raw := post(t, base, `mutation { createUpload(input: {project: "p", key: "slow", kind: MODEL, format: "bin"}) { url } }`)
	var out struct {
		Data struct{ CreateUpload struct{ URL string } }
	}
	json.Unmarshal(raw, &out)
	// The body moves all along, a chunk every third of the read timeout,
	// and ends only once the read timeout has passed, as the server shows
	// by closing a stalled request opened when the upload began. The sleep
	// is the trickle's pace, part of the scenario.
	timedOut := readTimeoutPassed(t, m.Addr(), readTimeout, 20*time.Second)
	pr, pw := io.Pipe()
	sent := make(chan int, 1)
	go func() {
		n := 0
		defer func() { sent <- n }()
		for {
			if _, err := pw.Write(bytes.Repeat([]byte("x"), 1000)); err != nil {
				return
			}
			n += 1000
			select {
			case <-timedOut:
				pw.Close()
				return
			default:
				time.Sleep(readTimeout / 3)
			}
		}
	}()
	req, _ := http.NewRequest(http.MethodPut, base+out.Data.CreateUpload.URL, pr)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	n := <-sent
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(body), fmt.Sprintf(`"size":%d`, n)) {
		t.Fatalf("%d %s, want %d bytes", resp.StatusCode, body, n)
	}
}

func post(t *testing.T, base, query string) []byte {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	resp, err := http.Post(base+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if bytes.Contains(raw, []byte(`"errors"`)) {
		t.Fatalf("%s: %s", query, raw)
	}
	return raw
}
