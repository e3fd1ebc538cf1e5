// Command artigraph serves the Artigraph GraphQL API: artifacts, versions,
// runs and their lineage, on the embedded store by default.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/artigraph/artigraph/api"
	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/storage/embedded"
	"github.com/artigraph/artigraph/storage/fs"
	"github.com/artigraph/artigraph/storage/gcs"
	"github.com/artigraph/artigraph/storage/neo4j"
)

// Config is everything the server reads from flags and the environment.
type Config struct {
	Addr           string
	DataDir        string
	ArtifactPath   string
	BlobRoots      []string // --blob-roots: more places blobs may be written, besides <data-dir>/artifacts and the artifact path's
	CORSOrigins    []string
	MaxQueryDepth  int
	MaxComplexity  int
	MaxUploadBytes int64
	MaxLineage     int
	RequestTimeout time.Duration
	ShutdownGrace  time.Duration
	LogFormat      string
	AdminToken     string
	SignedURLTTL   time.Duration
	GCSSignerEmail string
	GCSSignerKey   string // path to a PEM private key

	// HTTP limits (listener.go).
	AllowedHosts     []string // Host headers served; see allowedHosts
	MaxRequestBytes  int64
	MaxQueryFields   int
	MaxConnections   int
	MaxSubscriptions int
	ReadTimeout      time.Duration
	IdleTimeout      time.Duration

	Neo4j neo4j.Config
}

// parseConfig reads flags, each defaulting to its ARTIGRAPH_* variable.
func parseConfig(args []string, getenv func(string) string) (Config, error) {
	return parseConfigWith(args, getenv, nil)
}

