package lineage

import (
	"context"
	"slices"
	"time"
)

// NodeType tells a graph node's kind.
type NodeType string

const (
	NodeArtifact NodeType = "artifact" // a Version; UID is the version's uid
	NodeRun      NodeType = "run"      // a Run; Project and UID are its key
)

// NodeRef names a node of the lineage graph. It is comparable, so it can key
// maps. For an artifact, Project is the version's project.
type NodeRef struct {
	Type    NodeType
	Project string
	UID     string
}

// VersionNode and RunNode build NodeRefs.
func VersionNode(v Version) NodeRef {
	return NodeRef{Type: NodeArtifact, Project: v.Project, UID: v.UID}
}
func RunNode(k RunKey) NodeRef { return NodeRef{Type: NodeRun, Project: k.Project, UID: k.UID} }

// Less orders NodeRefs by Type, Project, UID: the order every list of nodes
// and edges is returned in, so that backends agree exactly.
func (n NodeRef) Less(o NodeRef) bool {
	if n.Type != o.Type {
		return n.Type < o.Type
	}
	if n.Project != o.Project {
		return n.Project < o.Project
	}
	return n.UID < o.UID
}

// Relation is a graph edge's type. Edges point from subject to object:
// a run CONSUMED a version, a run PRODUCED a version, a version DERIVED_FROM a
// version, a version LINKS_TO a version.
type Relation string

const (
	RelConsumed    Relation = "CONSUMED"
	RelProduced    Relation = "PRODUCED"
	RelDerivedFrom Relation = "DERIVED_FROM"
	RelLinksTo     Relation = "LINKS_TO"
)

// Edge is one relation between two nodes. Name is the link's relation
// ("chart", "model", …) for LINKS_TO; for CONSUMED, the label a version was
// asked for by when it was (DatasetVersionLabel, see RecordRun); empty
// otherwise.
type Edge struct {
	From     NodeRef
	To       NodeRef
	Relation Relation
	Name     string
}

// EdgeDirection selects edges leaving (Outgoing) or entering (Incoming) a node.
type EdgeDirection int

const (
	Outgoing EdgeDirection = iota
	Incoming
)

// Link is a typed pointer from one version to another (LINKS_TO).
type Link struct {
	Relation string
	UID      string // target version
}

// VersionWrite is everything written with a new version, atomically.
type VersionWrite struct {
	Version Version  // UID, timestamps and the rest set by the Service
	Tags    []string // tags to apply besides "latest"
	Sources []string // uids of versions it was DERIVED_FROM
	Links   []Link   // LINKS_TO edges
}

// PutResult is one write's outcome in PutVersions: the version stored, and
// whether the write created it (false: the uid existed, and only the
// write's tags were applied).
type PutResult struct {
	Version Version
	Created bool
}

// Amendment corrects what was recorded from reports that arrived out of
// order (OpenLineage events): a run's start moved earlier, a version's
// times moved earlier, CONSUMED and DERIVED_FROM edges moved to the version
// the reports, taken in order, name. See Service.RecordRun.
type Amendment struct {
	RunStarts    []RunStart
	VersionTimes []VersionTimes
	Remove, Add  []Edge // CONSUMED (run → version, named or not) and DERIVED_FROM (version → version) only
}

// RunStart sets a run's StartedAt.
type RunStart struct {
	Run RunKey
	At  time.Time
}

// VersionTimes sets a version's CreatedAt and UpdatedAt.
type VersionTimes struct {
	UID                  string
	CreatedAt, UpdatedAt time.Time
}

// Empty reports whether a changes nothing.
func (a Amendment) Empty() bool {
	return len(a.RunStarts)+len(a.VersionTimes)+len(a.Remove)+len(a.Add) == 0
}

// Validate checks the shape of a's edges: the relations an amendment may
// move, between nodes of the types they join.
func (a Amendment) Validate() error {
	for _, e := range append(slices.Clone(a.Remove), a.Add...) {
		ok := e.To.Type == NodeArtifact && (e.Relation == RelConsumed && e.From.Type == NodeRun ||
			e.Relation == RelDerivedFrom && e.From.Type == NodeArtifact && e.Name == "")
		if !ok {
			return Errorf(EINVALID, "an amendment cannot change a %s edge from a %s to a %s", e.Relation, e.From.Type, e.To.Type)
		}
		if len(e.Name) > MaxKeyLen+MaxLabelValueLen {
			return Errorf(ELIMIT, "an edge's name may be at most %d bytes", MaxKeyLen+MaxLabelValueLen)
		}
	}
	return nil
}

// VersionFilter selects versions of one project. Zero fields do not filter.
// Labels are "k=v" (key k with value v) or "k" (key k present); all must hold.
// Since and Until bound UpdatedAt, both inclusive. Producer matches the
// producer's Name or URI; Owner the version's Owner.
type VersionFilter struct {
	Kind        Kind
	Key         string
	KeyContains string
	Tag         string
	Labels      []string
	Since       *time.Time
	Until       *time.Time
	Producer    string
	Owner       string
	Iteration   *int
	Tree        string
	TargetPath  string
}

// Page asks for First items after the opaque cursor After ("" = from the start).
type Page struct {
	First int
	After string
}

