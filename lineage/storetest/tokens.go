package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// The store keeps token records only; that no secret is among them is the
// Service's job. Here the Hash round-trips as given, like every other field.

var tokenTests = []test{
	{"CreateThenGetKeepsEveryField", testCreateAndGetToken},
	{"EmptyProjectsMeanAll", testTokenEmptyProjects},
	{"CreateDuplicateIDConflicts", testCreateTokenConflict},
	{"CreateInvalidIsInvalidAndStoresNothing", testCreateTokenInvalid},
	{"GetMissingIsNotFound", testGetTokenMissing},
	{"ListByCreatedAtThenID", testListTokens},
	{"DeleteReportsWhetherItExisted", testDeleteToken},
	{"TouchSetsLastUsedAtOnly", testTouchToken},
	{"TouchMissingIsNotFound", testTouchTokenMissing},
	{"ReturnedTokensAreCopies", testTokenCopies},
}

// newToken returns a valid EDITOR token created n minutes after t0.
func newToken(id string, n int) lineage.Token {
	return lineage.Token{
		ID:        id,
		Name:      "ci " + id,
		Role:      lineage.RoleEditor,
		Hash:      "hmac-sha256:" + id + "0f3a9c",
		CreatedAt: at(n),
	}
}

func mustCreateToken(t testing.TB, s lineage.Store, tok lineage.Token) {
	t.Helper()
	if err := s.CreateToken(t.Context(), tok); err != nil {
		t.Fatalf("CreateToken %s: %v", tok.ID, err)
	}
}

func mustGetToken(t testing.TB, s lineage.Store, id string) lineage.Token {
	t.Helper()
	tok, err := s.GetToken(t.Context(), id)
	if err != nil {
		t.Fatalf("GetToken %s: %v", id, err)
	}
	return tok
}

func mustListTokens(t testing.TB, s lineage.Store) []lineage.Token {
	t.Helper()
	ts, err := s.ListTokens(t.Context())
	if err != nil {
		t.Fatalf("ListTokens: %v", err)
	}
	return ts
}

func tokenIDs(ts []lineage.Token) []string {
	out := []string{}
	for _, tok := range ts {
		out = append(out, tok.ID)
	}
	return out
}

// assertToken compares tokens field by field: times by instant, an empty
// project list like none.
func assertToken(t testing.TB, what string, got, want lineage.Token) {
	t.Helper()
	norm := func(tok lineage.Token) string {
		tok.CreatedAt = tok.CreatedAt.UTC()
		if tok.ExpiresAt != nil {
			tok.ExpiresAt = ptr(tok.ExpiresAt.UTC())
		}
		if tok.LastUsedAt != nil {
			tok.LastUsedAt = ptr(tok.LastUsedAt.UTC())
		}
		if len(tok.Projects) == 0 {
			tok.Projects = nil
		}
		return canonicalJSON(tok)
	}
	if g, w := norm(got), norm(want); g != w {
		t.Fatalf("%s: token differs\n got: %s\nwant: %s", what, g, w)
	}
}

func testCreateAndGetToken(t *testing.T, s lineage.Store) {
	tok := lineage.Token{
		ID:        "tok-1",
		Name:      "nightly training",
		Role:      lineage.RoleViewer,
		Projects:  []string{"fraud", "churn"},
		Hash:      "hmac-sha256:3b1f0c9e5d",
		CreatedAt: at(1),
		// In another zone: the instant is what is kept.
		ExpiresAt:  ptr(at(60 * 24 * 30).In(time.FixedZone("CET", 3600))),
		LastUsedAt: ptr(at(2)),
	}
	mustCreateToken(t, s, tok)
	got := mustGetToken(t, s, "tok-1")
	assertToken(t, "GetToken", got, tok)
	assertTime(t, "GetToken CreatedAt", got.CreatedAt, tok.CreatedAt)
	if got.ExpiresAt == nil || !got.ExpiresAt.Equal(*tok.ExpiresAt) {
		t.Fatalf("GetToken ExpiresAt = %v, want %v", got.ExpiresAt, tok.ExpiresAt)
	}
	if got.Hash != tok.Hash {
		t.Fatalf("GetToken Hash = %q, want %q as given", got.Hash, tok.Hash)
	}
	if want := []string{"fraud", "churn"}; !slices.Equal(got.Projects, want) {
		t.Fatalf("GetToken Projects = %q, want %q in the order given", got.Projects, want)
	}

	// A token without expiry, last use or projects: the pointers stay nil.
	admin := newToken("tok-admin", 3)
	admin.Role = lineage.RoleAdmin
	mustCreateToken(t, s, admin)
	got = mustGetToken(t, s, "tok-admin")
	assertToken(t, "GetToken of a token without expiry", got, admin)
	if got.ExpiresAt != nil || got.LastUsedAt != nil {
		t.Fatalf("GetToken: ExpiresAt %v, LastUsedAt %v, want both nil", got.ExpiresAt, got.LastUsedAt)
	}
	if len(got.Projects) != 0 {
		t.Fatalf("GetToken Projects = %q, want none", got.Projects)
	}

	ts := mustListTokens(t, s)
	if len(ts) != 2 {
		t.Fatalf("ListTokens: got %q, want two tokens", tokenIDs(ts))
	}
	assertToken(t, "ListTokens[0]", ts[0], tok)
	assertToken(t, "ListTokens[1]", ts[1], admin)
}

