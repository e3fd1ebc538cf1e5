package lineage

import (
	"cmp"
	"slices"
)

// The rules below are the ones every Store applies the same way; they are
// written here once, so that the stores keep only what storage alone can
// check: existence, uniqueness and atomicity.

// Dedupe returns ss without empty strings and repeats, in first-seen order.
// The result is never nil, so that a store can pass it on as a list.
func Dedupe(ss []string) []string {
	out := []string{}
	seen := make(map[string]bool, len(ss))
	for _, s := range ss {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Validate checks the fields a version must have to be stored: a uid, a
// project, a key and a known kind. The links of a new version are checked
// with Link.Validate.
func (w VersionWrite) Validate() error {
	v := w.Version
	switch {
	case v.UID == "" || v.Project == "" || v.Key == "":
		return Errorf(EINVALID, "an artifact version needs a uid, a project and a key")
	case !v.Kind.Valid():
		return Errorf(EINVALID, "unknown artifact kind %q", v.Kind)
	}
	return nil
}

// CheckBatch refuses a PutVersions batch that writes one (project, key,
// iteration) twice, or holds an invalid write; it names the write at fault.
func CheckBatch(ws []VersionWrite) error {
	type slot struct {
		project, key string
		iteration    int
	}
	seen := make(map[slot]int, len(ws))
	for i, w := range ws {
		err := w.Validate()
		for _, l := range w.Links {
			err = cmp.Or(err, l.Validate())
		}
		if err != nil {
			return Errorf(EINVALID, "writes[%d]: %v", i, err)
		}
		k := slot{w.Version.Project, w.Version.Key, w.Version.Iteration}
		if j, dup := seen[k]; dup {
			return Errorf(EINVALID, "writes[%d]: key %q (iteration %d) is written twice in one batch, also at %d", i, k.key, k.iteration, j)
		}
		seen[k] = i
	}
	return nil
}

// TagsHeld returns the tags a newly written version ends up holding:
// "latest", the tags of w.Version and w.Tags, each once, in that order. Tags
// in w.Version are applied like w.Tags, so that a tag is never held twice.
func (w VersionWrite) TagsHeld() []string {
	return Dedupe(slices.Concat([]string{TagLatest}, w.Version.Tags, w.Tags))
}

// Validate checks that a link names its relation.
func (l Link) Validate() error {
	if l.Relation == "" {
		return Errorf(EINVALID, "a link needs a relation")
	}
	return nil
}

// CheckTag checks that a tag to give or remove is named.
func CheckTag(tag string) error {
	if tag == "" {
		return Errorf(EINVALID, "a tag must not be empty")
	}
	return nil
}

// Validate checks what a project says about itself: its name, labels and
// description. Its artifact path is checked by the Service, against the
// blob roots.
func (p Project) Validate() error {
	if err := ValidateProjectName(p.Name); err != nil {
		return err
	}
	if err := validateLabels(p.Labels); err != nil {
		return err
	}
	return validateDescription(p.Description)
}

// Validate checks that a run to create has a project, a uid and, if any, a
// known state.
func (r Run) Validate() error {
	if r.Project == "" || r.UID == "" {
		return Errorf(EINVALID, "a run needs a project and a uid")
	}
	if r.State != "" {
		return r.State.Validate()
	}
	return nil
}

// Validate checks that s is a known run state.
func (s RunState) Validate() error {
	if !s.Valid() {
		return Errorf(EINVALID, "unknown run state %q", s)
	}
	return nil
}

// Validate checks a page request: First is not negative and After is a
// cursor made by Cursor.Encode, or empty.
func (p Page) Validate() error {
	_, err := p.Cursor()
	return err
}

// Cursor checks a page request as Validate does and returns its decoded
// After; the zero Cursor starts from the top.
func (p Page) Cursor() (Cursor, error) {
	if p.First < 0 {
		return Cursor{}, errNegativeFirst()
	}
	return DecodeCursor(p.After)
}

func errNegativeFirst() error {
	return Errorf(EINVALID, "first must not be negative")
}

// Validate checks that d is Outgoing or Incoming.
func (d EdgeDirection) Validate() error {
	if d != Outgoing && d != Incoming {
		return Errorf(EINVALID, "unknown edge direction %d", d)
	}
	return nil
}

// VersionCursor is the keyset position of v in a list of versions, ordered
// by (UpdatedAt desc, UID desc).
func VersionCursor(v Version) Cursor { return Cursor{Time: v.UpdatedAt, UID: v.UID} }

// RunCursor is the keyset position of r in a list of runs, ordered by
// (StartedAt desc, UID desc).
func RunCursor(r Run) Cursor { return Cursor{Time: r.StartedAt, UID: r.UID} }

// VersionNotFound is the error for a version uid that is not stored.
func VersionNotFound(uid string) error {
	return Errorf(ENOTFOUND, "artifact version %q not found", uid)
}

// RunNotFound is the error for a run key that is not stored.
func RunNotFound(k RunKey) error {
	return Errorf(ENOTFOUND, "run %s/%s not found", k.Project, k.UID)
}

// RunExists is the error for creating a run whose key is stored.
func RunExists(k RunKey) error {
	return Errorf(ECONFLICT, "run %s/%s already exists", k.Project, k.UID)
}

// ProjectNotFound is the error for a project name that is not stored.
func ProjectNotFound(name string) error {
	return Errorf(ENOTFOUND, "project %q not found", name)
}
