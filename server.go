// Command artigraph serves the Artigraph GraphQL API: artifacts, versions,
// runs and their lineage, on the embedded store by default.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/artigraph/artigraph/api"
	"github.com/artigraph/artigraph/cli"
	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/metrics"
	"github.com/artigraph/artigraph/storage/embedded"
	"github.com/artigraph/artigraph/storage/fs"
	"github.com/artigraph/artigraph/storage/gcs"
	"github.com/artigraph/artigraph/storage/neo4j"
)

// Main is the running server: its stores and HTTP server.
type Main struct {
	Config  Config
	Log     *slog.Logger
	Store   lineage.Store
	Service *lineage.Service
	HTTP    *http.Server
	ln      net.Listener
	Metrics *metrics.Metrics
	gcs     *gcs.Store // nil without GCS; Close closes its client

	closeOnce sync.Once
	closeErr  error
}

// Open opens the stores and binds the listen address. The embedded store
// loads its file in the background: Run serves /healthz at once, and /readyz
// and every other route answer 503 until Loaded is closed.
func Open(c Config, log *slog.Logger) (*Main, error) {
	m, err := startStores(c)
	if err != nil {
		return nil, err
	}
	m.Log = log
	logAuthMode(c, log)
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		m.Close()
		return nil, err
	}
	h := api.New(api.Options{Service: m.Service, Logger: log, Observer: m.Metrics, MetricsHandler: m.Metrics.Handler(), OpenLineageEvents: m.Metrics.OpenLineageEvent,
		MetricsOpen: c.MetricsOpen, AllowedOrigins: c.CORSOrigins,
		MaxQueryDepth: c.MaxQueryDepth, MaxComplexity: c.MaxComplexity, MaxUploadBytes: c.MaxUploadBytes,
		RequestTimeout: c.RequestTimeout, SignedURLTTL: c.SignedURLTTL,
		AllowedHosts: c.AllowedHosts, ListenAddr: ln.Addr().String(), MaxRequestBytes: c.MaxRequestBytes,
		MaxQueryFields: c.MaxQueryFields, MaxSubscriptions: c.MaxSubscriptions, BodyIdleTimeout: c.ReadTimeout})
	m.HTTP, m.ln = newHTTPServer(c, api.WhileLoading(m.Loaded(), h), ln)
	return m, nil
}

// loader is a store that loads in the background (the embedded store).
type loader interface {
	Loaded() <-chan struct{}
	LoadErr() error
}

