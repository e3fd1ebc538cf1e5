package lineage

import (
	"context"
	"io"
	"time"
)

// UploadTicket lets a client stream a version's content in a plain HTTP
// request instead of a GraphQL multipart upload, which is buffered whole.
type UploadTicket struct {
	ID         string
	ExpiresAt  time.Time
	TargetPath string
}

type pendingUpload struct {
	req     LogRequest
	expires time.Time
	size    int64  // requestSize(req), counted in uploadsBytes
	busy    bool   // a PUT is streaming it now
	owner   string // the TokenID of the caller that made it: only it may use the ticket
}

// Upload ticket bounds: tickets are held in memory until used or expired,
// so their number, lifetime and total size are capped.
const (
	UploadTTL          = 15 * time.Minute
	MaxPendingUploads  = 1024
	MaxPendingUploadMB = 256 // total estimated size of the pending log calls
)

// CreateUpload validates a log call whose content will be streamed later and
// returns a ticket for it. Tickets live in this process's memory. A ticket
// is used up by a successful upload; a failed one (a short body, the limit,
// a lost connection) leaves it valid until it expires, so the client may
// retry. The content lands at the ticket's target path, or beside it when
// that is taken: the upload's answer says where.
func (s *Service) CreateUpload(ctx context.Context, req LogRequest) (UploadTicket, error) {
	if req.Body != nil || req.Content != nil || req.TargetPath != "" {
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
	now := s.Now()
	t := UploadTicket{ID: NewUID() + NewUID(), ExpiresAt: now.Add(UploadTTL), TargetPath: p.version.TargetPath}
	size := requestSize(req)
	s.uploadsMu.Lock()
	defer s.uploadsMu.Unlock()
	if s.uploads == nil {
		s.uploads = map[string]*pendingUpload{}
	}
	s.sweepUploads(now)
	if len(s.uploads) >= MaxPendingUploads || s.uploadsBytes+size > MaxPendingUploadMB<<20 {
		return UploadTicket{}, Errorf(ELIMIT, "too many uploads are pending (at most %d, %d MiB); finish or let some expire, then try again", MaxPendingUploads, MaxPendingUploadMB)
	}
	s.uploads[t.ID] = &pendingUpload{req: req, expires: t.ExpiresAt, size: size, owner: c.TokenID}
	s.uploadsBytes += size
	return t, nil
}

// sweepUploads forgets expired tickets not being streamed; uploadsMu is held.
func (s *Service) sweepUploads(now time.Time) {
	for id, u := range s.uploads {
		if now.After(u.expires) && !u.busy {
			s.dropUpload(id)
		}
	}
}

func (s *Service) dropUpload(id string) {
	if u, ok := s.uploads[id]; ok {
		s.uploadsBytes -= u.size
		delete(s.uploads, id)
	}
}

// PendingUploads counts the tickets held in memory.
func (s *Service) PendingUploads() int {
	s.uploadsMu.Lock()
	defer s.uploadsMu.Unlock()
	s.sweepUploads(s.Now())
	return len(s.uploads)
}

// CompleteUpload streams body to the ticket's target path and commits the
// version, re-checking the log call against the store as it is now. Only
// one upload per ticket runs at a time (ECONFLICT otherwise); a failed one
// gives the ticket back.
func (s *Service) CompleteUpload(ctx context.Context, ticket string, body io.Reader) (Version, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return Version{}, err
	}
	s.uploadsMu.Lock()
	s.sweepUploads(s.Now())
	u, ok := s.uploads[ticket]
	// A ticket is bound to the token that made it: for any other caller
	// it does not exist.
	ok = ok && u.owner == c.TokenID
	if ok && u.busy {
		s.uploadsMu.Unlock()
		return Version{}, Errorf(ECONFLICT, "an upload for this ticket is already under way")
	}
	if ok {
		u.busy = true
	}
	s.uploadsMu.Unlock()
	if !ok {
		return Version{}, Errorf(ENOTFOUND, "upload ticket unknown, used or expired")
	}
	req := u.req
	req.Content = body
	v, err := s.LogArtifact(ctx, req)
	s.uploadsMu.Lock()
	defer s.uploadsMu.Unlock()
	u.busy = false
	if err == nil {
		s.dropUpload(ticket)
	}
	return v, err
}
