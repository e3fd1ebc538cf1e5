package lineage

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func uriIntp(n int) *int { return &n }

type uriCase struct {
	name string
	in   string
	want URI    // for valid cases
	err  string // non-empty: invalid, and the message must contain this
	// canon is String(want) when the input is not the canonical spelling
	// (no prefix, or an object URI's tag before its uid); empty: in itself.
	canon string
}

var uriCases = []uriCase{
	// Valid: each prefix.
	{name: "artifacts", in: "store://artifacts/p/k",
		want: URI{Prefix: PrefixArtifacts, Project: "p", Key: "k"}},
	{name: "models", in: "store://models/proj-1/my_model.v2",
		want: URI{Prefix: PrefixModels, Project: "proj-1", Key: "my_model.v2"}},
	{name: "datasets", in: "store://datasets/p/train-set",
		want: URI{Prefix: PrefixDatasets, Project: "p", Key: "train-set"}},
	{name: "documents", in: "store://documents/p/Doc1",
		want: URI{Prefix: PrefixDocuments, Project: "p", Key: "Doc1"}},
	{name: "feature-sets", in: "store://feature-sets/p/fs",
		want: URI{Prefix: PrefixFeatureSets, Project: "p", Key: "fs"}},
	{name: "feature-vectors", in: "store://feature-vectors/p/fv",
		want: URI{Prefix: PrefixFeatureVectors, Project: "p", Key: "fv"}},
	// Valid: optional parts.
	{name: "iteration 0", in: "store://artifacts/p/k#0",
		want: URI{Prefix: PrefixArtifacts, Project: "p", Key: "k", Iteration: uriIntp(0)}},
	{name: "iteration big", in: "store://artifacts/p/k#2147483647",
		want: URI{Prefix: PrefixArtifacts, Project: "p", Key: "k", Iteration: uriIntp(2147483647)}},
	{name: "tag", in: "store://models/p/k:v1.0",
		want: URI{Prefix: PrefixModels, Project: "p", Key: "k", Tag: "v1.0"}},
	{name: "tag all", in: "store://artifacts/p/k:*",
		want: URI{Prefix: PrefixArtifacts, Project: "p", Key: "k", Tag: "*"}},
	{name: "tree and uid", in: "store://datasets/p/k@run-1_a^abc123",
		want: URI{Prefix: PrefixDatasets, Project: "p", Key: "k", Tree: "run-1_a", UID: "abc123"}},
	{name: "uid only", in: "store://artifacts/p/k^0f3a",
		want: URI{Prefix: PrefixArtifacts, Project: "p", Key: "k", UID: "0f3a"}},
	{name: "all parts", in: "store://models/my-proj/model_1#3:latest@tree9^uid-7",
		want: URI{Prefix: PrefixModels, Project: "my-proj", Key: "model_1", Iteration: uriIntp(3),
			Tag: "latest", Tree: "tree9", UID: "uid-7"}},
	{name: "longest", in: "store://documents/" + strings.Repeat("p", 63) + "/" + strings.Repeat("K", 253) +
		"#2147483647:" + strings.Repeat("t", 63) + "@" + strings.Repeat("r", 64) + "^" + strings.Repeat("u", 64),
		want: URI{Prefix: PrefixDocuments, Project: strings.Repeat("p", 63), Key: strings.Repeat("K", 253),
			Iteration: uriIntp(2147483647), Tag: strings.Repeat("t", 63), Tree: strings.Repeat("r", 64),
			UID: strings.Repeat("u", 64)}},
	{name: "max lengths", in: "store://artifacts/" + strings.Repeat("p", 63) + "/" + strings.Repeat("K", 253) +
		":" + strings.Repeat("t", 63) + "@" + strings.Repeat("r", 64) + "^" + strings.Repeat("u", 64),
		want: URI{Prefix: PrefixArtifacts, Project: strings.Repeat("p", 63), Key: strings.Repeat("K", 253),
			Tag: strings.Repeat("t", 63), Tree: strings.Repeat("r", 64), UID: strings.Repeat("u", 64)}},
	{name: "single dot in key", in: "store://artifacts/p/a.b",
		want: URI{Prefix: PrefixArtifacts, Project: "p", Key: "a.b"}},
	// Inner dots, even two or more in a row, are fine (MLRun's artifact_key).
	{name: "key with dotdot", in: "store://artifacts/p/a..b",
		want: URI{Prefix: PrefixArtifacts, Project: "p", Key: "a..b"}},
	{name: "key with dots", in: "store://models/p/v1...final#2:t@r^u",
		want: URI{Prefix: PrefixModels, Project: "p", Key: "v1...final", Iteration: uriIntp(2), Tag: "t", Tree: "r", UID: "u"}},

	// Valid: no prefix names artifacts (MLRun's parse_store_uri).
	{name: "no prefix", in: "store://p/k", canon: "store://artifacts/p/k",
		want: URI{Prefix: PrefixArtifacts, Project: "p", Key: "k"}},
	{name: "no prefix all parts", in: "store://my-proj/model_1#3:latest@tree9^uid-7",
		canon: "store://artifacts/my-proj/model_1#3:latest@tree9^uid-7",
		want: URI{Prefix: PrefixArtifacts, Project: "my-proj", Key: "model_1", Iteration: uriIntp(3),
			Tag: "latest", Tree: "tree9", UID: "uid-7"}},
	{name: "no prefix dotdot key", in: "store://p/a..b:v1", canon: "store://artifacts/p/a..b:v1",
		want: URI{Prefix: PrefixArtifacts, Project: "p", Key: "a..b", Tag: "v1"}},

	// Valid: feature sets and vectors take MLRun's object grammar, '@' is the uid.
	{name: "feature set uid", in: "store://feature-sets/p/fs@0f3a",
		want: URI{Prefix: PrefixFeatureSets, Project: "p", Key: "fs", UID: "0f3a"}},
	{name: "feature set tag", in: "store://feature-sets/p/fs:prod",
		want: URI{Prefix: PrefixFeatureSets, Project: "p", Key: "fs", Tag: "prod"}},
	{name: "feature set uid and tag", in: "store://feature-sets/p/fs@0f3a:latest",
		want: URI{Prefix: PrefixFeatureSets, Project: "p", Key: "fs", Tag: "latest", UID: "0f3a"}},
	{name: "feature set tag then uid", in: "store://feature-sets/p/fs:latest@0f3a", canon: "store://feature-sets/p/fs@0f3a:latest",
		want: URI{Prefix: PrefixFeatureSets, Project: "p", Key: "fs", Tag: "latest", UID: "0f3a"}},
	{name: "feature vector uid", in: "store://feature-vectors/p/fv@u-1",
		want: URI{Prefix: PrefixFeatureVectors, Project: "p", Key: "fv", UID: "u-1"}},
	{name: "feature vector tag all", in: "store://feature-vectors/p/fv:*",
		want: URI{Prefix: PrefixFeatureVectors, Project: "p", Key: "fv", Tag: "*"}},
	{name: "longest object", in: "store://feature-vectors/" + strings.Repeat("p", 63) + "/" + strings.Repeat("K", 253) +
		"@" + strings.Repeat("u", 64) + ":" + strings.Repeat("t", 63),
		want: URI{Prefix: PrefixFeatureVectors, Project: strings.Repeat("p", 63), Key: strings.Repeat("K", 253),
			Tag: strings.Repeat("t", 63), UID: strings.Repeat("u", 64)}},

	// Invalid.
	{name: "empty", in: "", err: "empty"},
	{name: "missing key", in: "store://artifacts/p", err: "missing key"},
	{name: "missing key trailing slash", in: "store://artifacts/p/", err: "missing key"},
	{name: "missing key before tag", in: "store://artifacts/p/:v1", err: "missing key"},
	{name: "missing project", in: "store://artifacts//k", err: "missing project"},
	{name: "missing prefix", in: "store://", err: "missing prefix"},
	{name: "missing prefix with slash", in: "store:///p/k", err: "missing prefix"},
	{name: "only a project", in: "store://p", err: "missing project"},
	{name: "no prefix missing key", in: "store://p/", err: "missing key"},
	{name: "no prefix bad project", in: "store://MyProj/k", err: `project "MyProj"`},
	{name: "prefix is not a project", in: "store://models/k", err: "missing key"},
	{name: "empty tag", in: "store://artifacts/p/k:", err: "empty tag"},
	{name: "empty iteration", in: "store://artifacts/p/k#", err: "empty iteration"},
	{name: "empty tree", in: "store://artifacts/p/k@^u", err: "empty tree"},
	{name: "empty uid", in: "store://artifacts/p/k^", err: "empty uid"},
	{name: "bad prefix", in: "store://blobs/p/k", err: `unknown prefix "blobs"`},
	{name: "prefix case", in: "store://Models/p/k", err: "unknown prefix"},
	{name: "wrong scheme http", in: "http://artifacts/p/k", err: "must start with"},
	{name: "wrong scheme single slash", in: "store:/artifacts/p/k", err: "must start with"},
	{name: "scheme case", in: "STORE://artifacts/p/k", err: "must start with"},
	{name: "uppercase project", in: "store://artifacts/MyProj/k", err: `project "MyProj"`},
	{name: "project trailing dash", in: "store://artifacts/p-/k", err: `project "p-"`},
	{name: "project too long", in: "store://artifacts/" + strings.Repeat("p", 64) + "/k", err: "longer than 63"},
	{name: "key dotdot only", in: "store://artifacts/p/..", err: `key ".." must not be`},
	{name: "key dot only", in: "store://artifacts/p/.", err: `key "." must not be`},
	{name: "key dotdot no prefix", in: "store://p/..", err: `key ".."`},
	{name: "key dotdot with tag", in: "store://models/p/..:latest", err: `key ".."`},
	{name: "feature set dotdot", in: "store://feature-sets/p/..@u", err: `key ".."`},
	{name: "key with slash", in: "store://artifacts/p/a/b", err: "too many path segments"},
	{name: "key leading dash", in: "store://artifacts/p/-k", err: `key "-k"`},
	{name: "key trailing dot", in: "store://artifacts/p/k.", err: `key "k."`},
	{name: "key too long", in: "store://artifacts/p/" + strings.Repeat("k", 254), err: "longer than 253"},
	{name: "negative iteration", in: "store://artifacts/p/k#-1", err: `iteration "-1"`},
	{name: "plus iteration", in: "store://artifacts/p/k#+1", err: `iteration "+1"`},
	{name: "leading zero iteration", in: "store://artifacts/p/k#01", err: `iteration "01"`},
	{name: "overflowing iteration", in: "store://artifacts/p/k#2147483648", err: "too large"},
	{name: "huge iteration", in: "store://artifacts/p/k#99999999999999999999999", err: "too large"},
	{name: "tree before tag", in: "store://artifacts/p/k@tree:tag", err: "must come before"},
	{name: "uid before iteration", in: "store://artifacts/p/k^u#1", err: "must come before"},
	{name: "double colon", in: "store://artifacts/p/k::v1", err: "empty tag"},
	{name: "two tags", in: "store://artifacts/p/k:a:b", err: "more than once"},
	{name: "two uids", in: "store://artifacts/p/k^a^b", err: "more than once"},
	{name: "space in key", in: "store://artifacts/p/my key", err: "whitespace"},
	{name: "trailing newline", in: "store://artifacts/p/k\n", err: "whitespace"},
	{name: "leading space", in: " store://artifacts/p/k", err: "whitespace"},
	{name: "trailing slash", in: "store://artifacts/p/k/", err: "must not end with '/'"},
	{name: "trailing slash after uid", in: "store://artifacts/p/k^u/", err: "must not end with '/'"},
	{name: "unicode key", in: "store://artifacts/p/modèle", err: `key "modèle"`},
	{name: "unicode project", in: "store://artifacts/prøj/k", err: "project"},
	{name: "invalid utf8", in: "store://artifacts/p/k\xff", err: "UTF-8"},
	{name: "query string", in: "store://artifacts/p/k?x=1", err: "query string"},
	{name: "tag bad char", in: "store://artifacts/p/k:v!", err: `tag "v!"`},
	{name: "tag star suffix", in: "store://artifacts/p/k:v*", err: `tag "v*"`},
	{name: "tag too long", in: "store://artifacts/p/k:" + strings.Repeat("t", 64), err: "longer than 63"},
	{name: "tree with dot", in: "store://artifacts/p/k@a.b", err: `tree "a.b"`},
	{name: "uid leading dash", in: "store://artifacts/p/k^-u", err: `uid "-u"`},
	{name: "uid too long", in: "store://artifacts/p/k^" + strings.Repeat("u", 65), err: "longer than 64"},
	{name: "whole uri too long", in: "store://artifacts/p/k:" + strings.Repeat("t", 600), err: "longer than 540"},
	{name: "feature set iteration", in: "store://feature-sets/p/fs#1", err: `feature-sets URIs have no iteration ("#")`},
	{name: "feature set caret uid", in: "store://feature-sets/p/fs:latest^u", err: "feature-sets URIs give the uid after '@', not '^'"},
	{name: "feature vector caret uid", in: "store://feature-vectors/p/fv^u", err: "store://feature-vectors/<project>/<name>[:<tag>][@<uid>]"},
	{name: "feature set two uids", in: "store://feature-sets/p/fs@a@b", err: `uid ("@") given more than once`},
	{name: "feature set two tags", in: "store://feature-sets/p/fs:a@u:b", err: `tag (":") given more than once`},
	{name: "feature set empty uid", in: "store://feature-sets/p/fs@", err: `empty uid after "@"`},
	{name: "feature set empty tag", in: "store://feature-sets/p/fs:@u", err: "empty tag"},
	{name: "feature set bad uid", in: "store://feature-sets/p/fs@a.b", err: `uid "a.b"`},
	{name: "feature set tag with at is not a tag", in: "store://feature-sets/p/fs:v1@", err: "empty uid"},
	{name: "unknown prefix llm", in: "store://llm-prompts/p/k", err: `unknown prefix "llm-prompts"`},
	{name: "percent escape", in: "store://artifacts/p/k%20", err: `key "k%20"`},
}

