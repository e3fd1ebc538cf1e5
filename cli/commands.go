package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	ucli "github.com/urfave/cli/v3"
	"go.yaml.in/yaml/v3"
)

// versionFields are the metadata get, ls and the mutations print.
const versionFields = `fragment V on ArtifactVersion {
  uri project key kind uid iteration tree tags labels { key value } description
  createdAt updatedAt targetPath format size hash
  producer { kind name uri owner } owner { name }
  sources { uri } externalSources downloadUrl
}`

const runFields = `fragment R on Run {
  project uid name state user { name } pipeline { id } startedAt finishedAt artifactPath labels { key value }
  inputs { uri } outputs { uri }
}`

type version struct {
	URI         string `json:"uri"`
	Key         string `json:"key"`
	Kind        string `json:"kind"`
	UID         string `json:"uid"`
	Tags        []string
	UpdatedAt   time.Time `json:"updatedAt"`
	Size        *int64    `json:"size"`
	Hash        *string   `json:"hash"`
	DownloadURL *string   `json:"downloadUrl"`
}

// printJSON writes v indented.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printYAML writes JSON data as block YAML, keys in the server's order,
// leaving out nulls.
func (a *app) printYAML(data json.RawMessage) error {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return err
	}
	blockStyle(&n)
	out, err := yaml.Marshal(&n)
	if err != nil {
		return err
	}
	_, err = a.env.Stdout.Write(out)
	return err
}

func blockStyle(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode {
		n.Style &^= yaml.FlowStyle
		if n.Tag == "!!str" {
			n.Style &^= yaml.DoubleQuotedStyle
		}
		return
	}
	n.Style &^= yaml.FlowStyle
	if n.Kind == yaml.MappingNode {
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			if v := n.Content[i+1]; v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				continue
			}
			kept = append(kept, n.Content[i], n.Content[i+1])
		}
		n.Content = kept
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// progressBar is a bar on stderr when it is a terminal, else nil.
func (a *app) progressBar(label string) *progress {
	if !a.env.IsTerminal(a.env.Stderr) {
		return nil
	}
	return newProgress(a.env.Stderr, label)
}

// labels turns k=v and k flags into LabelInputs.
func labels(flags []string) []map[string]any {
	var out []map[string]any
	for _, l := range flags {
		k, v, ok := strings.Cut(l, "=")
		m := map[string]any{"key": k}
		if ok {
			m["value"] = v
		}
		out = append(out, m)
	}
	return out
}

var kinds = []string{"ARTIFACT", "DIR", "LINK", "PLOT", "TABLE", "DATASET", "MODEL", "DOCUMENT", "FEATURE_SET", "FEATURE_VECTOR"}

// enum is s as one of values, case and dashes aside.
func enum(flag, s string, values []string) (string, error) {
	u := strings.ToUpper(strings.ReplaceAll(s, "-", "_"))
	for _, v := range values {
		if v == u {
			return v, nil
		}
	}
	return "", usagef("--%s %q: use one of %s", flag, s, strings.ToLower(strings.Join(values, ", ")))
}

var keyPattern = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)

// ---- log

func (a *app) logCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "log",
		Usage:     "log a file (or each file of a directory) as an artifact version, streaming its content",
		ArgsUsage: "<file or directory>",
		Description: "The content is streamed to the server (createUpload, then a PUT), never held in memory.\n" +
			"--key defaults to the file's name without its extension, --format to the extension.\n" +
			"A directory logs each regular file under it as its own version, keyed <key>-<path with / as ->\n" +
			"(without the extension); --key defaults to the directory's name.\n\n" +
			"Example: artigraph log -p fraud --kind dataset --label team=risk --source store://datasets/fraud/raw train.csv",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "project", Aliases: []string{"p"}, Usage: "the project (required; ARTIGRAPH_PROJECT)"},
			&ucli.StringFlag{Name: "key", Aliases: []string{"k"}, Usage: "the artifact's key"},
			&ucli.StringFlag{Name: "kind", Value: "artifact", Usage: "artifact, dir, link, plot, table, dataset, model, document, feature-set or feature-vector"},
			&ucli.StringSliceFlag{Name: "label", Aliases: []string{"l"}, Usage: "a label k=v or k (repeatable)"},
			&ucli.StringSliceFlag{Name: "source", Usage: "a store:// URI or URL it was derived from (repeatable)"},
			&ucli.StringFlag{Name: "run", Usage: "the uid of the run that produced it"},
			&ucli.IntFlag{Name: "iteration", Usage: "the hyper-parameter iteration"},
			&ucli.StringFlag{Name: "tag", Aliases: []string{"t"}, Usage: "a tag besides latest"},
			&ucli.StringFlag{Name: "description", Aliases: []string{"d"}, Usage: "free-text description"},
			&ucli.StringFlag{Name: "format", Usage: "the data's format; default: the file's extension"},
			&ucli.StringFlag{Name: "artifact-path", Usage: "this log's artifact path"},
			jsonFlag,
		},
		Action: a.log,
	}
}

type logItem struct{ path, key, format string }

