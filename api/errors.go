package api

import (
	"context"
	"errors"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
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
