package embedded

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// Tokens are few and GetToken runs on every request: they are kept in a map
// by id, loaded on Open like the rest, and written to the tokens bucket.

// CreateToken writes a new token record; ECONFLICT if its id is stored.
func (s *Store) CreateToken(ctx context.Context, t lineage.Token) error {
	if err := t.Validate(); err != nil {
		return err
	}
	unlock, err := s.wlock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if _, ok := s.tokens[t.ID]; ok {
		return tokenExists(t.ID)
	}
	return s.commit(&change{tokens: []lineage.Token{cloneToken(&t)}})
}

// GetToken returns the token with id, or ENOTFOUND.
func (s *Store) GetToken(ctx context.Context, id string) (lineage.Token, error) {
	unlock, err := s.rlock(ctx)
	if err != nil {
		return lineage.Token{}, err
	}
	defer unlock()
	t, ok := s.tokens[id]
	if !ok {
		return lineage.Token{}, tokenNotFound(id)
	}
	return cloneToken(t), nil
}

// ListTokens returns every token, by CreatedAt, then ID.
func (s *Store) ListTokens(ctx context.Context) ([]lineage.Token, error) {
	unlock, err := s.rlock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	out := make([]lineage.Token, 0, len(s.tokens))
	for _, t := range s.tokens {
		out = append(out, cloneToken(t))
	}
	slices.SortFunc(out, func(a, b lineage.Token) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// DeleteToken removes the token with id and reports whether it existed.
func (s *Store) DeleteToken(ctx context.Context, id string) (bool, error) {
	unlock, err := s.wlock(ctx)
	if err != nil {
		return false, err
	}
	defer unlock()
	if _, ok := s.tokens[id]; !ok {
		return false, nil
	}
	if err := s.commit(&change{unTokens: []string{id}}); err != nil {
		return false, err
	}
	return true, nil
}

// TouchToken sets the LastUsedAt of the token with id; ENOTFOUND if absent.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	unlock, err := s.wlock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	old, ok := s.tokens[id]
	if !ok {
		return tokenNotFound(id)
	}
	t := cloneToken(old)
	t.LastUsedAt = &at
	return s.commit(&change{tokens: []lineage.Token{t}})
}

func (s *Store) applyToken(t *lineage.Token) {
	s.tokens[t.ID] = t
}

// cloneToken copies t deeply. An empty project list is nil: none means all,
// however the caller spelled it.
func cloneToken(t *lineage.Token) lineage.Token {
	c := *t
	c.Projects = nil
	if len(t.Projects) > 0 {
		c.Projects = slices.Clone(t.Projects)
	}
	c.ExpiresAt = clonePtr(t.ExpiresAt)
	c.LastUsedAt = clonePtr(t.LastUsedAt)
	return c
}

func tokenNotFound(id string) error {
	return lineage.Errorf(lineage.ENOTFOUND, "token %q not found", id)
}

func tokenExists(id string) error {
	return lineage.Errorf(lineage.ECONFLICT, "token %q already exists", id)
}
