package lineage

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"strings"
	"time"
)

// UploadTicket lets a client stream a version's content in a plain HTTP
// request instead of a GraphQL multipart upload, which is buffered whole.
type UploadTicket struct {
	ID         string
	ExpiresAt  time.Time
	TargetPath string
}

// Upload ticket bounds. A ticket is the validated log call itself, signed
// with a key derived from the server key: no process keeps it, so any
// replica sharing the server key completes it, and a URL must hold it.
const (
	UploadTTL      = 15 * time.Minute
	MaxTicketBytes = 6 << 10
)

// ticketClaims is what a ticket says: the log call, who may use it, until
// when.
type ticketClaims struct {
	Req     LogRequest `json:"r"`
	Owner   string     `json:"o"` // the TokenID of the caller that made it
	Expires int64      `json:"e"` // Unix seconds
}

// CreateUpload validates a log call whose content will be streamed later and
// returns a ticket for it. Like a presigned URL, a ticket may be used by
// its caller until it expires: each upload logs a version (the same one
// again for the same content), and a failed one (a short body, the limit,
// a lost connection) may be retried. The content lands at the ticket's
// target path, or beside it when that is taken: the upload's answer says
// where.
func (s *Service) CreateUpload(ctx context.Context, req LogRequest) (UploadTicket, error) {
	if req.Body != nil || req.Content != nil || req.TargetPath != "" || req.Producer != nil ||
		req.KnownSize != nil || req.KnownHash != "" {
		return UploadTicket{}, Errorf(EINVALID, "an upload ticket takes its content in the upload: give no body, file or targetPath")
	}
	c, err := s.caller(ctx)
	if err != nil {
		return UploadTicket{}, err
	}
	req.streamed = true
	p, err := s.prepareLog(ctx, req)
	if err != nil {
		return UploadTicket{}, err
	}
	req.streamed = false
	expires := s.Now().Add(UploadTTL).Truncate(time.Second)
	id, err := s.signTicket(ticketClaims{Req: req, Owner: c.TokenID, Expires: expires.Unix()})
	if err != nil {
		return UploadTicket{}, err
	}
	return UploadTicket{ID: id, ExpiresAt: expires, TargetPath: p.version.TargetPath}, nil
}

// CompleteUpload streams body to the ticket's target path and commits the
// version, re-checking the log call against the store as it is now. A
// ticket is bound to the token that made it: for any other caller, as for
// a forged or expired one, it does not exist.
func (s *Service) CompleteUpload(ctx context.Context, ticket string, body io.Reader) (Version, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return Version{}, err
	}
	claims, ok := s.openTicket(ticket)
	if !ok || claims.Owner != c.TokenID || !s.Now().Before(time.Unix(claims.Expires, 0)) {
		return Version{}, Errorf(ENOTFOUND, "upload ticket unknown or expired")
	}
	req := claims.Req
	req.Content = body
	return s.LogArtifact(ctx, req)
}

// signTicket encodes claims as deflated JSON, then the HMAC of that, both
// base64url, joined by '.'.
func (s *Service) signTicket(claims ticketClaims) (string, error) {
	raw, err := json.Marshal(claims)
	if err != nil {
		return "", Errorf(EINVALID, "the log call cannot be held in a ticket: %v", err)
	}
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	w.Write(raw)
	w.Close()
	payload := base64.RawURLEncoding.EncodeToString(b.Bytes())
	id := payload + "." + s.ticketMAC(payload)
	if len(id) > MaxTicketBytes {
		return "", Errorf(ELIMIT, "the log call is too large for an upload ticket (%d bytes encoded, at most %d): give fewer or shorter labels, sources or metadata", len(id), MaxTicketBytes)
	}
	return id, nil
}

// openTicket checks a ticket's signature, then decodes its claims.
func (s *Service) openTicket(id string) (ticketClaims, bool) {
	payload, mac, found := strings.Cut(id, ".")
	if !found || len(id) > MaxTicketBytes || !hmac.Equal([]byte(mac), []byte(s.ticketMAC(payload))) {
		return ticketClaims{}, false
	}
	compressed, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return ticketClaims{}, false
	}
	// Signed by this server, so bounded; the limit guards a leaked key.
	raw, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(compressed)), 1<<20))
	var claims ticketClaims
	if err != nil || json.Unmarshal(raw, &claims) != nil {
		return ticketClaims{}, false
	}
	return claims, true
}

func (s *Service) ticketMAC(payload string) string {
	m := hmac.New(sha256.New, s.ticketKey)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
