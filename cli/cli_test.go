package cli_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/artigraph/artigraph/cli"
)

// TestWorkflow is a job's day: a project, a dataset, a run that reads it
// and logs a model, then every way of looking at them.
func TestWorkflow(t *testing.T) {
	url, _ := startServer(t, "serve")
	e := cmdEnv{server: url}
	dir := t.TempDir()

	if out := e.ok(t, "project", "create", "--label", "team=risk", "-d", "fraud detection", "fraud"); strings.TrimSpace(out) != "fraud" {
		t.Fatalf("project create: %q", out)
	}
	var project struct{ Name, Description string }
	decodeJSON(t, e.ok(t, "project", "get", "--json", "fraud"), &project)
	if project.Description != "fraud detection" {
		t.Fatalf("project get: %+v", project)
	}
	if out := e.ok(t, "project", "ls"); !strings.Contains(out, "fraud") {
		t.Fatalf("project ls: %q", out)
	}

	t.Run("log", func(t *testing.T) {
		csv := writeFile(t, filepath.Join(dir, "train.csv"), "a,b\n1,2\n")
		var up struct{ URI, UID, Key, Hash string }
		decodeJSON(t, e.ok(t, "log", "-p", "fraud", "--kind", "dataset", "--label", "team=risk", "--label", "pii",
			"--tag", "v1", "-d", "training data", "--source", "https://example.com/raw.csv", "--json", csv), &up)
		if up.Key != "train" || !strings.HasPrefix(up.URI, "store://datasets/fraud/train") {
			t.Fatalf("log: %+v", up)
		}
		sum := sha256.Sum256([]byte("a,b\n1,2\n"))
		if up.Hash != "sha256:"+hex.EncodeToString(sum[:]) {
			t.Fatalf("hash %s", up.Hash)
		}
		// Plain output is the URI alone, for scripts.
		out := e.ok(t, "log", "-p", "fraud", "--key", "notes", writeFile(t, filepath.Join(dir, "notes.txt"), "hi"))
		if !strings.HasPrefix(out, "store://artifacts/fraud/notes:latest^") || strings.Count(out, "\n") != 1 {
			t.Fatalf("log output %q", out)
		}
	})

	t.Run("log a directory", func(t *testing.T) {
		d := filepath.Join(dir, "report")
		writeFile(t, filepath.Join(d, "summary.html"), "<p>ok</p>")
		writeFile(t, filepath.Join(d, "plots", "roc.png"), "png")
		out := e.ok(t, "log", "-p", "fraud", "--kind", "plot", d)
		for _, key := range []string{"store://artifacts/fraud/report-summary:", "store://artifacts/fraud/report-plots-roc:"} {
			if !strings.Contains(out, key) {
				t.Fatalf("want %s in %q", key, out)
			}
		}
		var v struct{ Format string }
		decodeJSON(t, e.ok(t, "get", "--json", "store://artifacts/fraud/report-plots-roc"), &v)
		if v.Format != "png" {
			t.Fatalf("format %q", v.Format)
		}
		e.fails(t, 2, "not a valid key", "log", "-p", "fraud", "--key", "bad/key", d)
	})

	var run string
	t.Run("runs", func(t *testing.T) {
		run = strings.TrimSpace(e.ok(t, "runs", "start", "-p", "fraud", "--input", "store://datasets/fraud/train", "--label", "gpu", "train"))
		if run == "" {
			t.Fatal("no uid")
		}
		model := writeFile(t, filepath.Join(dir, "model.pkl"), "weights")
		e.ok(t, "log", "-p", "fraud", "--run", run, "--kind", "model", "--source", "store://datasets/fraud/train", model)
		var r struct{ State string }
		decodeJSON(t, e.ok(t, "runs", "finish", "-p", "fraud", "--state", "completed", "--json", run), &r)
		if r.State != "COMPLETED" {
			t.Fatalf("finish: %+v", r)
		}
		if out := e.ok(t, "runs", "get", "-p", "fraud", run); !strings.Contains(out, "state: COMPLETED") || !strings.Contains(out, "name: train") {
			t.Fatalf("runs get:\n%s", out)
		}
		var runs []struct{ UID string }
		decodeJSON(t, e.ok(t, "runs", "ls", "--json", "fraud"), &runs)
		if len(runs) != 1 || runs[0].UID != run {
			t.Fatalf("runs ls: %+v", runs)
		}
		if out := e.ok(t, "runs", "ls", "fraud"); !strings.Contains(out, run) || !strings.Contains(out, "COMPLETED") {
			t.Fatalf("runs ls:\n%s", out)
		}
		// The largest limit pages within the server's complexity budget.
		decodeJSON(t, e.ok(t, "runs", "ls", "--json", "--limit", "1000", "fraud"), &runs)
		if len(runs) != 1 || runs[0].UID != run {
			t.Fatalf("runs ls --limit 1000: %+v", runs)
		}
		e.fails(t, 1, "(NOT_FOUND)", "runs", "get", "-p", "fraud", "nope")
		e.fails(t, 2, "--state", "runs", "finish", "-p", "fraud", "--state", "sideways", run)
		e.fails(t, 2, "needs --project", "runs", "start", "train")
		e.fails(t, 2, `no command "stop"`, "runs", "stop")
	})

	t.Run("get", func(t *testing.T) {
		out := e.ok(t, "get", "store://datasets/fraud/train")
		for _, want := range []string{"key: train", "kind: DATASET", "- v1", "description: training data", "- https://example.com/raw.csv"} {
			if !strings.Contains(out, want) {
				t.Fatalf("want %q in the YAML:\n%s", want, out)
			}
		}
		var v struct {
			Key    string
			Tags   []string
			Labels []struct{ Key string }
		}
		decodeJSON(t, e.ok(t, "get", "--json", "store://datasets/fraud/train:v1"), &v)
		if v.Key != "train" || len(v.Labels) != 2 {
			t.Fatalf("get --json: %+v", v)
		}
		if out := e.ok(t, "get", "--download", "store://datasets/fraud/train"); out != "a,b\n1,2\n" {
			t.Fatalf("download to stdout: %q", out)
		}
		o := filepath.Join(dir, "out.csv")
		e.ok(t, "get", "--download", "-o", o, "store://datasets/fraud/train")
		if b, _ := os.ReadFile(o); string(b) != "a,b\n1,2\n" {
			t.Fatalf("download -o: %q", b)
		}
		e.fails(t, 1, "artigraph: no artifact version at store://datasets/fraud/absent (NOT_FOUND)", "get", "store://datasets/fraud/absent")
		e.fails(t, 1, "(INVALID_ARGUMENT)", "get", "not-a-uri")
		e.fails(t, 2, "-o needs --download", "get", "-o", o, "store://datasets/fraud/train")
	})

	t.Run("ls", func(t *testing.T) {
		out := e.ok(t, "ls", "fraud")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if !strings.HasPrefix(lines[0], "KEY") || len(lines) != 6 { // header, train, notes, 2 report files, model
			t.Fatalf("ls:\n%s", out)
		}
		var vs []struct{ Key, Kind string }
		decodeJSON(t, e.ok(t, "ls", "--json", "--kind", "model", "fraud"), &vs)
		if len(vs) != 1 || vs[0].Key != "model" {
			t.Fatalf("ls --kind model: %+v", vs)
		}
		decodeJSON(t, e.ok(t, "ls", "--json", "--label", "team=risk", "--since", "1h", "fraud"), &vs)
		if len(vs) != 1 || vs[0].Key != "train" {
			t.Fatalf("ls --label: %+v", vs)
		}
		decodeJSON(t, e.ok(t, "ls", "--json", "--key-contains", "report", "--limit", "1", "fraud"), &vs)
		if len(vs) != 1 {
			t.Fatalf("ls --limit 1: %+v", vs)
		}
		decodeJSON(t, e.ok(t, "ls", "--json", "--tag", "nothing", "fraud"), &vs)
		if len(vs) != 0 {
			t.Fatalf("ls --tag nothing: %+v", vs)
		}
		e.fails(t, 2, "--since", "ls", "--since", "yesterday", "fraud")
		e.fails(t, 2, "ls takes <project>", "ls")
		e.fails(t, 2, "flag provided but not defined", "ls", "--bogus", "fraud")
	})

	t.Run("lineage", func(t *testing.T) {
		out := e.ok(t, "lineage", "store://models/fraud/model")
		for _, want := range []string{"store://models/fraud/model:latest", "derived from store://datasets/fraud/train", "produced by run:fraud/" + run + " (train, COMPLETED)"} {
			if !strings.Contains(out, want) {
				t.Fatalf("want %q in the tree:\n%s", want, out)
			}
		}
		var g struct {
			Lineage struct {
				Nodes []struct {
					ID    string
					Depth int
				}
				Edges []struct{ From, To, Relation string }
			}
		}
		decodeJSON(t, e.ok(t, "lineage", "--direction", "downstream", "--json", "store://datasets/fraud/train"), &g)
		if len(g.Lineage.Nodes) != 3 || len(g.Lineage.Edges) < 2 {
			t.Fatalf("lineage --json: %+v", g)
		}
		out = e.ok(t, "lineage", "--direction", "both", "--depth", "1", "run:fraud/"+run)
		if !strings.Contains(out, "consumed store://datasets/fraud/train") || !strings.Contains(out, "produced store://models/fraud/model") {
			t.Fatalf("lineage of the run:\n%s", out)
		}
		e.fails(t, 2, "--direction", "lineage", "--direction", "sideways", "store://models/fraud/model")
		e.fails(t, 1, "(NOT_FOUND)", "lineage", "store://models/fraud/absent")
	})

	t.Run("impact", func(t *testing.T) {
		out := e.ok(t, "impact", "store://datasets/fraud/train")
		if !strings.Contains(out, "consumed by run:fraud/"+run) || !strings.Contains(out, "impact: 1 artifact versions, 1 runs, 0 pipelines") {
			t.Fatalf("impact:\n%s", out)
		}
		var im struct {
			Impact struct {
				Artifacts []struct{ Key string }
				Runs      []struct{ UID string }
				Truncated bool
			}
		}
		decodeJSON(t, e.ok(t, "impact", "--json", "store://datasets/fraud/train"), &im)
		if len(im.Impact.Artifacts) != 1 || im.Impact.Artifacts[0].Key != "model" || len(im.Impact.Runs) != 1 {
			t.Fatalf("impact --json: %+v", im)
		}
		e.fails(t, 1, "(NOT_FOUND)", "impact", "store://datasets/fraud/absent")
	})

	t.Run("tag and untag", func(t *testing.T) {
		if out := e.ok(t, "tag", "store://datasets/fraud/train", "prod"); !strings.Contains(out, "prod") {
			t.Fatalf("tag: %q", out)
		}
		var v struct{ Tags []string }
		decodeJSON(t, e.ok(t, "untag", "--json", "store://datasets/fraud/train:prod", "prod"), &v)
		if strings.Contains(strings.Join(v.Tags, ","), "prod") {
			t.Fatalf("untag: %+v", v)
		}
		e.fails(t, 1, "(NOT_FOUND)", "tag", "store://datasets/fraud/absent", "prod")
		e.fails(t, 2, "tag takes <store:// URI> <tag>", "tag", "store://datasets/fraud/train")
	})

	t.Run("export, import and rm", func(t *testing.T) {
		y := filepath.Join(dir, "train.yaml")
		e.ok(t, "export", "-o", y, "store://datasets/fraud/train")
		if b, _ := os.ReadFile(y); !strings.Contains(string(b), "kind: dataset") {
			t.Fatalf("export:\n%s", b)
		}
		e.ok(t, "project", "create", "staging")
		if out := e.ok(t, "import", "--project", "staging", "--key", "train-copy", "--tag", "imported", y); !strings.Contains(out, "store://datasets/staging/train-copy:") {
			t.Fatalf("import: %q", out)
		}
		// From stdin too, straight from export.
		exported := e.ok(t, "export", "store://datasets/fraud/train")
		in := cmdEnv{server: url, stdin: strings.NewReader(exported)}
		in.ok(t, "import", "--key", "train-stdin", "-")
		var del struct{ Deleted int }
		decodeJSON(t, e.ok(t, "rm", "--strategy", "data-optional", "--json", "store://datasets/fraud/train-stdin"), &del)
		if del.Deleted != 1 {
			t.Fatalf("rm: %+v", del)
		}
		if out := e.ok(t, "rm", "--strategy", "metadata-only", "store://datasets/staging/train-copy"); out != "1 versions deleted\n" {
			t.Fatalf("rm: %q", out)
		}
		e.fails(t, 2, "--strategy", "rm", "--strategy", "shred", "store://datasets/fraud/train")
		e.fails(t, 1, "(INVALID_ARGUMENT)", "import", writeFile(t, filepath.Join(dir, "bad.yaml"), "kind: [\n"))
	})

	t.Run("gc", func(t *testing.T) {
		// --auth none has no ADMIN caller: the server says so.
		e.fails(t, 1, "(PERMISSION_DENIED)", "gc", "--server", url, "--dry-run")
	})

	t.Run("errors", func(t *testing.T) {
		e.fails(t, 1, `project "nowhere" does not exist (NOT_FOUND)`, "log", "-p", "nowhere", filepath.Join(dir, "train.csv"))
		e.fails(t, 2, "needs --project", "log", filepath.Join(dir, "train.csv"))
		e.fails(t, 1, "no such file", "log", "-p", "fraud", filepath.Join(dir, "absent.csv"))
		e.fails(t, 2, "--kind", "log", "-p", "fraud", "--kind", "spreadsheet", filepath.Join(dir, "train.csv"))
		e.fails(t, 2, `no command "lgo"`, "lgo", "fraud")
		down := cmdEnv{server: "http://127.0.0.1:1"}
		down.fails(t, 1, "cannot reach the server at http://127.0.0.1:1", "ls", "fraud")
		down.fails(t, 2, "--server", "ls", "--server", "ftp://x", "fraud")
	})
}

