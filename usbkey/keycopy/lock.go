package keycopy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// LockName is the file that marks a copy of the key content busy: a sync
// writing a standby copy, a conversion reading one. It is created with
// O_EXCL, holds who took it, and is removed when they are done. A dot-file
// at the top: no copy rule carries it.
const LockName = ".cntools-lock"

// LockedError says a tree is in use, and by whom.
type LockedError struct {
	Tree   string // the tree, as the operator names it
	Holder string // what the lock file says
	Path   string // the lock file
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%s is in use by %s: wait for that run to finish, or, if it is gone, remove %s", e.Tree, e.Holder, e.Path)
}

// Holder is what a lock taken by tool in this process says: tool, pid,
// host and time, so a stale lock can be told from a live one.
func Holder(tool string) string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s pid %d on %s since %s", tool, os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
}

// Stale reports whether the lock's holder was a process on this host that
// is gone: a run killed before it could remove its lock.
func Stale(holder string) bool {
	var tool, host string
	var pid int
	if _, err := fmt.Sscanf(holder, "%s pid %d on %s", &tool, &pid, &host); err != nil || pid <= 0 {
		return false
	}
	me, err := os.Hostname()
	if err != nil || host != me {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// LockDir takes the lock of the directory dir on this node for tool; name
// is the tree as the operator knows it. A stale lock is taken over.
func LockDir(dir, name, tool string) (unlock func(), err error) {
	p := filepath.Join(dir, LockName)
	before, _ := os.Stat(dir)
	for try := 0; try < 2; try++ {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, werr := f.WriteString(Holder(tool) + "\n")
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				os.Remove(p)
				return nil, fmt.Errorf("lock %s: %w", name, werr)
			}
			taken, _ := os.Stat(dir)
			return func() {
				now, err := os.Stat(dir)
				os.Remove(p)
				// Gone, the lock leaves no trace: when nothing else
				// changed the directory meanwhile, its mtime goes back,
				// so a run that only read the copy (a dry run, a
				// conversion) leaves it exactly as it found it.
				if before != nil && taken != nil && err == nil && now.ModTime().Equal(taken.ModTime()) {
					os.Chtimes(dir, time.Time{}, before.ModTime())
				}
			}, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lock %s: %w", name, err)
		}
		b, _ := os.ReadFile(p)
		holder := strings.TrimSpace(string(b))
		if !Stale(holder) {
			return nil, &LockedError{Tree: name, Holder: holder, Path: p}
		}
		os.Remove(p) // its holder is gone: take it over
	}
	return nil, fmt.Errorf("lock %s: %s keeps coming back: remove it by hand", name, p)
}

// LockRun takes the lock in dir (made if missing) that lets one run of
// tool at a time change this node; a second run is refused with who holds
// the lock and what to do (waiting: "wait for it to finish", and more).
func LockRun(dir, tool, waiting string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("%s lock: %w; check that %s is writable", tool, err, dir)
	}
	unlock, err = LockDir(dir, "this node's "+tool, tool)
	var le *LockedError
	if errors.As(err, &le) {
		return nil, fmt.Errorf("another %s is running on this node (%s): %s; if it is gone, remove %s", tool, le.Holder, waiting, le.Path)
	}
	return unlock, err
}
