package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/artigraph/artigraph/lineage"
)

// Authentication happens once per request, here: the bearer token (or its
// absence) becomes the caller in the request's context, and the Service
// decides what that caller may do. Nothing in this package or in the
// resolvers checks access itself.

// bearerToken is the token of an "Authorization: Bearer <token>" header;
// "" for none. Other schemes (Basic) are not tokens.
func bearerToken(header string) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// authenticate runs next with the caller the request's bearer token names.
// A token that is unknown, revoked or expired is refused here with 401;
// a missing one is not (the Service answers UNAUTHENTICATED where a token
// is needed). fail answers the error in the route's own shape.
func authenticate(svc *lineage.Service, fail func(http.ResponseWriter, *http.Request, error), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, err := svc.Authenticate(r.Context(), bearerToken(r.Header.Get("Authorization")))
		if err != nil {
			if lineage.ErrorCode(err) == lineage.EUNAUTHORIZED {
				w.Header().Set("WWW-Authenticate", `Bearer realm="artigraph"`)
			}
			fail(w, r, err)
			return
		}
		if r.Header.Get("Upgrade") != "" {
			ctx = withSocketToken(ctx, bearerToken(r.Header.Get("Authorization")))
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// A websocket lives long: its token is checked again for each operation
// it runs (reauthenticate), so that one revoked or expired since the
// connection opened runs nothing more on it.
type socketTokenKey struct{}

func withSocketToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, socketTokenKey{}, token)
}

// reauthenticate checks a websocket's token again before each of its
// operations; HTTP requests, authenticated just before, pass through.
type reauthenticate struct{ svc *lineage.Service }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = reauthenticate{}

func (reauthenticate) ExtensionName() string                   { return "Reauthenticate" }
func (reauthenticate) Validate(graphql.ExecutableSchema) error { return nil }

func (a reauthenticate) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	token, _ := ctx.Value(socketTokenKey{}).(string)
	if token == "" {
		return next(ctx)
	}
	authed, err := a.svc.Authenticate(ctx, token)
	if err != nil {
		gerr := &gqlerror.Error{Message: lineage.ErrorMessage(err),
			Extensions: map[string]any{"code": graphqlCodes[lineage.ErrorCode(err)]}}
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{gerr}})
	}
	return next(authed)
}

// graphQLAuthFailure answers a failed authentication on /graphql as a
// GraphQL response: {"errors":[{"message", "extensions":{"code"}}]}, with
// the HTTP status the plain routes use (401 for UNAUTHENTICATED).
func graphQLAuthFailure(d downloads) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		code := lineage.ErrorCode(err)
		status, ok := httpStatus[code]
		msg := lineage.ErrorMessage(err)
		var derr *lineage.Error
		if !ok || !errors.As(err, &derr) {
			d.log.ErrorContext(r.Context(), "authentication failed", "err", err)
			status, code, msg = http.StatusInternalServerError, lineage.EINTERNAL, "internal error"
		}
		refuse(w, status, graphqlCodes[code], msg)
	}
}

// websocketInit authenticates a websocket with the token of its
// connection_init payload ({"Authorization": "Bearer <token>"}); without
// one, the connection keeps the caller of its upgrade request's header. An
// invalid token refuses the connection.
func websocketInit(svc *lineage.Service) transport.WebsocketInitFunc {
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		token := bearerToken(p.Authorization())
		if token == "" {
			return ctx, nil, nil
		}
		authed, err := svc.Authenticate(ctx, token)
		if err != nil {
			return ctx, nil, errors.New(lineage.ErrorMessage(err))
		}
		return withSocketToken(authed, token), nil, nil
	}
}
