package lineage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"sync"
	"time"
)

// Config holds the service's limits and defaults.
type Config struct {
	ServerArtifactPath  string // --artifact-path; may be empty
	DefaultArtifactPath string // used when nothing else is set: <data-dir>/artifacts/{{project}}
	MaxUploadBytes      int64  // per upload or body; <= 0 means no limit
	MaxLineageDepth     int    // deepest lineage/impact query allowed
	DefaultLineageLimit int    // node limit when none is asked
	MaxLineageLimit     int    // largest node limit allowed
	DefaultPageSize     int
	MaxPageSize         int
	// BlobRoots are the locations (absolute directories, file:/// or gs://
	// prefixes) content is written, served, deleted and collected under;
	// empty means the roots of DefaultArtifactPath and ServerArtifactPath.
	// They are configuration: no request widens them.
	BlobRoots []string

	// Auth says whether callers need a token (AuthToken) or not (AuthNone,
	// the default). AdminToken is the bootstrap ADMIN secret, if any.
	Auth       AuthMode
	AdminToken string
	// ServerKey keys the hashes of token secrets and the signatures of
	// download links and upload tickets; servers sharing a store must
	// share it.
	ServerKey []byte
	// LinkTTL is how long a signed download link is valid; 0: 15 minutes.
	LinkTTL time.Duration
	// FeedInterval is how often a store's Feed is polled for subscribers;
	// 0: DefaultFeedInterval.
	FeedInterval time.Duration
}

// DefaultConfig returns the limits the server starts with.
func DefaultConfig() Config {
	return Config{
		MaxUploadBytes:      1 << 30,
		MaxLineageDepth:     10,
		DefaultLineageLimit: 500,
		MaxLineageLimit:     10000,
		DefaultPageSize:     50,
		MaxPageSize:         1000,
	}
}

// Service enforces Artigraph's rules (validation, versioning, tags, artifact
// paths, blob-then-metadata ordering) on top of a Store and Blobs. It is the
// only way in: the HTTP handlers and resolvers call its methods and never
// reach the store or the blobs, so that every rule (and, later, every
// access check) is applied in one place.
type Service struct {
	store  Store
	blobs  Blobs
	events Broker // receives every newly committed version

	Config Config
	Now    func() time.Time

	tokenKey, linkKey, ticketKey []byte // derived from Config.ServerKey

	tokensMu   sync.Mutex
	touched    map[string]time.Time       // token id → when LastUsedAt was last written
	revocation map[string][]chan struct{} // token id → watchers of its revocation

	// contentMu orders what reads or changes who points at stored content:
	// logs in place hold it shared (they may run together), deletions and
	// gc exclusively, so that a deletion's check that no surviving version
	// points at a blob cannot race a new reference.
	contentMu sync.RWMutex
	// recordMu serialises what reports from event streams record (see
	// RecordRun), as each re-resolves what the others read.
	recordMu sync.Mutex
	// feed, when the store has one, is polled while a project has
	// subscribers (see followFeed).
	feed   Feed
	feedMu sync.Mutex
	feeds  map[string]*feedFollow
}

// NewService returns a Service over a metadata store and blob stores.
func NewService(store Store, blobs Blobs, cfg Config) *Service {
	s := &Service{store: store, blobs: blobs, Config: cfg, Now: func() time.Time { return time.Now().UTC() },
		tokenKey: keyFor(cfg.ServerKey, "token-hash/v1"), linkKey: keyFor(cfg.ServerKey, "download-link/v1"),
		ticketKey: keyFor(cfg.ServerKey, "upload-ticket/v1")}
	s.feed, _ = store.(Feed)
	return s
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// NewUID returns a random 32-hex-digit uid for runs.
func NewUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Ready reports whether the metadata store answers.
func (s *Service) Ready(ctx context.Context) error { return s.store.Ping(ctx) }

// Subscribe returns a channel of the project's newly committed versions and
// a function that ends the subscription. The channel closes, ending the
// subscription, when the caller's token is revoked on this server or
// expires.
func (s *Service) Subscribe(ctx context.Context, project string) (<-chan Version, func(), error) {
	if _, err := s.Project(ctx, project); err != nil {
		return nil, nil, err
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, nil, err
	}
	events, unsubscribe := s.events.Subscribe(project)
	unfeed := s.followFeed(ctx, project)
	cancel := func() { unsubscribe(); unfeed() }
	ended, unwatch := s.callerEnds(c)
	out := make(chan Version)
	stop := make(chan struct{})
	go func() {
		defer close(out)
		defer unwatch()
		defer cancel()
		for {
			select {
			case v, ok := <-events:
				if !ok {
					return
				}
				select {
				case out <- v:
				case <-stop:
					return
				case <-ended:
					return
				}
			case <-stop:
				return
			case <-ended:
				return
			}
		}
	}()
	var once sync.Once
	return out, func() { once.Do(func() { close(stop) }) }, nil
}

// Subscribers counts the live subscriptions to a project's new versions.
func (s *Service) Subscribers(project string) int { return s.events.Subscribers(project) }

// Versions returns the versions with these uids that exist, in any order:
// the batched read behind the API's dataloaders.
func (s *Service) Versions(ctx context.Context, uids []string) ([]Version, error) {
	visible, err := s.readable(ctx)
	if err != nil {
		return nil, err
	}
	vs, err := s.store.GetVersions(ctx, uids)
	return slices.DeleteFunc(vs, func(v Version) bool { return !visible(v.Project) }), err
}

// Runs returns the runs with these keys that exist, in any order.
func (s *Service) Runs(ctx context.Context, keys []RunKey) ([]Run, error) {
	visible, err := s.readable(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := s.store.GetRuns(ctx, keys)
	return slices.DeleteFunc(rs, func(r Run) bool { return !visible(r.Project) }), err
}

// Edges returns the edges of the given relations that leave (Outgoing) or
// reach (Incoming) the nodes.
func (s *Service) Edges(ctx context.Context, nodes []NodeRef, dir EdgeDirection, rels ...Relation) ([]Edge, error) {
	if err := dir.Validate(); err != nil {
		return nil, err
	}
	visible, err := s.readable(ctx)
	if err != nil {
		return nil, err
	}
	es, err := s.store.Edges(ctx, nodes, dir, rels...)
	return slices.DeleteFunc(es, func(e Edge) bool { return !visible(e.From.Project) || !visible(e.To.Project) }), err
}