func TestParseURI(t *testing.T) {
	if len(uriCases) < 30 {
		t.Fatalf("only %d cases", len(uriCases))
	}
	for _, tc := range uriCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseURI(tc.in)
			if tc.err != "" {
				if err == nil {
					t.Fatalf("ParseURI(%q) = %+v, want an error", tc.in, got)
				}
				var e *Error
				if !errors.As(err, &e) || e.Code != EINVALID {
					t.Fatalf("ParseURI(%q) error %v (%T), want *Error with code %s", tc.in, err, err, EINVALID)
				}
				if !strings.Contains(e.Message, quoteInput(tc.in)) {
					t.Errorf("message %q does not quote the input %q", e.Message, tc.in)
				}
				if !strings.Contains(e.Message, tc.err) {
					t.Errorf("message %q does not mention %q", e.Message, tc.err)
				}
				if !reflect.DeepEqual(got, URI{}) {
					t.Errorf("ParseURI(%q) returned %+v with its error, want zero URI", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseURI(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseURI(%q) = %s, want %s", tc.in, dumpURI(got), dumpURI(tc.want))
			}
		})
	}
}

func TestURIRoundTrip(t *testing.T) {
	for _, tc := range uriCases {
		if tc.err != "" {
			continue
		}
		u, err := ParseURI(tc.in)
		if err != nil {
			t.Fatalf("ParseURI(%q): %v", tc.in, err)
		}
		canon := tc.in
		if tc.canon != "" {
			canon = tc.canon
		}
		if s := u.String(); s != canon {
			t.Errorf("String(ParseURI(%q)) = %q, want %q", tc.in, s, canon)
		}
		if s := tc.want.String(); s != canon {
			t.Errorf("%s.String() = %q, want %q", dumpURI(tc.want), s, canon)
		}
		if back, err := ParseURI(canon); err != nil || !reflect.DeepEqual(back, u) {
			t.Errorf("ParseURI(%q) = %s, %v; want %s", canon, dumpURI(back), err, dumpURI(u))
		}
	}
}

