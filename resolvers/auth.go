package resolvers

import (
	"context"

	"github.com/artigraph/artigraph/lineage"
)

// Access is what the HTTP layer learned about the caller.
type Access int

const (
	AdminDisabled Access = iota // no admin token configured
	Anonymous                   // a token is configured; the caller gave none or a wrong one
	Admin                       // the caller gave the admin token
)

type accessKey struct{}

// WithAccess records the caller's access level in ctx.
func WithAccess(ctx context.Context, a Access) context.Context {
	return context.WithValue(ctx, accessKey{}, a)
}

func requireAdmin(ctx context.Context) error {
	switch a, _ := ctx.Value(accessKey{}).(Access); a {
	case Admin:
		return nil
	case Anonymous:
		return lineage.Errorf(lineage.EUNAUTHORIZED, "this operation needs the admin token (Authorization: Bearer …)")
	default:
		return lineage.Errorf(lineage.EFORBIDDEN, "admin operations are disabled: start the server with --admin-token")
	}
}
