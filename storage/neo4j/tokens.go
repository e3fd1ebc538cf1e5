package neo4j

import (
	"context"
	"time"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/artigraph/artigraph/lineage"
)

// Tokens are (:Token {id}) nodes, unique by constraint, with no
// relationships: name, role, projects (absent when the token covers every
// project), hash (never the secret), createdAt, expiresAt, lastUsedAt.

// CreateToken writes a new token record; ECONFLICT if its id is stored.
func (s *Store) CreateToken(ctx context.Context, t lineage.Token) error {
	if err := t.Validate(); err != nil {
		return err
	}
	props := tokenProps(t)
	_, err := write(ctx, s, func(tx neo.ManagedTransaction) (struct{}, error) {
		// The uniqueness constraint on id refuses a second token with it,
		// even one created concurrently.
		err := consume(ctx, tx, "CREATE (t:Token) SET t = $t", map[string]any{"t": props})
		if isConstraintViolation(err) {
			return struct{}{}, tokenExists(t.ID)
		}
		return struct{}{}, err
	})
	return err
}

// GetToken returns the token with id, or ENOTFOUND.
func (s *Store) GetToken(ctx context.Context, id string) (lineage.Token, error) {
	return read(ctx, s, func(tx neo.ManagedTransaction) (lineage.Token, error) {
		recs, err := collect(ctx, tx, "MATCH (t:Token {id: $id}) RETURN t{.*}", map[string]any{"id": id})
		if err != nil {
			return lineage.Token{}, err
		}
		if len(recs) == 0 {
			return lineage.Token{}, tokenNotFound(id)
		}
		return decToken(recMap(recs[0].Values[0])), nil
	})
}

// ListTokens returns every token, by CreatedAt, then ID.
func (s *Store) ListTokens(ctx context.Context) ([]lineage.Token, error) {
	return read(ctx, s, func(tx neo.ManagedTransaction) ([]lineage.Token, error) {
		recs, err := collect(ctx, tx, "MATCH (t:Token) RETURN t{.*} ORDER BY t.createdAt, t.id", nil)
		if err != nil {
			return nil, err
		}
		out := make([]lineage.Token, 0, len(recs))
		for _, rec := range recs {
			out = append(out, decToken(recMap(rec.Values[0])))
		}
		return out, nil
	})
}

// DeleteToken removes the token with id and reports whether it existed.
func (s *Store) DeleteToken(ctx context.Context, id string) (bool, error) {
	return write(ctx, s, func(tx neo.ManagedTransaction) (bool, error) {
		recs, err := collect(ctx, tx, "MATCH (t:Token {id: $id}) DETACH DELETE t RETURN 1", map[string]any{"id": id})
		if err != nil {
			return false, err
		}
		return len(recs) > 0, nil
	})
}

// TouchToken sets the LastUsedAt of the token with id; ENOTFOUND if absent.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	_, err := write(ctx, s, func(tx neo.ManagedTransaction) (struct{}, error) {
		recs, err := collect(ctx, tx, "MATCH (t:Token {id: $id}) SET t.lastUsedAt = $at RETURN t.id",
			map[string]any{"id": id, "at": encTime(at)})
		if err != nil {
			return struct{}{}, err
		}
		if len(recs) == 0 {
			return struct{}{}, tokenNotFound(id)
		}
		return struct{}{}, nil
	})
	return err
}

// tokenProps returns the properties of a Token node. An empty project list
// is stored as none (nil: every project), as it means.
func tokenProps(t lineage.Token) map[string]any {
	var projects any
	if len(t.Projects) > 0 {
		projects = t.Projects
	}
	return map[string]any{
		"id":         t.ID,
		"name":       t.Name,
		"role":       string(t.Role),
		"projects":   projects,
		"hash":       t.Hash,
		"createdAt":  encTime(t.CreatedAt),
		"expiresAt":  encTimePtr(t.ExpiresAt),
		"lastUsedAt": encTimePtr(t.LastUsedAt),
	}
}

func decToken(m map[string]any) lineage.Token {
	t := lineage.Token{
		ID:        str(m["id"]),
		Name:      str(m["name"]),
		Role:      lineage.Role(str(m["role"])),
		Projects:  strs(m["projects"]),
		Hash:      str(m["hash"]),
		CreatedAt: decTime(num(m["createdAt"])),
	}
	if n, ok := m["expiresAt"].(int64); ok {
		e := decTime(n)
		t.ExpiresAt = &e
	}
	if n, ok := m["lastUsedAt"].(int64); ok {
		u := decTime(n)
		t.LastUsedAt = &u
	}
	return t
}

func tokenNotFound(id string) error {
	return lineage.Errorf(lineage.ENOTFOUND, "token %q not found", id)
}

func tokenExists(id string) error {
	return lineage.Errorf(lineage.ECONFLICT, "token %q already exists", id)
}
