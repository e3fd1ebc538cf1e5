package neo4j

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/artigraph/artigraph/internal/neo4jlock"
	"github.com/artigraph/artigraph/lineage"
	"github.com/artigraph/artigraph/lineage/storetest"
)

// These tests need a Neo4j server: NEO4J_URI names it (scripts/neo4j start
// runs one and prints it). Without NEO4J_URI they skip, unless
// ARTIGRAPH_REQUIRE_NEO4J is set: then they fail, as they do whenever the
// server named cannot be used. They wipe the database they use.

func testConfig(tb testing.TB) Config {
	tb.Helper()
	uri := os.Getenv("NEO4J_URI")
	if uri == "" {
		if os.Getenv("ARTIGRAPH_REQUIRE_NEO4J") != "" {
			tb.Fatal("ARTIGRAPH_REQUIRE_NEO4J is set but NEO4J_URI is not: start a server with scripts/neo4j start and export the NEO4J_URI it prints")
		}
		tb.Skip("NEO4J_URI is not set: scripts/neo4j start runs a server and prints it")
	}
	return Config{
		URI:      uri,
		User:     os.Getenv("NEO4J_USER"),
		Password: os.Getenv("NEO4J_PASSWORD"),
		Database: os.Getenv("NEO4J_DATABASE"),
	}
}

// mustOpen opens a store on an emptied database and closes it at the end.
func mustOpen(tb testing.TB, cfg Config) *Store {
	tb.Helper()
	neo4jlock.Hold(tb, cfg.URI)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, cfg)
	if err != nil {
		tb.Fatalf("Open %s: %v", cfg.URI, err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.wipe(ctx); err != nil {
		tb.Fatalf("wipe: %v", err)
	}
	return s
}

// wipe deletes every node and relationship, in batches (schema stays).
func (s *Store) wipe(ctx context.Context) error {
	sess := s.session(ctx, neo.AccessModeWrite)
	defer sess.Close(ctx)
	// CALL ... IN TRANSACTIONS needs an auto-commit transaction.
	res, err := sess.Run(ctx, "MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS", nil)
	if err == nil {
		_, err = res.Consume(ctx)
	}
	return err
}

func TestConformance(t *testing.T) {
	cfg := testConfig(t)
	storetest.Run(t, func(t *testing.T) lineage.Store { return mustOpen(t, cfg) })
	storetest.RunFeed(t, func(t *testing.T) lineage.Store { return mustOpen(t, cfg) })
}

// TestConcurrentPutOfOneUID checks that writes of one new uid racing each
// other create it once, the others applying their tags to it (the path a
// uniqueness violation takes).
func TestConcurrentPutOfOneUID(t *testing.T) {
	s := mustOpen(t, testConfig(t))
	ctx := t.Context()
	const writers = 8
	created := make(chan bool, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			w := lineage.VersionWrite{
				Version: lineage.Version{UID: "same", Project: "p", Key: "k", Kind: lineage.KindModel, CreatedAt: time.Unix(100, 0)},
				Tags:    []string{fmt.Sprintf("t%d", i)},
			}
			_, c, err := s.PutVersion(ctx, w)
			if err != nil {
				t.Errorf("PutVersion: %v", err)
			}
			created <- c
		})
	}
	wg.Wait()
	close(created)
	n := 0
	for c := range created {
		if c {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d writes created the version, want 1", n)
	}
	vs, err := s.GetVersions(ctx, []string{"same"})
	if err != nil || len(vs) != 1 {
		t.Fatalf("GetVersions: %v, %v", vs, err)
	}
	if len(vs[0].Tags) != writers+1 {
		t.Fatalf("tags %q: want latest and every writer's", vs[0].Tags)
	}
}

func TestUnreachableIsUnavailable(t *testing.T) {
	// No server needed: a port nothing listens on.
	_, err := Open(t.Context(), Config{URI: "bolt://127.0.0.1:1"})
	if code := lineage.ErrorCode(err); code != lineage.EUNAVAILABLE {
		t.Fatalf("Open of an unreachable server: %v (code %q), want %q", err, code, lineage.EUNAVAILABLE)
	}
}

