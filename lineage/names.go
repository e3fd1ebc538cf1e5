package lineage

import (
	"regexp"
	"strconv"
	"strings"
)

// The grammar of names. Every name a client gives (projects, keys, tags,
// trees, uids, run names, pipelines, relations, formats) is checked against
// one of these, here, before anything else looks at it.
var (
	projectRE   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	keyRE       = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
	tagRE       = keyRE
	idRE        = regexp.MustCompile(`^[A-Za-z0-9][-A-Za-z0-9_]*$`) // tree and uid
	iterationRE = regexp.MustCompile(`^(0|[1-9][0-9]*)$`)
	nameRe      = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]{0,126}[A-Za-z0-9])?$`) // run names and uids, pipelines, relations
	formatRe    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$`)
)

// ValidateProjectName checks a project name: 1-63 lowercase letters, digits
// and '-', starting and ending with a letter or digit (a DNS-1123 label).
func ValidateProjectName(name string) error {
	if p := projectProblem(name); p != "" {
		return Errorf(EINVALID, "invalid project name %s: %s", quoteInput(name), p)
	}
	return nil
}

// ValidateKey checks an artifact key: 1-253 letters, digits, '-', '_' and
// '.', starting and ending with a letter or digit (MLRun's artifact_key).
// Inner dots are fine ("a..b" is a key, and a safe file name); "." and ".."
// are never keys, so a key used as a path segment cannot name a directory.
func ValidateKey(key string) error {
	if p := keyProblem(key); p != "" {
		return Errorf(EINVALID, "invalid artifact key %s: %s", quoteInput(key), p)
	}
	return nil
}

// ValidateTag checks a tag a version may hold: 1-63 letters, digits, '-',
// '_' and '.', starting and ending with a letter or digit. "*" is valid in a
// URI (it names every version) but is not a tag, so it is rejected here.
func ValidateTag(tag string) error {
	if tag == TagAll {
		return Errorf(EINVALID, "invalid tag %q: %q is reserved (in a URI it names every version)", tag, TagAll)
	}
	if p := tagProblem(tag); p != "" {
		return Errorf(EINVALID, "invalid tag %s: %s", quoteInput(tag), p)
	}
	return nil
}

func projectProblem(name string) string {
	switch {
	case name == "":
		return "must not be empty"
	case len(name) > MaxProjectNameLen:
		return "is longer than " + strconv.Itoa(MaxProjectNameLen) + " characters"
	case !projectRE.MatchString(name):
		return "must be lowercase letters, digits and '-', starting and ending with a letter or digit"
	}
	return ""
}

func keyProblem(key string) string {
	switch {
	case key == "":
		return "must not be empty"
	case len(key) > MaxKeyLen:
		return "is longer than " + strconv.Itoa(MaxKeyLen) + " characters"
	case strings.Contains(key, "/"):
		return "must not contain '/'"
	case key == "." || key == "..":
		return "must not be \".\" or \"..\""
	case !keyRE.MatchString(key):
		return "must be letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
	}
	return ""
}

func tagProblem(tag string) string {
	switch {
	case tag == "":
		return "must not be empty"
	case len(tag) > MaxTagLen:
		return "is longer than " + strconv.Itoa(MaxTagLen) + " characters"
	case !tagRE.MatchString(tag):
		return "must be letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
	}
	return ""
}

func idProblem(id string, limit int) string {
	switch {
	case len(id) > limit:
		return "is longer than " + strconv.Itoa(limit) + " characters"
	case !idRE.MatchString(id):
		return "must be letters, digits, '-' and '_', starting with a letter or digit"
	}
	return ""
}

func validateName(what, s string) error {
	if !nameRe.MatchString(s) || strings.Contains(s, "..") {
		return Errorf(EINVALID, "invalid %s %q: use letters, digits, '-', '_' and '.', starting and ending with a letter or digit", what, s)
	}
	return nil
}
