package lineage

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// A token is "agt_<id>_<secret>": the id finds the record, the secret is
// checked against its keyed hash. Secrets are 256 random bits, so a keyed
// SHA-256 is as strong as a slow hash here, and costs nothing per request.
const tokenPrefix = "agt_"

// touchEvery bounds how often a token's LastUsedAt is written.
const touchEvery = time.Minute

// DefaultLinkTTL is how long a signed download link is valid by default.
const DefaultLinkTTL = 15 * time.Minute

// keyFor derives a key for one purpose from the server key, so that a
// token hash can never serve as a link signature or the reverse. NewService
// derives each once: they are used on every authenticated request.
func keyFor(serverKey []byte, purpose string) []byte {
	m := hmac.New(sha256.New, serverKey)
	m.Write([]byte("artigraph/" + purpose))
	return m.Sum(nil)
}

func (s *Service) tokenHash(secret string) string {
	m := hmac.New(sha256.New, s.tokenKey)
	m.Write([]byte(secret))
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil))
}

// Authenticate returns ctx with the caller that bearer (a token, or "" for
// none) names. Under AuthToken a missing token leaves ctx without a caller,
// so every call answers EUNAUTHORIZED; under AuthNone it is an EDITOR of
// every project. A token that is unknown, revoked or expired is
// EUNAUTHORIZED in either mode.
func (s *Service) Authenticate(ctx context.Context, bearer string) (context.Context, error) {
	if bearer == "" {
		return ctx, nil // s.caller decides: anonymous, or EUNAUTHORIZED
	}
	if s.Config.AdminToken != "" && subtle.ConstantTimeCompare([]byte(bearer), []byte(s.Config.AdminToken)) == 1 {
		return WithCaller(ctx, Caller{TokenID: AdminTokenID, Name: "--admin-token", Role: RoleAdmin}), nil
	}
	t, err := s.verifyToken(ctx, bearer)
	if err != nil {
		return ctx, err
	}
	s.touch(ctx, t.ID)
	return WithCaller(ctx, Caller{TokenID: t.ID, Name: t.Name, Role: t.Role, Projects: t.Projects, ExpiresAt: t.ExpiresAt}), nil
}

// errBadToken never says which part failed, so it tells nothing to a guesser.
func errBadToken() error {
	return Errorf(EUNAUTHORIZED, "the token is unknown, revoked or expired")
}

func (s *Service) verifyToken(ctx context.Context, bearer string) (Token, error) {
	rest, ok := strings.CutPrefix(bearer, tokenPrefix)
	id, secret, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || id == "" || secret == "" || len(bearer) > 200 {
		return Token{}, errBadToken()
	}
	t, err := s.store.GetToken(ctx, id)
	if ErrorCode(err) == ENOTFOUND {
		return Token{}, errBadToken()
	}
	if err != nil {
		return Token{}, err
	}
	if !hmac.Equal([]byte(t.Hash), []byte(s.tokenHash(secret))) {
		return Token{}, errBadToken()
	}
	if t.ExpiresAt != nil && !s.Now().Before(*t.ExpiresAt) {
		return Token{}, errBadToken()
	}
	return t, nil
}

// touch records that a token was used, writing at most once per
// touchEvery per token; a failed write only delays the record.
func (s *Service) touch(ctx context.Context, id string) {
	now := s.now()
	s.tokensMu.Lock()
	last, seen := s.touched[id]
	due := !seen || now.Sub(last) >= touchEvery
	if due {
		if s.touched == nil {
			s.touched = map[string]time.Time{}
		}
		s.touched[id] = now
	}
	s.tokensMu.Unlock()
	if due {
		_ = s.store.TouchToken(context.WithoutCancel(ctx), id, now)
	}
}

// anonymous is the caller without a token under AuthNone.
var anonymous = Caller{Name: "anonymous", Role: RoleEditor}

// caller returns the request's caller: the one Authenticate recorded, the
// anonymous EDITOR under AuthNone, or EUNAUTHORIZED.
func (s *Service) caller(ctx context.Context) (Caller, error) {
	c, ok := CallerFrom(ctx)
	if !ok && s.Config.Auth != AuthToken {
		return anonymous, nil
	}
	if !ok {
		return Caller{}, Errorf(EUNAUTHORIZED, "a token is required: send Authorization: Bearer <token>")
	}
	if c.ExpiresAt != nil && !s.Now().Before(*c.ExpiresAt) {
		return Caller{}, errBadToken()
	}
	return c, nil
}

// requireAdmin lets only an ADMIN of every project through.
func (s *Service) requireAdmin(ctx context.Context) error {
	c, err := s.caller(ctx)
	if err != nil {
		return err
	}
	if !c.IsAdmin() {
		return Errorf(EFORBIDDEN, "this operation needs an ADMIN token")
	}
	return nil
}

// Viewer returns the caller's own token, as the API shows it; ok is false
// for an anonymous caller.
func (s *Service) Viewer(ctx context.Context) (t Token, ok bool, err error) {
	c, err := s.caller(ctx)
	if err != nil || c.TokenID == "" || c.Link != nil {
		return Token{}, false, err
	}
	if c.TokenID == OperatorID {
		return Token{ID: OperatorID, Name: c.Name, Role: RoleAdmin}, true, nil
	}
	if c.TokenID == AdminTokenID {
		return Token{ID: AdminTokenID, Name: c.Name, Role: RoleAdmin}, true, nil
	}
	t, err = s.store.GetToken(ctx, c.TokenID)
	if ErrorCode(err) == ENOTFOUND {
		return Token{}, false, errBadToken()
	}
	t.Hash = ""
	return t, err == nil, err
}