func (a *app) log(ctx context.Context, cmd *ucli.Command) error {
	in, err := args(cmd, "file or directory")
	if err != nil {
		return err
	}
	project, err := a.project(cmd)
	if err != nil {
		return err
	}
	kind, err := enum("kind", cmd.String("kind"), kinds)
	if err != nil {
		return err
	}
	path := in[0]
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	var items []logItem
	if !st.IsDir() {
		base := filepath.Base(path)
		ext := strings.TrimPrefix(filepath.Ext(base), ".")
		key := strings.TrimSuffix(base, filepath.Ext(base))
		if k := cmd.String("key"); k != "" {
			key = k
		}
		items = append(items, logItem{path: path, key: key, format: ext})
	} else {
		prefix := filepath.Base(filepath.Clean(path))
		if k := cmd.String("key"); k != "" {
			prefix = k
		}
		err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			rel, err := filepath.Rel(path, p)
			if err != nil {
				return err
			}
			ext := filepath.Ext(rel)
			key := prefix + "-" + strings.ReplaceAll(strings.TrimSuffix(filepath.ToSlash(rel), ext), "/", "-")
			items = append(items, logItem{path: p, key: key, format: strings.TrimPrefix(ext, ".")})
			return nil
		})
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return fmt.Errorf("%s holds no files to log", path)
		}
	}
	for _, it := range items {
		if !keyPattern.MatchString(it.key) {
			return usagef("%s: the key %q is not a valid key (letters, digits, - _ . inside); give one with --key", it.path, it.key)
		}
	}
	var out []Uploaded
	for _, it := range items {
		input := map[string]any{"project": project, "key": it.key, "kind": kind}
		format := it.format
		if cmd.IsSet("format") {
			format = cmd.String("format")
		}
		set := map[string]any{"runUid": cmd.String("run"), "tag": cmd.String("tag"), "description": cmd.String("description"),
			"format": format, "artifactPath": cmd.String("artifact-path")}
		for k, v := range set {
			if v != "" {
				input[k] = v
			}
		}
		if cmd.IsSet("iteration") {
			input["iteration"] = cmd.Int("iteration")
		}
		if l := labels(cmd.StringSlice("label")); l != nil {
			input["labels"] = l
		}
		if s := cmd.StringSlice("source"); len(s) > 0 {
			input["sources"] = s
		}
		up, err := a.client.Upload(ctx, input, it.path, a.progressBar(filepath.Base(it.path)))
		if err != nil {
			return fmt.Errorf("%s: %w", it.path, err)
		}
		if !cmd.Bool("json") {
			fmt.Fprintln(a.env.Stdout, up.URI)
		}
		out = append(out, up)
	}
	if cmd.Bool("json") {
		if st.IsDir() {
			return a.printJSON(out)
		}
		return a.printJSON(out[0])
	}
	return nil
}

// ---- get

func (a *app) getCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "get",
		Usage:     "show an artifact version's metadata as YAML (or --json), or --download its content",
		ArgsUsage: "<store:// URI>",
		Description: "Examples:\n  artigraph get store://datasets/fraud/train\n" +
			"  artigraph get --download -o train.csv store://datasets/fraud/train:v2\n" +
			"The download is checked against the version's sha256.",
		Flags: []ucli.Flag{
			jsonFlag,
			&ucli.BoolFlag{Name: "download", Usage: "write the content instead of the metadata"},
			&ucli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "with --download: the file to write (default: stdout)"},
		},
		Action: a.get,
	}
}

// artifact looks a version up, with NOT_FOUND for none.
func (a *app) artifact(ctx context.Context, uri, fields, fragment string) (json.RawMessage, error) {
	var data struct {
		Artifact json.RawMessage `json:"artifact"`
	}
	err := a.client.Do(ctx, `query($uri: String!) { artifact(uri: $uri) { `+fields+` } } `+fragment, map[string]any{"uri": uri}, &data)
	if err != nil {
		return nil, err
	}
	if len(data.Artifact) == 0 || string(data.Artifact) == "null" {
		return nil, &APIError{Message: "no artifact version at " + uri, Code: "NOT_FOUND"}
	}
	return data.Artifact, nil
}

func (a *app) get(ctx context.Context, cmd *ucli.Command) error {
	in, err := args(cmd, "store:// URI")
	if err != nil {
		return err
	}
	if cmd.IsSet("output") && !cmd.Bool("download") {
		return usagef("-o needs --download")
	}
	raw, err := a.artifact(ctx, in[0], "...V", versionFields)
	if err != nil {
		return err
	}
	if !cmd.Bool("download") {
		if cmd.Bool("json") {
			return a.printJSON(raw)
		}
		return a.printYAML(raw)
	}
	var v version
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	if v.DownloadURL == nil {
		return &APIError{Message: v.URI + " has no content to download", Code: "NOT_FOUND"}
	}
	want := ""
	if v.Hash != nil {
		want = *v.Hash
	}
	out := cmd.String("output")
	// A bar on stderr, unless the content itself goes to the terminal.
	var bar *progress
	if toStdout := out == "" || out == "-"; !toStdout || !a.env.IsTerminal(a.env.Stdout) {
		bar = a.progressBar(path.Base(v.URI))
		if !toStdout {
			bar = a.progressBar(filepath.Base(out))
		}
	}
	n, err := a.client.Download(ctx, *v.DownloadURL, want, out, a.env.Stdout, bar)
	if err != nil {
		return err
	}
	if cmd.Bool("json") && out != "" && out != "-" {
		return a.printJSON(map[string]any{"uri": v.URI, "output": out, "size": n, "hash": want})
	}
	return nil
}

