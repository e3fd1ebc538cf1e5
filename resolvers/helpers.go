package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/artigraph/artigraph/graph/model"
	"github.com/artigraph/artigraph/lineage"
)

// askedTag is the tag a model's uri carries, if one was asked for.
func askedTag(m *model.ArtifactVersion) string {
	if u, err := lineage.ParseURI(m.URI); err == nil && u.Tag != lineage.TagLatest {
		return u.Tag
	}
	return ""
}

// farUIDs are the uids at the far ends of edges seen from dir.
func farUIDs(es []lineage.Edge, dir lineage.EdgeDirection) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		if dir == lineage.Outgoing {
			out = append(out, e.To.UID)
		} else {
			out = append(out, e.From.UID)
		}
	}
	return out
}

// firstEdges is at most the first n of es: list fields cut their edges with
// it before loading what the edges point to, so that `first` bounds the
// loading as well as the answer.
func firstEdges(es []lineage.Edge, n int) []lineage.Edge {
	return es[:min(max(n, 0), len(es))]
}

// links answers links (Outgoing) and linkedFrom (Incoming): at most first
// links (lineage.RunEdgeLimit's default and maximum apply).
func (r *Resolver) links(ctx context.Context, obj *model.ArtifactVersion, dir lineage.EdgeDirection, first *int) ([]*model.ArtifactLink, error) {
	n, err := lineage.RunEdgeLimit(first)
	if err != nil {
		return nil, err
	}
	es, err := r.edgesOf(ctx, lineage.VersionNode(obj.Domain), dir, lineage.RelLinksTo)
	if err != nil {
		return nil, err
	}
	// Cut before the versions load, so the bound limits the work too.
	es = firstEdges(es, n)
	vs, err := r.versionsByUID(ctx, farUIDs(es, dir))
	if err != nil {
		return nil, err
	}
	byUID := make(map[string]lineage.Version, len(vs))
	for _, v := range vs {
		byUID[v.UID] = v
	}
	out := make([]*model.ArtifactLink, 0, len(es))
	for i, uid := range farUIDs(es, dir) {
		if v, ok := byUID[uid]; ok {
			out = append(out, &model.ArtifactLink{Relation: es[i].Name, Target: toVersion(v, "")})
		}
	}
	return out, nil
}

// runEdges answers a run's inputs (CONSUMED) and outputs (PRODUCED).
func (r *Resolver) runEdges(ctx context.Context, obj *model.Run, rel lineage.Relation) ([]*model.ArtifactVersion, error) {
	es, err := r.edgesOf(ctx, lineage.RunNode(obj.Domain.Key()), lineage.Outgoing, rel)
	if err != nil {
		return nil, err
	}
	vs, err := r.versionsByUID(ctx, farUIDs(es, lineage.Outgoing))
	return toVersions(vs), err
}

// lineageGraph names nodes by canonical uri or run id, as API.md says.
func (r *Resolver) lineageGraph(ctx context.Context, g lineage.Graph) (*model.LineageGraph, error) {
	var uids []string
	for _, n := range g.Nodes {
		if n.Ref.Type == lineage.NodeArtifact {
			uids = append(uids, n.Ref.UID)
		}
	}
	vs, err := r.versionsByUID(ctx, uids)
	if err != nil {
		return nil, err
	}
	ids := make(map[lineage.NodeRef]string, len(g.Nodes))
	for _, v := range vs {
		ids[lineage.VersionNode(v)] = lineage.CanonicalURI(v, "")
	}
	out := &model.LineageGraph{Nodes: make([]*model.LineageNode, 0, len(g.Nodes)),
		Edges: make([]*model.LineageEdge, 0, len(g.Edges)), Truncated: g.Truncated, Hidden: g.Hidden}
	for _, n := range g.Nodes {
		if n.Ref.Type == lineage.NodeRun {
			ids[n.Ref] = lineage.RunNodeID(lineage.RunKey{Project: n.Ref.Project, UID: n.Ref.UID})
		}
		id, ok := ids[n.Ref]
		if !ok {
			continue // deleted while we looked
		}
		out.Nodes = append(out.Nodes, &model.LineageNode{ID: id, Type: string(n.Ref.Type), Depth: n.Depth, Ref: n.Ref})
	}
	for _, e := range g.Edges {
		from, ok1 := ids[e.From]
		to, ok2 := ids[e.To]
		if ok1 && ok2 {
			out.Edges = append(out.Edges, &model.LineageEdge{From: from, To: to, Relation: string(e.Relation)})
		}
	}
	return out, r.prefetchNodes(ctx, g, vs)
}

// impactLists loads the versions and runs an impact lists, and what the
// query asks of them; a list the query does not ask for is not loaded
// (a query of counts alone reads no listed version).
func (r *Resolver) impactLists(ctx context.Context, im lineage.Impact) ([]lineage.Version, []lineage.Run, error) {
	var vs []lineage.Version
	var rs []lineage.Run
	var err error
	if asked(ctx, "ImpactReport", "artifacts") {
		if vs, err = r.versionsByUID(ctx, im.Versions); err != nil {
			return nil, nil, err
		}
		if err = r.prefetchVersions(ctx, vs, [2]string{"ImpactReport", "artifacts"}); err != nil {
			return nil, nil, err
		}
	}
	if asked(ctx, "ImpactReport", "runs") {
		if rs, err = r.runsByKey(ctx, im.Runs); err != nil {
			return nil, nil, err
		}
		err = r.prefetchRuns(ctx, im.Runs, [2]string{"ImpactReport", "runs"})
	}
	return vs, rs, err
}

// asked tells whether the query asks for field name of the object of type
// typ the field being resolved returns; true outside an operation.
func asked(ctx context.Context, typ, name string) bool {
	if !graphql.HasOperationContext(ctx) {
		return true
	}
	for _, f := range graphql.CollectFields(graphql.GetOperationContext(ctx), fieldSelections(ctx), []string{typ}) {
		if f.Name == name {
			return true
		}
	}
	return false
}

// prefetchNodes loads what the query asks of the nodes' artifacts and runs,
// level by level, before any node's fields resolve.
func (r *Resolver) prefetchNodes(ctx context.Context, g lineage.Graph, vs []lineage.Version) error {
	nodes := [2]string{"LineageGraph", "nodes"}
	if err := r.prefetchVersions(ctx, vs, nodes, [2]string{"LineageNode", "artifact"}); err != nil {
		return err
	}
	var keys []lineage.RunKey
	for _, n := range g.Nodes {
		if n.Ref.Type == lineage.NodeRun {
			keys = append(keys, lineage.RunKey{Project: n.Ref.Project, UID: n.Ref.UID})
		}
	}
	return r.prefetchRuns(ctx, keys, nodes, [2]string{"LineageNode", "run"})
}

// downloadURL is where a version's content is fetched: a signed URL to the
// blob store when configured and possible, else this server's download
// route (with a signed link under --auth token); nil when no blob store here serves its location.
func (r *Resolver) downloadURL(ctx context.Context, v lineage.Version) (*string, error) {
	if !r.Service.CanServe(v) {
		return nil, nil
	}
	if r.SignedURLTTL > 0 {
		u, signed, err := r.Service.SignedURL(ctx, v, r.SignedURLTTL)
		if err != nil {
			return nil, err
		}
		if signed {
			return &u, nil
		}
	}
	u, err := r.ContentURL(ctx, v)
	if err != nil {
		return nil, err
	}
	return &u, nil
}
