package sshconn_test

import (
	"syscall"
	"testing"
)

// stopProcess freezes pid; sshtest's Stop kills it with SIGKILL, which a
// stopped process still obeys.
func stopProcess(t *testing.T, pid int) {
	t.Helper()
	// ESRCH: a short-lived helper sshd had ended since it was listed.
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil && err != syscall.ESRCH {
		t.Fatal(err)
	}
}
