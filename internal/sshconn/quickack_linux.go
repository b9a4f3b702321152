package sshconn

import (
	"net"

	"golang.org/x/sys/unix"
)

// quickAck returns what makes c acknowledge what it has read at once
// (quickack.go), or nil when c is not a TCP connection.
func quickAck(c net.Conn) func() {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	set := func(fd uintptr) { unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_QUICKACK, 1) }
	return func() { rc.Control(set) }
}
