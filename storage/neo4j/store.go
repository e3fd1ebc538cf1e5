package neo4j

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/artigraph/artigraph/lineage"
)

// Config says where Neo4j is and how to log in.
type Config struct {
	URI      string // e.g. "neo4j://db:7687" or "bolt://127.0.0.1:7687"
	User     string // empty: no authentication
	Password string
	Database string // empty: the server's default database

	// MaxRetryTime bounds how long a transaction is retried on transient
	// failures (deadlocks, a lost connection, a server restarting) before
	// the call fails with EUNAVAILABLE; zero means 10 seconds. A request's
	// own deadline cuts it shorter.
	MaxRetryTime time.Duration
}

// Store is a lineage.Store on Neo4j. It is safe for concurrent use; every
// method runs in its own managed transaction, retried on transient errors.
type Store struct {
	driver neo.DriverWithContext
	db     string
	bm     neo.BookmarkManager
	closed atomic.Bool
}

var _ lineage.Store = (*Store)(nil)

const defaultMaxRetryTime = 10 * time.Second

// Open connects to Neo4j, checks that it answers, and applies the schema
// (constraints and indexes, each created only if missing). It fails with
// EUNAVAILABLE when the server cannot be reached.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.URI == "" {
		return nil, errors.New("neo4j: no URI configured")
	}
	auth := neo.NoAuth()
	if cfg.User != "" {
		auth = neo.BasicAuth(cfg.User, cfg.Password, "")
	}
	retry := cfg.MaxRetryTime
	if retry <= 0 {
		retry = defaultMaxRetryTime
	}
	d, err := neo.NewDriverWithContext(cfg.URI, auth, func(c *neo.Config) {
		c.MaxTransactionRetryTime = retry
		c.SocketConnectTimeout = 5 * time.Second
		c.ConnectionAcquisitionTimeout = 30 * time.Second
	})
	if err != nil {
		return nil, fmt.Errorf("neo4j: %w", err)
	}
	s := &Store{driver: d, db: cfg.Database, bm: d.ExecuteQueryBookmarkManager()}
	if err := s.Ping(ctx); err != nil {
		d.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	if err := s.applySchema(ctx); err != nil {
		d.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	if err := s.migrateLabels(ctx); err != nil {
		d.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return s, nil
}

// Close closes the driver and its connections. Later calls fail with
// EUNAVAILABLE; closing again does nothing.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.driver.Close(ctx)
}

var errClosed = lineage.Errorf(lineage.EUNAVAILABLE, "the neo4j store is closed")

// Ping checks that Neo4j answers.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed
	}
	if err := s.driver.VerifyConnectivity(ctx); err != nil {
		return s.mapErr(err)
	}
	return nil
}

// schema is applied at every Open (see doc.go). Everything is Community
// Edition: property uniqueness constraints (composite ones included) and
// range and text indexes. The uniqueness constraints back the lookups by
// identity and make concurrent MERGEs create a node once; the range indexes
// the listings, each led by project, since every listing is within one.
var schema = []string{
	"CREATE CONSTRAINT project_name IF NOT EXISTS FOR (p:Project) REQUIRE p.name IS UNIQUE",
	"CREATE CONSTRAINT run_key IF NOT EXISTS FOR (r:Run) REQUIRE (r.project, r.uid) IS UNIQUE",
	"CREATE CONSTRAINT version_uid IF NOT EXISTS FOR (v:Version) REQUIRE v.uid IS UNIQUE",
	"CREATE CONSTRAINT tag_key IF NOT EXISTS FOR (t:Tag) REQUIRE (t.project, t.key, t.iteration, t.name) IS UNIQUE",
	"CREATE CONSTRAINT token_id IF NOT EXISTS FOR (t:Token) REQUIRE t.id IS UNIQUE",
	"CREATE RANGE INDEX run_project_started IF NOT EXISTS FOR (r:Run) ON (r.project, r.startedAt)",
	"CREATE RANGE INDEX version_project_updated IF NOT EXISTS FOR (v:Version) ON (v.project, v.updatedAt)",
	"CREATE RANGE INDEX version_project_logged IF NOT EXISTS FOR (v:Version) ON (v.project, v.loggedAt)",
	"CREATE RANGE INDEX version_project_key IF NOT EXISTS FOR (v:Version) ON (v.project, v.key)",
	"CREATE RANGE INDEX version_project_tree IF NOT EXISTS FOR (v:Version) ON (v.project, v.tree)",
	"CREATE RANGE INDEX version_project_target IF NOT EXISTS FOR (v:Version) ON (v.project, v.targetPath)",
	"CREATE CONSTRAINT artifact_key IF NOT EXISTS FOR (a:Artifact) REQUIRE (a.project, a.key) IS UNIQUE",
	// A text index answers CONTAINS, but a Lucene update costs milliseconds
	// per commit: it is on the few Artifact nodes, not on every Version.
	"CREATE TEXT INDEX artifact_key_lower IF NOT EXISTS FOR (a:Artifact) ON (a.keyLower)",
	"CREATE RANGE INDEX tag_project_name IF NOT EXISTS FOR (t:Tag) ON (t.project, t.name)",
	"CREATE RANGE INDEX tag_holder IF NOT EXISTS FOR (t:Tag) ON (t.holder)",
	"CREATE CONSTRAINT label_pair IF NOT EXISTS FOR (l:Label) REQUIRE (l.project, l.pair) IS UNIQUE",
	"CREATE CONSTRAINT schema_name IF NOT EXISTS FOR (m:Schema) REQUIRE m.name IS UNIQUE",
}