func testTokenEmptyProjects(t *testing.T, s lineage.Store) {
	empty := newToken("tok-empty", 0)
	empty.Projects = []string{}
	none := newToken("tok-nil", 0)
	mustCreateToken(t, s, empty)
	mustCreateToken(t, s, none)
	for _, id := range []string{"tok-empty", "tok-nil"} {
		if got := mustGetToken(t, s, id); len(got.Projects) != 0 {
			t.Fatalf("GetToken %s: Projects = %q, want none (all projects)", id, got.Projects)
		}
	}
	for _, tok := range mustListTokens(t, s) {
		if len(tok.Projects) != 0 {
			t.Fatalf("ListTokens %s: Projects = %q, want none (all projects)", tok.ID, tok.Projects)
		}
	}
}

func testCreateTokenConflict(t *testing.T, s lineage.Store) {
	first := newToken("tok-1", 1)
	first.Projects = []string{"fraud"}
	mustCreateToken(t, s, first)

	again := lineage.Token{ID: "tok-1", Name: "other", Role: lineage.RoleAdmin, Hash: "hmac-sha256:other", CreatedAt: at(5)}
	err := s.CreateToken(t.Context(), again)
	wantCode(t, "CreateToken with an existing id", err, lineage.ECONFLICT)

	assertToken(t, "the token after a conflicting create", mustGetToken(t, s, "tok-1"), first)
	ts := mustListTokens(t, s)
	if len(ts) != 1 {
		t.Fatalf("ListTokens after a conflicting create: got %q, want one token", tokenIDs(ts))
	}
	assertToken(t, "ListTokens after a conflicting create", ts[0], first)
}

func testCreateTokenInvalid(t *testing.T, s lineage.Store) {
	cases := []struct {
		what string
		edit func(*lineage.Token)
	}{
		{"no hash", func(tok *lineage.Token) { tok.Hash = "" }},
		{"no id", func(tok *lineage.Token) { tok.ID = "" }},
		{"unknown role", func(tok *lineage.Token) { tok.Role = "OWNER" }},
		{"no role", func(tok *lineage.Token) { tok.Role = "" }},
		{"no name", func(tok *lineage.Token) { tok.Name = "" }},
		{"bad project name", func(tok *lineage.Token) { tok.Projects = []string{"fraud", "Not A Project"} }},
	}
	for _, c := range cases {
		tok := newToken("tok-bad", 1)
		c.edit(&tok)
		err := s.CreateToken(t.Context(), tok)
		wantCode(t, "CreateToken with "+c.what, err, lineage.EINVALID)
		if tok.ID != "" {
			_, err = s.GetToken(t.Context(), tok.ID)
			wantCode(t, "GetToken after an invalid create ("+c.what+")", err, lineage.ENOTFOUND)
		}
	}
	if ts := mustListTokens(t, s); len(ts) != 0 {
		t.Fatalf("ListTokens after invalid creates: got %q, want none", tokenIDs(ts))
	}
}

func testGetTokenMissing(t *testing.T, s lineage.Store) {
	_, err := s.GetToken(t.Context(), "nope")
	wantCode(t, "GetToken of a missing id on an empty store", err, lineage.ENOTFOUND)
	mustCreateToken(t, s, newToken("tok-1", 0))
	_, err = s.GetToken(t.Context(), "nope")
	wantCode(t, "GetToken of a missing id", err, lineage.ENOTFOUND)
}

func testListTokens(t *testing.T, s lineage.Store) {
	if ts := mustListTokens(t, s); len(ts) != 0 {
		t.Fatalf("ListTokens on an empty store: got %q", tokenIDs(ts))
	}
	// Created out of order; b, a and c share a CreatedAt, so their ids
	// order them.
	for _, tok := range []lineage.Token{
		newToken("z-late", 9),
		newToken("b", 5),
		newToken("c", 5),
		newToken("y-early", 1),
		newToken("a", 5),
	} {
		mustCreateToken(t, s, tok)
	}
	want := []string{"y-early", "a", "b", "c", "z-late"}
	if got := tokenIDs(mustListTokens(t, s)); !slices.Equal(got, want) {
		t.Fatalf("ListTokens: got %q, want %q (by CreatedAt, then ID)", got, want)
	}
}

