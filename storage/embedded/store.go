// Package embedded implements lineage.Store in process: the zero-setup
// default, needing nothing but a file.
//
// Durability comes from bbolt: every mutation is one bbolt transaction,
// fsynced when it commits, and a mutation returns only after that. Speed comes
// from memory: on Open the whole graph is loaded into maps, ordered lists and
// an adjacency index, and reads never touch the file. A mutation changes the
// in-memory state only after its transaction committed, so memory never holds
// what the disk lacks.
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
// is left; a listing that one list answers pages in O(log n). A tag's holder
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
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/artigraph/artigraph/lineage"
)

// Store is a lineage.Store kept in a bbolt file and mirrored in memory. It is
// safe for concurrent use: reads run in parallel, writes one at a time.
type Store struct {
	db *bolt.DB

	// wmu serialises mutations from their checks through their commit. A
	// writer holding it may read the in-memory state without mu, since only
	// writers change that state; it takes mu only to apply a committed change,
	// so readers do not wait for the disk.
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
	}
	if err := s.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("embedded: open %s: %w", path, err)
	}
	if err := s.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("embedded: open %s: %w", path, err)
	}
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

// Close closes the file. Every later call fails with EUNAVAILABLE; closing
// again does nothing.
func (s *Store) Close() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.db.Close()
}

// Ping reports whether the store is open.
func (s *Store) Ping(ctx context.Context) error {
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
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, errClosed
	}
	return s.mu.RUnlock, nil
}

// wlock takes the writers' lock for a mutation.
func (s *Store) wlock(ctx context.Context) (unlock func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.wmu.Lock()
	if s.closed {
		s.wmu.Unlock()
		return nil, errClosed
	}
	return s.wmu.Unlock, nil
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
