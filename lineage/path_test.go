package lineage_test

import (
	"path"
	"strings"
	"testing"

	"github.com/artigraph/artigraph/lineage"
)

func TestArtifactPathPrecedence(t *testing.T) {
	all := lineage.ArtifactPathChoice{Call: "/call", Run: "/run", Project: "/project", Server: "gs://server", Default: "/default"}
	cases := []struct {
		name   string
		choice lineage.ArtifactPathChoice
		want   string
	}{
		{"call wins", all, "/call"},
		{"run next", lineage.ArtifactPathChoice{Run: "/run", Project: "/project", Server: "/s", Default: "/d"}, "/run"},
		{"project next", lineage.ArtifactPathChoice{Project: "/project", Server: "/s", Default: "/d"}, "/project"},
		{"server next", lineage.ArtifactPathChoice{Server: "gs://bucket/p", Default: "/d"}, "gs://bucket/p"},
		{"default last", lineage.ArtifactPathChoice{Default: "/data/artifacts/{{project}}"}, "/data/artifacts/fraud"},
		{"templates", lineage.ArtifactPathChoice{Call: "s3://b/{{project}}/{{run.uid}}"}, "s3://b/fraud/r42"},
		{"spaces in templates", lineage.ArtifactPathChoice{Call: "file:///x/{{ project }}/{{ run.uid }}"}, "file:///x/fraud/r42"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.choice.Resolve("fraud", "r42")
			if err != nil || got != c.want {
				t.Fatalf("Resolve = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestArtifactPathErrors(t *testing.T) {
	cases := []struct {
		name, path, runUID string
	}{
		{"run.uid outside a run", "/a/{{run.uid}}", ""},
		{"unknown placeholder", "/a/{{user}}", "r"},
		{"relative path", "artifacts/{{project}}", "r"},
		{"dot-dot", "/data/../etc", "r"},
		{"dot-dot in URL", "gs://b/x/../../y", "r"},
		{"file URL with host", "file://host/x", "r"},
		{"relative file URL", "file://x", "r"},
		{"control characters", "/a\nb", "r"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := lineage.ArtifactPathChoice{Call: c.path}.Resolve("fraud", c.runUID)
			if lineage.ErrorCode(err) != lineage.EINVALID {
				t.Fatalf("Resolve(%q) = %v, want EINVALID", c.path, err)
			}
		})
	}
	if _, err := (lineage.ArtifactPathChoice{}).Resolve("p", ""); lineage.ErrorCode(err) != lineage.EINVALID {
		t.Fatalf("empty choice: %v", err)
	}
}

func TestTargetPath(t *testing.T) {
	run := &lineage.Run{Name: "train", UID: "r1"}
	cases := []struct {
		path, key, format string
		run               *lineage.Run
		iter              int
		want              string
	}{
		{"/data/p", "raw", "csv", nil, 0, "/data/p/raw.csv"},
		{"/data/p/", "raw", "", nil, 0, "/data/p/raw"},
		{"gs://bucket/p", "model", "pkl", run, 0, "gs://bucket/p/train/0/model.pkl"},
		{"s3://b/p/r1", "model", "pkl", run, 3, "s3://b/p/r1/train/3/model.pkl"},
		{"file:///d", "m", ".onnx", run, 1, "file:///d/train/1/m.onnx"},
	}
	for _, c := range cases {
		if got := lineage.TargetPath(c.path, c.key, c.format, c.run, c.iter); got != c.want {
			t.Errorf("TargetPath(%q, %q, %q, iter %d) = %q, want %q", c.path, c.key, c.format, c.iter, got, c.want)
		}
	}
}

// TestTargetPathKeySegments: the key becomes the last segment of a file
// path. Keys with inner dots ("a..b") make ordinary file names; "." and ".."
// (and anything else that could climb or name a directory) are not keys.
func TestTargetPathKeySegments(t *testing.T) {
	run := &lineage.Run{Name: "train", UID: "r1"}
	for _, key := range []string{"a..b", "a...b", "v1..2", "a.b", "x"} {
		if err := lineage.ValidateKey(key); err != nil {
			t.Fatalf("ValidateKey(%q): %v", key, err)
		}
		for _, format := range []string{"", "pkl", ".csv"} {
			for _, r := range []*lineage.Run{nil, run} {
				got := lineage.TargetPath("/data/p", key, format, r, 1)
				if !strings.HasPrefix(got, "/data/p/") || path.Clean(got) != got {
					t.Errorf("TargetPath(key %q, format %q) = %q: not a clean path under /data/p", key, format, got)
				}
				segs := strings.Split(got, "/")
				if last := segs[len(segs)-1]; !strings.HasPrefix(last, key) {
					t.Errorf("TargetPath(key %q) = %q: the file is not named after the key", key, got)
				}
				for _, seg := range segs[1:] {
					if seg == "." || seg == ".." || seg == "" {
						t.Errorf("TargetPath(key %q) = %q has segment %q", key, got, seg)
					}
				}
				if err := lineage.ValidateArtifactPath(got); err != nil {
					t.Errorf("TargetPath(key %q) = %q: %v", key, got, err)
				}
			}
		}
	}
	for _, key := range []string{".", "..", "...", "../x", "x/..", "a/b", ".hidden", "k."} {
		if lineage.ValidateKey(key) == nil {
			t.Errorf("ValidateKey(%q) accepted a key that would be unsafe or odd as a path segment", key)
		}
	}
}

func TestIsURL(t *testing.T) {
	for p, want := range map[string]bool{
		"gs://b/x": true, "s3://b": true, "file:///x": true, "/abs/path": false,
		"./rel": false, "C:/x": false, "a/b://c": false,
	} {
		if got := lineage.IsURL(p); got != want {
			t.Errorf("IsURL(%q) = %v, want %v", p, got, want)
		}
	}
}
