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
	// cork queues writes after the handshake (cork.go). Atomic: x/crypto/ssh's
	// key exchange goroutine may write while it is set.
	cork    atomic.Pointer[cork]
	closing atomic.Bool // the last writes have closeGrace
	// ackNow acknowledges what was read at once, or is nil (quickack.go).
	ackNow func()
}

// closeGrace is how long the writes queued when the connection closes
// may take.
const closeGrace = time.Second

// corkWrites queues writes from now on (cork.go).
func (c *idleConn) corkWrites() {
	c.cork.Store(newCork(c.write, c.Conn.Close, func() {
		c.closing.Store(true)
		c.Conn.SetWriteDeadline(time.Now().Add(closeGrace))
	}))
}

func (c *idleConn) Close() error {
	if k := c.cork.Load(); k != nil {
		return k.Close()
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
	if n > 0 && c.ackNow != nil {
		c.ackNow()
	}
	return n, c.note(err)
}

func (c *idleConn) Write(b []byte) (int, error) {
	if k := c.cork.Load(); k != nil {
		return k.Write(b)
	}
	return c.write(b)
}

func (c *idleConn) write(b []byte) (int, error) {
	if d := time.Duration(c.idle.Load()); d > 0 && !c.closing.Load() {
		if err := c.Conn.SetWriteDeadline(time.Now().Add(d)); err != nil {
			return 0, err
		}
		// Close may have shortened the deadline between the check and
		// the set: shorten it again.
		if c.closing.Load() {
			c.Conn.SetWriteDeadline(time.Now().Add(closeGrace))
		}
	}
	n, err := c.Conn.Write(b)
	return n, c.note(err)
}
