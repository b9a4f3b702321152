package sshconn

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"
)

// idleConn gives each Read and Write its own deadline, idle from now, so a
// peer that stops answering fails the operation waiting on it. x/crypto/ssh
// has no per-operation deadlines on channels; this is the one place where
// all of them pass. Zero idle (during the handshake) leaves deadlines to
// the caller.
type idleConn struct {
	net.Conn
	idle    atomic.Int64 // time.Duration
	expired atomic.Bool  // an idle deadline passed; the connection is dead
	cork    *cork        // after the handshake (cork.go)
}

// corkWrites queues writes from now on (cork.go).
func (c *idleConn) corkWrites() {
	c.cork = newCork(c.write, c.Conn.Close, func() {
		c.idle.Store(0) // write no longer resets the deadline
		c.Conn.SetWriteDeadline(time.Now().Add(time.Second))
	})
}

func (c *idleConn) Close() error {
	if c.cork != nil {
		return c.cork.Close()
	}
	return c.Conn.Close()
}

// expiredErr says why the connection died when an idle deadline did it.
// It is known before any caller sees the failure, so errors can say it.
func (c *idleConn) expiredErr() error {
	if !c.expired.Load() {
		return nil
	}
	return fmt.Errorf("no progress for %v (idle timeout); the node or the network to it is down",
		time.Duration(c.idle.Load()))
}

func (c *idleConn) note(err error) error {
	var ne net.Error
	if err != nil && c.idle.Load() > 0 && errors.As(err, &ne) && ne.Timeout() {
		c.expired.Store(true)
	}
	return err
}

func (c *idleConn) Read(b []byte) (int, error) {
	if d := time.Duration(c.idle.Load()); d > 0 {
		if err := c.Conn.SetReadDeadline(time.Now().Add(d)); err != nil {
			return 0, err
		}
	}
	n, err := c.Conn.Read(b)
	return n, c.note(err)
}

func (c *idleConn) Write(b []byte) (int, error) {
	if c.cork != nil {
		return c.cork.Write(b)
	}
	return c.write(b)
}

func (c *idleConn) write(b []byte) (int, error) {
	if d := time.Duration(c.idle.Load()); d > 0 {
		if err := c.Conn.SetWriteDeadline(time.Now().Add(d)); err != nil {
			return 0, err
		}
	}
	n, err := c.Conn.Write(b)
	return n, c.note(err)
}
