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

	// MaxURILen is the length of the longest valid URI (one in the artifact
	// grammar with the longest of its prefixes and every part; the object
	// grammar's longest is shorter); anything longer is rejected before it
	// is looked at further.
	MaxURILen = len(URIScheme) + len(PrefixArtifacts) + 1 + MaxProjectNameLen + 1 + MaxKeyLen +
		len("#2147483647") + 1 + MaxTagLen + 1 + MaxTreeLen + 1 + MaxUIDLen
)

// URI is a parsed store:// URI. Artifacts, models, datasets and documents
// take MLRun's artifact grammar:
//
//	store://[<prefix>/]<project>/<key>[#<iteration>][:<tag>][@<tree>][^<uid>]
//
// where a URI without a prefix (store://<project>/<key>…) names artifacts, as
// MLRun's parse_store_uri reads it. Feature sets and feature vectors take
// MLRun's object grammar (parse_versioned_object_uri), where '@' introduces
// the uid and there is no iteration or tree:
//
//	store://feature-sets/<project>/<name>[:<tag>][@<uid>]
//
// (the tag and uid parts are accepted in either order).
//
// When UID is set it alone decides which version the URI names; Tag and Tree
// beside it are informative, not filters.
type URI struct {
	Prefix    string // one of the Prefix* constants in kind.go; PrefixArtifacts when the URI has none
	Project   string
	Key       string
	Iteration *int // nil when absent; always nil in the object grammar
	Tag       string
	Tree      string // always empty in the object grammar
	UID       string
}

// ObjectGrammar reports whether URIs with prefix p take MLRun's object
// grammar (<name>[:<tag>][@<uid>]) rather than the artifact grammar.
func ObjectGrammar(p string) bool {
	return p == PrefixFeatureSets || p == PrefixFeatureVectors
}

