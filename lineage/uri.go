package lineage

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// URIScheme starts every store URI.
const URIScheme = "store://"

// TagAll is the tag that, in a URI, names every version of a key (delete uses
// it). It is not a tag a version can hold.
const TagAll = "*"

// Limits of the URI grammar.
const (
	MaxProjectNameLen = 63
	MaxKeyLen         = 253
	MaxTagLen         = 63
	MaxTreeLen        = 64
	MaxUIDLen         = 64

	// MaxURILen is the length of the longest valid URI; anything longer is
	// rejected before it is looked at further.
	MaxURILen = len(URIScheme) + len(PrefixFeatureVectors) + 1 + MaxProjectNameLen + 1 + MaxKeyLen +
		len("#2147483647") + 1 + MaxTagLen + 1 + MaxTreeLen + 1 + MaxUIDLen
)

// URI is a parsed store:// URI:
// store://<prefix>/<project>/<key>[#<iteration>][:<tag>][@<tree>][^<uid>]
type URI struct {
	Prefix    string // one of the Prefix* constants in kind.go
	Project   string
	Key       string
	Iteration *int // nil when absent
	Tag       string
	Tree      string
	UID       string
}

// String formats u back into its URI. For every valid URI s,
// ParseURI(s) followed by String gives s back: the grammar has a single
// spelling for each URI.
func (u URI) String() string {
	var b strings.Builder
	b.Grow(len(URIScheme) + len(u.Prefix) + len(u.Project) + len(u.Key) + len(u.Tag) + len(u.Tree) + len(u.UID) + 20)
	b.WriteString(URIScheme)
	b.WriteString(u.Prefix)
	b.WriteByte('/')
	b.WriteString(u.Project)
	b.WriteByte('/')
	b.WriteString(u.Key)
	if u.Iteration != nil {
		b.WriteByte('#')
		b.WriteString(strconv.Itoa(*u.Iteration))
	}
	if u.Tag != "" {
		b.WriteByte(':')
		b.WriteString(u.Tag)
	}
	if u.Tree != "" {
		b.WriteByte('@')
		b.WriteString(u.Tree)
	}
	if u.UID != "" {
		b.WriteByte('^')
		b.WriteString(u.UID)
	}
	return b.String()
}

// uriMarkers lists the optional parts' markers in the only order they may appear.
const uriMarkers = "#:@^"

var uriPartNames = [...]string{"iteration", "tag", "tree", "uid"}