func TestURIMaxLen(t *testing.T) {
	for _, tc := range uriCases {
		if strings.HasPrefix(tc.name, "longest") && tc.err == "" && len(tc.in) > MaxURILen {
			t.Errorf("%s: %d characters, MaxURILen %d", tc.name, len(tc.in), MaxURILen)
		}
		if tc.name == "longest" && len(tc.in) != MaxURILen {
			t.Errorf("longest valid URI has %d characters, MaxURILen is %d", len(tc.in), MaxURILen)
		}
	}
	if _, err := ParseURI("store://artifacts/p/k:" + strings.Repeat("t", MaxURILen)); ErrorCode(err) != EINVALID {
		t.Errorf("a URI longer than MaxURILen: %v", err)
	}
}

// TestCanonicalURIObjectGrammar: feature sets and vectors get
// store://<prefix>/<project>/<key>@<uid> whatever their tags, iteration and
// tree, which MLRun's parse_versioned_object_uri reads as (project, key, "",
// uid) and which names the version forever.
func TestCanonicalURIObjectGrammar(t *testing.T) {
	for _, k := range []Kind{KindFeatureSet, KindFeatureVector} {
		for _, v := range []Version{
			{UID: "u1", Project: "p", Key: "fs", Kind: k},
			{UID: "u1", Project: "p", Key: "fs", Kind: k, Tags: []string{TagLatest, "prod"}},
			{UID: "u1", Project: "p", Key: "fs", Kind: k, Tags: []string{"prod"}, Iteration: 3, Tree: "run1"},
		} {
			for _, asked := range []string{"", "prod", TagLatest, "other"} {
				want := "store://" + k.Prefix() + "/p/fs@u1"
				got := CanonicalURI(v, asked)
				if got != want {
					t.Errorf("CanonicalURI(%+v, %q) = %q, want %q", v, asked, got, want)
				}
				u, err := ParseURI(got)
				if err != nil || u.UID != "u1" || u.Key != "fs" || u.Project != "p" || u.Tag != "" || u.String() != got {
					t.Errorf("ParseURI(%q) = %s, %v", got, dumpURI(u), err)
				}
			}
		}
	}
}