// parseConfigWith is parseConfig for a subcommand that adds flags of its
// own to the server's (gc's --grace), so both parse as one flag set.
func parseConfigWith(args []string, getenv func(string) string, more func(*flag.FlagSet)) (Config, error) {
	fset := flag.NewFlagSet("artigraph", flag.ContinueOnError)
	if more != nil {
		more(fset)
	}
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	// A number in the environment that does not parse is an error, not the
	// default: ARTIGRAPH_MAX_UPLOAD_BYTES=1GB must not start with 1 GiB
	// silently.
	var envErrs []error
	envInt := func(name string, def int64) int64 {
		v := getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			envErrs = append(envErrs, fmt.Errorf("%s=%q is not a whole number", name, v))
			return def
		}
		return n
	}
	var c Config
	var origins string
	fset.StringVar(&c.Addr, "addr", env("ARTIGRAPH_ADDR", "127.0.0.1:8080"), "listen address (ARTIGRAPH_ADDR)")
	fset.StringVar(&c.DataDir, "data-dir", env("ARTIGRAPH_DATA_DIR", "./data"), "embedded store and default blob directory (ARTIGRAPH_DATA_DIR)")
	fset.StringVar(&c.ArtifactPath, "artifact-path", env("ARTIGRAPH_ARTIFACT_PATH", ""), "server-level artifact path, e.g. gs://bucket/prefix or file:///dir (ARTIGRAPH_ARTIFACT_PATH)")
	var blobRoots string
	fset.StringVar(&blobRoots, "blob-roots", env("ARTIGRAPH_BLOB_ROOTS", ""), "comma-separated absolute directories or file:///, gs:// prefixes where blobs may be stored besides <data-dir>/artifacts and the artifact path; project, run and call artifact paths must lie inside one (ARTIGRAPH_BLOB_ROOTS)")
	fset.StringVar(&origins, "cors-origins", env("ARTIGRAPH_CORS_ORIGINS", ""), "comma-separated origins allowed by CORS; none by default (ARTIGRAPH_CORS_ORIGINS)")
	fset.IntVar(&c.MaxQueryDepth, "max-query-depth", int(envInt("ARTIGRAPH_MAX_QUERY_DEPTH", 10)), "deepest GraphQL field nesting (ARTIGRAPH_MAX_QUERY_DEPTH)")
	fset.IntVar(&c.MaxComplexity, "max-complexity", int(envInt("ARTIGRAPH_MAX_COMPLEXITY", 50000)), "GraphQL complexity budget per operation (ARTIGRAPH_MAX_COMPLEXITY)")
	fset.Int64Var(&c.MaxUploadBytes, "max-upload-bytes", envInt("ARTIGRAPH_MAX_UPLOAD_BYTES", 1<<30), "largest upload or body (ARTIGRAPH_MAX_UPLOAD_BYTES)")
	fset.IntVar(&c.MaxLineage, "max-lineage-depth", int(envInt("ARTIGRAPH_MAX_LINEAGE_DEPTH", 10)), "deepest lineage/impact traversal (ARTIGRAPH_MAX_LINEAGE_DEPTH)")
	fset.DurationVar(&c.RequestTimeout, "request-timeout", 60*time.Second, "deadline of each GraphQL request")
	fset.DurationVar(&c.ShutdownGrace, "shutdown-grace", 30*time.Second, "how long in-flight requests may finish after SIGTERM")
	fset.StringVar(&c.AdminToken, "admin-token", env("ARTIGRAPH_ADMIN_TOKEN", ""), "bearer token enabling admin operations such as gc; none by default (ARTIGRAPH_ADMIN_TOKEN)")
	fset.DurationVar(&c.SignedURLTTL, "signed-url-ttl", 0, "when positive, downloadUrl is a signed blob-store URL valid this long, where the store signs (GCS)")
	fset.StringVar(&c.GCSSignerEmail, "gcs-signer-email", env("ARTIGRAPH_GCS_SIGNER_EMAIL", ""), "service account that signs GCS download URLs (ARTIGRAPH_GCS_SIGNER_EMAIL)")
	fset.StringVar(&c.GCSSignerKey, "gcs-signer-key", env("ARTIGRAPH_GCS_SIGNER_KEY", ""), "PEM private key file of that service account (ARTIGRAPH_GCS_SIGNER_KEY)")
	fset.StringVar(&c.LogFormat, "log-format", env("ARTIGRAPH_LOG_FORMAT", "text"), "text or json (ARTIGRAPH_LOG_FORMAT)")
	var hosts string
	fset.StringVar(&hosts, "allowed-hosts", env("ARTIGRAPH_ALLOWED_HOSTS", ""), "comma-separated Host headers served: host, host:port, .suffix, an IP network, or *; default: loopback names when --addr is loopback, else any (ARTIGRAPH_ALLOWED_HOSTS)")
	fset.Int64Var(&c.MaxRequestBytes, "max-request-bytes", envInt("ARTIGRAPH_MAX_REQUEST_BYTES", api.DefaultMaxRequestBytes), "largest request body other than uploads (ARTIGRAPH_MAX_REQUEST_BYTES)")
	fset.IntVar(&c.MaxQueryFields, "max-query-fields", int(envInt("ARTIGRAPH_MAX_QUERY_FIELDS", api.DefaultMaxQueryFields)), "most fields and fragment spreads of a GraphQL document with its fragments expanded (ARTIGRAPH_MAX_QUERY_FIELDS)")
	fset.IntVar(&c.MaxConnections, "max-connections", int(envInt("ARTIGRAPH_MAX_CONNECTIONS", defaultMaxConnections)), "open connections; at the cap an idle one is closed to make room (ARTIGRAPH_MAX_CONNECTIONS)")
	fset.IntVar(&c.MaxSubscriptions, "max-subscriptions", int(envInt("ARTIGRAPH_MAX_SUBSCRIPTIONS", api.DefaultMaxSubscriptions)), "open websockets, and running subscriptions (ARTIGRAPH_MAX_SUBSCRIPTIONS)")
	fset.DurationVar(&c.ReadTimeout, "read-timeout", defaultReadTimeout, "time to read a request's headers and body; uploads instead fail after this long without progress")
	fset.DurationVar(&c.IdleTimeout, "idle-timeout", defaultIdleTimeout, "how long an idle keep-alive connection stays open")
	if err := errors.Join(envErrs...); err != nil {
		return Config{}, err
	}
	if err := fset.Parse(args); err != nil {
		return Config{}, err
	}
	c.AllowedHosts = allowedHosts(hosts, c.Addr)
	c.Neo4j = neo4j.Config{URI: getenv("NEO4J_URI"), User: getenv("NEO4J_USER"),
		Password: getenv("NEO4J_PASSWORD"), Database: getenv("NEO4J_DATABASE")}
	for _, o := range strings.Split(origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.CORSOrigins = append(c.CORSOrigins, o)
		}
	}
	if c.ArtifactPath != "" {
		if err := lineage.ValidateArtifactPath(strings.NewReplacer("{{project}}", "p", "{{run.uid}}", "u").Replace(c.ArtifactPath)); err != nil {
			return Config{}, fmt.Errorf("--artifact-path: %w", err)
		}
	}
	for _, r := range strings.Split(blobRoots, ",") {
		if r = strings.TrimSpace(r); r != "" {
			if err := lineage.ValidateBlobRoot(r); err != nil {
				return Config{}, fmt.Errorf("--blob-roots: %w", err)
			}
			c.BlobRoots = append(c.BlobRoots, r)
		}
	}
	if c.MaxQueryDepth < 1 || c.MaxLineage < 1 || c.MaxComplexity < 1 {
		return Config{}, errors.New("limits must be positive")
	}
	return c, nil
}