var alreadyLoaded = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Loaded is closed once the metadata store has loaded, or failed to (Run
// then returns the error).
func (m *Main) Loaded() <-chan struct{} {
	if l, ok := m.Store.(loader); ok {
		return l.Loaded()
	}
	return alreadyLoaded
}

// loadErr is why the metadata store failed to load, once Loaded is closed.
func (m *Main) loadErr() error {
	if l, ok := m.Store.(loader); ok {
		if err := l.LoadErr(); err != nil {
			return fmt.Errorf("open embedded store: %w", err)
		}
	}
	return nil
}

// openStores opens the metadata store and the blob stores, and the service
// on them: a Main without HTTP, as gc uses it, its store loaded.
func openStores(c Config) (*Main, error) {
	m, err := startStores(c)
	if err != nil {
		return nil, err
	}
	<-m.Loaded()
	if err := m.loadErr(); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// startStores is openStores with the embedded store still loading. When a
// step fails, what the earlier ones opened is closed.
func startStores(c Config) (_ *Main, err error) {
	dataDir, err := filepath.Abs(c.DataDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	m := &Main{Config: c}
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	if m.Store, err = openStore(c, dataDir); err != nil {
		return nil, err
	}
	// Blob roots are configuration, never requests: the data dir's blob
	// folder, the artifact path's root and --blob-roots. The metadata store
	// (everything else in the data dir) must lie outside all of them.
	artifacts := filepath.Join(dataDir, "artifacts")
	roots := append([]string{artifacts}, c.BlobRoots...)
	if r := lineage.BlobRootOf(c.ArtifactPath); r != "" {
		roots = append(roots, r)
	}
	var local []string
	for _, r := range roots {
		p := localRoot(r)
		if p == "" {
			continue // a bucket: the metadata is not there
		}
		// Created first, so that links in it resolve when it is checked.
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, fmt.Errorf("blob root %s: %w", p, err)
		}
		if err := lineage.CheckMetadataOutsideBlobRoot(p, dataDir, artifacts); err != nil {
			return nil, err
		}
		local = append(local, p)
	}
	blobs, err := fs.New(local...)
	if err != nil {
		return nil, err
	}
	cfg := lineage.DefaultConfig()
	cfg.BlobRoots = roots
	cfg.ServerArtifactPath = c.ArtifactPath
	cfg.DefaultArtifactPath = filepath.Join(dataDir, "artifacts") + "/{{project}}"
	cfg.MaxUploadBytes = c.MaxUploadBytes
	cfg.MaxLineageDepth = c.MaxLineage
	cfg.Auth = c.Auth
	if cfg.Auth == "" {
		cfg.Auth = lineage.AuthNone // a Config not from parseConfig (tests)
	}
	cfg.AdminToken = c.AdminToken
	cfg.LinkTTL = c.LinkTTL
	keyFile := c.ServerKeyFile
	if keyFile == "" {
		keyFile = filepath.Join(dataDir, "server.key")
	}
	if cfg.ServerKey, err = loadServerKey(keyFile); err != nil {
		return nil, err
	}
	m.Metrics = metrics.New()
	router := lineage.BlobRouter{"file": m.Metrics.Blobs(blobs, "file")}
	gs, err := m.openGCS()
	if err != nil {
		return nil, err
	}
	if gs != nil {
		router["gs"] = m.Metrics.Blobs(gs, "gs")
	}
	backend := "embedded"
	if c.Neo4j.URI != "" {
		backend = "neo4j"
	}
	m.Service = lineage.NewService(m.Metrics.Store(m.Store, backend), router, cfg)
	return m, nil
}

// serverKeyBytes is the size of a new server key, and the least a key
// file may hold.
const serverKeyBytes = 32

// loadServerKey reads the server key, creating it (32 random bytes, mode
// 0600) when the file does not exist. The key hashes token secrets and
// signs download links: servers sharing a store must share it, and a new
// key invalidates every token and link.
func loadServerKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key = make([]byte, serverKeyBytes)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return loadServerKey(path) // another process created it first
		}
		if err != nil {
			return nil, fmt.Errorf("--server-key-file: %w", err)
		}
		_, err = f.Write(key)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return nil, fmt.Errorf("--server-key-file: %w", err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("--server-key-file: %w", err)
	}
	if len(key) < serverKeyBytes {
		return nil, fmt.Errorf("--server-key-file %s: the key is %d bytes, want at least %d", path, len(key), serverKeyBytes)
	}
	return key, nil
}

// logAuthMode says at start when requests need no token: a WARN on an
// address others can reach, one INFO line on the loopback default.
func logAuthMode(c Config, log *slog.Logger) {
	if c.Auth != lineage.AuthNone {
		return
	}
	switch {
	case !isLoopbackAddr(c.Addr):
		log.Warn("auth is off (--auth none) on a non-loopback address: anyone who reaches the server may read and write every project",
			"addr", c.Addr)
	case c.AuthDefaulted:
		log.Info("auth is off: --addr is a loopback address, so --auth defaults to none; set --auth token to require tokens",
			"addr", c.Addr)
	default:
		log.Info("auth is off (--auth none)", "addr", c.Addr)
	}
}

