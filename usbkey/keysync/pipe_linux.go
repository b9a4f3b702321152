package keysync

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// receivePipe is what the receiver asks its stdin pipe to hold: Linux's
// default pipe-max-size, the most a process without CAP_SYS_RESOURCE may
// ask for (root here has no such capability).
//
// Measured here (OpenSSH 9.2p1's sshd, 768 MiB into a command reading
// stdin): through the default 64 KiB pipe, what the pipe cannot take
// waits in sshd, in a buffer it reallocates a packet (32 KiB) larger at
// a time, each time into a fresh mapping the whole buffer is copied to;
// the machine spent 4.0 s of CPU. Through a 1 MiB pipe the same transfer
// took 1.96 s of CPU (256 KiB: 2.2 s). rsync's receiver keeps the
// default pipe, and its sshd pays the same.
const receivePipe = 1 << 20

// widenPipe asks for a receivePipe-sized pipe where in is one. It is a
// request: a pipe the kernel will not widen (the user's pipe budget is
// spent, in is a socket or a file) is read as it is.
func widenPipe(in io.Reader) {
	f, ok := in.(*os.File)
	if !ok {
		return
	}
	sc, err := f.SyscallConn()
	if err != nil {
		return
	}
	sc.Control(func(fd uintptr) {
		if n, err := unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0); err == nil && n < receivePipe {
			unix.FcntlInt(fd, unix.F_SETPIPE_SZ, receivePipe)
		}
	})
}
