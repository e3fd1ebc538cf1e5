package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/artigraph/artigraph/lineage"
)

// Observer receives one record per request: its operation (the GraphQL
// root field, or the HTTP route pattern, both bounded sets, never a name a
// client chose), its outcome code and its latency. metrics.Metrics is one.
type Observer interface {
	Request(operation, code string, d time.Duration)
}

type requestIDKey struct{}

// RequestID returns the request id in ctx ("" outside a request).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// traceparentRe is a W3C traceparent: version-traceid-parentid-flags.
var traceparentRe = regexp.MustCompile(`^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$`)

// withRequestID gives every request an id, answered in X-Request-Id and
// added to every log line written with the request's context. An incoming
// traceparent's trace id is taken, so that a request can be followed from
// the client's trace into the server's log; otherwise a fresh one.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := ""
		if m := traceparentRe.FindStringSubmatch(strings.TrimSpace(r.Header.Get("traceparent"))); m != nil &&
			m[1] != strings.Repeat("0", 32) {
			id = m[1]
		} else {
			var b [16]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// LogHandler adds the request id to every record logged with a request's
// context.
func LogHandler(h slog.Handler) slog.Handler { return requestIDHandler{h} }

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// observeHTTP records the plain HTTP routes (not /graphql, whose operations
// are recorded one by one): the route pattern and an outcome code.
func observeHTTP(o Observer, next http.Handler) http.Handler {
	if o == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		if r.URL.Path == "/graphql" || r.Pattern == "" {
			return
		}
		code := "OK"
		if rec.status >= 400 {
			code = rec.Header().Get("X-Error-Code")
			if code == "" {
				code = http.StatusText(rec.status)
			}
		}
		o.Request("http "+r.Pattern, code, time.Since(start))
	})
}

// observeOperations is a gqlgen extension recording each GraphQL operation:
// "query artifacts" (its type and first root field), the code of its first
// error or OK, and the time to its (first) response.
type observeOperations struct{ o Observer }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = observeOperations{}

func (observeOperations) ExtensionName() string                   { return "ObserveOperations" }
func (observeOperations) Validate(graphql.ExecutableSchema) error { return nil }

func (x observeOperations) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	start := time.Now()
	name := operationName(ctx)
	h := next(ctx)
	first := true
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		if first {
			first = false
			code := "OK"
			if resp != nil && len(resp.Errors) > 0 {
				if c, ok := resp.Errors[0].Extensions["code"].(string); ok {
					code = c
				} else {
					code = graphqlCodes[lineage.EINTERNAL]
				}
			}
			x.o.Request(name, code, time.Since(start))
		}
		return resp
	}
}

// operationName names an operation by what the schema bounds: its type and
// first root field, never the client's operation name.
func operationName(ctx context.Context) string {
	if !graphql.HasOperationContext(ctx) {
		return "graphql"
	}
	op := graphql.GetOperationContext(ctx).Operation
	if op == nil {
		return "graphql"
	}
	for _, s := range op.SelectionSet {
		if f, ok := s.(*ast.Field); ok {
			return string(op.Operation) + " " + f.Name
		}
	}
	return string(op.Operation)
}

// metricsRoute serves /metrics to callers the Service lets read them
// (any authenticated caller), or to anyone when MetricsOpen is set.
func metricsRoute(o Options, d downloads) http.Handler {
	if o.MetricsOpen {
		return o.MetricsHandler
	}
	return authenticate(o.Service, d.fail, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := o.Service.CanReadMetrics(r.Context()); err != nil {
			d.fail(w, r, err)
			return
		}
		o.MetricsHandler.ServeHTTP(w, r)
	}))
}