// Main is the running server: its stores and HTTP server.
type Main struct {
	Config  Config
	Log     *slog.Logger
	Store   lineage.Store
	Service *lineage.Service
	HTTP    *http.Server
	ln      net.Listener
}

// Open opens the stores and binds the listen address.
func Open(c Config, log *slog.Logger) (*Main, error) {
	store, svc, err := openService(c)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		store.Close()
		return nil, err
	}
	h := api.New(api.Options{Service: svc, Logger: log, AllowedOrigins: c.CORSOrigins,
		MaxQueryDepth: c.MaxQueryDepth, MaxComplexity: c.MaxComplexity, MaxUploadBytes: c.MaxUploadBytes,
		RequestTimeout: c.RequestTimeout, AdminToken: c.AdminToken, SignedURLTTL: c.SignedURLTTL,
		AllowedHosts: c.AllowedHosts, ListenAddr: ln.Addr().String(), MaxRequestBytes: c.MaxRequestBytes,
		MaxQueryFields: c.MaxQueryFields, MaxSubscriptions: c.MaxSubscriptions, BodyIdleTimeout: c.ReadTimeout})
	srv, ln := newHTTPServer(c, h, ln)
	return &Main{Config: c, Log: log, Store: store, Service: svc, ln: ln, HTTP: srv}, nil
}

// openService opens the metadata store and the blob stores.
func openService(c Config) (lineage.Store, *lineage.Service, error) {
	dataDir, err := filepath.Abs(c.DataDir)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, nil, err
	}
	store, err := openStore(c, dataDir)
	if err != nil {
		return nil, nil, err
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
		if err := os.MkdirAll(p, 0o755); err != nil {
			store.Close()
			return nil, nil, fmt.Errorf("blob root %s: %w", p, err)
		}
		real := func(p string) string {
			if e, err := filepath.EvalSymlinks(p); err == nil {
				return e
			}
			return p
		}
		within := func(a, b string) bool { return a == b || strings.HasPrefix(a, b+string(filepath.Separator)) }
		rp, dd, art := real(p), real(dataDir), real(artifacts)
		if within(dd, rp) || (within(rp, dd) && !within(rp, art)) {
			store.Close()
			return nil, nil, fmt.Errorf("blob root %s would contain the metadata store in the data directory %s: "+
				"choose a directory outside it, or inside %s", p, dataDir, artifacts)
		}
		local = append(local, p)
	}
	blobs, err := fs.New(local...)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	cfg := lineage.DefaultConfig()
	cfg.BlobRoots = roots
	cfg.ServerArtifactPath = c.ArtifactPath
	cfg.DefaultArtifactPath = filepath.Join(dataDir, "artifacts") + "/{{project}}"
	cfg.MaxUploadBytes = c.MaxUploadBytes
	cfg.MaxLineageDepth = c.MaxLineage
	router := lineage.BlobRouter{"file": blobs}
	gs, err := openGCS(c)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	if gs != nil {
		router["gs"] = gs
	}
	svc := lineage.NewService(store, router, cfg)
	return store, svc, nil
}

