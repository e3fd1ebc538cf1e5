package embedded

import (
	"slices"

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

	// Each version's slot, and the slots of each label list (slots.go).
	slots         map[*lineage.Version]uint32
	slotAlloc     slotAllocator
	labelSlots    map[labelKV]*slotSet
	labelKeySlots map[string]*slotSet
}

func newProjectIndex() *projectIndex {
	return &projectIndex{
		byKey:      map[string]*versionList{},
		byTree:     map[string]*versionList{},
		byTag:      map[string]*versionList{},
		byLabel:    map[labelKV]*versionList{},
		byLabelKey: map[string]*versionList{},

		slots:         map[*lineage.Version]uint32{},
		labelSlots:    map[labelKV]*slotSet{},
		labelKeySlots: map[string]*slotSet{},
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
	slot := x.slotAlloc.take()
	x.slots[v] = slot
	for _, l := range indexedLabels(v.Labels) {
		addTo(x.byLabelKey, l.Key, it)
		addSlot(x.labelKeySlots, l.Key, slot)
		if l.Value != nil {
			addTo(x.byLabel, labelKV{l.Key, *l.Value}, it)
			addSlot(x.labelSlots, labelKV{l.Key, *l.Value}, slot)
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
	slot, ok := x.slots[v]
	if ok {
		delete(x.slots, v)
		x.slotAlloc.give(slot)
	}
	for _, l := range indexedLabels(v.Labels) {
		removeFrom(x.byLabelKey, l.Key, p)
		if l.Value != nil {
			removeFrom(x.byLabel, labelKV{l.Key, *l.Value}, p)
		}
		if ok {
			removeSlot(x.labelKeySlots, l.Key, slot)
			if l.Value != nil {
				removeSlot(x.labelSlots, labelKV{l.Key, *l.Value}, slot)
			}
		}
	}
}

// labelQuery is a filter of two or more labels and nothing else, answered
// by slot sets: the total by intersecting them, the page by walking the
// shortest label list and testing each version's slot in the other sets.
type labelQuery struct {
	x      *projectIndex
	lead   *versionList // nil: nothing matches
	sets   []*slotSet   // every label's
	others []*slotSet   // the labels' but lead's
}

// labelQuery returns f's labelQuery; ok is false for another filter.
func (x *projectIndex) labelQuery(f lineage.VersionFilter) (q labelQuery, ok bool) {
	labels := f.Labels
	f.Labels = nil
	if len(labels) < 2 || !isZero(f) {
		return labelQuery{}, false
	}
	q.x = x
	var lists []*versionList
	for _, s := range labels {
		sel, _ := lineage.ParseLabelSelector(s) // valid: f passed Validate
		list, set := x.byLabelKey[sel.Key], x.labelKeySlots[sel.Key]
		if sel.HasValue {
			kv := labelKV{sel.Key, sel.Value}
			list, set = x.byLabel[kv], x.labelSlots[kv]
		}
		if list == nil || set == nil {
			return labelQuery{}, true
		}
		lists, q.sets = append(lists, list), append(q.sets, set)
	}
	lead := 0
	for i, l := range lists {
		if l.Len() < lists[lead].Len() {
			lead = i
		}
	}
	q.lead = lists[lead]
	q.others = append(slices.Clone(q.sets[:lead]), q.sets[lead+1:]...)
	return q, true
}

// total counts the versions every label holds.
func (q labelQuery) total() int {
	if q.lead == nil {
		return 0
	}
	return intersectionSize(q.sets)
}

// matches reports whether every other label holds v.
func (q labelQuery) matches(v *lineage.Version) bool {
	slot := q.x.slots[v]
	for _, set := range q.others {
		if !set.has(slot) {
			return false
		}
	}
	return true
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

func addSlot[K comparable](m map[K]*slotSet, k K, slot uint32) {
	set := m[k]
	if set == nil {
		set = &slotSet{}
		m[k] = set
	}
	set.add(slot)
}

func removeSlot[K comparable](m map[K]*slotSet, k K, slot uint32) {
	if set := m[k]; set != nil {
		if set.remove(slot); len(set.chunks) == 0 {
			delete(m, k)
		}
	}
}
