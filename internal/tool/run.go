package tool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"cntools/internal/node"
)

// Version is stamped at build time (-ldflags -X cntools/internal/tool.Version=...).
var Version = "dev"

func init() {
	// urfave/cli gives --version the alias -v, which every cn-tools tool
	// uses for --verbose, as sdcadm does.
	cli.VersionFlag = &cli.BoolFlag{Name: "version", Usage: "print the version"}
}

// Streams are the process's standard streams and environment.
type Streams struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// State, when set, is where Env.Doing records what the run is doing,
	// for WatchSignals to say on an interrupt.
	State *State
}

// OSStreams are the real ones.
func OSStreams() Streams {
	return Streams{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

// CommonFlags are on every tool. Fresh structs each call: urfave/cli v2
// keeps parse state in them.
func CommonFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "json", Aliases: []string{"j"}, Usage: "print results as JSON lines on stdout"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "log debug detail on stderr (or set " + LogLevelEnv + ")"},
		&cli.StringFlag{Name: "root", Value: "/", Usage: "resolve every node path, and read node facts, under `DIR`"},
	}
}

// DestructiveFlags are on every tool that changes a disk or a tree.
func DestructiveFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "show what would change, change nothing"},
		&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "answer yes to the confirmation"},
	}
}

// Run runs app with args and returns the exit status. It prints the error,
// if any, once: "TOOL: error: message" (a JSON object under --json).
func Run(ctx context.Context, app *cli.App, args []string, s Streams) int {
	env := &Env{Name: app.Name, Ctx: ctx, Stdin: s.Stdin, Stdout: s.Stdout, Stderr: s.Stderr, Getenv: s.Getenv, Now: time.Now, args: args, state: s.State}
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	env.stdinTTY = IsTerminal(s.Stdin)
	app.Reader, app.Writer, app.ErrWriter = s.Stdin, s.Stdout, s.Stderr
	app.Version = Version
	app.HideHelpCommand = true
	app.ExitErrHandler = func(*cli.Context, error) {} // urfave must never os.Exit
	app.OnUsageError = func(c *cli.Context, err error, _ bool) error {
		return fmt.Errorf("%w; see %s -h", err, app.Name)
	}
	for _, c := range app.Commands {
		commandErrors(app.Name, c)
	}
	if app.Metadata == nil {
		app.Metadata = map[string]any{}
	}
	app.Metadata[envKey] = env
	before := app.Before
	app.Before = func(c *cli.Context) error {
		env.JSON, env.DryRun, env.Yes = c.Bool("json"), c.Bool("dry-run"), c.Bool("yes")
		env.state.SetJSON(env.JSON)
		env.Node = node.New(c.String("root"))
		env.term = newLogger(s.Stderr, c.Bool("verbose"), env.JSON, env.Getenv)
		env.handler = newRunHandler(env.term)
		env.Log = slog.New(env.handler)
		if before != nil {
			return before(c)
		}
		return nil
	}
	err := app.RunContext(ctx, interspersed(app, args))
	if err != nil && !errors.Is(err, ErrReported) {
		printError(env, app.Name, err)
	}
	env.closeLog(err, ExitCode(err))
	return ExitCode(err)
}

func printError(env *Env, name string, err error) {
	if env.JSON {
		// A struct, not a map: a map's keys come out sorted, and "type"
		// must come first.
		json.NewEncoder(env.Stderr).Encode(struct {
			Type    string `json:"type"`
			Tool    string `json:"tool"`
			Message string `json:"message"`
			Exit    int    `json:"exit"`
		}{"error", name, err.Error(), ExitCode(err)})
		return
	}
	fmt.Fprintf(env.Stderr, "%s: error: %s\n", name, err)
}

// commandErrors makes a command's usage errors what the tool's are: one
// line that says what to type, never the help followed by a second error.
// A command that only groups others (usbkey-sync hook) names the ones it
// has when given none or one it does not know; urfave/cli would say "No
// help topic".
func commandErrors(tool string, c *cli.Command) {
	name := tool + " " + c.Name
	c.HideHelpCommand = true
	c.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
		return fmt.Errorf("%w; see %s -h", err, name)
	}
	if len(c.Subcommands) > 0 && c.Action == nil {
		var names []string
		for _, s := range c.Subcommands {
			names = append(names, s.Name)
		}
		c.Action = func(cc *cli.Context) error {
			if cc.NArg() == 0 {
				return Usage("%s: want one of %s; see %s -h", name, strings.Join(names, ", "), name)
			}
			return Usage("%s %s: no such command: want one of %s", name, cc.Args().First(), strings.Join(names, ", "))
		}
	}
	for _, s := range c.Subcommands {
		commandErrors(name, s)
	}
}
