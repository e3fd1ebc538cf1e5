package lineage

import (
	"context"
	"slices"
	"time"
)

// Role is what a token may do: VIEWER reads its projects, EDITOR also
// writes them, ADMIN does everything, tokens and gc included.
type Role string

const (
	RoleViewer Role = "VIEWER"
	RoleEditor Role = "EDITOR"
	RoleAdmin  Role = "ADMIN"
)

// Roles lists the roles from the least to the most powerful.
var Roles = []Role{RoleViewer, RoleEditor, RoleAdmin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// includes reports whether r may do what need may.
func (r Role) includes(need Role) bool {
	return slices.Index(Roles, r) >= slices.Index(Roles, need) && need.Valid() && r.Valid()
}

// AuthMode says whether requests need a token.
type AuthMode string

const (
	// AuthNone lets every caller read and write every project; ADMIN
	// operations still need the admin token or an ADMIN token.
	AuthNone AuthMode = "none"
	// AuthToken requires a token on every request.
	AuthToken AuthMode = "token"
)

// Token is an access token's record. The secret is never kept: only its
// keyed hash, so that a copy of the metadata store grants nothing.
type Token struct {
	ID         string
	Name       string
	Role       Role
	Projects   []string // the projects it covers; empty: all
	Hash       string   // keyed hash of the secret
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
}

// Validate checks a token record before it is stored.
func (t Token) Validate() error {
	switch {
	case t.ID == "" || t.Hash == "":
		return Errorf(EINVALID, "a token needs an id and a hash")
	case !t.Role.Valid():
		return Errorf(EINVALID, "unknown role %q: use VIEWER, EDITOR or ADMIN", t.Role)
	}
	if t.Name == "" || len(t.Name) > MaxTokenNameLen || hasControl(t.Name) {
		return Errorf(EINVALID, "a token's name is 1 to %d bytes without control characters", MaxTokenNameLen)
	}
	for _, p := range t.Projects {
		if err := ValidateProjectName(p); err != nil {
			return err
		}
	}
	return nil
}

// TokenInput is what an ADMIN asks for when creating a token.
type TokenInput struct {
	Name      string
	Role      Role
	Projects  []string // none: all
	ExpiresAt *time.Time
}

// Caller is who makes a request, as Authenticate found it.
type Caller struct {
	TokenID   string // the token's id; AdminTokenID for --admin-token, "" for an anonymous caller under AuthNone
	Name      string
	Role      Role
	Projects  []string // nil: all
	ExpiresAt *time.Time
	// Link is set for a caller authorised by a signed download link: it
	// may read the content of that one version, and nothing else.
	Link *SignedLink
}

// MaxTokenNameLen bounds a token's name.
const MaxTokenNameLen = 200

// AdminTokenID is the Caller.TokenID of the bootstrap --admin-token.
const AdminTokenID = "admin-token"

// covers reports whether the caller's scope includes project.
func (c Caller) covers(project string) bool {
	return len(c.Projects) == 0 || slices.Contains(c.Projects, project)
}

// CanRead reports whether the caller may see project.
func (c Caller) CanRead(project string) bool {
	return c.Link == nil && c.Role.includes(RoleViewer) && c.covers(project)
}

// CanWrite reports whether the caller may change project.
func (c Caller) CanWrite(project string) bool {
	return c.Link == nil && c.Role.includes(RoleEditor) && c.covers(project)
}

// IsAdmin reports whether the caller may manage tokens and collect garbage.
func (c Caller) IsAdmin() bool { return c.Link == nil && c.Role == RoleAdmin && len(c.Projects) == 0 }

type callerKey struct{}

// WithCaller records the caller in ctx. Only Authenticate and tests that
// act as a caller should call it.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller recorded in ctx.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// SignedLink is the part of a download URL that authorises it: the
// version and until when.
type SignedLink struct {
	Project, UID string
	Expires      time.Time
	Signature    string
}