// ---- ls

func (a *app) lsCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "ls",
		Usage:     "list a project's artifact versions, most recently updated first",
		ArgsUsage: "<project>",
		Description: "Example: artigraph ls --kind model --label team=risk --since 24h fraud\n" +
			"--since and --until take an RFC 3339 time or a duration back from now (24h).",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "kind", Usage: "only this kind"},
			&ucli.StringFlag{Name: "key", Usage: "only this exact key"},
			&ucli.StringFlag{Name: "key-contains", Usage: "only keys containing this"},
			&ucli.StringFlag{Name: "tag", Usage: "only the versions holding this tag"},
			&ucli.StringSliceFlag{Name: "label", Aliases: []string{"l"}, Usage: "k=v or k, all must hold (repeatable)"},
			&ucli.StringFlag{Name: "since", Usage: "updated at or after"},
			&ucli.StringFlag{Name: "until", Usage: "updated at or before"},
			&ucli.StringFlag{Name: "producer", Usage: "only versions whose producer's name or URI is this"},
			&ucli.StringFlag{Name: "owner", Usage: "only versions owned by this user"},
			&ucli.IntFlag{Name: "limit", Value: 100, Usage: "the most versions to list (0: all)"},
			jsonFlag,
		},
		Action: a.ls,
	}
}

// when is an RFC 3339 time, or a duration back from now.
func when(flag, s string) (string, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(-d).UTC().Format(time.RFC3339Nano), nil
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		return "", usagef("--%s %q: want an RFC 3339 time or a duration such as 24h", flag, s)
	}
	return s, nil
}

