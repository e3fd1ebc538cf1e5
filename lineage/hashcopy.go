package lineage

import (
	"crypto/sha256"
	"encoding/hex"
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
//
// Only io.EOF from src is a clean end. Any other error is returned, and the
// caller must abandon what it wrote: io.ErrUnexpectedEOF in particular is
// what net/http's request body returns when the client hangs up before
// Content-Length bytes, so treating it as an end would commit a truncated
// upload as complete content.
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
		m, rerr := fill(src, buf)
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
		if rerr == io.EOF {
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

// fill reads into buf until it is full or src fails. Unlike io.ReadFull it
// passes src's error through unchanged: io.ReadFull turns a clean io.EOF
// after a partial chunk into io.ErrUnexpectedEOF, which would make a real
// io.ErrUnexpectedEOF from src impossible to tell apart from a clean end.
func fill(src io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := src.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
