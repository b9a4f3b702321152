package sshtest

import "syscall"

// sysProcAttr has the kernel kill sshd if the test process dies without
// calling Stop, so a crashed test leaves no listener behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