func (a *app) ls(ctx context.Context, cmd *ucli.Command) error {
	in, err := args(cmd, "project")
	if err != nil {
		return err
	}
	filter := map[string]any{}
	for _, f := range []struct{ flag, field string }{{"key", "key"}, {"key-contains", "keyContains"}, {"tag", "tag"}, {"producer", "producer"}, {"owner", "owner"}} {
		if v := cmd.String(f.flag); v != "" {
			filter[f.field] = v
		}
	}
	if k := cmd.String("kind"); k != "" {
		if filter["kind"], err = enum("kind", k, kinds); err != nil {
			return err
		}
	}
	if l := cmd.StringSlice("label"); len(l) > 0 {
		filter["labels"] = l
	}
	for _, f := range []string{"since", "until"} {
		if v := cmd.String(f); v != "" {
			if filter[f], err = when(f, v); err != nil {
				return err
			}
		}
	}
	limit := cmd.Int("limit")
	var nodes []json.RawMessage
	var after any
	total := 0
	for {
		first := 100
		if limit > 0 {
			first = min(first, limit-len(nodes))
		}
		var page struct {
			Artifacts struct {
				Edges []struct {
					Node json.RawMessage `json:"node"`
				} `json:"edges"`
				PageInfo struct {
					HasNextPage bool    `json:"hasNextPage"`
					EndCursor   *string `json:"endCursor"`
				} `json:"pageInfo"`
				TotalCount int `json:"totalCount"`
			} `json:"artifacts"`
		}
		err := a.client.Do(ctx, `query($p: String!, $f: ArtifactFilter, $first: Int, $after: String) {
  artifacts(project: $p, filter: $f, first: $first, after: $after) { edges { node { ...V } } pageInfo { hasNextPage endCursor } totalCount }
} `+versionFields, map[string]any{"p": in[0], "f": filter, "first": first, "after": after}, &page)
		if err != nil {
			return err
		}
		total = page.Artifacts.TotalCount
		for _, e := range page.Artifacts.Edges {
			nodes = append(nodes, e.Node)
		}
		if !page.Artifacts.PageInfo.HasNextPage || page.Artifacts.PageInfo.EndCursor == nil || len(page.Artifacts.Edges) == 0 ||
			(limit > 0 && len(nodes) >= limit) {
			break
		}
		after = *page.Artifacts.PageInfo.EndCursor
	}
	if cmd.Bool("json") {
		if nodes == nil {
			nodes = []json.RawMessage{}
		}
		return a.printJSON(nodes)
	}
	tw := tabwriter.NewWriter(a.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tKIND\tTAGS\tSIZE\tUPDATED\tURI")
	for _, raw := range nodes {
		var v struct {
			version
			Tags []string `json:"tags"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		sz := "-"
		if v.Size != nil {
			sz = size(*v.Size)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", v.Key, v.Kind, strings.Join(v.Tags, ","), sz,
			v.UpdatedAt.Local().Format("2006-01-02 15:04:05"), v.URI)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if total > len(nodes) {
		fmt.Fprintf(a.env.Stderr, "%d of %d versions shown (--limit)\n", len(nodes), total)
	}
	return nil
}

// ---- tag, untag, rm, export, import

func (a *app) tagCommand() *ucli.Command {
	return &ucli.Command{
		Name: "tag", Usage: "put a tag on a version (it moves from the version that held it)", ArgsUsage: "<store:// URI> <tag>",
		Description: "Example: artigraph tag store://models/fraud/scorer^3f2a prod",
		Flags:       []ucli.Flag{jsonFlag},
		Action:      func(ctx context.Context, cmd *ucli.Command) error { return a.tagging(ctx, cmd, "tagArtifact") },
	}
}

func (a *app) untagCommand() *ucli.Command {
	return &ucli.Command{
		Name: "untag", Usage: "remove a tag from a version", ArgsUsage: "<store:// URI> <tag>",
		Description: "Example: artigraph untag store://models/fraud/scorer:prod prod",
		Flags:       []ucli.Flag{jsonFlag},
		Action:      func(ctx context.Context, cmd *ucli.Command) error { return a.tagging(ctx, cmd, "untagArtifact") },
	}
}

func (a *app) tagging(ctx context.Context, cmd *ucli.Command, mutation string) error {
	in, err := args(cmd, "store:// URI", "tag")
	if err != nil {
		return err
	}
	var data map[string]json.RawMessage
	if err := a.client.Do(ctx, `mutation($uri: String!, $tag: String!) { `+mutation+`(uri: $uri, tag: $tag) { ...V } } `+versionFields,
		map[string]any{"uri": in[0], "tag": in[1]}, &data); err != nil {
		return err
	}
	return a.printVersion(cmd, data[mutation])
}

// printVersion prints a version's URI and tags, or its JSON.
func (a *app) printVersion(cmd *ucli.Command, raw json.RawMessage) error {
	if cmd.Bool("json") {
		return a.printJSON(raw)
	}
	var v struct {
		URI  string   `json:"uri"`
		Tags []string `json:"tags"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	fmt.Fprintf(a.env.Stdout, "%s\ttags: %s\n", v.URI, strings.Join(v.Tags, ","))
	return nil
}

var strategies = []string{"METADATA_ONLY", "DATA_OPTIONAL", "DATA_FORCE"}

func (a *app) rmCommand() *ucli.Command {
	return &ucli.Command{
		Name: "rm", Usage: "delete the artifact versions a URI names", ArgsUsage: "<store:// URI>",
		Description: "--strategy: metadata-only (leave the data), data-optional (delete the data Artigraph uploaded if it can)\n" +
			"or data-force (fail if the data cannot be deleted); the server's default when omitted.\n" +
			"Example: artigraph rm --strategy data-force store://datasets/fraud/scratch",
		Flags: []ucli.Flag{&ucli.StringFlag{Name: "strategy", Usage: "metadata-only, data-optional or data-force"}, jsonFlag},
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			in, err := args(cmd, "store:// URI")
			if err != nil {
				return err
			}
			vars := map[string]any{"uri": in[0]}
			if s := cmd.String("strategy"); s != "" {
				if vars["strategy"], err = enum("strategy", s, strategies); err != nil {
					return err
				}
			}
			var data struct {
				N int `json:"deleteArtifact"`
			}
			if err := a.client.Do(ctx, `mutation($uri: String!, $strategy: DeletionStrategy) { deleteArtifact(uri: $uri, strategy: $strategy) }`, vars, &data); err != nil {
				return err
			}
			if cmd.Bool("json") {
				return a.printJSON(map[string]any{"deleted": data.N})
			}
			fmt.Fprintf(a.env.Stdout, "%d versions deleted\n", data.N)
			return nil
		},
	}
}

func (a *app) exportCommand() *ucli.Command {
	return &ucli.Command{
		Name: "export", Usage: "write a version's metadata export (MLRun YAML), which import reads back", ArgsUsage: "<store:// URI>",
		Description: "Example: artigraph export -o scorer.yaml store://models/fraud/scorer:prod",
		Flags:       []ucli.Flag{&ucli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "the file to write (default: stdout)"}, jsonFlag},
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			in, err := args(cmd, "store:// URI")
			if err != nil {
				return err
			}
			raw, err := a.artifact(ctx, in[0], "uri yaml", "")
			if err != nil {
				return err
			}
			var v struct{ URI, YAML string }
			if err := json.Unmarshal(raw, &v); err != nil {
				return err
			}
			if cmd.Bool("json") {
				return a.printJSON(raw)
			}
			if out := cmd.String("output"); out != "" && out != "-" {
				return os.WriteFile(out, []byte(v.YAML), 0o644)
			}
			_, err = io.WriteString(a.env.Stdout, v.YAML)
			return err
		},
	}
}

