package lineage

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
)

// copyChunk and copyChunks size HashCopy's pipeline: big chunks mean few
// syscalls; a few of them let hashing run behind reading and writing.
const (
	copyChunk  = 1 << 20
	copyChunks = 4
)

// HashCopy copies src to dst and returns the byte count and the content's
// "sha256:<hex>", hashing each chunk on another goroutine while the next one
// is read and written: sha256 runs near disk speed, so doing both in turn
// would halve a large upload's throughput. It stops with ELIMIT once more
// than limit bytes arrive (limit <= 0: no limit).
func HashCopy(dst io.Writer, src io.Reader, limit int64) (int64, string, error) {
	free := make(chan []byte, copyChunks)
	for i := 0; i < copyChunks; i++ {
		free <- make([]byte, copyChunk)
	}
	toHash := make(chan []byte, copyChunks)
	h := sha256.New()
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		for b := range toHash {
			h.Write(b)
			free <- b[:cap(b)]
		}
	}()

	var n int64
	var err error
	for {
		buf := <-free
		m, rerr := io.ReadFull(src, buf)
		if m > 0 {
			n += int64(m)
			if limit > 0 && n > limit {
				err = Errorf(ELIMIT, "content is larger than the upload limit of %d bytes", limit)
				break
			}
			if _, werr := dst.Write(buf[:m]); werr != nil {
				err = werr
				break
			}
			toHash <- buf[:m]
		}
		if rerr == io.EOF || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			err = rerr
			break
		}
	}
	close(toHash)
	<-hashed
	if err != nil {
		return n, "", err
	}
	return n, "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