// String formats u into its canonical spelling: always with its prefix
// (PrefixArtifacts when Prefix is empty), the parts in the artifact grammar's
// order, and, in the object grammar, "@<uid>" before ":<tag>" (the order in
// which MLRun's parse_versioned_object_uri reads both; it reads
// "<name>:<tag>@<uid>" as the single tag "<tag>@<uid>"). Iteration and Tree
// are not written in the object grammar, which has no place for them. For
// every valid URI s, ParseURI(String(ParseURI(s))) is ParseURI(s), and
// String(ParseURI(s)) is s itself unless s is spelled without its prefix or
// with an object URI's tag before its uid.
func (u URI) String() string {
	prefix := u.Prefix
	if prefix == "" {
		prefix = PrefixArtifacts
	}
	var b strings.Builder
	b.Grow(len(URIScheme) + len(prefix) + len(u.Project) + len(u.Key) + len(u.Tag) + len(u.Tree) + len(u.UID) + 20)
	b.WriteString(URIScheme)
	b.WriteString(prefix)
	b.WriteByte('/')
	b.WriteString(u.Project)
	b.WriteByte('/')
	b.WriteString(u.Key)
	if ObjectGrammar(prefix) {
		if u.UID != "" {
			b.WriteByte('@')
			b.WriteString(u.UID)
		}
		if u.Tag != "" {
			b.WriteByte(':')
			b.WriteString(u.Tag)
		}
		return b.String()
	}
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

// uriMarkers lists the optional parts' markers in the only order they may
// appear in the artifact grammar.
const uriMarkers = "#:@^"

var uriPartNames = [...]string{"iteration", "tag", "tree", "uid"}

// ParseURI parses a store URI. Every error is an *Error with code EINVALID
// whose message quotes the input and says what is wrong with it.
func ParseURI(s string) (URI, error) {
	fail := func(format string, args ...any) (URI, error) {
		return URI{}, Errorf(EINVALID, "invalid store URI %s: "+format, append([]any{quoteInput(s)}, args...)...)
	}
	if s == "" {
		return fail("empty; expected store://[<prefix>/]<project>/<key>[#<iteration>][:<tag>][@<tree>][^<uid>]")
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

	// [<prefix>/]<project>/<tail>: the tail is the key and its optional parts,
	// none of which may contain '/'. As in MLRun's parse_store_uri, a first
	// segment that is a known prefix is the prefix; otherwise a URI of two
	// segments is <project>/<key> and names artifacts.
	segs := strings.SplitN(rest, "/", 3)
	if segs[0] == "" {
		return fail("missing prefix (one of %s)", prefixList())
	}
	var prefix string
	switch {
	case validPrefix(segs[0]):
		prefix, segs = segs[0], segs[1:]
	case len(segs) == 2:
		prefix = PrefixArtifacts
	case len(segs) == 1:
		return fail("missing project; expected store://[<prefix>/]<project>/<key>")
	default:
		return fail("unknown prefix %s (want one of %s)", quoteInput(segs[0]), prefixList())
	}
	if segs[0] == "" {
		return fail("missing project")
	}
	if p := projectProblem(segs[0]); p != "" {
		return fail("project %s %s", quoteInput(segs[0]), p)
	}
	if len(segs) < 2 {
		return fail("missing key")
	}
	tail := segs[1]
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

	u := URI{Prefix: prefix, Project: segs[0]}
	object := ObjectGrammar(prefix)

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
	var seen [len(uriMarkers)]bool
	for rem := tail[i:]; rem != ""; {
		m := strings.IndexByte(uriMarkers, rem[0])
		end := strings.IndexAny(rem[1:], uriMarkers)
		if end < 0 {
			end = len(rem) - 1
		}
		val := rem[1 : 1+end]
		rem = rem[1+end:]
		name := uriPartNames[m]
		if object {
			switch m {
			case 0:
				return fail("%s URIs have no iteration (\"#\"); the form is store://%s/<project>/<name>[:<tag>][@<uid>]",
					prefix, prefix)
			case 3:
				return fail("%s URIs give the uid after '@', not '^'; the form is store://%s/<project>/<name>[:<tag>][@<uid>]",
					prefix, prefix)
			case 2:
				m, name = 3, "uid" // '@' introduces the uid
			}
		}
		switch {
		case seen[m]:
			return fail("%s (%q) given more than once", name, markerOf(m, object))
		case !object && m < last:
			return fail("%s (%q) must come before %s (%q); the order is [#<iteration>][:<tag>][@<tree>][^<uid>]",
				name, uriMarkers[m:m+1], uriPartNames[last], uriMarkers[last:last+1])
		case val == "":
			return fail("empty %s after %q", name, markerOf(m, object))
		}
		last, seen[m] = m, true
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

// markerOf is the marker that introduced part m: in the object grammar the uid's
// is '@'.
func markerOf(m int, object bool) string {
	if object && m == 3 {
		return "@"
	}
	return uriMarkers[m : m+1]
}

// CanonicalURI is v's canonical URI (API.md), a stable handle for v: its uid
// decides what it names, whatever later happens to its tags.
//
// In the artifact grammar: v's kind's prefix, project, key, "#<iteration>"
// when the iteration is not 0, ":<askedTag>" when askedTag is set and v holds
// it (else ":latest" when v holds latest, else no tag), "@<tree>" when v has
// one, "^<uid>" — the parts MLRun's get_artifact_target writes.
//
// Feature sets and vectors take the object grammar:
// store://<prefix>/<project>/<key>@<uid>, without a tag, as MLRun's
// generate_object_uri writes it when it has the uid (MLRun's server resolves
// a tag given beside the uid first, so a tag there would stop the URI
// resolving in MLRun once the tag moves).
func CanonicalURI(v Version, askedTag string) string {
	u := URI{Prefix: v.Kind.Prefix(), Project: v.Project, Key: v.Key, UID: v.UID}
	if ObjectGrammar(u.Prefix) {
		return u.String()
	}
	u.Tree = v.Tree
	if v.Iteration != 0 {
		it := v.Iteration
		u.Iteration = &it
	}
	switch {
	case askedTag != "" && askedTag != TagAll && v.HasTag(askedTag):
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