func TestURIStringEmptyPrefix(t *testing.T) {
	u := URI{Project: "p", Key: "k", Tag: "v1"}
	if got := u.String(); got != "store://artifacts/p/k:v1" {
		t.Errorf("String of a URI without a prefix = %q", got)
	}
	// The object grammar writes neither iteration nor tree.
	u = URI{Prefix: PrefixFeatureSets, Project: "p", Key: "fs", Iteration: uriIntp(2), Tree: "t", Tag: "x", UID: "u"}
	if got := u.String(); got != "store://feature-sets/p/fs@u:x" {
		t.Errorf("String = %q", got)
	}
}

func TestURIErrorQuotesLongInputShortly(t *testing.T) {
	in := "store://artifacts/p/" + strings.Repeat("é", 5000)
	_, err := ParseURI(in)
	if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), "longer than") {
		t.Fatalf("err = %v, want EINVALID for length", err)
	}
	msg := ErrorMessage(err)
	if len(msg) > maxQuoted+200 {
		t.Errorf("message is %d bytes long", len(msg))
	}
	if !strings.Contains(msg, `"store://artifacts/p/éé`) || !strings.Contains(msg, `é"...`) {
		t.Errorf("message %q does not quote the start of the input", msg)
	}

	key := strings.Repeat("k", 10000)
	msg = ErrorMessage(ValidateKey(key))
	if len(msg) > maxQuoted+200 || !strings.Contains(msg, "longer than 253") {
		t.Errorf("ValidateKey(10000 bytes) message %q", msg)
	}
}

