package keysync

import (
	"bufio"
	"context"
	"errors"
	"path"
	"strconv"
	"strings"

	"cntools/internal/node"
	"cntools/internal/sshconn"
	"cntools/usbkey/keycopy"
)

// A sync to a target with usbkey-sync (cn_tools puts it on every CN) takes
// the target's lock, learns its state (listing.go) and gives the lock back
// through one command that runs for the whole sync there,
// `usbkey-state --hold DIR` (keycopy.Hold; `usbkey-sync state --hold DIR`
// where cn_tools predates usbkey-state): the lock is released when the
// sync closes the command's stdin, or when the connection drops. SFTP is opened
// only when the plan needs it, so a sync with nothing to send costs a
// target one login and one command. Before, it cost two SFTP sessions
// (one to learn sftp-server's limits), four SFTP requests to lock and
// unlock, and a command for the state: on the 2-core test machine, a no-op
// sync's every target paid about 40 ms of sshd's CPU for the SFTP
// sessions alone. A target whose usbkey-sync cannot hold (none there, an
// older one, a refused path) is locked and checked over SFTP as before,
// which says why when it refuses.

// held is what the target's `usbkey-state --hold` said: the hashing
// command it has, its state, and, while stream is not nil, the lock it
// holds for this sync.
type held struct {
	method string
	st     targetState
	stOK   bool
	stErr  error  // why there is no state
	holder string // who holds the lock, when another run does
	stream *sshconn.Stream
}

// hold starts the target's usbkey-sync holding its lock for this sync
// and reads what it says. Without a state line, stream is nil and the
// target is to be locked over SFTP, unless holder names another run.
//
// The command outlives ctx: a sync that is cancelled stops, and only then
// gives the lock back (release), as writes already under way finish or
// fail. Ending it on the cancel, as a Stream does, would free the target
// for another sync while this one still wrote. A cancel before the state
// is read closes the command's stdin instead: it gives the lock back as
// soon as it has told the state, and nothing is held.
func (r *remote) hold(ctx context.Context, forced string) *held {
	h := &held{}
	s, err := r.client.Start(context.WithoutCancel(ctx), node.ToolsPATH+methodProbe+stateCommand("--hold "+quote(r.root)))
	if err != nil {
		h.stErr = err
		h.method = pickMethod(nil, forced)
		return h
	}
	stop := context.AfterFunc(ctx, func() { s.Stdin.Close() })
	var lines []string
	br := bufio.NewReader(s.Stdout)
	for {
		l, err := br.ReadString('\n')
		l = strings.TrimSuffix(l, "\n")
		if rest, ok := strings.CutPrefix(l, keycopy.LockedTag+" "); ok {
			if q, err := strconv.Unquote(rest); err == nil {
				h.holder = q
			}
		}
		if strings.HasPrefix(l, keycopy.StateTag+" ") {
			h.st, h.stOK = parseState(l)
			break
		}
		if l != "" {
			lines = append(lines, l)
		}
		if err != nil {
			break
		}
	}
	h.method = pickMethod(lines, forced)
	// A state read after a cancel closed stdin is not held: the
	// command is giving the lock back. (stop reports whether it came
	// before the cancel.)
	if stop() && h.stOK {
		h.stream = s
		return h
	}
	h.stOK = false
	s.Stdin.Close()
	h.stErr = s.Wait()
	if err := ctx.Err(); err != nil {
		h.stErr = err
	}
	if h.stErr == nil {
		h.stErr = errors.New("the target's state command printed no state line: an older or newer cn_tools there")
	}
	return h
}

// release closes the command's stdin, on which it gives the lock back,
// and waits for it to have.
func (h *held) release() error {
	if h.stream == nil {
		return nil
	}
	h.stream.Stdin.Close()
	return h.stream.Wait()
}

// stateCommand runs `usbkey-state ARGS` on a target, or where cn_tools
// predates that helper, `usbkey-sync state ARGS`: the same function
// (keycopy), but the multi-call binary takes three times as long to start
// (24 ms against 8 on the 2-core test machine), twice a no-op sync.
func stateCommand(args string) string {
	return "command -v usbkey-state >/dev/null && exec usbkey-state " + args + "; exec usbkey-sync state " + args
}

// methodProbe prints the path of each hashing command the target has,
// best first; the state command goes after it, so that its lines are read
// even where there is no usbkey-sync (exec fails, ending the shell).
const methodProbe = "for c in openssl sha256sum digest; do command -v $c; done; "

// pickMethod is forced when given, else the best hashing command among
// the paths lines, else read-back.
func pickMethod(lines []string, forced string) string {
	if forced != "" {
		return forced
	}
	for _, m := range []string{VerifyOpenSSL, VerifySHA256Sum, VerifyDigest} {
		for _, l := range lines {
			if path.Base(strings.TrimSpace(l)) == m {
				return m
			}
		}
	}
	return VerifyReadBack
}
