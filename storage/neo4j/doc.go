// Package neo4j implements lineage.Store on Neo4j, the production backend,
// with the official Go driver. It needs Neo4j 5.23 or later (COLLECT and
// CALL (x) subqueries), Community
// Edition or above; it is tested on 5.26 Community.
//
// # Graph model
//
// Nodes (the properties in brackets form each one's identity, unique by
// constraint):
//
//	(:Project {name})   description, artifactPath, labels, createdAt
//	(:Run {project, uid})
//	                    name, state, user, pipeline, artifactPath, labels,
//	                    startedAt, finishedAt
//	(:Version {uid})    project, key, kind, iteration, tree, description,
//	                    targetPath, format, size, hash, stored, owner,
//	                    createdAt, updatedAt, runProject/runUid (the producer
//	                    run's key), producerKind/Name/Uri/Owner, labels,
//	                    externalSources, dataset, model, extra; and, for
//	                    filters only: keyLower, labelKeys, labelPairs
//	(:Artifact {project, key})
//	                    keyLower: one per artifact key, for the key search
//	(:Tag {project, key, iteration, name})
//	                    one per tag name and artifact iteration: holder
//	                    (the uid of the version holding it, absent when
//	                    none does) and writes (a counter written to lock it)
//	(:Label {project, pair})
//	                    one per label pair (labelPairs entry) of a project,
//	                    for label filters (see labels.go)
//	(:Schema {name})    the migrations the database has had
//	(:Token {id})       name, role, projects, hash (the keyed hash of the
//	                    secret, never the secret), createdAt, expiresAt,
//	                    lastUsedAt; no relationships
//
// Relationships, all pointing from subject to object as lineage.Edge does,
// and each a lineage.Edge:
//
//	(:Run)-[:CONSUMED]->(:Version)         a run read a version
//	(:Run)-[:PRODUCED]->(:Version)         a run wrote a version
//	(:Version)-[:DERIVED_FROM]->(:Version) a version was made from another
//	(:Version)-[:LINKS_TO {name}]->(:Version)
//
// and one that is not an edge, named by no query of edges:
//
//	(:Version)-[:LABELED]->(:Label)       a version holds a label pair
//
// A Version's Tags are the names of the Tag nodes whose holder is its uid
// (an indexed lookup), so a tag has one source of truth and moving it is
// one property write. The holder is a property rather than a relationship
// on purpose: deleting a relationship takes a lock on its end nodes that
// the transactions queued for the Tag node's write lock hold shared, so
// every move of a contended tag would deadlock with every waiter (measured:
// 32 concurrent TagVersion calls took seconds of deadlock retries; with the
// property they queue and take half a second).
//
// Versions name their Artifact and project, and runs their project, by
// property, and do not point at them: the relationship would make every
// artifact and project a super node that each write locks, for no query
// that needs it. Project nodes exist only for projects written with
// UpsertProject, as ListProjects lists exactly those, and versions may be
// logged to a project nobody upserted. Users and pipelines are properties of
// a run, not nodes, for the same reason.
//
// Values: empty optional strings are not stored (read back as ""); times
// are int64 Unix nanoseconds (exact, and compared as integers by the keyset
// cursors); labels, dataset and model metadata and extra are
// JSON strings, read back as written. Label filters compare labelKeys (every
// key) and labelPairs (a JSON ["k","v"] for the first label of each key that
// has a value), as lineage.LabelSelector.Matches looks at the first label of
// a key only. keyLower is the key lowered in Go (as VersionFilter.Match
// lowers it), for the case-insensitive KeyContains filter, which finds the
// keys through a text index on the Artifact nodes and then their versions.
// The text index is on Artifact and not Version because updating a
// (Lucene) text index costs milliseconds per commit: it doubled the time of
// PutVersion.
//
// # Schema
//
// Open applies, each only if missing: uniqueness constraints on
// Project.name, Run (project, uid), Version.uid, Artifact (project, key),
// Tag (project, key, iteration, name), Label (project, pair) and Schema.name; range indexes on Run (project,
// startedAt), Version (project, updatedAt), (project, key), (project, tree)
// and (project, targetPath), Tag (project, name) and Tag holder; a text
// index on Artifact.keyLower. Nothing needs the Enterprise Edition. A
// filter with a label pair starts from the Label node of the pair held by
// the fewest versions and follows its LABELED relationships; owner,
// producer, kind, iteration and key-only label filters are checked on the
// versions an indexed field (the project at least) or a Label node selects.
// A database written before Label nodes existed gets them at Open, once
// (migrateLabels; a Schema node records it).
//
// # Transactions
//
// Every method runs one managed transaction (ExecuteWrite or ExecuteRead,
// which retry deadlocks and lost connections), in a session on the configured
// database that shares the driver's bookmark manager, so that a read sees the
// writes before it even on a cluster. Every query is a constant text, or one
// put together from constant clauses, with every value a parameter; lists of
// items (inputs, sources, links, tags, uids, frontier nodes) go in as one
// parameter and are expanded with UNWIND.
//
// # Tags
//
// A tag names at most one version per (project, key, iteration). Giving one
// first writes to its Tag node, which takes the node's write lock until the
// transaction ends, and only then reads the holder and sets it to the taker:
// concurrent moves of one tag run one after the other, each seeing the
// holder the last one left, and exactly one holder remains. A write locks
// its tags in sorted order; a deadlock that still happens is retried. A tag
// used for the first time in its scope has no Tag node yet: the write stops,
// the node is MERGEd (unique by constraint) in a short transaction of its
// own, and the write runs again, which keeps MERGE's lock upgrade, a source
// of deadlocks, out of the contended path.
//
// # Lineage
//
// Lineage is lineage.TraverseWith inside one read transaction, over an
// expander bound to it: one query per level and step, starting from the
// frontier nodes by the element ids the previous level returned; the last
// level, which only tells whether the answer was cut, fetches element ids
// alone (the expander's HasUnheld). The steps and the order of the answer
// are Traverse's own. See Lineage for the alternatives measured (a
// quantified path pattern among them).
//
// # Batches
//
// PutVersions writes a batch in one transaction of four or five UNWIND
// statements, whatever its size (see batch.go).
//
// # Errors
//
// When Neo4j cannot be reached, or transient failures outlast the retries,
// or the caller's deadline passes while waiting for it, methods return an
// EUNAVAILABLE error (which still wraps the driver's error for logs); the
// driver reconnects by itself once Neo4j is back.
package neo4j