func (a *app) importCommand() *ucli.Command {
	return &ucli.Command{
		Name: "import", Usage: "import a version from its YAML export (a file, or - for stdin)", ArgsUsage: "<file.yaml | ->",
		Description: "Example: artigraph import --project fraud-staging --tag imported scorer.yaml",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "project", Aliases: []string{"p"}, Usage: "import into this project (default: the export's)"},
			&ucli.StringFlag{Name: "key", Usage: "import under this key (default: the export's)"},
			&ucli.StringFlag{Name: "tag", Aliases: []string{"t"}, Usage: "a tag besides latest"},
			jsonFlag,
		},
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			in, err := args(cmd, "file.yaml")
			if err != nil {
				return err
			}
			var doc []byte
			if in[0] == "-" {
				doc, err = io.ReadAll(io.LimitReader(a.env.Stdin, 16<<20))
			} else {
				doc, err = os.ReadFile(in[0])
			}
			if err != nil {
				return err
			}
			vars := map[string]any{"yaml": string(doc)}
			for flag, v := range map[string]string{"project": "project", "key": "newKey", "tag": "tag"} {
				if s := cmd.String(flag); s != "" {
					vars[v] = s
				}
			}
			var data struct {
				V json.RawMessage `json:"importArtifact"`
			}
			if err := a.client.Do(ctx, `mutation($yaml: String!, $project: String, $newKey: String, $tag: String) {
  importArtifact(yaml: $yaml, project: $project, newKey: $newKey, tag: $tag) { ...V } } `+versionFields, vars, &data); err != nil {
				return err
			}
			return a.printVersion(cmd, data.V)
		},
	}
}

// ---- runs

func (a *app) runsCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "runs",
		Usage: "start, finish, show and list runs",
		Commands: []*ucli.Command{
			{
				Name: "start", Usage: "start a run and print its uid", ArgsUsage: "<name>",
				Description: "Example: RUN=$(artigraph runs start -p fraud --input store://datasets/fraud/train train)\n" +
					"         artigraph log -p fraud --run $RUN --kind model model.pkl\n" +
					"         artigraph runs finish -p fraud $RUN",
				Flags: []ucli.Flag{
					&ucli.StringFlag{Name: "project", Aliases: []string{"p"}, Usage: "the project (required; ARTIGRAPH_PROJECT)"},
					&ucli.StringFlag{Name: "uid", Usage: "the run's uid (generated when omitted)"},
					&ucli.StringFlag{Name: "user", Usage: "who runs it (default: $USER)"},
					&ucli.StringFlag{Name: "pipeline", Usage: "the pipeline it is a step of"},
					&ucli.StringFlag{Name: "artifact-path", Usage: "the run's artifact path"},
					&ucli.StringSliceFlag{Name: "label", Aliases: []string{"l"}, Usage: "a label k=v or k (repeatable)"},
					&ucli.StringSliceFlag{Name: "input", Aliases: []string{"i"}, Usage: "a store:// URI the run reads (repeatable)"},
					jsonFlag,
				},
				Action: a.runStart,
			},
			{
				Name: "finish", Usage: "finish a run", ArgsUsage: "<uid>",
				Description: "Example: artigraph runs finish -p fraud --state failed 7c1e…",
				Flags: []ucli.Flag{
					&ucli.StringFlag{Name: "project", Aliases: []string{"p"}, Usage: "the project (required; ARTIGRAPH_PROJECT)"},
					&ucli.StringFlag{Name: "state", Value: "completed", Usage: "completed, failed or aborted"},
					jsonFlag,
				},
				Action: a.runFinish,
			},
			{
				Name: "get", Usage: "show a run as YAML (or --json)", ArgsUsage: "<uid>",
				Flags: []ucli.Flag{
					&ucli.StringFlag{Name: "project", Aliases: []string{"p"}, Usage: "the project (required; ARTIGRAPH_PROJECT)"},
					jsonFlag,
				},
				Action: a.runGet,
			},
			{
				Name: "ls", Usage: "list a project's runs, most recently started first", ArgsUsage: "<project>",
				Flags:  []ucli.Flag{&ucli.IntFlag{Name: "limit", Value: 100, Usage: "the most runs to list"}, jsonFlag},
				Action: a.runLs,
			},
		},
		Action: func(_ context.Context, cmd *ucli.Command) error {
			if cmd.Args().Len() > 0 {
				return usagef("runs has no command %q: use start, finish, get or ls", cmd.Args().First())
			}
			return ucli.ShowSubcommandHelp(cmd)
		},
	}
}

// project is --project, else ARTIGRAPH_PROJECT.
func (a *app) project(cmd *ucli.Command) (string, error) {
	p := cmd.String("project")
	if p == "" {
		p = a.env.Getenv("ARTIGRAPH_PROJECT")
	}
	if p == "" {
		return "", usagef("%s needs --project", cmd.Name)
	}
	return p, nil
}

func (a *app) runStart(ctx context.Context, cmd *ucli.Command) error {
	in, err := args(cmd, "name")
	if err != nil {
		return err
	}
	project, err := a.project(cmd)
	if err != nil {
		return err
	}
	input := map[string]any{"project": project, "name": in[0]}
	if u := a.env.Getenv("USER"); u != "" {
		input["user"] = u
	}
	for flag, field := range map[string]string{"uid": "uid", "user": "user", "pipeline": "pipeline", "artifact-path": "artifactPath"} {
		if v := cmd.String(flag); v != "" {
			input[field] = v
		}
	}
	if l := labels(cmd.StringSlice("label")); l != nil {
		input["labels"] = l
	}
	if i := cmd.StringSlice("input"); len(i) > 0 {
		input["inputs"] = i
	}
	var data struct {
		Run json.RawMessage `json:"startRun"`
	}
	if err := a.client.Do(ctx, `mutation($input: StartRunInput!) { startRun(input: $input) { ...R } } `+runFields,
		map[string]any{"input": input}, &data); err != nil {
		return err
	}
	return a.printRun(cmd, data.Run)
}

