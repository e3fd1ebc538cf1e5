package embedded

import (
	"github.com/artigraph/artigraph/lineage"
)

// versionList is a list of versions ordered by (UpdatedAt, UID).
type versionList = ordered[*lineage.Version]

// labelKV is a label key with a value: the index of the filter "k=v".
type labelKV struct{ key, value string }

// projectIndex orders one project's versions and runs. Besides the list of
// every version there is one list per value of each field a filter selects
// exactly: key, tree, tag, label key and label key=value. A version is in
// each list its fields name.
type projectIndex struct {
	all        versionList
	byKey      map[string]*versionList
	byTree     map[string]*versionList
	byTag      map[string]*versionList
	byLabel    map[labelKV]*versionList
	byLabelKey map[string]*versionList

	runs ordered[*lineage.Run] // by (StartedAt, UID)
}

func newProjectIndex() *projectIndex {
	return &projectIndex{
		byKey:      map[string]*versionList{},
		byTree:     map[string]*versionList{},
		byTag:      map[string]*versionList{},
		byLabel:    map[labelKV]*versionList{},
		byLabelKey: map[string]*versionList{},
	}
}

func versionPosition(v *lineage.Version) position {
	return position{t: nanos(v.UpdatedAt), uid: v.UID}
}

func runPosition(r *lineage.Run) position {
	return position{t: nanos(r.StartedAt), uid: r.UID}
}

// indexedLabels returns the labels a label filter can match: the first label
// of each key, as lineage.LabelSelector.Matches reads them.
func indexedLabels(ls []lineage.Label) []lineage.Label {
	var out []lineage.Label
	seen := map[string]bool{}
	for _, l := range ls {
		if l.Key != "" && !seen[l.Key] {
			seen[l.Key] = true
			out = append(out, l)
		}
	}
	return out
}

func (x *projectIndex) add(v *lineage.Version) {
	it := item[*lineage.Version]{position: versionPosition(v), val: v}
	x.all.insert(it)
	addTo(x.byKey, v.Key, it)
	if v.Tree != "" {
		addTo(x.byTree, v.Tree, it)
	}
	for _, t := range v.Tags {
		addTo(x.byTag, t, it)
	}
	for _, l := range indexedLabels(v.Labels) {
		addTo(x.byLabelKey, l.Key, it)
		if l.Value != nil {
			addTo(x.byLabel, labelKV{l.Key, *l.Value}, it)
		}
	}
}

// remove takes v out of every list; v must still have the fields it was
// added with.
func (x *projectIndex) remove(v *lineage.Version) {
	p := versionPosition(v)
	x.all.remove(p)
	removeFrom(x.byKey, v.Key, p)
	if v.Tree != "" {
		removeFrom(x.byTree, v.Tree, p)
	}
	for _, t := range v.Tags {
		removeFrom(x.byTag, t, p)
	}
	for _, l := range indexedLabels(v.Labels) {
		removeFrom(x.byLabelKey, l.Key, p)
		if l.Value != nil {
			removeFrom(x.byLabel, labelKV{l.Key, *l.Value}, p)
		}
	}
}

// empty reports whether the project has neither versions nor runs.
func (x *projectIndex) empty() bool {
	return x.all.Len() == 0 && x.runs.Len() == 0
}

func addTo[K comparable](m map[K]*versionList, k K, it item[*lineage.Version]) {
	l := m[k]
	if l == nil {
		l = &versionList{}
		m[k] = l
	}
	l.insert(it)
}

func removeFrom[K comparable](m map[K]*versionList, k K, p position) {
	if l := m[k]; l != nil {
		l.remove(p)
		if l.Len() == 0 {
			delete(m, k)
		}
	}
}
