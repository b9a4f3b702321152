package keysync

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"

	"cntools/internal/node"
	"cntools/internal/sshconn"
	"cntools/usbkey/keytree"
)

// A sync to a target with usbkey-sync (cn_tools puts it on every CN) takes
// the target's lock, learns its state (listing.go) and gives the lock back
// through one command that runs for the whole sync there,
// `usbkey-sync state --hold DIR`: the lock is released when the sync
// closes the command's stdin, or when the connection drops. SFTP is opened
// only when the plan needs it, so a sync with nothing to send costs a
// target one login and one command. Before, it cost two SFTP sessions
// (one to learn sftp-server's limits), four SFTP requests to lock and
// unlock, and a command for the state: on the 2-core test machine, a no-op
// sync's every target paid about 40 ms of sshd's CPU for the SFTP
// sessions alone. A target whose usbkey-sync cannot hold (none there, an
// older one, a refused path) is locked and checked over SFTP as before,
// which says why when it refuses.

// lockedTag starts the line Hold prints when another run holds the lock.
const lockedTag = "cntools-locked/1"

// Hold is `usbkey-sync state --hold DIR`, run on the target: it refuses a
// dir CheckRoot refuses or that is not a directory, makes it when it is
// missing, takes the lock in dir
// (a lock left by a process gone from this node is taken over), prints the
// state line State prints, and holds the lock until stdin ends or ctx is
// done. When the lock is held by another run it prints lockedTag and the
// holder, quoted, and fails.
func Hold(ctx context.Context, dir string, stdin io.Reader, stdout io.Writer) error {
	if err := CheckRoot(localLinks{}, dir, dir); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		// The first sync to this node: made as a sync over SFTP
		// makes it (prepare).
		if err = os.MkdirAll(dir, 0o755); err == nil {
			fi, err = os.Stat(dir)
		}
	}
	if err != nil {
		return fmt.Errorf("standby copy %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory: move it away, or sync to a directory of its own", dir)
	}
	unlock, err := keytree.LockDir(dir, dir, "usbkey-sync")
	var le *keytree.LockedError
	if errors.As(err, &le) {
		fmt.Fprintf(stdout, "%s %s\n", lockedTag, strconv.Quote(le.Holder))
		return err
	}
	if err != nil {
		return err
	}
	defer unlock()
	if err := State(ctx, dir, stdout); err != nil {
		return err
	}
	ended := make(chan struct{})
	go func() {
		io.Copy(io.Discard, stdin)
		close(ended)
	}()
	select {
	case <-ended:
	case <-ctx.Done():
	}
	return nil
}

// localLinks resolves paths on this node, for CheckRoot.
type localLinks struct{}

func (localLinks) Lstat(p string) (fs.FileInfo, error) { return os.Lstat(p) }
func (localLinks) ReadLink(p string) (string, error)   { return os.Readlink(p) }

// held is what the target's `usbkey-sync state --hold` said: the hashing
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
	s, err := r.client.Start(context.WithoutCancel(ctx), node.ToolsPATH+methodProbe+"exec usbkey-sync state --hold "+quote(r.root))
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
		if rest, ok := strings.CutPrefix(l, lockedTag+" "); ok {
			if q, err := strconv.Unquote(rest); err == nil {
				h.holder = q
			}
		}
		if strings.HasPrefix(l, stateTag+" ") {
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
		h.stErr = errors.New("usbkey-sync state --hold printed no state line: an older or newer cn_tools there")
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