func (a *app) printRun(cmd *ucli.Command, raw json.RawMessage) error {
	if cmd.Bool("json") {
		return a.printJSON(raw)
	}
	var r struct{ UID string }
	if err := json.Unmarshal(raw, &r); err != nil {
		return err
	}
	fmt.Fprintln(a.env.Stdout, r.UID)
	return nil
}

var runStates = []string{"COMPLETED", "FAILED", "ABORTED"}

func (a *app) runFinish(ctx context.Context, cmd *ucli.Command) error {
	in, err := args(cmd, "uid")
	if err != nil {
		return err
	}
	project, err := a.project(cmd)
	if err != nil {
		return err
	}
	state, err := enum("state", cmd.String("state"), runStates)
	if err != nil {
		return err
	}
	var data struct {
		Run json.RawMessage `json:"finishRun"`
	}
	if err := a.client.Do(ctx, `mutation($p: String!, $uid: String!, $state: RunState!) { finishRun(project: $p, uid: $uid, state: $state) { ...R } } `+runFields,
		map[string]any{"p": project, "uid": in[0], "state": state}, &data); err != nil {
		return err
	}
	return a.printRun(cmd, data.Run)
}

func (a *app) runGet(ctx context.Context, cmd *ucli.Command) error {
	in, err := args(cmd, "uid")
	if err != nil {
		return err
	}
	project, err := a.project(cmd)
	if err != nil {
		return err
	}
	var data struct {
		Run json.RawMessage `json:"run"`
	}
	if err := a.client.Do(ctx, `query($p: String!, $uid: String!) { run(project: $p, uid: $uid) { ...R } } `+runFields,
		map[string]any{"p": project, "uid": in[0]}, &data); err != nil {
		return err
	}
	if len(data.Run) == 0 || string(data.Run) == "null" {
		return &APIError{Message: fmt.Sprintf("no run %s in project %s", in[0], project), Code: "NOT_FOUND"}
	}
	if cmd.Bool("json") {
		return a.printJSON(data.Run)
	}
	return a.printYAML(data.Run)
}

// runsPage is how many runs one request asks for: each brings its inputs
// and outputs, which the server's complexity budget counts.
const runsPage = 100

// listRuns reads up to limit runs of project, newest first, a page at a time.
func (a *app) listRuns(ctx context.Context, project string, limit int) ([]json.RawMessage, error) {
	nodes := []json.RawMessage{}
	after := ""
	for len(nodes) < limit {
		var data struct {
			Runs struct {
				Edges []struct {
					Node json.RawMessage `json:"node"`
				} `json:"edges"`
				PageInfo struct {
					HasNextPage bool   `json:"hasNextPage"`
					EndCursor   string `json:"endCursor"`
				} `json:"pageInfo"`
			} `json:"runs"`
		}
		vars := map[string]any{"p": project, "first": min(runsPage, limit-len(nodes))}
		if after != "" {
			vars["after"] = after
		}
		if err := a.client.Do(ctx, `query($p: String!, $first: Int, $after: String) {
  runs(project: $p, first: $first, after: $after) { edges { node { ...R } } pageInfo { hasNextPage endCursor } } } `+runFields,
			vars, &data); err != nil {
			return nil, err
		}
		for _, e := range data.Runs.Edges {
			nodes = append(nodes, e.Node)
		}
		if !data.Runs.PageInfo.HasNextPage {
			break
		}
		after = data.Runs.PageInfo.EndCursor
	}
	return nodes, nil
}

func (a *app) runLs(ctx context.Context, cmd *ucli.Command) error {
	in, err := args(cmd, "project")
	if err != nil {
		return err
	}
	nodes, err := a.listRuns(ctx, in[0], int(cmd.Int("limit")))
	if err != nil {
		return err
	}
	if cmd.Bool("json") {
		return a.printJSON(nodes)
	}
	tw := tabwriter.NewWriter(a.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "UID\tNAME\tSTATE\tSTARTED\tOUTPUTS")
	for _, raw := range nodes {
		var r struct {
			UID, Name, State string
			StartedAt        time.Time
			Outputs          []struct{ URI string }
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", r.UID, r.Name, r.State, r.StartedAt.Local().Format("2006-01-02 15:04:05"), len(r.Outputs))
	}
	return tw.Flush()
}

// ---- gc

func (a *app) gcCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "gc",
		Usage: "delete orphan blobs: with --server through the server's gc mutation (ADMIN), else next to the store",
		Description: "With --server on the command line, gc asks that server (the gc mutation; an ADMIN token in\n" +
			"ARTIGRAPH_TOKEN). Without it, 'artigraph gc' opens the store itself with the server's flags\n" +
			"(--data-dir, NEO4J_URI, ...), as before: stop a server on the embedded store first.\n\n" +
			"Example: artigraph gc --server http://artigraph:8080 --dry-run",
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "dry-run", Usage: "list orphans without removing them"},
			&ucli.DurationFlag{Name: "grace", Usage: "spare blobs younger than this (default: the server's, 1h)"},
			jsonFlag,
		},
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			if _, err := args(cmd); err != nil {
				return err
			}
			vars := map[string]any{"dry": cmd.Bool("dry-run")}
			if cmd.IsSet("grace") {
				vars["grace"] = int(cmd.Duration("grace").Seconds())
			}
			var data struct {
				GC struct {
					Roots   []string `json:"roots"`
					Scanned int      `json:"scanned"`
					Orphans []string `json:"orphans"`
					Removed int      `json:"removed"`
				} `json:"gc"`
			}
			raw, err := a.client.DoRaw(ctx, `mutation($dry: Boolean, $grace: Int) { gc(dryRun: $dry, graceSeconds: $grace) { roots scanned orphans removed } }`, vars)
			if err != nil {
				return err
			}
			if cmd.Bool("json") {
				return a.printJSON(raw)
			}
			if err := json.Unmarshal(raw, &data); err != nil {
				return err
			}
			for _, o := range data.GC.Orphans {
				fmt.Fprintf(a.env.Stdout, "orphan\t%s\n", o)
			}
			fmt.Fprintf(a.env.Stdout, "scanned %d blobs under %d roots, %d orphans, %d removed\n",
				data.GC.Scanned, len(data.GC.Roots), len(data.GC.Orphans), data.GC.Removed)
			return nil
		},
	}
}

