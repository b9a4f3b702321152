package sshtest

import (
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// killWait bounds waiting for killed processes to go away.
const killWait = 10 * time.Second

// KillSessions kills every process sshd started for a connection (the
// per-connection sshd, its privilege-separated child, the shell or
// sftp-server below them) and leaves the listener running, so a client
// sees its connection cut in mid-operation. It returns once they are gone.
func (s *Server) KillSessions() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return errStopped
	}
	deadline := time.Now().Add(killWait)
	for {
		pids, err := descendants(s.cmd.Process.Pid)
		if err != nil || len(pids) == 0 {
			return err
		}
		// A stopped process (a test froze it) could not reap its
		// children below.
		for _, p := range pids {
			syscall.Kill(p, syscall.SIGCONT)
		}
		// Leaves first, each reaped by its living parent before the
		// parent goes, so nothing is orphaned to init, which in a
		// container may leave zombies about for a while.
		for i := len(pids) - 1; i >= 0; i-- {
			syscall.Kill(pids[i], syscall.SIGKILL)
			waitGone(pids[i], time.Second)
		}
		// Repeat: a session may have forked while we killed.
		if time.Now().After(deadline) {
			return fmt.Errorf("sshd %s: session processes %v still running %v after SIGKILL", s.Addr, pids, killWait)
		}
	}
}

// waitGone waits until pid no longer exists, not even as a zombie.
func waitGone(pid int, d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(2 * time.Millisecond) {
		if syscall.Kill(pid, 0) != nil {
			return
		}
	}
}

// Stop kills the sessions, then the listener, and waits for it. Calling
// it again is harmless.
func (s *Server) Stop() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	select {
	case <-s.done:
		return nil
	default:
	}
	kerr := s.KillSessions()
	s.cmd.Process.Kill()
	<-s.done
	return kerr
}

// descendants lists the processes below pid, each after its parent. pgrep -P works
// the same on Linux and illumos, where /proc differs.
func descendants(pid int) ([]int, error) {
	var all []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		out, err := exec.Command("pgrep", "-P", strconv.Itoa(p)).Output()
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 1 {
			continue // no children
		}
		if err != nil {
			return nil, fmt.Errorf("pgrep -P %d: %w", p, err)
		}
		for _, f := range strings.Fields(string(out)) {
			c, err := strconv.Atoi(f)
			if err != nil {
				return nil, fmt.Errorf("pgrep -P %d: %q is not a pid", p, f)
			}
			all = append(all, c)
			queue = append(queue, c)
		}
	}
	return all, nil
}

// Sessions lists the pids of the processes serving connections now, for a
// test that wants to signal them itself (SIGSTOP stands in for a node that
// hangs without closing its connections).
func (s *Server) Sessions() ([]int, error) {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil, errStopped
	}
	return descendants(s.cmd.Process.Pid)
}
