package tool

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/log"
	"github.com/urfave/cli/v2"

	"cntools/internal/node"
)

// Env is everything a command touches, built once by Run.
type Env struct {
	Name   string // the tool's name, as errors are prefixed
	Ctx    context.Context
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Log is the run's logger; libraries get it as it is. Its handler is
	// term, charmbracelet/log, which draws it on stderr (and the log file).
	Log     *slog.Logger
	term    *log.Logger
	handler *runHandler
	logFile *os.File
	JSON    bool
	DryRun  bool
	Yes     bool
	Node    *node.Node // the node: --root, its facts, its commands
	Getenv  func(string) string
	Now     func() time.Time

	stdinTTY bool
	args     []string
	state    *State
}

// Doing records what the run is doing now ("formatting /dev/rdsk/c1t0d0p0"),
// which an interrupt reports; "" clears it.
func (e *Env) Doing(what string) { e.state.Set(what) }

// AtHardExit registers f to run if a second signal ends the run at once
// (see State.AtHardExit).
func (e *Env) AtHardExit(f func()) { e.state.AtHardExit(f) }

const envKey = "cntools.env"

// FromContext returns the Env of the running command.
func FromContext(c *cli.Context) *Env {
	return c.App.Metadata[envKey].(*Env)
}

// Emit prints one result: as a JSON line (with its "type") under --json,
// otherwise through text.
func (e *Env) Emit(v any, text func(w io.Writer)) error {
	if e.JSON {
		enc := json.NewEncoder(e.Stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(v)
	}
	text(e.Stdout)
	return nil
}

// Confirm asks the operator before something destructive. The summary is
// printed indented four spaces, as sdcadm does, and a "no" prints
// "Aborting" (the caller then exits 0, as sdcadm does). -y answers yes;
// with no terminal to ask and no -y, it refuses.
func (e *Env) Confirm(action string, summary []string) (bool, error) {
	if e.Yes {
		return true, nil
	}
	if !e.stdinTTY {
		return false, Usage("%s: refusing to continue without confirmation: stdin is not a terminal; pass -y to proceed", action)
	}
	fmt.Fprintf(e.Stderr, "This will %s:\n", action)
	for _, l := range summary {
		fmt.Fprintf(e.Stderr, "    %s\n", l)
	}
	fmt.Fprint(e.Stderr, "\nWould you like to continue? [y/N] ")
	line, err := bufio.NewReader(e.Stdin).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(e.Stderr, "\nAborting")
		return false, nil
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	fmt.Fprintln(e.Stderr, "Aborting")
	return false, nil
}

// SetJSON turns JSON output on or off for the rest of the run, for a
// command whose own -j is read after Before: what a signal makes the run
// say follows it.
func (e *Env) SetJSON(on bool) {
	e.JSON = on
	e.state.SetJSON(on)
}
