//go:build !linux

package sshtest

import "syscall"

// sysProcAttr: only Linux can tie sshd's life to ours; elsewhere a test
// that dies before Stop leaves the listener running.
func sysProcAttr() *syscall.SysProcAttr { return nil }