func TestCanonicalURI(t *testing.T) {
	prefixes := map[Kind]string{
		KindArtifact:      "artifacts",
		KindDir:           "artifacts",
		KindLink:          "artifacts",
		KindPlot:          "artifacts",
		KindTable:         "artifacts",
		KindDataset:       "datasets",
		KindModel:         "models",
		KindDocument:      "documents",
		KindFeatureSet:    "feature-sets",
		KindFeatureVector: "feature-vectors",
	}
	if len(prefixes) != len(Kinds) {
		t.Fatalf("test covers %d kinds, there are %d", len(prefixes), len(Kinds))
	}
	for _, k := range Kinds {
		v := Version{UID: "u1", Project: "p", Key: "k", Kind: k, Tags: []string{TagLatest}}
		want := "store://" + prefixes[k] + "/p/k:latest^u1"
		if k == KindFeatureSet || k == KindFeatureVector {
			want = "store://" + prefixes[k] + "/p/k@u1" // MLRun's object grammar
		}
		if got := CanonicalURI(v, ""); got != want {
			t.Errorf("CanonicalURI(kind %s) = %q, want %q", k, got, want)
		}
	}

	base := Version{UID: "abc", Project: "proj", Key: "model", Kind: KindModel}
	cases := []struct {
		name   string
		edit   func(v *Version)
		asked  string
		expect string
	}{
		{"no tags", func(v *Version) {}, "", "store://models/proj/model^abc"},
		{"iteration 0 omitted", func(v *Version) { v.Iteration = 0; v.Tags = []string{"latest"} }, "",
			"store://models/proj/model:latest^abc"},
		{"iteration shown", func(v *Version) { v.Iteration = 7 }, "", "store://models/proj/model#7^abc"},
		{"asked tag held", func(v *Version) { v.Tags = []string{"latest", "prod"} }, "prod",
			"store://models/proj/model:prod^abc"},
		{"asked tag held without latest", func(v *Version) { v.Tags = []string{"prod"} }, "prod",
			"store://models/proj/model:prod^abc"},
		{"asked tag not held falls back to latest", func(v *Version) { v.Tags = []string{"latest", "dev"} }, "prod",
			"store://models/proj/model:latest^abc"},
		{"asked tag not held no latest", func(v *Version) { v.Tags = []string{"dev"} }, "prod",
			"store://models/proj/model^abc"},
		{"other tag not shown unasked", func(v *Version) { v.Tags = []string{"dev"} }, "",
			"store://models/proj/model^abc"},
		{"asked latest", func(v *Version) { v.Tags = []string{"latest"} }, "latest",
			"store://models/proj/model:latest^abc"},
		{"asked all is not held", func(v *Version) { v.Tags = []string{"latest"} }, "*",
			"store://models/proj/model:latest^abc"},
		{"tree", func(v *Version) { v.Tree = "run1"; v.Tags = []string{"latest"} }, "",
			"store://models/proj/model:latest@run1^abc"},
		{"everything", func(v *Version) {
			v.Iteration = 2
			v.Tree = "run1"
			v.Tags = []string{"latest", "v2"}
		}, "v2", "store://models/proj/model#2:v2@run1^abc"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := base
			tc.edit(&v)
			got := CanonicalURI(v, tc.asked)
			if got != tc.expect {
				t.Fatalf("CanonicalURI = %q, want %q", got, tc.expect)
			}
			u, err := ParseURI(got)
			if err != nil {
				t.Fatalf("canonical uri does not parse: %v", err)
			}
			if u.String() != got || u.UID != v.UID || u.Key != v.Key || u.Project != v.Project || u.Tree != v.Tree {
				t.Errorf("ParseURI(%q) = %s", got, dumpURI(u))
			}
		})
	}
}

