package resolvers

import (
	"encoding/json"

	"github.com/artigraph/artigraph/graph/model"
	"github.com/artigraph/artigraph/lineage"
)

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func derefString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func toLabels(ls []lineage.Label) []*model.Label {
	out := make([]*model.Label, 0, len(ls))
	for _, l := range ls {
		out = append(out, &model.Label{Key: l.Key, Value: l.Value})
	}
	return out
}

func fromLabels(ls []*model.LabelInput) []lineage.Label {
	var out []lineage.Label
	for _, l := range ls {
		out = append(out, lineage.Label{Key: l.Key, Value: l.Value})
	}
	return out
}

func toProject(p lineage.Project) *model.Project {
	return &model.Project{Name: p.Name, Description: optString(p.Description),
		ArtifactPath: optString(p.ArtifactPath), Labels: toLabels(p.Labels), CreatedAt: p.CreatedAt}
}

func toRun(r lineage.Run) *model.Run {
	m := &model.Run{Project: r.Project, UID: r.UID, Name: r.Name, State: model.RunState(r.State),
		StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, ArtifactPath: r.ArtifactPath,
		Labels: toLabels(r.Labels), Domain: r}
	if r.User != "" {
		m.User = &model.User{Name: r.User}
	}
	if r.Pipeline != "" {
		m.Pipeline = &model.Pipeline{Project: r.Project, ID: r.Pipeline}
	}
	return m
}

func toRuns(rs []lineage.Run) []*model.Run {
	out := make([]*model.Run, 0, len(rs))
	for _, r := range rs {
		out = append(out, toRun(r))
	}
	return out
}

// toVersion converts a version; askedTag is the tag the caller named, which
// the canonical uri carries.
func toVersion(v lineage.Version, askedTag string) *model.ArtifactVersion {
	m := &model.ArtifactVersion{
		URI: lineage.CanonicalURI(v, askedTag), Project: v.Project, Key: v.Key, Kind: model.ArtifactKind(v.Kind),
		UID: v.UID, Iteration: v.Iteration, Tree: optString(v.Tree), Tags: append([]string{}, v.Tags...),
		Labels: toLabels(v.Labels), Description: optString(v.Description),
		CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt, TargetPath: v.TargetPath, Format: optString(v.Format),
		Hash: optString(v.Hash), ExternalSources: append([]string{}, v.ExternalSources...),
		Producer: &model.Producer{Kind: v.Producer.Kind, Name: v.Producer.Name,
			URI: optString(v.Producer.URI), Owner: optString(v.Producer.Owner)},
		Extra:  v.Extra,
		Domain: v,
	}
	if v.Size != nil {
		n := int(*v.Size)
		m.Size = &n
	}
	if v.Owner != "" {
		m.Owner = &model.User{Name: v.Owner}
	}
	if d := v.Dataset; d != nil {
		m.Dataset = &model.DatasetInfo{Schema: d.Schema, Header: d.Header, Length: d.Length,
			Preview: previewToJSON(d.Preview), Stats: d.Stats}
	}
	if mi := v.Model; mi != nil {
		m.Model = &model.ModelInfo{ModelFile: optString(mi.ModelFile), Framework: optString(mi.Framework),
			Algorithm: optString(mi.Algorithm), Metrics: mi.Metrics, Parameters: mi.Parameters,
			FeatureVector: optString(mi.FeatureVector)}
	}
	return m
}

func toVersions(vs []lineage.Version) []*model.ArtifactVersion {
	out := make([]*model.ArtifactVersion, 0, len(vs))
	for _, v := range vs {
		out = append(out, toVersion(v, ""))
	}
	return out
}

func previewToJSON(rows [][]any) [][]json.RawMessage {
	if rows == nil {
		return nil
	}
	out := make([][]json.RawMessage, len(rows))
	for i, row := range rows {
		out[i] = make([]json.RawMessage, len(row))
		for j, cell := range row {
			out[i][j], _ = json.Marshal(cell)
		}
	}
	return out
}