// VersionPage is one page of versions, newest UpdatedAt first (ties by UID
// descending). Total counts every match, regardless of the page.
type VersionPage struct {
	Versions  []Version
	HasNext   bool
	EndCursor string
	Total     int
}

// RunPage is one page of runs, newest StartedAt first (ties by UID descending).
type RunPage struct {
	Runs      []Run
	HasNext   bool
	EndCursor string
	Total     int
}

// Direction of a lineage traversal.
type Direction string

const (
	Upstream   Direction = "UPSTREAM"
	Downstream Direction = "DOWNSTREAM"
)

// LineageQuery asks for the nodes within Depth hops of Start in one
// Direction, at most Limit nodes counting Start.
type LineageQuery struct {
	Start     NodeRef
	Direction Direction
	Depth     int
	Limit     int
	// Visible says which projects' nodes the answer may hold (nil: all).
	// A node of another project is left out with its edges, counted in
	// Graph.Hidden, and the walk does not go on through it.
	Visible func(project string) bool
}

// GraphNode is a node found by a traversal, at its shortest distance.
type GraphNode struct {
	Ref   NodeRef
	Depth int
}

// Graph is a traversal's answer: nodes by (Depth, Ref), edges sorted by
// (From, To, Relation, Name); Truncated when Depth or Limit cut it short.
type Graph struct {
	Nodes     []GraphNode
	Edges     []Edge
	Truncated bool
	Hidden    int // nodes left out because Visible refused their project
}

// Store keeps the metadata graph. Every implementation passes
// lineage/storetest. Methods return *Error values with ENOTFOUND, ECONFLICT or
// EINVALID for the caller's mistakes, EUNAVAILABLE when the backend cannot be
// reached, and plain errors for anything internal. Batch getters return the
// items found, in the order asked, skipping missing ones.
type Store interface {
	UpsertProject(ctx context.Context, p Project) (Project, error) // keeps CreatedAt of an existing one
	GetProject(ctx context.Context, name string) (Project, error)
	ListProjects(ctx context.Context) ([]Project, error) // by name

	// CreateRun writes a new run and its CONSUMED edges to the input versions;
	// ECONFLICT if the key exists.
	CreateRun(ctx context.Context, r Run, inputs []string) (Run, error)
	FinishRun(ctx context.Context, key RunKey, state RunState, at time.Time) (Run, error)
	GetRuns(ctx context.Context, keys []RunKey) ([]Run, error)
	ListRuns(ctx context.Context, project string, page Page) (RunPage, error)

	// PutVersion writes a version with its PRODUCED (from Version.Run),
	// DERIVED_FROM and LINKS_TO edges, gives it "latest" and w.Tags, and
	// returns it with created=true. If the uid exists, it applies w.Tags to
	// the existing version only and returns that with created=false. A tag
	// names at most one version per (project, key, iteration): applying it
	// moves it, and sets UpdatedAt of the version that takes it.
	PutVersion(ctx context.Context, w VersionWrite) (v Version, created bool, err error)
	// PutVersions writes ws as PutVersion writes each one, in one
	// transaction, and returns the results in order: if any write fails
	// (EINVALID, or ENOTFOUND for a run, source or link target missing
	// before the call), nothing is written. Two writes of one (project,
	// key, iteration) are EINVALID.
	PutVersions(ctx context.Context, ws []VersionWrite) ([]PutResult, error)
	GetVersions(ctx context.Context, uids []string) ([]Version, error)
	ListVersions(ctx context.Context, project string, f VersionFilter, page Page) (VersionPage, error)
	TagVersion(ctx context.Context, uid, tag string, at time.Time) (Version, error)
	UntagVersion(ctx context.Context, uid, tag string, at time.Time) (Version, error)   // no-op if not held
	AddLink(ctx context.Context, fromUID string, l Link, at time.Time) (Version, error) // idempotent
	// DeleteVersions removes versions and every edge touching them; it
	// returns how many existed.
	DeleteVersions(ctx context.Context, uids []string) (int, error)
	// Amend writes a's corrections at once: times set, edges removed, then
	// edges added (an absent edge removed or a present one added is no
	// change). ENOTFOUND if a run or version it names is absent; nothing
	// is written then.
	Amend(ctx context.Context, a Amendment) error

	// Edges returns the edges of the given relations (all when none given)
	// leaving or entering the given nodes, sorted by (From, To, Relation, Name).
	Edges(ctx context.Context, nodes []NodeRef, dir EdgeDirection, rels ...Relation) ([]Edge, error)
	// Lineage answers exactly as Traverse does over Edges.
	Lineage(ctx context.Context, q LineageQuery) (Graph, error)

	// CreateToken stores a token record (never a secret); ECONFLICT if its
	// ID exists.
	CreateToken(ctx context.Context, t Token) error
	GetToken(ctx context.Context, id string) (Token, error) // ENOTFOUND if absent
	ListTokens(ctx context.Context) ([]Token, error)        // by CreatedAt, then ID
	// DeleteToken removes a token; it reports whether it existed.
	DeleteToken(ctx context.Context, id string) (bool, error)
	// TouchToken sets a token's LastUsedAt; ENOTFOUND if absent.
	TouchToken(ctx context.Context, id string, at time.Time) error

	Ping(ctx context.Context) error
	Close() error
}