// openStore opens Neo4j when NEO4J_URI is set, else the embedded store in
// the data directory.
func openStore(c Config, dataDir string) (lineage.Store, error) {
	if c.Neo4j.URI == "" {
		s, err := embedded.Open(filepath.Join(dataDir, "artigraph.db"))
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
// clear INVALID_ARGUMENT.
func openGCS(c Config) (lineage.Blobs, error) {
	wanted := strings.HasPrefix(c.ArtifactPath, "gs://") || os.Getenv("STORAGE_EMULATOR_HOST") != "" ||
		os.Getenv("GOOGLE_APPLICATION_CREDENTIALS") != ""
	if !wanted {
		return nil, nil
	}
	st, err := gcs.New(context.Background(), gcs.Config{})
	if err != nil {
		return nil, fmt.Errorf("google cloud storage: %w", err)
	}
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
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	m.Log.Info("shutting down: finishing in-flight requests", "grace", m.Config.ShutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownGrace)
	defer cancel()
	return m.HTTP.Shutdown(sctx)
}

// Close releases the stores.
func (m *Main) Close() error { return m.Store.Close() }

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "gc":
			os.Exit(runGC(os.Args[2:]))
		case "healthcheck":
			os.Exit(runHealthcheck(os.Args[2:]))
		}
	}
	cfg, err := parseConfig(os.Args[1:], os.Getenv)
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
	log := slog.New(h)
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

// runGC is "artigraph gc": garbage collection from the command line, with the
// server's flags. The embedded store allows one process at a time, so stop
// the server first, or use the gc mutation while it runs.
func runGC(args []string) int {
	var dryRun bool
	var grace time.Duration
	cfg, err := parseConfigWith(args, os.Getenv, func(f *flag.FlagSet) {
		f.BoolVar(&dryRun, "dry-run", false, "list orphans without removing them")
		f.DurationVar(&grace, "grace", lineage.DefaultGCGrace, "spare blobs younger than this (an upload may be in flight)")
	})
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "artigraph gc:", err)
		return 2
	}
	store, svc, err := openService(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "artigraph gc:", err)
		return 1
	}
	defer store.Close()
	rep, err := svc.GC(context.Background(), lineage.GCOptions{Grace: grace, DryRun: dryRun})
	if err != nil {
		fmt.Fprintln(os.Stderr, "artigraph gc:", err)
		return 1
	}
	for _, o := range rep.Orphans {
		fmt.Printf("orphan\t%s\t%d bytes\t%s\n", o.Location, o.Size, o.Updated.Format(time.RFC3339))
	}
	fmt.Printf("scanned %d blobs under %d roots, %d orphans, %d removed\n", rep.Scanned, len(rep.Roots), len(rep.Orphans), rep.Removed)
	return 0
}

// runHealthcheck is "artigraph healthcheck": exits 0 when the server at
// --addr answers /readyz, for container health checks in images without curl.
func runHealthcheck(args []string) int {
	cfg, err := parseConfig(args, os.Getenv)
	if err != nil {
		return 2
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return 2
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	client := http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort(host, port) + "/readyz")
	if err != nil {
		fmt.Fprintln(os.Stderr, "artigraph healthcheck:", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "artigraph healthcheck:", resp.Status)
		return 1
	}
	return 0
}
