package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/artigraph/artigraph/api"
	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/storage/embedded"
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
	// Access control (README, Security): Auth is lineage.AuthToken or
	// AuthNone; AuthDefaulted says it was not set but chosen by --addr.
	Auth           lineage.AuthMode
	AuthDefaulted  bool
	ServerKeyFile  string // "": <data-dir>/server.key
	LinkTTL        time.Duration
	MetricsOpen    bool // /metrics needs no token
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

	embedded embedded.Options // how the embedded store starts: tests hold its load
}

// parseConfig reads the server's flags, each defaulting to its ARTIGRAPH_*
// variable.
func parseConfig(args []string, getenv func(string) string) (Config, error) {
	return parseConfigTo(args, getenv, os.Stderr)
}

// parseConfigTo is parseConfig writing usage and flag errors to out.
func parseConfigTo(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	fset := flag.NewFlagSet("artigraph", flag.ContinueOnError)
	fset.SetOutput(out)
	config := configFlags(fset, getenv)
	if err := fset.Parse(args); err != nil {
		return Config{}, err
	}
	return config()
}

// configFlags adds the server's flags to fset, so that a subcommand's own
// flag set takes them too (gc opens the same stores), and returns the
// function that builds the Config once fset has parsed.
func configFlags(fset *flag.FlagSet, getenv func(string) string) func() (Config, error) {
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
	envBool := func(name string) bool {
		v := getenv(name)
		if v == "" {
			return false
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			envErrs = append(envErrs, fmt.Errorf("%s=%q is not true or false", name, v))
		}
		return b
	}
	c := new(Config)
	var origins, blobRoots, hosts, auth string
	var configFile string
	fset.StringVar(&configFile, "config", env("ARTIGRAPH_CONFIG", ""), "a YAML file of settings, keyed by flag name; flags and the environment override it (ARTIGRAPH_CONFIG)")
	fset.StringVar(&c.Addr, "addr", env("ARTIGRAPH_ADDR", "127.0.0.1:8080"), "listen address (ARTIGRAPH_ADDR)")
	fset.StringVar(&c.DataDir, "data-dir", env("ARTIGRAPH_DATA_DIR", "./data"), "embedded store and default blob directory (ARTIGRAPH_DATA_DIR)")
	fset.StringVar(&c.ArtifactPath, "artifact-path", env("ARTIGRAPH_ARTIFACT_PATH", ""), "server-level artifact path, e.g. gs://bucket/prefix or file:///dir (ARTIGRAPH_ARTIFACT_PATH)")
	fset.StringVar(&blobRoots, "blob-roots", env("ARTIGRAPH_BLOB_ROOTS", ""), "comma-separated absolute directories or file:///, gs:// prefixes where blobs may be stored besides <data-dir>/artifacts and the artifact path; project, run and call artifact paths must lie inside one (ARTIGRAPH_BLOB_ROOTS)")
	fset.StringVar(&origins, "cors-origins", env("ARTIGRAPH_CORS_ORIGINS", ""), "comma-separated origins allowed by CORS; none by default (ARTIGRAPH_CORS_ORIGINS)")
	fset.IntVar(&c.MaxQueryDepth, "max-query-depth", int(envInt("ARTIGRAPH_MAX_QUERY_DEPTH", 10)), "deepest GraphQL field nesting (ARTIGRAPH_MAX_QUERY_DEPTH)")
	fset.IntVar(&c.MaxComplexity, "max-complexity", int(envInt("ARTIGRAPH_MAX_COMPLEXITY", 50000)), "GraphQL complexity budget per operation (ARTIGRAPH_MAX_COMPLEXITY)")
	fset.Int64Var(&c.MaxUploadBytes, "max-upload-bytes", envInt("ARTIGRAPH_MAX_UPLOAD_BYTES", 1<<30), "largest upload or body (ARTIGRAPH_MAX_UPLOAD_BYTES)")
	fset.IntVar(&c.MaxLineage, "max-lineage-depth", int(envInt("ARTIGRAPH_MAX_LINEAGE_DEPTH", 10)), "deepest lineage/impact traversal (ARTIGRAPH_MAX_LINEAGE_DEPTH)")
	fset.DurationVar(&c.RequestTimeout, "request-timeout", 60*time.Second, "deadline of each GraphQL request")
	fset.DurationVar(&c.ShutdownGrace, "shutdown-grace", 30*time.Second, "how long in-flight requests may finish after SIGTERM")
	fset.StringVar(&c.AdminToken, "admin-token", env("ARTIGRAPH_ADMIN_TOKEN", ""), "an ADMIN bearer token from configuration, to create the first tokens and run gc; none by default (ARTIGRAPH_ADMIN_TOKEN)")
	fset.StringVar(&auth, "auth", env("ARTIGRAPH_AUTH", ""), "token (every request needs a token) or none (anyone may read and write); default: none when --addr is loopback, else token (ARTIGRAPH_AUTH)")
	fset.StringVar(&c.ServerKeyFile, "server-key-file", env("ARTIGRAPH_SERVER_KEY_FILE", ""), "file of the key that hashes token secrets and signs download links, created (32 random bytes, mode 0600) if missing; servers sharing a Neo4j must share it; default <data-dir>/server.key (ARTIGRAPH_SERVER_KEY_FILE)")
	fset.BoolVar(&c.MetricsOpen, "metrics-open", envBool("ARTIGRAPH_METRICS_OPEN"), "serve /metrics to anyone, not only to authenticated callers (ARTIGRAPH_METRICS_OPEN)")
	fset.DurationVar(&c.LinkTTL, "download-link-ttl", lineage.DefaultLinkTTL, "how long a signed downloadUrl of this server is valid (--auth token)")
	fset.DurationVar(&c.SignedURLTTL, "signed-url-ttl", 0, "when positive, downloadUrl is a signed blob-store URL valid this long, where the store signs (GCS)")
	fset.StringVar(&c.GCSSignerEmail, "gcs-signer-email", env("ARTIGRAPH_GCS_SIGNER_EMAIL", ""), "service account that signs GCS download URLs (ARTIGRAPH_GCS_SIGNER_EMAIL)")
	fset.StringVar(&c.GCSSignerKey, "gcs-signer-key", env("ARTIGRAPH_GCS_SIGNER_KEY", ""), "PEM private key file of that service account (ARTIGRAPH_GCS_SIGNER_KEY)")
	fset.StringVar(&c.LogFormat, "log-format", env("ARTIGRAPH_LOG_FORMAT", "text"), "text or json (ARTIGRAPH_LOG_FORMAT)")
	fset.StringVar(&hosts, "allowed-hosts", env("ARTIGRAPH_ALLOWED_HOSTS", ""), "comma-separated Host headers served: host, host:port, .suffix, an IP network, or *; default: loopback names when --addr is loopback, else any (ARTIGRAPH_ALLOWED_HOSTS)")
	fset.Int64Var(&c.MaxRequestBytes, "max-request-bytes", envInt("ARTIGRAPH_MAX_REQUEST_BYTES", api.DefaultMaxRequestBytes), "largest request body other than uploads (ARTIGRAPH_MAX_REQUEST_BYTES)")
	fset.IntVar(&c.MaxQueryFields, "max-query-fields", int(envInt("ARTIGRAPH_MAX_QUERY_FIELDS", api.DefaultMaxQueryFields)), "most fields and fragment spreads of a GraphQL document with its fragments expanded (ARTIGRAPH_MAX_QUERY_FIELDS)")
	fset.IntVar(&c.MaxConnections, "max-connections", int(envInt("ARTIGRAPH_MAX_CONNECTIONS", defaultMaxConnections)), "open connections; at the cap an idle one is closed to make room (ARTIGRAPH_MAX_CONNECTIONS)")
	fset.IntVar(&c.MaxSubscriptions, "max-subscriptions", int(envInt("ARTIGRAPH_MAX_SUBSCRIPTIONS", api.DefaultMaxSubscriptions)), "open websockets, and running subscriptions (ARTIGRAPH_MAX_SUBSCRIPTIONS)")
	fset.DurationVar(&c.ReadTimeout, "read-timeout", defaultReadTimeout, "time to read a request's headers and body; uploads instead fail after this long without progress")
	fset.DurationVar(&c.IdleTimeout, "idle-timeout", defaultIdleTimeout, "how long an idle keep-alive connection stays open")

	return func() (Config, error) {
		if err := errors.Join(envErrs...); err != nil {
			return Config{}, err
		}
		if configFile != "" {
			if err := applyConfigFile(fset, configFile, getenv); err != nil {
				return Config{}, err
			}
		}
		c.AllowedHosts = allowedHosts(hosts, c.Addr)
		switch mode := lineage.AuthMode(strings.TrimSpace(auth)); mode {
		case "":
			c.Auth, c.AuthDefaulted = lineage.AuthToken, true
			if isLoopbackAddr(c.Addr) {
				c.Auth = lineage.AuthNone
			}
		case lineage.AuthToken, lineage.AuthNone:
			c.Auth = mode
		default:
			return Config{}, fmt.Errorf("--auth (ARTIGRAPH_AUTH) %q: use token or none", auth)
		}
		if c.LinkTTL <= 0 {
			return Config{}, errors.New("--download-link-ttl must be positive")
		}
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
		return *c, nil
	}
}
