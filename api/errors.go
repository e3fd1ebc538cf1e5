package api

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/artigraph/artigraph/lineage"
)

// GraphQL extensions.code values (API.md), one per domain error code.
var graphqlCodes = map[string]string{
	lineage.ENOTFOUND:     "NOT_FOUND",
	lineage.EINVALID:      "INVALID_ARGUMENT",
	lineage.ECONFLICT:     "CONFLICT",
	lineage.EUNAUTHORIZED: "UNAUTHENTICATED",
	lineage.EFORBIDDEN:    "PERMISSION_DENIED",
	lineage.ELIMIT:        "LIMIT_EXCEEDED",
	lineage.EUNAVAILABLE:  "UNAVAILABLE",
	lineage.EINTERNAL:     "INTERNAL",
}

// gqlgen's own codes, for errors raised before any resolver runs.
var frameworkCodes = map[string]string{
	"GRAPHQL_PARSE_FAILED":      "INVALID_ARGUMENT",
	"GRAPHQL_VALIDATION_FAILED": "INVALID_ARGUMENT",
	"COMPLEXITY_LIMIT_EXCEEDED": "LIMIT_EXCEEDED",
	"PERSISTED_QUERY_NOT_FOUND": "NOT_FOUND",
}

// presentError maps every error to one with an API.md code. Domain errors
// keep their message; anything else is logged and shown as "internal error".
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		if code, msg, ok := interrupted(ctx, err); ok {
			gerr.Message = msg
			setCode(gerr, code)
			logInterruption(ctx, log, code, gerr)
			return gerr
		}
		var derr *lineage.Error
		if errors.As(err, &derr) {
			gerr.Message = derr.Message
			setCode(gerr, graphqlCodes[derr.Code])
			return gerr
		}
		var already *gqlerror.Error
		if errors.As(err, &already) && already.Err == nil {
			// Raised by gqlgen itself (parsing, validation, limits) or by
			// argument decoding: its message is about the request.
			code, _ := gerr.Extensions["code"].(string)
			if mapped, ok := frameworkCodes[code]; ok {
				setCode(gerr, mapped)
			} else if _, ok := codeSet[code]; !ok {
				setCode(gerr, "INVALID_ARGUMENT")
			}
			return gerr
		}
		log.ErrorContext(ctx, "internal error", "err", err, "path", gerr.Path.String())
		gerr.Message = "internal error"
		setCode(gerr, "INTERNAL")
		return gerr
	}
}

// Messages of requests cut short by their deadline or by the client.
const (
	deadlineMessage = "request took longer than the limit"
	canceledMessage = "request canceled: the client went away"
)

// interrupted recognises the errors of a request whose context ended: past
// --request-timeout (LIMIT_EXCEEDED) or abandoned by its client
// (UNAVAILABLE). Once the context has ended, a store's INTERNAL or
// UNAVAILABLE error is most likely that, whatever it wraps.
func interrupted(ctx context.Context, err error) (code, message string, ok bool) {
	cause := ctx.Err()
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		cause = context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		if cause == nil {
			cause = context.Canceled
		}
	case cause != nil:
		if c := lineage.ErrorCode(err); c != lineage.EINTERNAL && c != lineage.EUNAVAILABLE {
			return "", "", false
		}
	default:
		return "", "", false
	}
	if cause == context.DeadlineExceeded {
		return "LIMIT_EXCEEDED", deadlineMessage, true
	}
	return "UNAVAILABLE", canceledMessage, true
}

// requestOnce lets the error presenter log a request's interruption once,
// however many fields it failed.
type requestOnce struct{ sync.Once }

type requestOnceKey struct{}

func withRequestOnce(ctx context.Context) context.Context {
	return context.WithValue(ctx, requestOnceKey{}, &requestOnce{})
}

func logInterruption(ctx context.Context, log *slog.Logger, code string, gerr *gqlerror.Error) {
	write := func() {
		if code == "LIMIT_EXCEEDED" {
			log.WarnContext(ctx, "request stopped at its deadline", "path", gerr.Path.String())
		} else {
			log.InfoContext(ctx, "request canceled by its client", "path", gerr.Path.String())
		}
	}
	if once, ok := ctx.Value(requestOnceKey{}).(*requestOnce); ok {
		once.Do(write)
		return
	}
	write()
}

// stopWhenInterrupted skips the resolvers of a request whose context has
// ended, so that work stops at the deadline even where a resolver does not
// look at its context.
func stopWhenInterrupted(ctx context.Context, next graphql.Resolver) (any, error) {
	// Done is an atomic load; Err would take the context's lock for every
	// field of every request.
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	default:
		return next(ctx)
	}
}

// oneInterruption keeps one error per kind of interruption: a request cut
// at its deadline fails every field left, and its answer says so once.
func oneInterruption(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || len(resp.Errors) < 2 {
		return resp
	}
	seen := map[string]bool{}
	kept := resp.Errors[:0]
	for _, e := range resp.Errors {
		if e.Message == deadlineMessage || e.Message == canceledMessage {
			if seen[e.Message] {
				continue
			}
			seen[e.Message] = true
		}
		kept = append(kept, e)
	}
	resp.Errors = kept
	return resp
}

var codeSet = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, c := range graphqlCodes {
		m[c] = struct{}{}
	}
	return m
}()

func setCode(e *gqlerror.Error, code string) {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = code
}

// recoverPanic turns a resolver panic into an internal error, logged with
// its value, so one bad request never takes the server down.
func recoverPanic(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", p)
		return errors.New("panic in resolver")
	}
}

// operationDeadline gives queries and mutations sent over a websocket the
// deadline HTTP requests get from withRequestScope (the socket itself has
// none, as subscriptions live long), and each operation its own log-once.
type operationDeadline struct{ d time.Duration }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = operationDeadline{}

func (operationDeadline) ExtensionName() string                   { return "OperationDeadline" }
func (operationDeadline) Validate(graphql.ExecutableSchema) error { return nil }

func (o operationDeadline) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	op := graphql.GetOperationContext(ctx)
	if _, has := ctx.Deadline(); has || o.d <= 0 || op.Operation == nil || op.Operation.Operation == ast.Subscription {
		return next(ctx)
	}
	ctx, cancel := context.WithTimeout(withRequestOnce(ctx), o.d)
	h := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		r := h(ctx)
		if r == nil {
			cancel()
		}
		return r
	}
}