// TestProgress checks the bar: drawn on a terminal, absent when piped.
func TestProgress(t *testing.T) {
	url, _ := startServer(t)
	e := cmdEnv{server: url}
	e.ok(t, "project", "create", "p")
	path := filepath.Join(t.TempDir(), "blob.bin")
	writeRandom(t, path, 3<<20)

	// Piped (the subprocess's stderr is a buffer): no bar.
	r := e.run(t, "log", "-p", "p", path)
	if r.Code != 0 || r.Stderr != "" {
		t.Fatalf("piped log wrote to stderr: %v", r)
	}
	// On a terminal: a bar reaching 100%, for the upload and the download.
	var stderr, stdout bytes.Buffer
	env := cli.Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
		Getenv:     func(k string) string { return map[string]string{"ARTIGRAPH_SERVER": url}[k] },
		IsTerminal: func(io.Writer) bool { return true }}
	if code := cli.Main(context.Background(), []string{"artigraph", "log", "-p", "p", "--key", "blob2", path}, env); code != 0 {
		t.Fatalf("log: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "100%") || !strings.Contains(stderr.String(), "3.0 MiB / 3.0 MiB") {
		t.Fatalf("no bar on a terminal: %q", stderr.String())
	}
	stderr.Reset()
	out := filepath.Join(t.TempDir(), "copy.bin")
	if code := cli.Main(context.Background(), []string{"artigraph", "get", "--download", "-o", out, "store://artifacts/p/blob2"}, env); code != 0 {
		t.Fatalf("get: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "100%") {
		t.Fatalf("no download bar: %q", stderr.String())
	}
}

// TestHelp runs --help for every command: exit 0 and a usage text.
func TestHelp(t *testing.T) {
	e := cmdEnv{server: "http://127.0.0.1:1"}
	commands := [][]string{{}, {"log"}, {"get"}, {"ls"}, {"lineage"}, {"impact"}, {"tag"}, {"untag"}, {"rm"}, {"export"}, {"import"},
		{"runs"}, {"runs", "start"}, {"runs", "finish"}, {"runs", "get"}, {"runs", "ls"}, {"token"}, {"token", "create"}, {"token", "ls"},
		{"token", "revoke"}, {"project"}, {"project", "create"}, {"project", "get"}, {"project", "ls"}, {"gc", "--server", "http://x"}}
	for _, c := range commands {
		name := strings.Join(append([]string{"artigraph"}, c...), " ")
		name, _, _ = strings.Cut(name, " --")
		t.Run(name, func(t *testing.T) {
			out := e.ok(t, append(c, "--help")...)
			if !strings.Contains(out, "USAGE:") || !strings.Contains(out, name) {
				t.Fatalf("%s --help:\n%s", name, out)
			}
		})
	}
	t.Run("root lists every command", func(t *testing.T) {
		out := e.ok(t, "help")
		for _, c := range []string{"serve", "log", "get", "ls", "lineage", "impact", "tag", "untag", "rm", "export", "import", "runs", "token", "gc", "project"} {
			if !strings.Contains(out, "   "+c+" ") {
				t.Fatalf("help lacks %s:\n%s", c, out)
			}
		}
	})
	// The server's own commands keep their flag sets' help.
	for _, c := range [][]string{{"serve"}, {"gc"}, {"healthcheck"}} {
		t.Run(strings.Join(c, " ")+" (server side)", func(t *testing.T) {
			r := e.run(t, append(c, "--help")...)
			if r.Code != 0 || !strings.Contains(r.Stderr, "-data-dir") {
				t.Fatalf("%v", r)
			}
		})
	}
	t.Run("completion", func(t *testing.T) {
		if out := e.ok(t, "completion", "bash"); !strings.Contains(out, "complete") || !strings.Contains(out, "artigraph") {
			t.Fatalf("completion bash:\n%s", out)
		}
		out := e.ok(t, "runs", "--generate-shell-completion")
		if !strings.Contains(out, "start") || !strings.Contains(out, "finish") {
			t.Fatalf("completion of runs:\n%s", out)
		}
	})
}

// TestAuthToken runs the token commands, and the others with
// ARTIGRAPH_TOKEN, against a server with --auth token.
func TestAuthToken(t *testing.T) {
	const admin = "bootstrap-admin-secret-0123456789"
	url, _ := startServer(t, "--auth", "token", "--admin-token", admin)
	anon := cmdEnv{server: url}
	root := cmdEnv{server: url, token: admin}

	anon.fails(t, 1, "(UNAUTHENTICATED)", "ls", "fraud")
	root.ok(t, "project", "create", "fraud")
	editor := strings.TrimSpace(root.ok(t, "token", "create", "--role", "editor", "--project", "fraud", "--expires", "24h", "ci"))
	if !strings.HasPrefix(editor, "agt_") || strings.Contains(editor, "\n") {
		t.Fatalf("token create printed %q", editor)
	}
	var created struct {
		CreateToken struct {
			Token string
			Info  struct {
				ID, Role string
				Projects []string
			}
		}
	}
	decodeJSON(t, root.ok(t, "token", "create", "--json", "--role", "viewer", "dash"), &created)
	if created.CreateToken.Info.Role != "VIEWER" || !strings.HasPrefix(created.CreateToken.Token, "agt_"+created.CreateToken.Info.ID) {
		t.Fatalf("token create --json: %+v", created)
	}
	var list struct {
		Tokens []struct{ ID, Name string }
	}
	decodeJSON(t, root.ok(t, "token", "ls", "--json"), &list)
	if len(list.Tokens) != 2 {
		t.Fatalf("token ls: %+v", list)
	}
	if out := root.ok(t, "token", "ls"); !strings.Contains(out, "ci") || !strings.Contains(out, "EDITOR") || strings.Contains(out, editor) {
		t.Fatalf("token ls:\n%s", out)
	}

	ed := cmdEnv{server: url, token: editor}
	path := writeFile(t, filepath.Join(t.TempDir(), "data.csv"), "x\n1\n")
	ed.ok(t, "log", "-p", "fraud", "--kind", "dataset", path)
	// Downloads under --auth token use the signed link, or the bearer token.
	if out := ed.ok(t, "get", "--download", "store://datasets/fraud/data"); out != "x\n1\n" {
		t.Fatalf("download: %q", out)
	}
	ed.fails(t, 1, "(PERMISSION_DENIED)", "token", "ls")
	ed.fails(t, 1, "(PERMISSION_DENIED)", "gc", "--server", url)
	ed.fails(t, 1, "(PERMISSION_DENIED)", "project", "create", "other")

	var gc struct {
		GC struct{ Scanned, Removed int }
	}
	decodeJSON(t, root.ok(t, "gc", "--server", url, "--dry-run", "--grace", "1s", "--json"), &gc)
	if gc.GC.Removed != 0 {
		t.Fatalf("gc --dry-run: %+v", gc)
	}
	if out := root.ok(t, "gc", "--server", url, "--dry-run"); !strings.Contains(out, "scanned") {
		t.Fatalf("gc: %q", out)
	}

	viewer := cmdEnv{server: url, token: created.CreateToken.Token}
	viewer.ok(t, "ls", "fraud")
	if out := root.ok(t, "token", "revoke", created.CreateToken.Info.ID); !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: %q", out)
	}
	viewer.fails(t, 1, "(UNAUTHENTICATED)", "ls", "fraud")
	root.fails(t, 1, "(NOT_FOUND)", "token", "revoke", "nosuchid")
	root.fails(t, 2, "--role", "token", "create", "--role", "god", "x")
}

