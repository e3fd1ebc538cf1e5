package lineage

import (
	"strings"
)

// LabelSelector is one parsed label filter: "k=v" or "k".
type LabelSelector struct {
	Key      string
	Value    string
	HasValue bool
}

// ParseLabelSelector parses "k=v" or "k"; the key must not be empty.
func ParseLabelSelector(s string) (LabelSelector, error) {
	k, v, hasValue := strings.Cut(s, "=")
	k = strings.TrimSpace(k)
	if k == "" {
		return LabelSelector{}, Errorf(EINVALID, "label filter %q: empty key", s)
	}
	return LabelSelector{Key: k, Value: v, HasValue: hasValue}, nil
}

// Matches reports whether labels satisfy the selector.
func (sel LabelSelector) Matches(labels []Label) bool {
	for _, l := range labels {
		if l.Key != sel.Key {
			continue
		}
		if !sel.HasValue {
			return true
		}
		return l.Value != nil && *l.Value == sel.Value
	}
	return false
}

// Validate checks the filter's values.
func (f VersionFilter) Validate() error {
	if f.Kind != "" && !f.Kind.Valid() {
		return Errorf(EINVALID, "unknown kind %q", f.Kind)
	}
	for _, s := range f.Labels {
		if _, err := ParseLabelSelector(s); err != nil {
			return err
		}
	}
	if f.Since != nil && f.Until != nil && f.Until.Before(*f.Since) {
		return Errorf(EINVALID, "until is before since")
	}
	return nil
}

// Match reports whether v passes every set field of f (v's project aside).
// It defines the filter's semantics; KeyContains is case-insensitive.
func (f VersionFilter) Match(v Version) bool {
	switch {
	case f.Kind != "" && v.Kind != f.Kind,
		f.Key != "" && v.Key != f.Key,
		f.KeyContains != "" && !strings.Contains(strings.ToLower(v.Key), strings.ToLower(f.KeyContains)),
		f.Tag != "" && !v.HasTag(f.Tag),
		f.Since != nil && v.UpdatedAt.Before(*f.Since),
		f.Until != nil && v.UpdatedAt.After(*f.Until),
		f.Producer != "" && v.Producer.Name != f.Producer && v.Producer.URI != f.Producer,
		f.Owner != "" && v.Owner != f.Owner,
		f.Iteration != nil && v.Iteration != *f.Iteration,
		f.Tree != "" && v.Tree != f.Tree,
		f.TargetPath != "" && v.TargetPath != f.TargetPath:
		return false
	}
	for _, s := range f.Labels {
		sel, err := ParseLabelSelector(s)
		if err != nil || !sel.Matches(v.Labels) {
			return false
		}
	}
	return true
}
