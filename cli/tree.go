package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	ucli "github.com/urfave/cli/v3"
)

const graphFields = `nodes { id type depth artifact { uri kind } run { name state } } edges { from to relation } truncated hidden`

type graph struct {
	Nodes []struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		Depth    int    `json:"depth"`
		Artifact *struct {
			URI  string `json:"uri"`
			Kind string `json:"kind"`
		} `json:"artifact"`
		Run *struct {
			Name  string `json:"name"`
			State string `json:"state"`
		} `json:"run"`
	} `json:"nodes"`
	Edges []struct {
		From     string `json:"from"`
		To       string `json:"to"`
		Relation string `json:"relation"`
	} `json:"edges"`
	Truncated bool `json:"truncated"`
	Hidden    int  `json:"hidden"`
}

var directions = []string{"UPSTREAM", "DOWNSTREAM", "BOTH"}

func depthFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.IntFlag{Name: "depth", Usage: "the most hops to follow (default: the server's)"},
		&ucli.IntFlag{Name: "limit", Usage: "the most nodes (default: the server's)"},
		jsonFlag,
	}
}

func depthVars(cmd *ucli.Command, uri string) map[string]any {
	vars := map[string]any{"uri": uri}
	for _, f := range []string{"depth", "limit"} {
		if cmd.IsSet(f) {
			vars[f] = cmd.Int(f)
		}
	}
	return vars
}

func (a *app) lineageCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "lineage",
		Usage:     "print the lineage around a version (or run:<project>/<uid>) as a tree",
		ArgsUsage: "<store:// URI | run:<project>/<uid>>",
		Description: "Example: artigraph lineage --direction upstream --depth 3 store://models/fraud/scorer\n" +
			"--json prints the GraphQL answer (nodes, edges, truncated, hidden).",
		Flags: append([]ucli.Flag{&ucli.StringFlag{Name: "direction", Value: "upstream", Usage: "upstream, downstream or both"}}, depthFlags()...),
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			in, err := args(cmd, "URI")
			if err != nil {
				return err
			}
			dir, err := enum("direction", cmd.String("direction"), directions)
			if err != nil {
				return err
			}
			vars := depthVars(cmd, in[0])
			vars["dir"] = dir
			raw, err := a.client.DoRaw(ctx, `query($uri: String!, $dir: LineageDirection!, $depth: Int, $limit: Int) {
  lineage(uri: $uri, direction: $dir, depth: $depth, limit: $limit) { `+graphFields+` } }`, vars)
			if err != nil {
				return err
			}
			if cmd.Bool("json") {
				return a.printJSON(raw)
			}
			var data struct{ Lineage graph }
			if err := json.Unmarshal(raw, &data); err != nil {
				return err
			}
			printTree(a.env.Stdout, data.Lineage)
			return nil
		},
	}
}

func (a *app) impactCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "impact",
		Usage:     "print everything downstream of a version (or run:<project>/<uid>): a tree, then the pipelines",
		ArgsUsage: "<store:// URI | run:<project>/<uid>>",
		Description: "Example: artigraph impact store://datasets/fraud/raw\n" +
			"--json prints the GraphQL impact report (artifacts, runs, pipelines, truncated, hidden).",
		Flags: depthFlags(),
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			in, err := args(cmd, "URI")
			if err != nil {
				return err
			}
			vars := depthVars(cmd, in[0])
			if cmd.Bool("json") {
				raw, err := a.client.DoRaw(ctx, `query($uri: String!, $depth: Int, $limit: Int) {
  impact(uri: $uri, depth: $depth, limit: $limit) { artifacts { uri kind key } runs { project uid name state } pipelines { project id } truncated hidden } }`, vars)
				if err != nil {
					return err
				}
				return a.printJSON(raw)
			}
			// The report has no edges; the tree is the same traversal's graph.
			var data struct {
				Impact struct {
					Artifacts []struct{ URI string }
					Runs      []struct{ UID string }
					Pipelines []struct{ Project, ID string }
				}
				Lineage graph
			}
			if err := a.client.Do(ctx, `query($uri: String!, $depth: Int, $limit: Int) {
  impact(uri: $uri, depth: $depth, limit: $limit) { artifacts { uri } runs { uid } pipelines { project id } }
  lineage(uri: $uri, direction: DOWNSTREAM, depth: $depth, limit: $limit) { `+graphFields+` } }`, vars, &data); err != nil {
				return err
			}
			printTree(a.env.Stdout, data.Lineage)
			im := data.Impact
			fmt.Fprintf(a.env.Stdout, "impact: %d artifact versions, %d runs, %d pipelines\n", len(im.Artifacts), len(im.Runs), len(im.Pipelines))
			for _, p := range im.Pipelines {
				fmt.Fprintf(a.env.Stdout, "  pipeline %s/%s\n", p.Project, p.ID)
			}
			return nil
		},
	}
}

