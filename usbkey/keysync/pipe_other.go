//go:build !linux

package keysync

import "io"

// widenPipe does nothing: F_SETPIPE_SZ is Linux's, and illumos's fcntl(2)
// requests (uts/common/sys/fcntl.h, read at illumos-gate 019c3c43; x/sys/unix
// has none for illumos either) include none that sizes a pipe. pipe_linux.go
// says why Linux's is asked.
func widenPipe(io.Reader) {}
