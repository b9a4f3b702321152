package sshconn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// Client is an authenticated SSH connection to one Target. When something
// opened on it fails with a lost connection, Err says whether this side cut
// it, and why.
type Client struct {
	SSH    *ssh.Client
	Target Target

	auth      *auth
	conn      *idleConn
	stop      chan struct{}
	closeOnce sync.Once
	mu        sync.Mutex
	cause     error // why the connection was closed from this side, if it was
	wire      wire
}

// Dial connects to t, checks its host key against known_hosts and logs in.
// ctx and o.ConnectTimeout bound the whole of it; after Dial returns, ctx no
// longer matters and o.IdleTimeout and keepalives guard the connection.
func Dial(ctx context.Context, t Target, o Options) (*Client, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("ssh %s: %w", t, err)
	}
	hk, err := loadHostKeys(o)
	if err != nil {
		return nil, fmt.Errorf("ssh %s: %w", t, err)
	}
	algos, err := hk.algorithms(t.Addr())
	if err != nil {
		return nil, err
	}
	a, err := loadAuth(o)
	if err != nil {
		return nil, fmt.Errorf("ssh %s: %w", t, err)
	}
	cfg := &ssh.ClientConfig{
		User:              t.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(a.signers...)},
		HostKeyCallback:   hk.callback,
		HostKeyAlgorithms: algos,
		Timeout:           o.ConnectTimeout,
	}
	c, conn, err := dial(ctx, t, o, cfg)
	if err != nil {
		a.close()
		var hke *HostKeyError
		switch {
		case errors.As(err, &hke):
			return nil, fmt.Errorf("ssh %s: %w", t, hke)
		case a.authError(t, err) != nil:
			return nil, a.authError(t, err)
		}
		return nil, fmt.Errorf("ssh %s: %w", t, err)
	}
	cl := &Client{SSH: c, Target: t, auth: a, conn: conn, stop: make(chan struct{})}
	go cl.keepAlive(o.KeepAlive, o.KeepAliveMax)
	return cl, nil
}

// dial does the TCP connect and the handshake under one deadline.
// ClientConfig.Timeout bounds only the connect: a peer that accepts and
// never speaks would hold the handshake forever (golang/go#51926), so the
// deadline goes on the net.Conn itself.
func dial(ctx context.Context, t Target, o Options, cfg *ssh.ClientConfig) (*ssh.Client, *idleConn, error) {
	start := time.Now()
	d := net.Dialer{Timeout: o.ConnectTimeout}
	raw, err := d.DialContext(ctx, "tcp", t.Addr())
	if err != nil {
		return nil, nil, fmt.Errorf("connect: %w", err)
	}
	conn := &idleConn{Conn: raw, ackNow: quickAck(raw)}
	if err := raw.SetDeadline(start.Add(o.ConnectTimeout)); err != nil {
		raw.Close()
		return nil, nil, fmt.Errorf("connect: %w", err)
	}
	// Cancelling ctx mid-handshake moves the deadline to the past, which
	// fails the blocked read at once.
	stop := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	sc, chans, reqs, err := ssh.NewClientConn(conn, t.Addr(), cfg)
	stopped := stop()
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, nil, fmt.Errorf("ssh handshake: %w", ctx.Err())
	case err != nil && isTimeout(err):
		return nil, nil, fmt.Errorf("no ssh handshake within %v; is %s an SSH server, and reachable?", o.ConnectTimeout, t.Addr())
	case err != nil:
		return nil, nil, err
	case !stopped:
		sc.Close()
		return nil, nil, fmt.Errorf("ssh handshake: %w", ctx.Err())
	}
	if err := raw.SetDeadline(time.Time{}); err != nil {
		sc.Close()
		return nil, nil, fmt.Errorf("clear handshake deadline: %w", err)
	}
	conn.idle.Store(int64(o.IdleTimeout))
	conn.corkWrites()
	return ssh.NewClient(sc, chans, reqs), conn, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// keepAlive sends keepalive@openssh.com every interval and closes the
// client after max of them in a row get no answer. OpenSSH answers with a
// failure reply, which still proves the peer alive.
func (c *Client) keepAlive(interval time.Duration, max int) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	missed := 0
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
		}
		reply := make(chan error, 1)
		go func() {
			_, _, err := c.SSH.SendRequest("keepalive@openssh.com", true, nil)
			reply <- err
		}()
		select {
		case <-c.stop:
			return
		case err := <-reply:
			if err != nil {
				return // the connection is gone; its users see why
			}
			missed = 0
		case <-time.After(interval):
			if missed++; missed >= max {
				c.closeWith(fmt.Errorf("no answer to %d keepalives %v apart; the node or the network to it is down", missed, interval))
				return
			}
		}
	}
}

// Err says why the connection was closed from this side (keepalives
// unanswered, or the idle timeout), or nil.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cause != nil {
		return c.cause
	}
	return c.conn.expiredErr()
}

func (c *Client) closeWith(cause error) error {
	var err error
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.cause = cause
		c.mu.Unlock()
		close(c.stop)
		err = c.SSH.Close()
		c.auth.close()
	})
	return err
}

// Close closes the connection and everything opened on it.
func (c *Client) Close() error {
	err := c.closeWith(nil)
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// wrap names the target and, when this side closed the connection, why.
func (c *Client) wrap(step string, err error) error {
	if cause := c.Err(); cause != nil {
		return fmt.Errorf("ssh %s: %s: %w", c.Target, step, cause)
	}
	return fmt.Errorf("ssh %s: %s: %w", c.Target, step, err)
}
