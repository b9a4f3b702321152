package tool

import (
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/log"
	"github.com/mattn/go-isatty"
	"github.com/muesli/termenv"
)

// LogLevelEnv sets the log level when no -v is given: debug, info, warn, error.
const LogLevelEnv = "CNTOOLS_LOG_LEVEL"

// IsTerminal reports whether w is a terminal.
func IsTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// newLogger builds the one logger a run uses.
//
// charmbracelet/log v1.0.0 queries the terminal's colours when it is given
// an *os.File, and waits 10 s on a terminal that does not answer (serial
// consoles; go-deps.md §6.1). It is handed a plain io.Writer instead, and
// colour is decided here.
func newLogger(stderr io.Writer, verbose bool, json bool, getenv func(string) string) *log.Logger {
	tty := IsTerminal(stderr)
	l := log.NewWithOptions(struct{ io.Writer }{stderr}, log.Options{ReportTimestamp: false})
	switch {
	case json:
		l.SetFormatter(log.JSONFormatter)
	case !tty:
		l.SetFormatter(log.LogfmtFormatter)
	}
	if tty && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb" {
		l.SetColorProfile(termenv.ANSI256)
	}
	l.SetLevel(log.InfoLevel)
	if lvl, err := log.ParseLevel(strings.ToLower(getenv(LogLevelEnv))); err == nil && getenv(LogLevelEnv) != "" {
		l.SetLevel(lvl)
	}
	if verbose {
		l.SetLevel(log.DebugLevel)
	}
	return l
}