// ---- token

var roles = []string{"VIEWER", "EDITOR", "ADMIN"}

const tokenFields = `id name role projects createdAt expiresAt lastUsedAt`

func (a *app) tokenCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "token",
		Usage: "create, list and revoke access tokens (ADMIN only)",
		Commands: []*ucli.Command{
			{
				Name: "create", Usage: "create a token and print its secret, shown this once", ArgsUsage: "<name>",
				Description: "Example: export ARTIGRAPH_TOKEN=$(artigraph token create --role editor --project fraud ci)\n" +
					"--expires takes an RFC 3339 time or a duration from now (720h).",
				Flags: []ucli.Flag{
					&ucli.StringFlag{Name: "role", Value: "viewer", Usage: "viewer, editor or admin"},
					&ucli.StringSliceFlag{Name: "project", Aliases: []string{"p"}, Usage: "a project it covers (repeatable; none: all)"},
					&ucli.StringFlag{Name: "expires", Usage: "when it stops working (default: never)"},
					jsonFlag,
				},
				Action: a.tokenCreate,
			},
			{
				Name: "ls", Usage: "list every token (never their secrets)",
				Flags:  []ucli.Flag{jsonFlag},
				Action: a.tokenLs,
			},
			{
				Name: "revoke", Usage: "revoke a token at once", ArgsUsage: "<id>",
				Flags:  []ucli.Flag{jsonFlag},
				Action: a.tokenRevoke,
			},
		},
		Action: func(_ context.Context, cmd *ucli.Command) error {
			if cmd.Args().Len() > 0 {
				return usagef("token has no command %q: use create, ls or revoke", cmd.Args().First())
			}
			return ucli.ShowSubcommandHelp(cmd)
		},
	}
}

func (a *app) tokenCreate(ctx context.Context, cmd *ucli.Command) error {
	in, err := args(cmd, "name")
	if err != nil {
		return err
	}
	role, err := enum("role", cmd.String("role"), roles)
	if err != nil {
		return err
	}
	input := map[string]any{"name": in[0], "role": role}
	if p := cmd.StringSlice("project"); len(p) > 0 {
		input["projects"] = p
	}
	if e := cmd.String("expires"); e != "" {
		if d, err := time.ParseDuration(e); err == nil {
			input["expiresAt"] = time.Now().Add(d).UTC().Format(time.RFC3339)
		} else if _, err := time.Parse(time.RFC3339Nano, e); err == nil {
			input["expiresAt"] = e
		} else {
			return usagef("--expires %q: want an RFC 3339 time or a duration such as 720h", e)
		}
	}
	raw, err := a.client.DoRaw(ctx, `mutation($input: TokenInput!) { createToken(input: $input) { token info { `+tokenFields+` } } }`,
		map[string]any{"input": input})
	if err != nil {
		return err
	}
	var data struct {
		CreateToken struct {
			Token string `json:"token"`
		} `json:"createToken"`
	}
	if err := json.Unmarshal(raw, &data); err != nil {
		return err
	}
	if cmd.Bool("json") {
		return a.printJSON(raw)
	}
	fmt.Fprintln(a.env.Stdout, data.CreateToken.Token)
	if a.env.IsTerminal(a.env.Stderr) {
		fmt.Fprintln(a.env.Stderr, "This is the only time the token is shown: keep it now.")
	}
	return nil
}

