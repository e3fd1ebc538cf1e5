// Package cli is the artigraph command line's client side: each command
// turns its flags into a GraphQL request to a server (or a streamed upload or
// download) and its answer into output. It holds no rules; the server does.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	ucli "github.com/urfave/cli/v3"
	"golang.org/x/term"
)

// DefaultServer is where the client commands look for a server.
const DefaultServer = "http://127.0.0.1:8080"

// Env is what a run of the command line reads and writes.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// IsTerminal says whether w is a terminal, for progress bars.
	IsTerminal func(w io.Writer) bool
}

// OS is the process's own environment.
func OS() Env {
	return Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, IsTerminal: isTerminal}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Handles says whether the root main should hand a command line whose first
// argument is arg to Main: a command word or help. The root main keeps
// serve, healthcheck, a gc without --server, and flags alone (the server).
func Handles(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "--generate-shell-completion":
		return true
	}
	// Any other word is a command: a known one, help, completion, or a
	// mistyped one Main refuses (rather than starting a server).
	return arg != "" && !strings.HasPrefix(arg, "-")
}

// RemoteGC says whether "artigraph gc" with these arguments is the client
// command (the gc mutation of a server): only when --server is given.
// Without it, gc runs next to the store, as it always has.
func RemoteGC(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name == "server" {
			return true
		}
	}
	return false
}

// usageError is a command line that cannot be run as given: exit code 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// Main runs the command line args (args[0] is the program) and returns the
// exit code: 0, 1 for a failure (the server's message and code on stderr),
// 2 for a usage error.
func Main(ctx context.Context, args []string, env Env) int {
	if env.IsTerminal == nil {
		env.IsTerminal = func(io.Writer) bool { return false }
	}
	// Ctrl-C stops a transfer cleanly: a partial -o file is removed.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	app := newApp(env)
	err := app.Run(ctx, args)
	if err == nil {
		return 0
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(env.Stderr, "artigraph: %v\nRun '%s --help' for usage.\n", ue.err, strings.Join(commandPath(app, args), " "))
		return 2
	}
	fmt.Fprintf(env.Stderr, "artigraph: %v\n", err)
	return 1
}

// commandPath is the command args name, for the usage hint: the root and
// the known commands and subcommands among the first words.
func commandPath(root *ucli.Command, args []string) []string {
	path := []string{root.Name}
	c := root
	for _, a := range args[1:] {
		sub := c.Command(a)
		if sub == nil {
			break
		}
		path = append(path, a)
		c = sub
	}
	return path
}

// app is one run's state: the environment and the client.
type app struct {
	env    Env
	client *Client
}

func newApp(env Env) *ucli.Command {
	a := &app{env: env}
	root := &ucli.Command{
		Name:  "artigraph",
		Usage: "record ML artifacts and runs, and answer lineage questions about them",
		Description: "Without a command, or with 'serve', artigraph runs the server ('artigraph serve --help' lists its flags).\n" +
			"The other commands are clients of a server: --server (ARTIGRAPH_SERVER, default " + DefaultServer + "),\n" +
			"with the bearer token in ARTIGRAPH_TOKEN. Errors go to stderr as 'artigraph: <message> (<CODE>)';\n" +
			"the exit code is 1 for a failure and 2 for a usage error.",
		EnableShellCompletion: true,
		HideVersion:           true,
		Reader:                env.Stdin,
		Writer:                env.Stdout,
		ErrWriter:             env.Stderr,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "server", Usage: "the server's URL (ARTIGRAPH_SERVER, default " + DefaultServer + ")"},
		},
		Before: func(ctx context.Context, cmd *ucli.Command) (context.Context, error) {
			server := cmd.String("server")
			if server == "" {
				server = env.Getenv("ARTIGRAPH_SERVER")
			}
			if server == "" {
				server = DefaultServer
			}
			server = strings.TrimRight(server, "/")
			if !strings.HasPrefix(server, "http://") && !strings.HasPrefix(server, "https://") {
				return ctx, usagef("--server %q: want an http:// or https:// URL", server)
			}
			a.client = &Client{Server: server, Token: strings.TrimSpace(env.Getenv("ARTIGRAPH_TOKEN")), HTTP: NewHTTPClient()}
			return ctx, nil
		},
		ExitErrHandler: func(context.Context, *ucli.Command, error) {}, // Main reports errors
		Action: func(_ context.Context, cmd *ucli.Command) error {
			if cmd.Args().Len() > 0 {
				return usagef("no command %q; 'artigraph help' lists them", cmd.Args().First())
			}
			return ucli.ShowRootCommandHelp(cmd)
		},
		Commands: []*ucli.Command{
			serveCommand(), a.logCommand(), a.getCommand(), a.lsCommand(), a.lineageCommand(), a.impactCommand(),
			a.tagCommand(), a.untagCommand(), a.rmCommand(), a.exportCommand(), a.importCommand(),
			a.projectCommand(), a.runsCommand(), a.tokenCommand(), a.gcCommand(), healthcheckCommand(),
		},
	}
	walk(root, func(c *ucli.Command) {
		c.OnUsageError = func(_ context.Context, _ *ucli.Command, err error, _ bool) error { return &usageError{err} }
	})
	return root
}

func walk(c *ucli.Command, f func(*ucli.Command)) {
	f(c)
	for _, s := range c.Commands {
		walk(s, f)
	}
}

// serveCommand and healthcheckCommand are the server's, run by the root
// main before Main is reached; they are here for help and completion.
func serveCommand() *ucli.Command {
	return &ucli.Command{
		Name:            "serve",
		Usage:           "run the server (the default without a command); 'artigraph serve --help' lists its flags",
		SkipFlagParsing: true,
		Action: func(context.Context, *ucli.Command) error {
			return usagef("serve is run by the artigraph binary itself")
		},
	}
}

func healthcheckCommand() *ucli.Command {
	return &ucli.Command{
		Name:            "healthcheck",
		Usage:           "exit 0 when the server at --addr answers /readyz (for container health checks)",
		SkipFlagParsing: true,
		Action: func(context.Context, *ucli.Command) error {
			return usagef("healthcheck is run by the artigraph binary itself")
		},
	}
}

// jsonFlag is every command's --json.
var jsonFlag = &ucli.BoolFlag{Name: "json", Usage: "print the answer as JSON"}

// args checks the number of positional arguments.
func args(cmd *ucli.Command, names ...string) ([]string, error) {
	got := cmd.Args().Slice()
	if len(got) != len(names) {
		want := "no arguments"
		if len(names) > 0 {
			want = "<" + strings.Join(names, "> <") + ">"
		}
		return nil, usagef("%s takes %s, got %d", cmd.Name, want, len(got))
	}
	return got, nil
}
