package gcs

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"time"

	"cloud.google.com/go/storage"

	"github.com/artigraph/artigraph/lineage"
)

// MaxSignedURLExpiry is the longest lifetime GCS accepts for a V4 signed URL.
const MaxSignedURLExpiry = 7 * 24 * time.Hour

// SigningConfig is the service account that signs download URLs.
type SigningConfig struct {
	// Email is the service account's email (the signed URL's GoogleAccessID).
	Email string
	// PrivateKey is the service account's RSA key, PEM encoded (the
	// "private_key" field of a JSON key file).
	PrivateKey []byte
}

// SigningStore is a Store that also hands out V4 signed download URLs, so
// it satisfies lineage.URLSigner. It is a separate type because the blob
// router asks each store whether it can sign with a type assertion: a plain
// *Store, without a key, must not claim that it can.
type SigningStore struct {
	*Store
	email string
	key   []byte
}

var (
	_ lineage.Blobs     = (*SigningStore)(nil)
	_ lineage.URLSigner = (*SigningStore)(nil)
)

// WithSigning returns a SigningStore that signs with cfg. The key is parsed
// now, so a bad key fails at start-up rather than at the first download.
func (s *Store) WithSigning(cfg SigningConfig) (*SigningStore, error) {
	if cfg.Email == "" {
		return nil, errors.New("gcs signing: service account email is empty")
	}
	if err := checkRSAKey(cfg.PrivateKey); err != nil {
		return nil, err
	}
	return &SigningStore{Store: s, email: cfg.Email, key: cfg.PrivateKey}, nil
}

func checkRSAKey(pemKey []byte) error {
	block, _ := pem.Decode(pemKey)
	if block == nil {
		return errors.New("gcs signing: private key is not PEM encoded")
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		return nil
	}
	if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return nil
	}
	return errors.New("gcs signing: private key is neither PKCS#8 nor PKCS#1 RSA")
}

// SignedURL returns a V4 signed GET URL for the object, valid for expires
// (at most seven days). Signing is local: it makes no request and does not
// check that the object exists.
func (s *SigningStore) SignedURL(ctx context.Context, loc string, expires time.Duration) (string, error) {
	l, err := parseLocation(loc)
	if err != nil {
		return "", err
	}
	if expires <= 0 || expires > MaxSignedURLExpiry {
		return "", lineage.Errorf(lineage.EINVALID, "a signed URL must expire within %s", MaxSignedURLExpiry)
	}
	return s.client.Bucket(l.bucket).SignedURL(l.object, &storage.SignedURLOptions{
		GoogleAccessID: s.email,
		PrivateKey:     s.key,
		Method:         "GET",
		// The library measures X-Goog-Expires from its own, slightly later
		// clock and truncates to seconds; half a second keeps 15m at 900.
		Expires: time.Now().Add(expires + 500*time.Millisecond),
		Scheme:  storage.SigningSchemeV4,
	})
}
