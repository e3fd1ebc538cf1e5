// Package api serves Artigraph over HTTP: GraphQL (with its limits and error
// codes), GraphiQL, content and YAML downloads, and health checks.
package api

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/artigraph/artigraph/graph"
	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/mlrunapi"
	"github.com/artigraph/artigraph/openlineage"
	"github.com/artigraph/artigraph/resolvers"
	"github.com/artigraph/artigraph/web"
)

// Options configure the handler.
type Options struct {
	Service        *lineage.Service
	Logger         *slog.Logger
	AllowedOrigins []string // CORS and websocket origins; none by default, "*" for all
	// AllowedHosts are the Host headers served ("host", "host:port",
	// ".suffix", an IP network, "*"); none means any (the server passes
	// LoopbackHosts when it binds a loopback address). ListenAddr, the
	// bound address, is always allowed.
	AllowedHosts    []string
	ListenAddr      string
	MaxQueryDepth   int   // deepest field nesting a query may have
	MaxComplexity   int   // gqlgen complexity budget per operation
	MaxQueryFields  int   // fields and fragment spreads of a document, fragments expanded; 0: DefaultMaxQueryFields
	MaxUploadBytes  int64 // largest upload; a multipart request may be this plus MaxRequestBytes
	MaxRequestBytes int64 // every other request body; 0: DefaultMaxRequestBytes
	// BodyIdleTimeout ends an upload whose body stops arriving for this
	// long; 0: DefaultBodyIdleTimeout.
	BodyIdleTimeout  time.Duration
	MaxSubscriptions int           // open websockets, and running subscriptions; 0: DefaultMaxSubscriptions
	WebsocketInit    time.Duration // a websocket must send connection_init within it; 0: 10s
	RequestTimeout   time.Duration
	SignedURLTTL     time.Duration // > 0: downloadUrl is a signed blob-store URL where possible
	// Observer, when set, records every request (operation, outcome,
	// latency); MetricsHandler, when set, is served at /metrics, to any
	// authenticated caller, or to anyone with MetricsOpen.
	Observer Observer
	// OpenLineageEvents, when set, is told each OpenLineage event's type
	// and result.
	OpenLineageEvents func(eventType, result string)
	MetricsHandler    http.Handler
	MetricsOpen       bool
	// LoaderWait, when positive, brings back the former timed dataloaders
	// (collect keys this long before each read), as a benchmark baseline;
	// 0, the default, batches each level of a list without waiting.
	LoaderWait time.Duration
}