func testDeleteToken(t *testing.T, s lineage.Store) {
	mustCreateToken(t, s, newToken("tok-1", 1))
	keep := newToken("tok-2", 2)
	mustCreateToken(t, s, keep)

	existed, err := s.DeleteToken(t.Context(), "tok-1")
	if err != nil || !existed {
		t.Fatalf("DeleteToken of a stored token: %v, %v; want true, nil", existed, err)
	}
	_, err = s.GetToken(t.Context(), "tok-1")
	wantCode(t, "GetToken after DeleteToken", err, lineage.ENOTFOUND)
	ts := mustListTokens(t, s)
	if got, want := tokenIDs(ts), []string{"tok-2"}; !slices.Equal(got, want) {
		t.Fatalf("ListTokens after DeleteToken: got %q, want %q", got, want)
	}
	assertToken(t, "the other token after DeleteToken", ts[0], keep)

	existed, err = s.DeleteToken(t.Context(), "tok-1")
	if err != nil || existed {
		t.Fatalf("DeleteToken again: %v, %v; want false, nil", existed, err)
	}
	existed, err = s.DeleteToken(t.Context(), "never")
	if err != nil || existed {
		t.Fatalf("DeleteToken of a token never stored: %v, %v; want false, nil", existed, err)
	}

	// The id is free again.
	again := newToken("tok-1", 7)
	again.Role = lineage.RoleAdmin
	mustCreateToken(t, s, again)
	assertToken(t, "a token recreated with a deleted id", mustGetToken(t, s, "tok-1"), again)
}

func testTouchToken(t *testing.T, s lineage.Store) {
	tok := newToken("tok-1", 1)
	tok.Projects = []string{"fraud"}
	tok.ExpiresAt = ptr(at(1000))
	mustCreateToken(t, s, tok)
	other := newToken("tok-2", 2)
	mustCreateToken(t, s, other)

	if err := s.TouchToken(t.Context(), "tok-1", at(10)); err != nil {
		t.Fatalf("TouchToken: %v", err)
	}
	want := tok
	want.LastUsedAt = ptr(at(10))
	got := mustGetToken(t, s, "tok-1")
	assertToken(t, "GetToken after TouchToken", got, want)
	if got.LastUsedAt == nil {
		t.Fatal("GetToken after TouchToken: LastUsedAt is nil")
	}
	assertTime(t, "LastUsedAt after TouchToken", *got.LastUsedAt, at(10))

	// A later touch moves it.
	if err := s.TouchToken(t.Context(), "tok-1", at(20)); err != nil {
		t.Fatalf("TouchToken again: %v", err)
	}
	want.LastUsedAt = ptr(at(20))
	assertToken(t, "GetToken after a second TouchToken", mustGetToken(t, s, "tok-1"), want)

	// Nothing else changed: not the other token, nor the order.
	assertToken(t, "the untouched token", mustGetToken(t, s, "tok-2"), other)
	if got, wantIDs := tokenIDs(mustListTokens(t, s)), []string{"tok-1", "tok-2"}; !slices.Equal(got, wantIDs) {
		t.Fatalf("ListTokens after TouchToken: got %q, want %q", got, wantIDs)
	}
}

func testTouchTokenMissing(t *testing.T, s lineage.Store) {
	err := s.TouchToken(t.Context(), "nope", at(1))
	wantCode(t, "TouchToken of a missing id", err, lineage.ENOTFOUND)
	_, err = s.GetToken(t.Context(), "nope")
	wantCode(t, "GetToken after TouchToken of a missing id", err, lineage.ENOTFOUND)
	if ts := mustListTokens(t, s); len(ts) != 0 {
		t.Fatalf("ListTokens after TouchToken of a missing id: got %q, want none", tokenIDs(ts))
	}
}

func testTokenCopies(t *testing.T, s lineage.Store) {
	tok := newToken("tok-1", 1)
	tok.Projects = []string{"fraud", "churn"}
	tok.ExpiresAt = ptr(at(100))
	want := tok
	want.Projects = slices.Clone(tok.Projects)
	want.ExpiresAt = ptr(*tok.ExpiresAt)
	mustCreateToken(t, s, tok)
	// The caller's values are its own after the call...
	tok.Projects[0] = "changed"
	*tok.ExpiresAt = at(5)

	// ...and so are the returned ones.
	got := mustGetToken(t, s, "tok-1")
	got.Projects[0] = "changed"
	*got.ExpiresAt = at(5)
	listed := mustListTokens(t, s)
	listed[0].Projects[1] = "changed"
	*listed[0].ExpiresAt = at(6)

	assertToken(t, "GetToken after changing earlier values", mustGetToken(t, s, "tok-1"), want)
}