func (a *app) tokenLs(ctx context.Context, cmd *ucli.Command) error {
	if _, err := args(cmd); err != nil {
		return err
	}
	raw, err := a.client.DoRaw(ctx, `{ tokens { `+tokenFields+` } }`, nil)
	if err != nil {
		return err
	}
	if cmd.Bool("json") {
		return a.printJSON(raw)
	}
	var data struct {
		Tokens []struct {
			ID, Name, Role        string
			Projects              []string
			CreatedAt             time.Time
			ExpiresAt, LastUsedAt *time.Time
		} `json:"tokens"`
	}
	if err := json.Unmarshal(raw, &data); err != nil {
		return err
	}
	stamp := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.Local().Format("2006-01-02 15:04")
	}
	tw := tabwriter.NewWriter(a.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tPROJECTS\tCREATED\tEXPIRES\tLAST USED")
	for _, t := range data.Tokens {
		projects := strings.Join(t.Projects, ",")
		if projects == "" {
			projects = "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, projects, stamp(&t.CreatedAt), stamp(t.ExpiresAt), stamp(t.LastUsedAt))
	}
	return tw.Flush()
}

func (a *app) tokenRevoke(ctx context.Context, cmd *ucli.Command) error {
	in, err := args(cmd, "id")
	if err != nil {
		return err
	}
	var data struct {
		Revoked bool `json:"revokeToken"`
	}
	if err := a.client.Do(ctx, `mutation($id: ID!) { revokeToken(id: $id) }`, map[string]any{"id": in[0]}, &data); err != nil {
		return err
	}
	if cmd.Bool("json") {
		return a.printJSON(map[string]any{"revoked": data.Revoked})
	}
	if !data.Revoked {
		return &APIError{Message: "no token " + in[0], Code: "NOT_FOUND"}
	}
	fmt.Fprintln(a.env.Stdout, "revoked", in[0])
	return nil
}

// ---- project

func (a *app) projectCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "project",
		Usage: "create, update, show and list projects",
		Commands: []*ucli.Command{
			{
				Name: "create", Usage: "create a project, or update its settings", ArgsUsage: "<name>",
				Description: "Example: artigraph project create --artifact-path gs://ml/{{project}} --label team=risk fraud",
				Flags: []ucli.Flag{
					&ucli.StringFlag{Name: "description", Aliases: []string{"d"}, Usage: "free-text description"},
					&ucli.StringFlag{Name: "artifact-path", Usage: "where its artifacts' data is written"},
					&ucli.StringSliceFlag{Name: "label", Aliases: []string{"l"}, Usage: "a label k=v or k (repeatable)"},
					jsonFlag,
				},
				Action: func(ctx context.Context, cmd *ucli.Command) error {
					in, err := args(cmd, "name")
					if err != nil {
						return err
					}
					input := map[string]any{"name": in[0]}
					for flag, field := range map[string]string{"description": "description", "artifact-path": "artifactPath"} {
						if v := cmd.String(flag); v != "" {
							input[field] = v
						}
					}
					if l := labels(cmd.StringSlice("label")); l != nil {
						input["labels"] = l
					}
					raw, err := a.client.DoRaw(ctx, `mutation($input: ProjectInput!) { upsertProject(input: $input) { `+projectFields+` } }`,
						map[string]any{"input": input})
					if err != nil {
						return err
					}
					if cmd.Bool("json") {
						return a.printJSON(raw)
					}
					fmt.Fprintln(a.env.Stdout, in[0])
					return nil
				},
			},
			{
				Name: "get", Usage: "show a project as YAML (or --json)", ArgsUsage: "<name>",
				Flags: []ucli.Flag{jsonFlag},
				Action: func(ctx context.Context, cmd *ucli.Command) error {
					in, err := args(cmd, "name")
					if err != nil {
						return err
					}
					var data struct {
						Project json.RawMessage `json:"project"`
					}
					if err := a.client.Do(ctx, `query($name: String!) { project(name: $name) { `+projectFields+` } }`,
						map[string]any{"name": in[0]}, &data); err != nil {
						return err
					}
					if len(data.Project) == 0 || string(data.Project) == "null" {
						return &APIError{Message: fmt.Sprintf("project %q does not exist", in[0]), Code: "NOT_FOUND"}
					}
					if cmd.Bool("json") {
						return a.printJSON(data.Project)
					}
					return a.printYAML(data.Project)
				},
			},
			{
				Name: "ls", Usage: "list the projects",
				Flags: []ucli.Flag{jsonFlag},
				Action: func(ctx context.Context, cmd *ucli.Command) error {
					if _, err := args(cmd); err != nil {
						return err
					}
					var data struct {
						Projects []json.RawMessage `json:"projects"`
					}
					if err := a.client.Do(ctx, `{ projects { `+projectFields+` } }`, nil, &data); err != nil {
						return err
					}
					if cmd.Bool("json") {
						if data.Projects == nil {
							data.Projects = []json.RawMessage{}
						}
						return a.printJSON(data.Projects)
					}
					for _, raw := range data.Projects {
						var p struct{ Name string }
						if err := json.Unmarshal(raw, &p); err != nil {
							return err
						}
						fmt.Fprintln(a.env.Stdout, p.Name)
					}
					return nil
				},
			},
		},
		Action: func(_ context.Context, cmd *ucli.Command) error {
			if cmd.Args().Len() > 0 {
				return usagef("project has no command %q: use create, get or ls", cmd.Args().First())
			}
			return ucli.ShowSubcommandHelp(cmd)
		},
	}
}

const projectFields = `name description artifactPath labels { key value } createdAt`