func previewFromJSON(rows [][]json.RawMessage) [][]any {
	if rows == nil {
		return nil
	}
	out := make([][]any, len(rows))
	for i, row := range rows {
		out[i] = make([]any, len(row))
		for j, cell := range row {
			_ = json.Unmarshal(cell, &out[i][j])
		}
	}
	return out
}

func fromDataset(d *model.DatasetInput) *lineage.DatasetInfo {
	if d == nil {
		return nil
	}
	return &lineage.DatasetInfo{Schema: d.Schema, Header: d.Header, Length: d.Length,
		Preview: previewFromJSON(d.Preview), Stats: d.Stats}
}

func fromModel(m *model.ModelInput) *lineage.ModelInfo {
	if m == nil {
		return nil
	}
	return &lineage.ModelInfo{ModelFile: derefString(m.ModelFile), Framework: derefString(m.Framework),
		Algorithm: derefString(m.Algorithm), Metrics: m.Metrics, Parameters: m.Parameters,
		FeatureVector: derefString(m.FeatureVector)}
}

func fromFilter(f *model.ArtifactFilter) lineage.VersionFilter {
	if f == nil {
		return lineage.VersionFilter{}
	}
	out := lineage.VersionFilter{Key: derefString(f.Key), KeyContains: derefString(f.KeyContains),
		Tag: derefString(f.Tag), Labels: f.Labels, Since: f.Since, Until: f.Until,
		Producer: derefString(f.Producer), Owner: derefString(f.Owner)}
	if f.Kind != nil {
		out.Kind = lineage.Kind(*f.Kind)
	}
	return out
}

func page(first *int, after *string) lineage.Page {
	p := lineage.Page{After: derefString(after)}
	if first != nil {
		p.First = *first
	}
	return p
}

func logRequest(input model.LogArtifactInput) lineage.LogRequest {
	req := lineage.LogRequest{
		Project: input.Project, Key: input.Key, Kind: lineage.Kind(input.Kind), RunUID: derefString(input.RunUID),
		Tag: derefString(input.Tag), Labels: fromLabels(input.Labels), Description: derefString(input.Description),
		Sources: input.Sources, ArtifactPath: derefString(input.ArtifactPath), TargetPath: derefString(input.TargetPath),
		Body: input.Body, Format: derefString(input.Format), Dataset: fromDataset(input.Dataset),
		Model: fromModel(input.Model), Extra: input.Extra,
	}
	if input.Iteration != nil {
		req.Iteration = *input.Iteration
	}
	for _, l := range input.Links {
		req.Links = append(req.Links, lineage.LinkRequest{Relation: l.Relation, URI: l.URI})
	}
	return req
}

// toTokenInfo shows a token without its secret or hash. A token without a
// creation time (the --admin-token, which no store records) shows the
// server's start instead.
func (r *Resolver) toTokenInfo(t lineage.Token) *model.TokenInfo {
	created := t.CreatedAt
	if created.IsZero() {
		created = r.Started
	}
	projects := t.Projects
	if projects == nil {
		projects = []string{}
	}
	return &model.TokenInfo{ID: t.ID, Name: t.Name, Role: model.Role(t.Role), Projects: projects,
		CreatedAt: created, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt}
}

func toImpactCounts(c lineage.ImpactCounts) *model.ImpactCounts {
	out := &model.ImpactCounts{Artifacts: c.Artifacts, Runs: c.Runs, Pipelines: c.Pipelines, Hidden: c.Hidden,
		Complete: c.Complete, ArtifactsByKind: []*model.ImpactKindCount{}, ByDepth: []*model.ImpactDepthCount{}}
	for _, k := range c.ByKind {
		out.ArtifactsByKind = append(out.ArtifactsByKind, &model.ImpactKindCount{Kind: model.ArtifactKind(k.Kind), Count: k.Count})
	}
	for _, d := range c.ByDepth {
		out.ByDepth = append(out.ByDepth, &model.ImpactDepthCount{Depth: d.Depth, Artifacts: d.Artifacts, Runs: d.Runs})
	}
	return out
}