// schemaWait bounds the wait for new indexes to come online.
const schemaWait = 300

func (s *Store) applySchema(ctx context.Context) error {
	sess := s.session(ctx, neo.AccessModeWrite)
	defer sess.Close(context.WithoutCancel(ctx))
	for _, q := range schema {
		// Schema commands cannot share a transaction with each other.
		if _, err := neo.ExecuteWrite(ctx, sess, func(tx neo.ManagedTransaction) (struct{}, error) {
			return struct{}{}, consume(ctx, tx, q, nil)
		}); err != nil {
			return fmt.Errorf("neo4j: apply schema %q: %w", q, s.mapErr(err))
		}
	}
	res, err := sess.Run(ctx, "CALL db.awaitIndexes($seconds)", map[string]any{"seconds": schemaWait})
	if err == nil {
		_, err = res.Consume(ctx)
	}
	if err != nil {
		return fmt.Errorf("neo4j: wait for indexes: %w", s.mapErr(err))
	}
	return nil
}

func (s *Store) session(ctx context.Context, mode neo.AccessMode) neo.SessionWithContext {
	return s.driver.NewSession(ctx, neo.SessionConfig{
		DatabaseName:    s.db,
		AccessMode:      mode,
		BookmarkManager: s.bm, // read your writes, even on a cluster
	})
}

// write runs work in a managed write transaction, retried on transient
// errors; errors come back mapped (see mapErr).
func write[T any](ctx context.Context, s *Store, work func(tx neo.ManagedTransaction) (T, error)) (T, error) {
	return inTx(ctx, s, neo.AccessModeWrite, work)
}

// read is write for reads.
func read[T any](ctx context.Context, s *Store, work func(tx neo.ManagedTransaction) (T, error)) (T, error) {
	return inTx(ctx, s, neo.AccessModeRead, work)
}

func inTx[T any](ctx context.Context, s *Store, mode neo.AccessMode, work func(tx neo.ManagedTransaction) (T, error)) (T, error) {
	var zero T
	if s.closed.Load() {
		return zero, errClosed
	}
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	sess := s.session(ctx, mode)
	defer sess.Close(context.WithoutCancel(ctx))
	var (
		v   T
		err error
	)
	if mode == neo.AccessModeWrite {
		v, err = neo.ExecuteWrite(ctx, sess, work)
	} else {
		v, err = neo.ExecuteRead(ctx, sess, work)
	}
	if err != nil {
		return zero, s.mapErr(err)
	}
	return v, nil
}

// collect runs one statement and returns its records.
func collect(ctx context.Context, tx neo.ManagedTransaction, q string, params map[string]any) ([]*neo.Record, error) {
	res, err := tx.Run(ctx, q, params)
	if err != nil {
		return nil, err
	}
	return res.Collect(ctx)
}

// single runs one statement that returns exactly one record.
func single(ctx context.Context, tx neo.ManagedTransaction, q string, params map[string]any) (*neo.Record, error) {
	res, err := tx.Run(ctx, q, params)
	if err != nil {
		return nil, err
	}
	return res.Single(ctx)
}

// consume runs one statement for its effect.
func consume(ctx context.Context, tx neo.ManagedTransaction, q string, params map[string]any) error {
	res, err := tx.Run(ctx, q, params)
	if err != nil {
		return err
	}
	_, err = res.Consume(ctx)
	return err
}

// unavailable is an EUNAVAILABLE error that keeps its cause for logs and
// errors.Is, while lineage.ErrorCode and the API see only the code and a safe
// message.
type unavailable struct {
	err   *lineage.Error
	cause error
}

// Error gives the cause too, for logs; lineage.ErrorMessage gives users the
// safe message only.
func (e *unavailable) Error() string   { return e.err.Message + ": " + e.cause.Error() }
func (e *unavailable) Unwrap() []error { return []error{e.err, e.cause} }

// mapErr turns driver errors into the Store's: EUNAVAILABLE when Neo4j cannot
// be reached or kept failing transiently until the retries ran out (a
// deadline hit while waiting counts too: the server did not answer in time);
// domain errors returned from inside a transaction pass unchanged; anything
// else is an internal error.
func (s *Store) mapErr(err error) error {
	var le *lineage.Error
	if err == nil || errors.As(err, &le) || errors.Is(err, context.Canceled) {
		return err
	}
	var (
		limit *neo.TransactionExecutionLimit
		ne    *neo.Neo4jError
	)
	switch {
	case s.closed.Load():
		return errClosed
	case neo.IsConnectivityError(err), errors.As(err, &limit),
		errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && strings.HasPrefix(ne.Code, "Neo.TransientError."),
		neo.IsRetryable(err):
		return &unavailable{lineage.Errorf(lineage.EUNAVAILABLE, "the metadata database (Neo4j) is unavailable"), err}
	}
	var usage *neo.UsageError
	if errors.As(err, &usage) && strings.Contains(usage.Message, "closed") {
		return &unavailable{errClosed, err}
	}
	return fmt.Errorf("neo4j: %w", err)
}

// isConstraintViolation reports whether err is a uniqueness constraint
// failing: a concurrent write created the same key first.
func isConstraintViolation(err error) bool {
	var ne *neo.Neo4jError
	return errors.As(err, &ne) && ne.Code == "Neo.ClientError.Schema.ConstraintValidationFailed"
}
