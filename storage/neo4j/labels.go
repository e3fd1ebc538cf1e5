package neo4j

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// Label filters start from Label nodes: one per (project, pair), pair being
// a labelPairs entry (see labelIndex), unique by constraint, with a LABELED
// relationship from every version of the project holding it. The list
// property alone cannot be indexed (no Community index answers "x IN
// list"), so a filter read every version of the project; from a Label node
// it reads only the versions holding the pair, and its degree (kept by
// Neo4j for dense nodes) tells which of several pairs selects the fewest.
// Relationships rather than a node per (version, label): three per version
// and no index entries, against three nodes and six index entries, for
// about the same read. LABELED is not a lineage.Relation, and no query of
// edges names it.
//
// Like Tag nodes, Label nodes are created in a short transaction of their
// own, the first time a pair is written in a project (see writeTags), and
// are never deleted.

// labelNode names a Label node.
type labelNode struct{ project, pair string }

// createLabels MERGEs Label nodes, in sorted order, in a transaction of its
// own.
func createLabels(ctx context.Context, s *Store, nodes []labelNode) error {
	if len(nodes) == 0 {
		return nil
	}
	slices.SortFunc(nodes, func(a, b labelNode) int {
		return cmp.Or(cmp.Compare(a.project, b.project), cmp.Compare(a.pair, b.pair))
	})
	nodes = slices.Compact(nodes)
	params := make([]any, len(nodes))
	for i, n := range nodes {
		params[i] = map[string]any{"project": n.project, "pair": n.pair}
	}
	_, err := write(ctx, s, func(tx neo.ManagedTransaction) (struct{}, error) {
		return struct{}{}, consume(ctx, tx, `
			UNWIND $labels AS l
			MERGE (:Label {project: l.project, pair: l.pair})`,
			map[string]any{"labels": params})
	})
	return err
}

// schemaMarker names the node that records which migrations a database
// has had; migrateLabels is the only one.
const schemaMarker = "artigraph"

// migrateLabels gives the versions of a database written before Label nodes
// existed their LABELED relationships, once: a marker node records that it
// ran. Versions written since have theirs from the start (and are skipped:
// a version has all its relationships or none). It runs at Open, in
// batches; writers of the old code must be stopped by then. Two replicas
// opening at once may both run it: MERGE, which locks both ends, gives a
// version one relationship per pair whoever writes it.
func (s *Store) migrateLabels(ctx context.Context) error {
	done, err := read(ctx, s, func(tx neo.ManagedTransaction) (bool, error) {
		recs, err := collect(ctx, tx, "MATCH (m:Schema {name: $name}) WHERE m.labelNodes RETURN 1", map[string]any{"name": schemaMarker})
		return len(recs) > 0, err
	})
	if err != nil || done {
		return err
	}
	sess := s.session(ctx, neo.AccessModeWrite)
	defer sess.Close(context.WithoutCancel(ctx))
	// CALL ... IN TRANSACTIONS needs an auto-commit transaction.
	res, err := sess.Run(ctx, `
		MATCH (v:Version) WHERE size(coalesce(v.labelPairs, [])) > 0 AND NOT (v)-[:LABELED]->()
		CALL (v) {
			UNWIND v.labelPairs AS p
			MERGE (l:Label {project: v.project, pair: p})
			MERGE (v)-[:LABELED]->(l)
		} IN TRANSACTIONS OF 1000 ROWS`, nil)
	if err == nil {
		_, err = res.Consume(ctx)
	}
	if err != nil {
		return fmt.Errorf("neo4j: migrate labels: %w", s.mapErr(err))
	}
	_, err = write(ctx, s, func(tx neo.ManagedTransaction) (struct{}, error) {
		return struct{}{}, consume(ctx, tx, "MERGE (m:Schema {name: $name}) SET m.labelNodes = true", map[string]any{"name": schemaMarker})
	})
	return err
}

// labelNodes returns the Label nodes a version of project with props
// (versionProps) is LABELED to.
func labelNodes(project string, props map[string]any) []labelNode {
	pairs, _ := props["labelPairs"].([]string)
	out := make([]labelNode, len(pairs))
	for i, p := range pairs {
		out[i] = labelNode{project, p}
	}
	return out
}
