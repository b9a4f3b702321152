//go:build !linux

package keysync

import "io"

// widenPipe does nothing: F_SETPIPE_SZ is Linux's, and illumos has no
// call that sizes one pipe (pipe_linux.go says why Linux's is asked).
func widenPipe(io.Reader) {}
