package lineage_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/artigraph/artigraph/lineage"
)

func TestHashCopy(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, size := range []int{0, 1, 1 << 20, 1<<20 + 1, 5<<20 + 12345} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.IntN(256))
		}
		sum := sha256.Sum256(data)
		// Half and one-byte readers exercise short reads; DataErrReader
		// returns the last bytes together with io.EOF, which must count.
		srcs := []io.Reader{bytes.NewReader(data), iotest.HalfReader(bytes.NewReader(data)), iotest.DataErrReader(bytes.NewReader(data))}
		if size <= 1<<20+1 {
			srcs = append(srcs, iotest.OneByteReader(bytes.NewReader(data)))
		}
		for _, src := range srcs {
			var dst bytes.Buffer
			n, hash, err := lineage.HashCopy(&dst, src, 0)
			if err != nil || n != int64(size) || !bytes.Equal(dst.Bytes(), data) || hash != "sha256:"+hex.EncodeToString(sum[:]) {
				t.Fatalf("size %d: n=%d err=%v hash ok=%v", size, n, err, hash == "sha256:"+hex.EncodeToString(sum[:]))
			}
		}
	}
}

func TestHashCopyLimitAndErrors(t *testing.T) {
	var dst bytes.Buffer
	if _, _, err := lineage.HashCopy(&dst, bytes.NewReader(make([]byte, 3<<20)), 2<<20); lineage.ErrorCode(err) != lineage.ELIMIT {
		t.Fatalf("over limit: %v", err)
	}
	if _, _, err := lineage.HashCopy(&dst, bytes.NewReader(make([]byte, 2<<20)), 2<<20); err != nil {
		t.Fatalf("at limit: %v", err)
	}
	boom := errors.New("connection reset")
	if _, _, err := lineage.HashCopy(&dst, iotest.ErrReader(boom), 0); !errors.Is(err, boom) {
		t.Fatalf("read error: %v", err)
	}
	if _, _, err := lineage.HashCopy(failWriter{}, bytes.NewReader([]byte("x")), 0); err == nil {
		t.Fatal("write error lost")
	}
}

// A source that ends with io.ErrUnexpectedEOF was cut short (net/http's
// body does this when the client goes away before Content-Length bytes):
// HashCopy must fail, not report the bytes it got as the whole content.
func TestHashCopyUnexpectedEOFFromSourceFails(t *testing.T) {
	for _, c := range []struct {
		name string
		src  io.Reader
	}{
		// 900 bytes, then ErrUnexpectedEOF on the next read.
		{"after the data", io.MultiReader(bytes.NewReader(make([]byte, 900)), iotest.ErrReader(io.ErrUnexpectedEOF))},
		// 900 bytes and ErrUnexpectedEOF from the same read.
		{"with the data", iotest.DataErrReader(io.MultiReader(bytes.NewReader(make([]byte, 900)), iotest.ErrReader(io.ErrUnexpectedEOF)))},
		// Past a whole chunk, so the error comes in a later one.
		{"in a later chunk", io.MultiReader(bytes.NewReader(make([]byte, 1<<20+900)), iotest.ErrReader(io.ErrUnexpectedEOF))},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, hash, err := lineage.HashCopy(io.Discard, c.src, 0)
			if !errors.Is(err, io.ErrUnexpectedEOF) || hash != "" {
				t.Fatalf("HashCopy = %d bytes, %q, %v; want io.ErrUnexpectedEOF", n, hash, err)
			}
		})
	}
}

// The same through a real HTTP server: the client announces 1,000,000 bytes,
// sends 900 and hangs up.
func TestHashCopyClientDisconnect(t *testing.T) {
	type result struct {
		n    int64
		hash string
		err  error
	}
	done := make(chan result, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var dst bytes.Buffer
		n, hash, err := lineage.HashCopy(&dst, r.Body, 0)
		done <- result{n, hash, err}
	}))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(conn, "PUT /blob HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"+strings.Repeat("x", 900))
	conn.Close()
	res := <-done
	if res.err == nil || res.hash != "" {
		t.Fatalf("HashCopy of a body cut at %d of 1000000 bytes succeeded with %s", res.n, res.hash)
	}
	if !errors.Is(res.err, io.ErrUnexpectedEOF) {
		t.Logf("error is %v (not io.ErrUnexpectedEOF, still a failure)", res.err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func BenchmarkHashCopy(b *testing.B) {
	data := make([]byte, 64<<20)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		lineage.HashCopy(io.Discard, bytes.NewReader(data), 0)
	}
}