// New returns the server's whole HTTP handler.
func New(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	mux := http.NewServeMux()
	d := downloads{svc: o.Service, log: o.Logger, timeout: o.RequestTimeout}
	// Every route that reaches the Service runs with the caller its token
	// names (authenticate); health checks and the UI's files are open.
	mux.Handle("/graphql", authenticate(o.Service, graphQLAuthFailure(d), newGraphQL(o)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := o.Service.Ready(ctx); err != nil {
			o.Logger.Warn("not ready", "err", err)
			http.Error(w, "store unreachable: "+lineage.ErrorMessage(err), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	authed := func(h http.HandlerFunc) http.Handler { return authenticate(o.Service, d.fail, h) }
	mux.Handle("GET /api/v1/artifacts/{project}/{uid}/content", authed(d.content))
	mux.Handle("GET /api/v1/artifacts/{project}/{uid}/yaml", authed(d.yaml))
	// The upload ticket is bound to the token that asked for it.
	mux.Handle("PUT /api/v1/uploads/{ticket}", authed(d.upload))
	// OpenLineage's HttpTransport posts here; its api_key is the Bearer token.
	mux.Handle("POST /api/v1/lineage", authenticate(o.Service, func(w http.ResponseWriter, r *http.Request, err error) { openlineage.Fail(o.Logger, w, r, err) },
		withDeadline(o.RequestTimeout, openlineage.New(o.Service, o.Logger, o.MaxRequestBytes, o.OpenLineageEvents))))
	// MLRun's REST API, for MLRun's own client: every other /api/v1 and
	// /api/v2 route (the routes above are more specific and win). Its
	// errors, authentication failures included, take MLRun's shape.
	mlrun := withDeadline(o.RequestTimeout, mlrunapi.New(o.Service, o.Logger))
	mlrunFail := func(w http.ResponseWriter, r *http.Request, err error) { mlrunapi.Fail(o.Logger, w, r, err) }
	mlrunAuthed := mlrunapi.SessionAsBearer(authenticate(o.Service, mlrunFail, mlrun))
	mux.Handle("/api/v1/", mlrunAuthed)
	mux.Handle("/api/v2/", mlrunAuthed)
	if o.MetricsHandler != nil {
		mux.Handle("GET /metrics", metricsRoute(o, d))
	}
	// The UI: GraphiQL at /graphiql, the artifact browser everywhere else.
	mux.Handle("/", web.Handler())

	return withRequestID(logRequests(o.Logger, observeHTTP(o.Observer, newGuard(o, corsHandler(o.AllowedOrigins, mux)))))
}

func newGraphQL(o Options) http.Handler {
	contentURL := func(ctx context.Context, v lineage.Version) (string, error) { return ContentURL(ctx, o.Service, v) }
	root := resolvers.New(o.Service, contentURL, UploadPath)
	root.SignedURLTTL = o.SignedURLTTL
	cfg := graph.Config{Resolvers: root}
	setComplexity(&cfg.Complexity)
	srv := handler.New(graph.NewExecutableSchema(cfg))
	initTimeout := o.WebsocketInit
	if initTimeout <= 0 {
		initTimeout = 10 * time.Second
	}
	maxSubs := o.MaxSubscriptions
	if maxSubs <= 0 {
		maxSubs = DefaultMaxSubscriptions
	}
	subs := &subscriptionLimit{max: int64(maxSubs)}
	srv.AddTransport(transport.Websocket{
		KeepAlivePingInterval: 10 * time.Second,
		PingPongInterval:      10 * time.Second,
		// A socket that never says connection_init is closed.
		InitTimeout: initTimeout,
		// The token travels in connection_init's payload; without one the
		// upgrade request's Authorization header counts.
		InitFunc: websocketInit(o.Service),
		// The request's own host is always allowed; CORS origins may
		// connect too. Origin: null is refused unless "*" is listed.
		Implementation: transport.CoderWebsocketImplementation{
			AcceptOptions: coderws.AcceptOptions{OriginPatterns: o.AllowedOrigins},
		},
	})
	maxBody := o.MaxRequestBytes
	if maxBody <= 0 {
		maxBody = DefaultMaxRequestBytes
	}
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	// One byte over the guard's cap, so that the guard's cap is the one
	// that trips and the answer is 413 LIMIT_EXCEEDED.
	srv.AddTransport(multipartForm{transport.MultipartForm{MaxUploadSize: o.MaxUploadBytes + maxBody + 1, MaxMemory: 32 << 20}})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(parserTokenLimit)
	srv.Use(extension.Introspection{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	// After persisted queries, which fill in the query it measures. It
	// bounds the fields, depth and complexity before gqlgen parses and
	// validates, both of which expand fragments.
	maxFields := o.MaxQueryFields
	if maxFields <= 0 {
		maxFields = DefaultMaxQueryFields
	}
	srv.Use(&operationLimits{MaxFields: maxFields, MaxDepth: o.MaxQueryDepth, MaxComplexity: o.MaxComplexity})
	srv.Use(subs)
	srv.Use(reauthenticate{svc: o.Service})
	srv.Use(operationDeadline{d: o.RequestTimeout})
	if o.Observer != nil {
		srv.Use(observeOperations{o.Observer})
	}
	srv.AroundFields(stopWhenInterrupted)
	srv.AroundResponses(oneInterruption)
	srv.SetErrorPresenter(presentError(o.Logger))
	srv.SetRecoverFunc(recoverPanic(o.Logger))
	return subs.wrap(transportErrors(withRequestScope(o, srv)))
}

// withRequestScope gives each request its dataloaders and deadline; the
// caller is already in the context (authenticate).
func withRequestScope(o Options, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := withRequestOnce(resolvers.WithLoaders(r.Context(), o.Service, o.LoaderWait))
		if o.RequestTimeout > 0 && r.Header.Get("Upgrade") == "" {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, o.RequestTimeout)
			defer cancel()
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// withDeadline bounds a plain request by the server's request timeout.
func withDeadline(d time.Duration, next http.Handler) http.Handler {
	if d <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
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
		log.InfoContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
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
