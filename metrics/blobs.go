package metrics

import (
	"context"
	"io"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// Blobs returns b with the bytes it writes and reads counted under scheme
// ("file", "gs"). A store that signs URLs keeps doing so.
func (m *Metrics) Blobs(b lineage.Blobs, scheme string) lineage.Blobs {
	c := countedBlobs{Blobs: b, in: m.blobBytes.WithLabelValues("in", scheme), out: m.blobBytes.WithLabelValues("out", scheme)}
	if s, ok := b.(lineage.URLSigner); ok {
		return signingBlobs{countedBlobs: c, signer: s}
	}
	return c
}

type counter interface{ Add(float64) }

type countedBlobs struct {
	lineage.Blobs
	in, out counter
}

type signingBlobs struct {
	countedBlobs
	signer lineage.URLSigner
}

func (s signingBlobs) SignedURL(ctx context.Context, location string, expires time.Duration) (string, error) {
	return s.signer.SignedURL(ctx, location, expires)
}

func (c countedBlobs) Put(ctx context.Context, location string, r io.Reader, limit int64) (lineage.BlobInfo, error) {
	info, err := c.Blobs.Put(ctx, location, r, limit)
	if err == nil {
		c.in.Add(float64(info.Size))
	}
	return info, err
}

func (c countedBlobs) Open(ctx context.Context, location string) (lineage.Blob, error) {
	b, err := c.Blobs.Open(ctx, location)
	if err == nil {
		b.ReadCloser = countedReader{ReadCloser: b.ReadCloser, n: c.out}
		if b.Seeker != nil {
			// Local files are served through their Seeker (Range requests).
			b.Seeker = countedSeeker{ReadSeeker: b.Seeker, n: c.out}
		}
	}
	return b, err
}

type countedSeeker struct {
	io.ReadSeeker
	n counter
}

func (r countedSeeker) Read(p []byte) (int, error) {
	n, err := r.ReadSeeker.Read(p)
	r.n.Add(float64(n))
	return n, err
}

func (c countedBlobs) OpenRange(ctx context.Context, location string, offset, length int64) (io.ReadCloser, error) {
	r, err := c.Blobs.OpenRange(ctx, location, offset, length)
	if err == nil {
		r = countedReader{ReadCloser: r, n: c.out}
	}
	return r, err
}

type countedReader struct {
	io.ReadCloser
	n counter
}

func (r countedReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.n.Add(float64(n))
	return n, err
}