// openStore opens Neo4j when NEO4J_URI is set, else the embedded store in
// the data directory.
func openStore(c Config, dataDir string) (lineage.Store, error) {
	if c.Neo4j.URI == "" {
		s, err := embedded.Start(filepath.Join(dataDir, "artigraph.db"), c.embedded)
		if err != nil {
			return nil, fmt.Errorf("open embedded store: %w", err)
		}
		return s, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := neo4j.Open(ctx, c.Neo4j)
	if err != nil {
		return nil, fmt.Errorf("open neo4j at %s: %w", c.Neo4j.URI, err)
	}
	return s, nil
}

// openGCS connects to Google Cloud Storage when the configuration asks for
// it: a gs:// artifact path, an emulator, or explicit credentials. Clients
// may still name gs:// paths per project or call; without GCS they get a
// clear INVALID_ARGUMENT. The client is kept in m.gcs for Close.
func (m *Main) openGCS() (lineage.Blobs, error) {
	c := m.Config
	wanted := strings.HasPrefix(c.ArtifactPath, "gs://") || os.Getenv("STORAGE_EMULATOR_HOST") != "" ||
		os.Getenv("GOOGLE_APPLICATION_CREDENTIALS") != ""
	if !wanted {
		return nil, nil
	}
	st, err := gcs.New(context.Background(), gcs.Config{})
	if err != nil {
		return nil, fmt.Errorf("google cloud storage: %w", err)
	}
	m.gcs = st
	if c.GCSSignerEmail == "" && c.GCSSignerKey == "" {
		return st, nil
	}
	key, err := os.ReadFile(c.GCSSignerKey)
	if err != nil {
		return nil, fmt.Errorf("--gcs-signer-key: %w", err)
	}
	return st.WithSigning(gcs.SigningConfig{Email: c.GCSSignerEmail, PrivateKey: key})
}

// localRoot is the directory a file:// or absolute artifact path or root
// names, up to the last slash before its first template; "" for others.
func localRoot(p string) string {
	r := lineage.BlobRootOf(p)
	if !strings.HasPrefix(r, "/") {
		return ""
	}
	return filepath.Clean(r)
}

// Addr is the bound address (useful with port 0).
func (m *Main) Addr() string { return m.ln.Addr().String() }

// Run serves until ctx ends, then lets in-flight requests finish.
func (m *Main) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- m.HTTP.Serve(m.ln) }()
	store := "embedded"
	if m.Config.Neo4j.URI != "" {
		store = "neo4j " + m.Config.Neo4j.URI
	}
	m.Log.Info("artigraph listening", "addr", "http://"+m.Addr(), "graphiql", "http://"+m.Addr()+"/graphiql",
		"store", store, "data_dir", m.Config.DataDir)
	failed := m.watchLoad(ctx)
	select {
	case err := <-errc:
		return err
	case err := <-failed:
		m.Log.Error("the metadata store failed to load", "err", err)
		sctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownGrace)
		defer cancel()
		m.HTTP.Shutdown(sctx)
		return err
	case <-ctx.Done():
	}
	m.Log.Info("shutting down: finishing in-flight requests", "grace", m.Config.ShutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownGrace)
	defer cancel()
	return m.HTTP.Shutdown(sctx)
}

// watchLoad logs when the metadata store has loaded, and sends the error if
// it failed to; it gives up when ctx ends.
func (m *Main) watchLoad(ctx context.Context) <-chan error {
	failed := make(chan error, 1)
	start := time.Now()
	go func() {
		select {
		case <-m.Loaded():
		case <-ctx.Done():
			return
		}
		if err := m.loadErr(); err != nil {
			failed <- err
			return
		}
		m.Log.Info("ready: the metadata store is loaded", "after", time.Since(start).Round(time.Millisecond))
	}()
	return failed
}

// Close releases what Open opened: the listener (when Run did not serve it),
// the metadata store and the GCS client. Later calls return the first's
// result.
func (m *Main) Close() error {
	m.closeOnce.Do(func() {
		var errs []error
		if m.ln != nil {
			// Shutdown has closed it when Run served it.
			if err := m.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
		}
		if m.Store != nil {
			errs = append(errs, m.Store.Close())
		}
		if m.gcs != nil {
			errs = append(errs, m.gcs.Close())
		}
		m.closeErr = errors.Join(errs...)
	})
	return m.closeErr
}

func main() {
	args := os.Args[1:]
	if len(args) > 0 {
		switch {
		case args[0] == "serve":
			args = args[1:]
		case args[0] == "gc" && !cli.RemoteGC(args[1:]):
			os.Exit(runGC(args[1:])) // next to the store; with --server, the client below
		case args[0] == "healthcheck":
			os.Exit(runHealthcheck(args[1:]))
		case cli.Handles(args[0]):
			os.Exit(cli.Main(context.Background(), os.Args, cli.OS()))
		}
	}
	cfg, err := parseConfig(args, os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "artigraph:", err)
		os.Exit(2)
	}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, nil)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(os.Stderr, nil)
	}
	log := slog.New(api.LogHandler(h))
	m, err := Open(cfg, log)
	if err != nil {
		log.Error("start failed", "err", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := m.Run(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("server failed", "err", err)
		m.Close()
		os.Exit(1)
	}
	if err := m.Close(); err != nil {
		log.Error("close failed", "err", err)
		os.Exit(1)
	}
}