// CreateToken makes a token (ADMIN only) and returns its secret, which is
// shown this once: only its keyed hash is stored.
func (s *Service) CreateToken(ctx context.Context, in TokenInput) (string, Token, error) {
	if err := s.requireAdmin(ctx); err != nil {
		return "", Token{}, err
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(s.Now()) {
		return "", Token{}, Errorf(EINVALID, "expiresAt must be in the future")
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", Token{}, err
	}
	secret := base64.RawURLEncoding.EncodeToString(raw[:])
	t := Token{ID: NewUID()[:16], Name: in.Name, Role: in.Role, Projects: Dedupe(in.Projects),
		Hash: s.tokenHash(secret), CreatedAt: s.now()}
	if in.ExpiresAt != nil {
		e := in.ExpiresAt.UTC().Truncate(time.Microsecond)
		t.ExpiresAt = &e
	}
	if len(t.Projects) == 0 {
		t.Projects = nil
	}
	if err := s.store.CreateToken(ctx, t); err != nil {
		return "", Token{}, err
	}
	t.Hash = ""
	return tokenPrefix + t.ID + "_" + secret, t, nil
}

// Tokens lists every token (ADMIN only), without their hashes.
func (s *Service) Tokens(ctx context.Context) ([]Token, error) {
	if err := s.requireAdmin(ctx); err != nil {
		return nil, err
	}
	ts, err := s.store.ListTokens(ctx)
	for i := range ts {
		ts[i].Hash = ""
	}
	return ts, err
}

// RevokeToken deletes a token (ADMIN only): it stops working at once, and
// the subscriptions it opened on this server end. It reports whether the
// token existed.
func (s *Service) RevokeToken(ctx context.Context, id string) (bool, error) {
	if err := s.requireAdmin(ctx); err != nil {
		return false, err
	}
	existed, err := s.store.DeleteToken(ctx, id)
	if err != nil {
		return false, err
	}
	s.tokensMu.Lock()
	for _, ch := range s.revocation[id] {
		close(ch)
	}
	delete(s.revocation, id)
	delete(s.touched, id)
	s.tokensMu.Unlock()
	return existed, nil
}

// callerEnds returns a channel closed when the caller's token is revoked
// on this server or expires, and a function to stop watching.
func (s *Service) callerEnds(c Caller) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	if c.TokenID == "" || c.TokenID == AdminTokenID || c.TokenID == OperatorID {
		return ch, func() {}
	}
	s.tokensMu.Lock()
	if s.revocation == nil {
		s.revocation = map[string][]chan struct{}{}
	}
	s.revocation[c.TokenID] = append(s.revocation[c.TokenID], ch)
	s.tokensMu.Unlock()
	var expiry *time.Timer
	if c.ExpiresAt != nil {
		expiry = time.AfterFunc(c.ExpiresAt.Sub(s.Now()), func() { s.endWatch(c.TokenID, ch, true) })
	}
	return ch, func() {
		if expiry != nil {
			expiry.Stop()
		}
		s.endWatch(c.TokenID, ch, false)
	}
}

// endWatch forgets one watcher, closing its channel if asked and still open.
func (s *Service) endWatch(id string, ch chan struct{}, closeIt bool) {
	s.tokensMu.Lock()
	defer s.tokensMu.Unlock()
	ws := s.revocation[id]
	for i, w := range ws {
		if w == ch {
			s.revocation[id] = append(ws[:i:i], ws[i+1:]...)
			if closeIt {
				close(ch)
			}
			return
		}
	}
}

// SignLink returns the signed part of a download link for v's content,
// valid for Config.LinkTTL; ok is false when links need no signature
// (AuthNone). The caller must be able to read v.
func (s *Service) SignLink(ctx context.Context, v Version) (SignedLink, bool, error) {
	if err := s.canRead(ctx, v.Project); err != nil {
		return SignedLink{}, false, err
	}
	if s.Config.Auth != AuthToken {
		return SignedLink{}, false, nil
	}
	ttl := s.Config.LinkTTL
	if ttl <= 0 {
		ttl = DefaultLinkTTL
	}
	l := SignedLink{Project: v.Project, UID: v.UID, Expires: s.Now().Add(ttl).Truncate(time.Second)}
	l.Signature = s.linkSignature(l)
	return l, true, nil
}

func (s *Service) linkSignature(l SignedLink) string {
	m := hmac.New(sha256.New, s.linkKey)
	m.Write([]byte(l.Project + "\x00" + l.UID + "\x00" + strconv.FormatInt(l.Expires.Unix(), 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// AuthenticateLink returns ctx with a caller that may read the content of
// the one version a signed link names: EFORBIDDEN when the signature does
// not match or the link has expired.
func (s *Service) AuthenticateLink(ctx context.Context, l SignedLink) (context.Context, error) {
	if !hmac.Equal([]byte(l.Signature), []byte(s.linkSignature(l))) || !s.Now().Before(l.Expires) {
		return ctx, Errorf(EFORBIDDEN, "the download link is invalid or has expired")
	}
	return WithCaller(ctx, Caller{Name: "signed link", Role: RoleViewer, Projects: []string{l.Project}, Link: &l}), nil
}
