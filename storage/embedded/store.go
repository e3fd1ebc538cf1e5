// Package embedded implements lineage.Store in process: the zero-setup
// default, needing nothing but a file.
//
// Durability comes from bbolt: a mutation returns only after the bbolt
// transaction holding its change committed and was fsynced. Mutations that
// wait for the disk together share one transaction and one fsync (group
// commit, group.go); readers never see a change before it is durable. Speed
// comes from memory: the whole graph is loaded into maps, ordered lists and
// an adjacency index, and reads never touch the file.
//
// Open loads the file before it returns; Start returns as soon as the file is
// locked and its format checked, and loads in the background (Loaded), so
// that a server answers its health checks at once at any size.
//
// The file holds six buckets, each record JSON encoded:
//
//	meta      "format" → the file format's version
//	projects  name → lineage.Project
//	runs      ["project","uid"] → lineage.Run
//	versions  uid → lineage.Version (tags and UpdatedAt included)
//	edges     [from type, project, uid, to type, project, uid, relation, name] → empty
//	tokens    id → lineage.Token (its hash, never its secret)
//
// The tokens bucket came later than the others: Open adds it to a file that
// lacks it, which changes nothing else, so the format stays the same.
//
// In memory, per project, versions are kept in lists ordered by (UpdatedAt,
// UID): one for the whole project and one per key, tree, tag, label key and
// label key=value. A filtered listing intersects the lists its fields select
// by a merge join (they share one order) and checks the other fields on what
// is left; a listing that one list answers pages in O(log n). A filter of
// labels only counts its matches by intersecting per-label slot sets (small
// roaring-style bitmaps, slots.go) and walks just the page. A tag's holder
// per (project, key, iteration) is a map entry, and the edges are adjacency
// lists of interned node ids.
//
// Memory use grows with the data: about 1.5 GB for a million versions with
// three labels each, and Open takes tens of seconds at that size, most of it
// decoding JSON and collecting garbage (a higher GOGC shortens it).
package embedded

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/artigraph/artigraph/lineage"
)

// Store is a lineage.Store kept in a bbolt file and mirrored in memory. It is
// safe for concurrent use: reads run in parallel, writes check and apply
// their changes one at a time and reach the disk in groups.
type Store struct {
	db *bolt.DB

	// wmu serialises mutations from their checks through the apply of their
	// change to memory. A writer holding it may read the in-memory state
	// without mu, since only writers change that state. With group commit it
	// is let go during the fsync (see groupCommitter).
	wmu sync.Mutex

	mu       sync.RWMutex
	closed   bool
	projects map[string]*lineage.Project
	runs     map[lineage.RunKey]*lineage.Run
	versions map[string]*lineage.Version
	tags     map[tagKey]*lineage.Version // the holder of each tag
	indexes  map[string]*projectIndex    // by project name
	graph    *graph
	tokens   map[string]*lineage.Token // by id

	loaded   chan struct{} // closed when the load has ended, well or not
	isLoaded atomic.Bool   // the load ended well
	loadErr  error         // why it failed; written before loaded is closed

	group *groupCommitter
	txs   atomic.Int64 // bbolt write transactions committed by mutations
	// committed says that the mutation holding wmu has committed its change
	// (see wunlock); guarded by wmu.
	committed bool
}

// tagKey names a tag's scope: a tag names at most one version per (project,
// key, iteration).
type tagKey struct {
	project, key string
	iteration    int
	tag          string
}

func tagKeyOf(v *lineage.Version, tag string) tagKey {
	return tagKey{project: v.Project, key: v.Key, iteration: v.Iteration, tag: tag}
}

var _ lineage.Store = (*Store)(nil)

// lockTimeout bounds the wait for the file lock: a second process opening the
// same file fails with a clear error instead of hanging.
const lockTimeout = time.Second

// formatVersion is the file format; Open refuses files of another.
const formatVersion = "1"

var (
	bucketMeta     = []byte("meta")
	bucketProjects = []byte("projects")
	bucketRuns     = []byte("runs")
	bucketVersions = []byte("versions")
	bucketEdges    = []byte("edges")
	bucketTokens   = []byte("tokens")
	allBuckets     = [][]byte{bucketMeta, bucketProjects, bucketRuns, bucketVersions, bucketEdges, bucketTokens}
	keyFormat      = []byte("format")
)

