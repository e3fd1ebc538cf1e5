// Package api serves Artigraph over HTTP: GraphQL (with its limits and error
// codes), GraphiQL, content and YAML downloads, and health checks.
package api

import (
	"bufio"
	"context"
	"crypto/subtle"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/artigraph/artigraph/graph"
	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/resolvers"
	"github.com/artigraph/artigraph/web"
)

// Options configure the handler.
type Options struct {
	Service        *lineage.Service
	Logger         *slog.Logger
	AllowedOrigins []string // CORS; none by default
	MaxQueryDepth  int      // deepest field nesting a query may have
	MaxComplexity  int      // gqlgen complexity budget per operation
	MaxUploadBytes int64    // multipart request size
	RequestTimeout time.Duration
	SignedURLTTL   time.Duration // > 0: downloadUrl is a signed blob-store URL where possible
	AdminToken     string        // enables admin operations (gc) for callers presenting it
}

// New returns the server's whole HTTP handler.
func New(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	mux := http.NewServeMux()
	gql := newGraphQL(o)
	mux.Handle("/graphql", gql)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := o.Service.Store.Ping(ctx); err != nil {
			o.Logger.Warn("not ready", "err", err)
			http.Error(w, "store unreachable: "+lineage.ErrorMessage(err), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	d := downloads{svc: o.Service, log: o.Logger}
	mux.HandleFunc("GET /api/v1/artifacts/{project}/{uid}/content", d.content)
	mux.HandleFunc("GET /api/v1/artifacts/{project}/{uid}/yaml", d.yaml)
	mux.HandleFunc("PUT /api/v1/uploads/{ticket}", d.upload)
	// The UI: GraphiQL at /graphiql, the artifact browser everywhere else.
	mux.Handle("/", web.Handler())

	c := cors.New(cors.Options{
		AllowedOrigins:   o.AllowedOrigins,
		AllowedMethods:   []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodOptions},
		AllowedHeaders:   []string{"Content-Type", "Authorization", "Apollo-Require-Preflight"},
		AllowCredentials: false,
	})
	return logRequests(o.Logger, c.Handler(mux))
}

func newGraphQL(o Options) http.Handler {
	root := resolvers.New(o.Service, ContentPath, UploadPath)
	root.SignedURLTTL = o.SignedURLTTL
	cfg := graph.Config{Resolvers: root}
	setComplexity(&cfg.Complexity)
	srv := handler.New(graph.NewExecutableSchema(cfg))
	srv.AddTransport(transport.Websocket{
		KeepAlivePingInterval: 10 * time.Second,
		PingPongInterval:      10 * time.Second,
		// The request's own host is always allowed; CORS origins may connect too.
		Implementation: transport.CoderWebsocketImplementation{
			AcceptOptions: coderws.AcceptOptions{OriginPatterns: o.AllowedOrigins},
		},
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.AddTransport(transport.MultipartForm{MaxUploadSize: o.MaxUploadBytes + 1<<20, MaxMemory: 32 << 20})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.Use(extension.Introspection{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	srv.Use(depthLimit{Max: o.MaxQueryDepth})
	srv.Use(extension.FixedComplexityLimit(o.MaxComplexity))
	srv.SetErrorPresenter(presentError(o.Logger))
	srv.SetRecoverFunc(recoverPanic(o.Logger))
	return withRequestScope(o, srv)
}

// withRequestScope gives each request its dataloaders and deadline.
func withRequestScope(o Options, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := resolvers.WithLoaders(r.Context(), o.Service.Store)
		ctx = resolvers.WithAccess(ctx, access(r, o.AdminToken))
		if o.RequestTimeout > 0 && r.Header.Get("Upgrade") == "" {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, o.RequestTimeout)
			defer cancel()
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// access compares the bearer token with the admin token in constant time.
func access(r *http.Request, adminToken string) resolvers.Access {
	if adminToken == "" {
		return resolvers.AdminDisabled
	}
	given, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if ok && subtle.ConstantTimeCompare([]byte(given), []byte(adminToken)) == 1 {
		return resolvers.Admin
	}
	return resolvers.Anonymous
}

// statusRecorder remembers the status code for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach Flush and Hijack (websockets).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"duration", time.Since(start).Round(time.Microsecond))
	})
}

// Hijack hands the connection to the websocket transport.
func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(s.ResponseWriter).Hijack()
}

// ReadFrom keeps the connection's sendfile path for file downloads, which a
// wrapper would otherwise hide.
func (s *statusRecorder) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := s.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(s.ResponseWriter, r)
}

// Flush streams partial responses (downloads, server-sent events).
func (s *statusRecorder) Flush() {
	_ = http.NewResponseController(s.ResponseWriter).Flush()
}
