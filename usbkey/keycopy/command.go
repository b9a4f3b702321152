package keycopy

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

// Usage is usbkey-state's synopsis.
const Usage = `usage: usbkey-state [--hold] DIR

Prints the state of the standby copy DIR as a sync from another node asks
for it: "cntools-state/1", the SHA-256 of DIR's listing in canonical form,
and that of its manifest ("-" for none). With --hold it first takes DIR's
lock (making DIR if it is missing) and gives it back when stdin ends.
usbkey-sync runs it on each target over SSH; an operator need not.
`

// Command is usbkey-state: args as the command line has them after the
// program name. It returns the exit status: 0, or 2 with the error
// printed once on stderr (as every cn-tools tool: internal/tool/exit.go).
// It is not a urfave/cli tool: that package alone triples the time a
// binary takes to start.
func Command(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	hold := false
	var dirs []string
	for _, a := range args {
		switch a {
		case "-h", "--help", "help":
			fmt.Fprint(stdout, Usage)
			return 0
		case "--hold":
			hold = true
		default:
			dirs = append(dirs, a)
		}
	}
	if len(dirs) != 1 || len(dirs[0]) > 0 && dirs[0][0] == '-' {
		fmt.Fprintf(stderr, "usbkey-state: error: want one standby copy DIR and at most --hold, got %q\n%s", args, Usage)
		return 2
	}
	if !filepath.IsAbs(dirs[0]) {
		fmt.Fprintf(stderr, "usbkey-state: error: standby copy %q is relative: give its absolute path, such as /zones/usbkey-standby\n", dirs[0])
		return 2
	}
	var err error
	if hold {
		err = Hold(ctx, dirs[0], stdin, stdout)
	} else {
		err = State(ctx, dirs[0], stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "usbkey-state: error: %v\n", err)
		return 2
	}
	return 0
}

// Main runs usbkey-state in this process and exits with its status. A
// sync gone gives the lock back: sshd closes stdin, or signals.
func Main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := Command(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