// Open opens the store kept in the file at path (the server uses
// "<data-dir>/artigraph.db"), creating the file and its directory if they do
// not exist, and loads it into memory. The file is locked while the store is
// open: a second Open of it, from any process, fails after a second.
func Open(path string) (*Store, error) {
	s, err := Start(path, Options{})
	if err != nil {
		return nil, err
	}
	<-s.Loaded()
	if err := s.LoadErr(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Start opens the file as Open does, taking its lock and checking its format,
// and returns while the records load into memory in the background. Until
// Loaded is closed, Ping fails with EUNAVAILABLE and every other call waits
// for the load (or its context); if the load fails, LoadErr says why and
// every call fails with EUNAVAILABLE.
func Start(path string, o Options) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("embedded: create the data directory: %w", err)
	}
	db, err := openBolt(path)
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("embedded: open %s: the file is locked by another process (is another server using this data directory?)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("embedded: open %s: not a usable database file: %w", path, err)
	}
	s := &Store{
		db:       db,
		projects: map[string]*lineage.Project{},
		runs:     map[lineage.RunKey]*lineage.Run{},
		versions: map[string]*lineage.Version{},
		tags:     map[tagKey]*lineage.Version{},
		indexes:  map[string]*projectIndex{},
		graph:    newGraph(),
		tokens:   map[string]*lineage.Token{},
		loaded:   make(chan struct{}),
	}
	s.group = newGroupCommitter(s, !o.NoGroupCommit)
	if err := s.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("embedded: open %s: %w", path, err)
	}
	go s.loadInBackground(path, o.BeforeLoad)
	return s, nil
}

// openBolt opens the file, turning bbolt's panics on a damaged file into
// errors.
func openBolt(path string) (db *bolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("damaged file: %v", r)
		}
	}()
	// NoSync stays false: a commit is fsynced before Update returns.
	return bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
}

// init creates the buckets of a new file and checks the format of an
// existing one.
func (s *Store) init() (err error) {
	defer recoverDamage(&err)
	return s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			empty := true
			tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
			if !empty {
				return errors.New("the file is a bbolt database but not an artigraph one")
			}
			for _, name := range allBuckets {
				if _, err := tx.CreateBucket(name); err != nil {
					return err
				}
			}
			return tx.Bucket(bucketMeta).Put(keyFormat, []byte(formatVersion))
		}
		if f := string(meta.Get(keyFormat)); f != formatVersion {
			return fmt.Errorf("unsupported file format %q (this server reads %q)", f, formatVersion)
		}
		// Files written before tokens existed lack their bucket.
		if _, err := tx.CreateBucketIfNotExists(bucketTokens); err != nil {
			return err
		}
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("damaged file: bucket %q is missing", name)
			}
		}
		return nil
	})
}

// recoverDamage turns a panic from reading a damaged file into *err.
func recoverDamage(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("damaged file: %v", r)
	}
}

// Close closes the file, once the load and the commits in flight have
// ended. Every later call fails with EUNAVAILABLE; closing again does nothing.
func (s *Store) Close() error {
	<-s.loaded
	s.wmu.Lock()
	defer s.wmu.Unlock()
	// Taken once no group is pending: memory then matches the file.
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.group.stop()
	return s.db.Close()
}

// Ping reports whether the store is open and loaded; it does not wait for the
// load.
func (s *Store) Ping(ctx context.Context) error {
	if !s.isLoaded.Load() {
		if s.LoadErr() == nil {
			return errLoading
		}
	}
	unlock, err := s.rlock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	return nil
}

var errClosed = lineage.Errorf(lineage.EUNAVAILABLE, "the embedded store is closed")

// rlock takes the read lock for a read.
func (s *Store) rlock(ctx context.Context) (unlock func(), err error) {
	if err := s.waitLoaded(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, errClosed
	}
	if err := s.group.failure(); err != nil {
		s.mu.RUnlock()
		return nil, err
	}
	return s.mu.RUnlock, nil
}

// wlock takes the writers' lock for a mutation.
func (s *Store) wlock(ctx context.Context) (unlock func(), err error) {
	if err := s.waitLoaded(ctx); err != nil {
		return nil, err
	}
	s.wmu.Lock()
	if err := s.group.failure(); err != nil {
		s.wmu.Unlock()
		return nil, err
	}
	if s.closed {
		s.wmu.Unlock()
		return nil, errClosed
	}
	return s.wunlock, nil
}

// wunlock ends a mutation. One that committed nothing may have answered
// from changes still pending (a conflict, a missing version): it waits
// until they are durable, so that no answer rests on what a crash could
// undo.
func (s *Store) wunlock() {
	if !s.committed && s.group.enabled {
		s.group.waitIdle()
	}
	s.committed = false
	s.wmu.Unlock()
}

// index returns the indexes of a project's versions and runs, creating them.
func (s *Store) index(project string) *projectIndex {
	x := s.indexes[project]
	if x == nil {
		x = newProjectIndex()
		s.indexes[project] = x
	}
	return x
}

// versionNodes returns the graph nodes of the versions with the given uids,
// or ENOTFOUND naming the first missing one.
func (s *Store) versionNodes(uids []string) ([]lineage.NodeRef, error) {
	var nodes []lineage.NodeRef
	for _, uid := range uids {
		v, ok := s.versions[uid]
		if !ok {
			return nil, lineage.VersionNotFound(uid)
		}
		nodes = append(nodes, lineage.VersionNode(*v))
	}
	return nodes, nil
}
