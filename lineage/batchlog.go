package lineage

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// MaxLogBatch is the most versions one LogArtifacts call logs.
const MaxLogBatch = 1000

// logBatchWorkers bounds the bodies of one LogArtifacts call written to blobs
// at once.
const logBatchWorkers = 128

// LogArtifacts logs versions in one call (a run's outputs), returning them
// in the order asked. Every request is validated and prepared (sources
// and links resolved, in-place content checked) before anything is
// written, so one bad request fails the whole call with nothing written.
// The bodies then go to blobs from a bounded pool, and the versions to the
// store in one PutVersions: all of them or none (then the bodies are
// removed). A retry of the call is idempotent (an identical log returns its
// version).
func (s *Service) LogArtifacts(ctx context.Context, reqs []LogRequest) ([]Version, error) {
	if len(reqs) > MaxLogBatch {
		return nil, Errorf(ELIMIT, "at most %d artifacts may be logged in one call, not %d", MaxLogBatch, len(reqs))
	}
	prepared, err := s.prepareBatch(ctx, reqs)
	if err != nil {
		return nil, err
	}
	return s.commitBatch(ctx, prepared)
}

// prepareBatch prepares every request, refusing two of one key and
// iteration (their order as versions would be a race).
func (s *Service) prepareBatch(ctx context.Context, reqs []LogRequest) ([]preparedLog, error) {
	type slot struct {
		project, key string
		iteration    int
	}
	seen := map[slot]int{}
	out := make([]preparedLog, len(reqs))
	for i, req := range reqs {
		if req.Content != nil {
			return nil, batchError(i, Errorf(EINVALID, "content is uploaded with logArtifact; a batch takes body or targetPath"))
		}
		k := slot{req.Project, req.Key, req.Iteration}
		if j, dup := seen[k]; dup {
			return nil, batchError(i, Errorf(EINVALID, "key %q (iteration %d) is logged twice in one call, also at %d", req.Key, req.Iteration, j))
		}
		seen[k] = i
		p, err := s.prepareLog(ctx, req)
		if err == nil && p.content == nil {
			err = s.verifyInPlace(ctx, p.version.TargetPath, p.version.Hash)
		}
		if err != nil {
			return nil, batchError(i, err)
		}
		out[i] = p
	}
	return out, nil
}

// batchError says which request of a batch failed, keeping err's code.
func batchError(i int, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return Errorf(e.Code, "artifacts[%d]: %s", i, e.Message)
	}
	return fmt.Errorf("artifacts[%d]: %w", i, err)
}

// commitBatch writes the bodies to blobs from a bounded pool of workers,
// then every version in one PutVersions: the store takes the batch in one
// transaction, or nothing of it, and then no blob of it stays. Logs of data
// in place commit under one shared hold of contentMu for the whole batch
// (a deletion waits for the batch).
func (s *Service) commitBatch(ctx context.Context, prepared []preparedLog) ([]Version, error) {
	ws := make([]VersionWrite, len(prepared))
	written := make([]string, len(prepared))
	errs := make([]error, len(prepared))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(logBatchWorkers, len(prepared)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				ws[i], written[i], errs[i] = s.storeContent(ctx, prepared[i])
			}
		}()
	}
	inPlace := false
	for i, p := range prepared {
		if p.content != nil {
			next <- i
		} else {
			inPlace = true
		}
	}
	close(next)
	wg.Wait()
	if inPlace {
		s.contentMu.RLock()
		defer s.contentMu.RUnlock()
	}
	for i, p := range prepared {
		if p.content == nil && errs[i] == nil {
			ws[i], errs[i] = s.inPlaceWrite(ctx, p)
		}
	}
	var results []PutResult
	var err error
	for i, e := range errs {
		if e != nil {
			err = batchError(i, e)
			break
		}
	}
	if err == nil {
		results, err = s.store.PutVersions(ctx, ws)
	}
	if err == nil && len(results) != len(ws) {
		err = fmt.Errorf("store: %d results for %d writes", len(results), len(ws))
	}
	out := make([]Version, len(prepared))
	for i := range prepared {
		var r PutResult
		if err == nil {
			r = results[i]
		}
		s.settle(ctx, written[i], r.Version, r.Created, err)
		out[i] = r.Version
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}
