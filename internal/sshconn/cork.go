package sshconn

import (
	"sync"
)

// x/crypto/ssh writes every packet with its own Write (transport.go's
// writePacket flushes each), so a channel carrying bulk data made one
// system call per 32 KiB packet, and many small ones for window adjusts
// and replies: on the 2-core test machine the socket writes were half of
// usbkey-sync's CPU sending 5,000 small files. After the handshake the
// connection corks its writes: Write queues the packet and returns, and
// one goroutine writes whatever has queued, as one system call, as soon
// as it runs. Nothing waits for a timer: an idle connection's packet goes
// out at once, and a busy one's go out together. A write error is
// returned by the next Write and by Close.

// corkMax bounds what is queued; a Write beyond it waits.
const corkMax = 1 << 20

type cork struct {
	write func([]byte) (int, error)
	close func() error
	// hurry bounds the last writes of a closing connection, so Close on
	// a peer that stopped reading does not wait for the idle timeout.
	hurry func()

	mu      sync.Mutex
	cond    sync.Cond
	queued  []byte
	spare   []byte
	err     error
	closing bool
	done    chan struct{}
}

func newCork(write func([]byte) (int, error), close func() error, hurry func()) *cork {
	c := &cork{write: write, close: close, hurry: hurry, done: make(chan struct{})}
	c.cond.L = &c.mu
	go c.flush()
	return c
}

func (c *cork) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.err == nil && !c.closing && len(c.queued) >= corkMax {
		c.cond.Wait()
	}
	switch {
	case c.err != nil:
		return 0, c.err
	case c.closing:
		return 0, errCorkClosed
	}
	c.queued = append(c.queued, p...)
	c.cond.Broadcast()
	return len(p), nil
}

// flush writes what is queued until Close.
func (c *cork) flush() {
	defer close(c.done)
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		for len(c.queued) == 0 && !c.closing {
			c.cond.Wait()
		}
		if len(c.queued) == 0 || c.err != nil {
			return // closing, and nothing left, or nothing more can go
		}
		b := c.queued
		c.queued = c.spare[:0]
		c.mu.Unlock()
		_, err := c.write(b)
		c.mu.Lock()
		c.spare = b
		if err != nil && c.err == nil {
			c.err = err
		}
		c.cond.Broadcast()
	}
}

// Close writes what is queued (within a second), then closes the
// connection.
func (c *cork) Close() error {
	c.mu.Lock()
	c.closing = true
	c.cond.Broadcast()
	c.mu.Unlock()
	c.hurry()
	<-c.done
	cerr := c.close()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	return cerr
}

type corkClosed struct{}

func (corkClosed) Error() string { return "use of closed network connection" }

var errCorkClosed error = corkClosed{}
