package lineage_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
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
		// OneByteReader and a half-reader exercise short reads.
		for _, src := range []io.Reader{bytes.NewReader(data), iotest.HalfReader(bytes.NewReader(data))} {
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

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func BenchmarkHashCopy(b *testing.B) {
	data := make([]byte, 64<<20)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		lineage.HashCopy(io.Discard, bytes.NewReader(data), 0)
	}
}