// TestReconnectsAfterRestart stops Neo4j, checks that calls fail with
// EUNAVAILABLE, starts it again on the same port and checks that the same
// Store works again. It runs a Neo4j of its own (scripts/neo4j with its own
// state folder), so that the server other tests share, even in packages
// running at the same time, stays up throughout.
func TestReconnectsAfterRestart(t *testing.T) {
	testConfig(t) // the same gating as every test here
	script, err := filepath.Abs("../../scripts/neo4j")
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	neo4jScript := func(port string, args ...string) (string, error) {
		cmd := exec.Command(script, args...)
		cmd.Env = append(os.Environ(), "ARTIGRAPH_NEO4J_STATE="+state, "NEO4J_PORT="+port)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("scripts/neo4j %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return strings.TrimSpace(string(out)), nil
	}
	out, err := neo4jScript("", "start")
	if err != nil {
		if os.Getenv("ARTIGRAPH_REQUIRE_NEO4J") == "" {
			t.Skipf("cannot run a Neo4j of this test's own: %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := neo4jScript("", "stop"); err != nil {
			t.Error(err)
		}
	})
	uri := strings.TrimPrefix(out[strings.LastIndex(out, "\n")+1:], "NEO4J_URI=")
	port := uri[strings.LastIndex(uri, ":")+1:]

	ctx := t.Context()
	open, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	s, err := Open(open, Config{URI: uri, MaxRetryTime: 2 * time.Second})
	if err != nil {
		t.Fatalf("Open %s: %v", uri, err)
	}
	defer s.Close()
	if _, err := s.UpsertProject(ctx, lineage.Project{Name: "before"}); err != nil {
		t.Fatalf("UpsertProject: %v", err)
	}

	if _, err := neo4jScript("", "stop"); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); lineage.ErrorCode(err) != lineage.EUNAVAILABLE {
		t.Fatalf("Ping with Neo4j stopped: %v (code %q), want %q", err, lineage.ErrorCode(err), lineage.EUNAVAILABLE)
	}
	began := time.Now()
	_, err = s.ListProjects(ctx)
	if lineage.ErrorCode(err) != lineage.EUNAVAILABLE {
		t.Fatalf("ListProjects with Neo4j stopped: %v (code %q), want %q", err, lineage.ErrorCode(err), lineage.EUNAVAILABLE)
	}
	t.Logf("ListProjects failed after %s (MaxRetryTime 2s): %v", time.Since(began).Round(time.Millisecond), err)
	short, cancelShort := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = s.GetVersions(short, []string{"x"})
	cancelShort()
	if lineage.ErrorCode(err) != lineage.EUNAVAILABLE {
		t.Fatalf("GetVersions with Neo4j stopped and a short deadline: %v (code %q), want %q", err, lineage.ErrorCode(err), lineage.EUNAVAILABLE)
	}

	if _, err := neo4jScript(port, "start"); err != nil {
		t.Fatalf("start again on port %s: %v", port, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping after the restart: %v", err)
	}
	// scripts/neo4j stop deleted the data: the server is a new, empty one.
	if _, err := s.UpsertProject(ctx, lineage.Project{Name: "after"}); err != nil {
		t.Fatalf("UpsertProject after the restart: %v", err)
	}
	ps, err := s.ListProjects(ctx)
	if err != nil || len(ps) != 1 || ps[0].Name != "after" {
		t.Fatalf("ListProjects after the restart: %v, %v", ps, err)
	}
}

// TestConcurrentBatchesMoveOneTag races PutVersions batches that each give
// "prod" of one slot to a version of their own (an existing uid, retagged)
// and write new versions of shared label pairs beside it: every batch must
// succeed, and exactly one version hold the tag at the end.
func TestConcurrentBatchesMoveOneTag(t *testing.T) {
	s := mustOpen(t, testConfig(t))
	ctx := t.Context()
	const writers = 8
	at := func(i int) time.Time { return time.Unix(int64(1000+i), 0) }
	version := func(uid string, iteration, i int) lineage.Version {
		return lineage.Version{UID: uid, Project: "p", Key: "model", Kind: lineage.KindModel, Iteration: iteration,
			Labels: []lineage.Label{{Key: "team", Value: new("ml")}}, CreatedAt: at(i)}
	}
	for i := range writers {
		if _, _, err := s.PutVersion(ctx, lineage.VersionWrite{Version: version(fmt.Sprintf("m%d", i), 0, i)}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			retag := version(fmt.Sprintf("m%d", i), 0, 100+i)
			retag.UpdatedAt = at(100 + i)
			ws := []lineage.VersionWrite{{Version: retag, Tags: []string{"prod"}}}
			for j := range 20 {
				// Each batch's own slots (iterations), shared Label nodes.
				ws = append(ws, lineage.VersionWrite{Version: version(fmt.Sprintf("n%d-%d", i, j), 1+i*100+j, 200+j), Tags: []string{"gold"}})
			}
			if _, err := s.PutVersions(ctx, ws); err != nil {
				t.Errorf("PutVersions %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	page, err := s.ListVersions(ctx, "p", lineage.VersionFilter{Tag: "prod"}, lineage.Page{First: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Versions) != 1 || page.Total != 1 {
		t.Fatalf("%d versions hold prod (total %d), want 1", len(page.Versions), page.Total)
	}
	labelled, err := s.ListVersions(ctx, "p", lineage.VersionFilter{Labels: []string{"team=ml"}}, lineage.Page{First: 1})
	if err != nil {
		t.Fatal(err)
	}
	if want := writers * 21; labelled.Total != want {
		t.Fatalf("%d versions labelled team=ml, want %d", labelled.Total, want)
	}
}

// TestOpenMigratesLabels opens a database as the code before Label nodes
// left it (versions without LABELED relationships, no Schema marker) and
// checks that label filters find its versions after Open.
func TestOpenMigratesLabels(t *testing.T) {
	cfg := testConfig(t)
	s := mustOpen(t, cfg)
	ctx := t.Context()
	for i, team := range []string{"ml", "ml", "bi"} {
		w := lineage.VersionWrite{Version: lineage.Version{UID: fmt.Sprintf("v%d", i), Project: "p", Key: fmt.Sprintf("k%d", i),
			Kind: lineage.KindDataset, Labels: []lineage.Label{{Key: "team", Value: new(team)}}, CreatedAt: time.Unix(int64(100+i), 0)}}
		if _, _, err := s.PutVersion(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	sess := s.session(ctx, neo.AccessModeWrite)
	res, err := sess.Run(ctx, "MATCH (l:Label) DETACH DELETE l WITH 1 AS x LIMIT 1 MATCH (m:Schema) DELETE m", nil)
	if err == nil {
		_, err = res.Consume(ctx)
	}
	sess.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// Replicas starting together all migrate: each version still ends up
	// with one relationship per pair.
	opened := make([]*Store, 4)
	errs := make([]error, len(opened))
	var wg sync.WaitGroup
	for i := range opened {
		wg.Go(func() { opened[i], errs[i] = Open(ctx, cfg) })
	}
	wg.Wait()
	for i, o := range opened {
		if errs[i] != nil {
			t.Fatalf("Open of an old database: %v", errs[i])
		}
		defer o.Close()
	}
	again := opened[0]
	rels, err := read(ctx, again, func(tx neo.ManagedTransaction) (int64, error) {
		rec, err := single(ctx, tx, "MATCH (:Version)-[r:LABELED]->(:Label) RETURN count(r)", nil)
		if err != nil {
			return 0, err
		}
		return num(rec.Values[0]), nil
	})
	if err != nil || rels != 3 {
		t.Fatalf("%d LABELED relationships after the migrations (%v), want 3", rels, err)
	}
	page, err := again.ListVersions(ctx, "p", lineage.VersionFilter{Labels: []string{"team=ml"}}, lineage.Page{First: 10})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 2 || len(page.Versions) != 2 || page.Versions[0].UID != "v1" {
		t.Fatalf("team=ml after the migration: %d of %d, want v1 and v0", len(page.Versions), page.Total)
	}
}