func TestValidateProjectName(t *testing.T) {
	for _, ok := range []string{"p", "a1", "my-project", "0", strings.Repeat("a", 63)} {
		if err := ValidateProjectName(ok); err != nil {
			t.Errorf("ValidateProjectName(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "A", "My-Proj", "-p", "p-", "p_q", "p.q", "p q", "p/q", "prøj",
		strings.Repeat("a", 64)} {
		checkInvalid(t, "ValidateProjectName", bad, ValidateProjectName(bad))
	}
}

func TestValidateKey(t *testing.T) {
	for _, ok := range []string{"k", "K", "9", "my_key.v-2", "a.b.c", "a..b", "a...b", "x..y..z", strings.Repeat("k", 253)} {
		if err := ValidateKey(ok); err != nil {
			t.Errorf("ValidateKey(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "...", "-k", "k-", "_k", ".k", "k.", "a/b", "../etc",
		"k#1", "k:t", "k@t", "k^u", "k*", "k k", "modèle", strings.Repeat("k", 254)} {
		checkInvalid(t, "ValidateKey", bad, ValidateKey(bad))
	}
}

func TestValidateTag(t *testing.T) {
	for _, ok := range []string{"latest", "v1", "v1.0", "prod_2", "A-b", strings.Repeat("t", 63)} {
		if err := ValidateTag(ok); err != nil {
			t.Errorf("ValidateTag(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "*", "-v", "v-", ".v", "v!", "a:b", "a b", "a/b", "tág",
		strings.Repeat("t", 64)} {
		checkInvalid(t, "ValidateTag", bad, ValidateTag(bad))
	}
}

func checkInvalid(t *testing.T, fn, in string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s(%q) = nil, want an error", fn, in)
		return
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != EINVALID {
		t.Errorf("%s(%q) error %v (%T), want *Error with code %s", fn, in, err, err, EINVALID)
		return
	}
	if !strings.Contains(e.Message, quoteInput(in)) {
		t.Errorf("%s(%q) message %q does not quote the input", fn, in, e.Message)
	}
}

func dumpURI(u URI) string {
	it := "nil"
	if u.Iteration != nil {
		it = strconv.Itoa(*u.Iteration)
	}
	return "URI{Prefix:" + strconv.Quote(u.Prefix) + " Project:" + strconv.Quote(u.Project) +
		" Key:" + strconv.Quote(u.Key) + " Iteration:" + it + " Tag:" + strconv.Quote(u.Tag) +
		" Tree:" + strconv.Quote(u.Tree) + " UID:" + strconv.Quote(u.UID) + "}"
}

func FuzzParseURI(f *testing.F) {
	for _, tc := range uriCases {
		f.Add(tc.in)
	}
	for _, s := range []string{
		"store://artifacts/p/k#0:*@t^u",
		"store://feature-vectors/a/b#1#2",
		"store://models/p/k:t@x:y",
		"store://models/p/k^u@t",
		"store://datasets/p/k#00",
		"store://datasets/p/k#4294967296",
		"store://artifacts/p/k\x00",
		"store://artifacts/p/k\u00a0",
		"store://artifacts/p/k\u2028",
		"store:///p/k",
		"store://artifacts/p//",
		"store://artifacts/p/k//",
		"store://artifacts/p/k/x/",
		"store://p/k#1:t@r^u",
		"store://p/k/x",
		"store://feature-sets/p/fs:t@u",
		"store://feature-sets/p/fs@u:t",
		"store://feature-sets/p/fs@u@v",
		"store://feature-vectors/p/fv#0",
		"store://feature-vectors/p/fv@t^u",
		"store://artifacts/p/a..b",
		"store://artifacts/p/...",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURI(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID {
				t.Fatalf("ParseURI(%q) error %v (%T), want *Error with code %s", s, err, err, EINVALID)
			}
			if !strings.HasPrefix(e.Message, "invalid store URI ") {
				t.Fatalf("ParseURI(%q) message %q", s, e.Message)
			}
			if !reflect.DeepEqual(u, URI{}) {
				t.Fatalf("ParseURI(%q) returned %s with its error", s, dumpURI(u))
			}
			return
		}
		str := u.String()
		// Every valid URI has a single canonical spelling, so formatting gives
		// the input back, unless the input is one of the two other spellings
		// MLRun accepts: no prefix (artifacts), or an object URI's tag before
		// its uid.
		if str != s {
			rest := s[len(URIScheme):]
			first, _, _ := strings.Cut(rest, "/")
			noPrefix := !validPrefix(first) && str == URIScheme+PrefixArtifacts+"/"+rest
			tagFirst := ObjectGrammar(u.Prefix) && u.Tag != "" && u.UID != "" &&
				s == URIScheme+u.Prefix+"/"+u.Project+"/"+u.Key+":"+u.Tag+"@"+u.UID
			if !noPrefix && !tagFirst {
				t.Fatalf("String(ParseURI(%q)) = %q", s, str)
			}
		}
		if ObjectGrammar(u.Prefix) && (u.Iteration != nil || u.Tree != "") {
			t.Fatalf("ParseURI(%q) = %s: the object grammar has no iteration or tree", s, dumpURI(u))
		}
		u2, err := ParseURI(str)
		if err != nil {
			t.Fatalf("ParseURI(%q) = %s, but ParseURI of its String %q: %v", s, dumpURI(u), str, err)
		}
		if !reflect.DeepEqual(u, u2) {
			t.Fatalf("re-parse of %q: %s, want %s", str, dumpURI(u2), dumpURI(u))
		}
		if str2 := u2.String(); str2 != str {
			t.Fatalf("String unstable: %q then %q", str, str2)
		}
		if !validPrefix(u.Prefix) {
			t.Fatalf("ParseURI(%q) accepted prefix %q", s, u.Prefix)
		}
		if ValidateProjectName(u.Project) != nil || ValidateKey(u.Key) != nil {
			t.Fatalf("ParseURI(%q) accepted project %q / key %q that Validate* reject", s, u.Project, u.Key)
		}
		if u.Tag != "" && u.Tag != TagAll && ValidateTag(u.Tag) != nil {
			t.Fatalf("ParseURI(%q) accepted tag %q that ValidateTag rejects", s, u.Tag)
		}
		if u.Iteration != nil && (*u.Iteration < 0 || *u.Iteration > 1<<31-1) {
			t.Fatalf("ParseURI(%q) iteration %d out of range", s, *u.Iteration)
		}
	})
}

func BenchmarkParseURI(b *testing.B) {
	inputs := map[string]string{
		"typical": "store://models/my-proj/model_1#3:latest@tree9^uid-7",
		"long":    "store://artifacts/p/" + strings.Repeat("k:", 50000),
	}
	for name, in := range inputs {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				_, _ = ParseURI(in)
			}
		})
	}
}