// printTree prints the graph from its start node (depth 0), each node once,
// under the first node one hop nearer the start that it shares an edge with.
func printTree(w io.Writer, g graph) {
	label := map[string]string{}
	depth := map[string]int{}
	var start string
	for _, n := range g.Nodes {
		depth[n.ID] = n.Depth
		switch {
		case n.Artifact != nil:
			label[n.ID] = fmt.Sprintf("%s [%s]", n.Artifact.URI, n.Artifact.Kind)
		case n.Run != nil:
			label[n.ID] = fmt.Sprintf("%s (%s, %s)", n.ID, n.Run.Name, n.Run.State)
		default:
			label[n.ID] = n.ID
		}
		if n.Depth == 0 && start == "" {
			start = n.ID
		}
	}
	type child struct{ id, relation string }
	children := map[string][]child{}
	placed := map[string]bool{start: true}
	for d := 0; ; d++ {
		more := false
		for _, e := range g.Edges {
			for _, pair := range [][2]string{{e.From, e.To}, {e.To, e.From}} {
				parent, c := pair[0], pair[1]
				pd, ok1 := depth[parent]
				cd, ok2 := depth[c]
				if !ok1 || !ok2 || pd != d || cd != d+1 || !placed[parent] || placed[c] {
					continue
				}
				rel := relationWords(e.Relation, c == e.From)
				children[parent] = append(children[parent], child{c, rel})
				placed[c] = true
				more = true
			}
		}
		if !more {
			break
		}
	}
	if start == "" {
		fmt.Fprintln(w, "(no nodes)")
		return
	}
	fmt.Fprintln(w, label[start])
	var walk func(id, indent string)
	walk = func(id, indent string) {
		cs := children[id]
		for i, c := range cs {
			branch, next := "├── ", "│   "
			if i == len(cs)-1 {
				branch, next = "└── ", "    "
			}
			fmt.Fprintf(w, "%s%s%s %s\n", indent, branch, c.relation, label[c.id])
			walk(c.id, indent+next)
		}
	}
	walk(start, "")
	var notes []string
	if g.Truncated {
		notes = append(notes, "truncated by --depth or --limit")
	}
	if g.Hidden > 0 {
		notes = append(notes, fmt.Sprintf("%d nodes hidden (projects this token cannot read)", g.Hidden))
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "(%s)\n", strings.Join(notes, "; "))
	}
}

// relationWords reads an edge from the parent's side: "produced" when the
// parent is the edge's subject, "produced by" when the child is.
func relationWords(relation string, childIsSubject bool) string {
	words := map[string][2]string{
		"PRODUCED":     {"produced", "produced by"},
		"CONSUMED":     {"consumed", "consumed by"},
		"DERIVED_FROM": {"derived from", "derived into"},
	}
	w, ok := words[relation]
	if !ok {
		w = [2]string{relation, relation + " (reverse)"}
	}
	if childIsSubject {
		return w[1]
	}
	return w[0]
}