// ParseURI parses a store URI. Every error is an *Error with code EINVALID
// whose message quotes the input and says what is wrong with it.
func ParseURI(s string) (URI, error) {
	fail := func(format string, args ...any) (URI, error) {
		return URI{}, Errorf(EINVALID, "invalid store URI %s: "+format, append([]any{quoteInput(s)}, args...)...)
	}
	if s == "" {
		return fail("empty; expected store://<prefix>/<project>/<key>[#<iteration>][:<tag>][@<tree>][^<uid>]")
	}
	if len(s) > MaxURILen {
		return fail("longer than %d characters", MaxURILen)
	}
	if !utf8.ValidString(s) {
		return fail("not valid UTF-8")
	}
	if strings.ContainsFunc(s, unicode.IsSpace) {
		return fail("must not contain whitespace")
	}
	if !strings.HasPrefix(s, URIScheme) {
		return fail("must start with %q", URIScheme)
	}
	rest := s[len(URIScheme):]

	// <prefix>/<project>/<tail>: the tail is the key and its optional parts,
	// none of which may contain '/'.
	segs := strings.SplitN(rest, "/", 3)
	if segs[0] == "" {
		return fail("missing prefix (one of %s)", prefixList())
	}
	if !validPrefix(segs[0]) {
		return fail("unknown prefix %s (want one of %s)", quoteInput(segs[0]), prefixList())
	}
	if len(segs) < 2 || segs[1] == "" {
		return fail("missing project")
	}
	if p := projectProblem(segs[1]); p != "" {
		return fail("project %s %s", quoteInput(segs[1]), p)
	}
	if len(segs) < 3 {
		return fail("missing key")
	}
	tail := segs[2]
	if strings.HasSuffix(tail, "/") && tail != "/" {
		return fail("must not end with '/'")
	}
	if strings.Contains(tail, "/") {
		if strings.HasPrefix(tail, "/") {
			return fail("missing key")
		}
		return fail("too many path segments (keys must not contain '/')")
	}
	if strings.Contains(tail, "?") {
		return fail("must not contain a query string")
	}

	u := URI{Prefix: segs[0], Project: segs[1]}

	// Key, then the optional parts, each introduced by its marker.
	i := strings.IndexAny(tail, uriMarkers)
	if i < 0 {
		i = len(tail)
	}
	u.Key = tail[:i]
	if u.Key == "" {
		return fail("missing key")
	}
	if p := keyProblem(u.Key); p != "" {
		return fail("key %s %s", quoteInput(u.Key), p)
	}
	last := -1 // index in uriMarkers of the last part seen
	for rem := tail[i:]; rem != ""; {
		m := strings.IndexByte(uriMarkers, rem[0])
		end := strings.IndexAny(rem[1:], uriMarkers)
		if end < 0 {
			end = len(rem) - 1
		}
		val := rem[1 : 1+end]
		rem = rem[1+end:]
		name := uriPartNames[m]
		switch {
		case m == last:
			return fail("%s (%q) given more than once", name, uriMarkers[m:m+1])
		case m < last:
			return fail("%s (%q) must come before %s (%q); the order is [#<iteration>][:<tag>][@<tree>][^<uid>]",
				name, uriMarkers[m:m+1], uriPartNames[last], uriMarkers[last:last+1])
		case val == "":
			return fail("empty %s after %q", name, uriMarkers[m:m+1])
		}
		last = m
		switch m {
		case 0:
			n, p := parseIteration(val)
			if p != "" {
				return fail("iteration %s %s", quoteInput(val), p)
			}
			u.Iteration = &n
		case 1:
			if val != TagAll {
				if p := tagProblem(val); p != "" {
					return fail("tag %s %s", quoteInput(val), p)
				}
			}
			u.Tag = val
		case 2:
			if p := idProblem(val, MaxTreeLen); p != "" {
				return fail("tree %s %s", quoteInput(val), p)
			}
			u.Tree = val
		case 3:
			if p := idProblem(val, MaxUIDLen); p != "" {
				return fail("uid %s %s", quoteInput(val), p)
			}
			u.UID = val
		}
	}
	return u, nil
}

// CanonicalURI is v's canonical URI (API.md): v's kind's prefix, project, key,
// "#<iteration>" when the iteration is not 0, ":<askedTag>" when askedTag is
// set and v holds it (else ":latest" when v holds latest, else no tag),
// "@<tree>" when v has one, "^<uid>".
func CanonicalURI(v Version, askedTag string) string {
	u := URI{Prefix: v.Kind.Prefix(), Project: v.Project, Key: v.Key, Tree: v.Tree, UID: v.UID}
	if v.Iteration != 0 {
		it := v.Iteration
		u.Iteration = &it
	}
	switch {
	case askedTag != "" && v.HasTag(askedTag):
		u.Tag = askedTag
	case v.HasTag(TagLatest):
		u.Tag = TagLatest
	}
	return u.String()
}

func parseIteration(s string) (int, string) {
	if !iterationRE.MatchString(s) {
		return 0, "must be a non-negative decimal integer without sign or leading zeros"
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, "is too large"
	}
	return int(n), ""
}

// prefixList names the known prefixes for error messages.
func prefixList() string {
	return strings.Join([]string{PrefixArtifacts, PrefixModels, PrefixDatasets, PrefixDocuments,
		PrefixFeatureSets, PrefixFeatureVectors}, ", ")
}

// maxQuoted bounds how much of an input an error message repeats.
const maxQuoted = 300

// quoteInput quotes s for an error message, cutting very long inputs short.
func quoteInput(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}