// TestLocalGC checks that gc without --server still opens the store itself.
func TestLocalGC(t *testing.T) {
	e := cmdEnv{server: "http://127.0.0.1:1"}
	out := e.ok(t, "gc", "--data-dir", t.TempDir(), "--dry-run")
	if !strings.Contains(out, "scanned 0 blobs") {
		t.Fatalf("local gc: %q", out)
	}
}

// TestLarge streams 100 MiB up and down: to a file and to a pipe, both
// checked by sha256 without the test holding the content.
func TestLarge(t *testing.T) {
	url, _ := startServer(t)
	e := cmdEnv{server: url}
	e.ok(t, "project", "create", "big")
	dir := t.TempDir()
	src := filepath.Join(dir, "big.bin")
	want := writeRandom(t, src, 100<<20)

	var up struct {
		Size int64
		Hash string
	}
	decodeJSON(t, e.ok(t, "log", "-p", "big", "--json", src), &up)
	if up.Size != 100<<20 || up.Hash != "sha256:"+want {
		t.Fatalf("uploaded %+v, want sha256:%s", up, want)
	}
	out := filepath.Join(dir, "copy.bin")
	e.ok(t, "get", "--download", "-o", out, "store://artifacts/big/big")
	if got := sha256File(t, out); got != want {
		t.Fatalf("downloaded sha256 %s, want %s", got, want)
	}

	cmd := exec.Command(binary, "get", "--download", "store://artifacts/big/big")
	cmd.Env = []string{"ARTIGRAPH_SERVER=" + url}
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(h, pipe)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	if n != 100<<20 || hex.EncodeToString(h.Sum(nil)) != want || stderr.Len() != 0 {
		t.Fatalf("piped download: %d bytes, stderr %q", n, stderr.String())
	}
}
