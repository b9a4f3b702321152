package tool

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"
)

// The exit codes, the same for every tool.
const (
	ExitOK      = 0 // success
	ExitProblem = 1 // the check found a problem: drift, an unsafe target, a verify mismatch
	ExitError   = 2 // usage or runtime error
)

// ErrReported means the command has already printed its report of a
// problem: exit 1 and print nothing more.
var ErrReported = errors.New("problem reported")

// problemError marks an error that is a finding (exit 1), not a failure.
type problemError struct{ err error }

func (p problemError) Error() string { return p.err.Error() }
func (p problemError) Unwrap() error { return p.err }

// Problem marks err as a finding: the tool did its job and refuses or
// reports, so it exits 1 rather than 2.
func Problem(err error) error {
	if err == nil {
		return nil
	}
	return problemError{err}
}

// Usage is a usage error (exit 2, as any error); the message should say
// what to type instead.
func Usage(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}

// ExitCode maps an error returned by a command to the process exit status.
func ExitCode(err error) int {
	var p problemError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, ErrReported), errors.As(err, &p):
		return ExitProblem
	default:
		return ExitError
	}
}

// OneArg returns the one argument a command takes, or a usage error that
// names what it wants (what: "DEVICE or IMAGE").
func OneArg(c interface {
	NArg() int
	Args() cli.Args
}, what string) (string, error) {
	if n := c.NArg(); n != 1 {
		return "", Usage("want exactly one %s, got %d arguments; see -h", what, n)
	}
	return c.Args().First(), nil
}
