// Package lineage is Artigraph's domain: artifacts and their versions, runs,
// pipelines and links; store:// URIs; artifact paths; error codes; and the
// Store and Blobs interfaces the backends implement.
//
// Every rule lives here, written once. Types validate themselves
// (LogRequest.Validate, StartRunRequest.Validate, Project.Validate,
// VersionWrite.Validate, Page.Validate, …); the Service applies the rules
// that need the store or the configuration (resolution of URIs, artifact
// paths and blob roots, versioning and tags, deletion, uploads) and is the
// only way in for the HTTP layer and the resolvers. A Store only stores: it
// checks what storage alone can (existence, uniqueness, atomicity), and
// Traverse is the one definition of a lineage answer that every Store's
// Lineage shares.
//
// The Service's methods are grouped by subject: projects.go, runs.go,
// log.go (logging a version), resolve.go (finding versions by URI and
// listing them), tags.go (tags and links), delete.go, graph.go (lineage and
// impact), uploads.go, roots.go (what content this server may touch),
// document.go (import and export), gc.go, mlrun.go and openlineage.go (what
// MLRun's API and OpenLineage events need). Who may do what is decided in
// authz.go, from the caller Authenticate (tokens.go) puts in the context;
// access.go holds the roles, tokens and callers. The grammar of names sits
// in names.go.
package lineage
