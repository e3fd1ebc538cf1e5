package embedded

import (
	"encoding/json"
	"slices"

	"github.com/artigraph/artigraph/lineage"
)

// The store hands out deep copies, so that no caller can change what it
// holds through a slice, map or pointer of a returned value.

func cloneProject(p *lineage.Project) lineage.Project {
	c := *p
	c.Labels = cloneLabels(p.Labels)
	return c
}

func cloneRun(r *lineage.Run) lineage.Run {
	c := *r
	c.Labels = cloneLabels(r.Labels)
	c.FinishedAt = clonePtr(r.FinishedAt)
	return c
}

func cloneVersion(v *lineage.Version) lineage.Version {
	c := *v
	c.Tags = slices.Clone(v.Tags)
	c.Labels = cloneLabels(v.Labels)
	c.Size = clonePtr(v.Size)
	c.Run = clonePtr(v.Run)
	c.ExternalSources = slices.Clone(v.ExternalSources)
	if v.Dataset != nil {
		d := *v.Dataset
		d.Schema = cloneRaw(d.Schema)
		d.Header = slices.Clone(d.Header)
		d.Length = clonePtr(d.Length)
		if d.Preview != nil {
			d.Preview = make([][]any, len(v.Dataset.Preview))
			for i, row := range v.Dataset.Preview {
				d.Preview[i] = cloneAny(row).([]any)
			}
		}
		d.Stats = cloneRaw(d.Stats)
		c.Dataset = &d
	}
	if v.Model != nil {
		m := *v.Model
		m.Metrics = cloneRaw(m.Metrics)
		m.Parameters = cloneRaw(m.Parameters)
		c.Model = &m
	}
	c.Extra = cloneRaw(v.Extra)
	return c
}

func cloneLabels(ls []lineage.Label) []lineage.Label {
	if ls == nil {
		return nil
	}
	c := make([]lineage.Label, len(ls))
	for i, l := range ls {
		c[i] = lineage.Label{Key: l.Key, Value: clonePtr(l.Value)}
	}
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

func cloneRaw(m json.RawMessage) json.RawMessage {
	if m == nil {
		return nil
	}
	return slices.Clone(m)
}

// cloneAny copies a value decoded from JSON: maps and slices deeply, the rest
// (strings, numbers, booleans, nil) being immutable.
func cloneAny(v any) any {
	switch v := v.(type) {
	case []any:
		if v == nil {
			return v
		}
		c := make([]any, len(v))
		for i, e := range v {
			c[i] = cloneAny(e)
		}
		return c
	case map[string]any:
		if v == nil {
			return v
		}
		c := make(map[string]any, len(v))
		for k, e := range v {
			c[k] = cloneAny(e)
		}
		return c
	}
	return v
}
