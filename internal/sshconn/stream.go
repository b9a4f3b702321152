package sshconn

import (
	"context"
	"fmt"
	"io"

	"golang.org/x/crypto/ssh"
)

// Stream is a command on the remote node that the caller feeds and reads
// as it runs, both ways counted in Wire.
type Stream struct {
	Stdin  io.WriteCloser
	Stdout io.Reader

	c      *Client
	sess   *ssh.Session
	quoted string
	stderr tailBuffer
	done   chan struct{}
	stop   func() bool
}

// Start starts cmd through the remote user's shell, as Run does, and
// returns its streams. Cancelling ctx kills it. The caller closes Stdin
// when it has sent everything, reads Stdout to its end, then calls Wait.
func (c *Client) Start(ctx context.Context, cmd string) (*Stream, error) {
	s := &Stream{c: c, quoted: quoteHead(cmd), done: make(chan struct{})}
	var err error
	if s.sess, err = c.SSH.NewSession(); err != nil {
		return nil, c.wrap(fmt.Sprintf("run %s: open session", s.quoted), err)
	}
	in, err := s.sess.StdinPipe()
	if err == nil {
		var out io.Reader
		if out, err = s.sess.StdoutPipe(); err == nil {
			s.Stdin = countedWriter{in, counter{&c.wire.sent}}
			s.Stdout = io.TeeReader(out, counter{&c.wire.received})
			s.sess.Stderr = io.MultiWriter(&s.stderr, counter{&c.wire.received})
			c.wire.sent.Add(int64(len(cmd)))
			err = s.sess.Start(cmd)
		}
	}
	if err != nil {
		s.sess.Close()
		return nil, c.wrap(fmt.Sprintf("run %s", s.quoted), err)
	}
	s.stop = context.AfterFunc(ctx, func() {
		s.sess.Signal(ssh.SIGKILL)
		s.sess.Close()
	})
	return s, nil
}

// Wait waits for the command to exit, as Run reports it.
func (s *Stream) Wait() error {
	defer s.sess.Close()
	defer s.stop()
	return s.c.exitError(s.quoted, &s.stderr, s.sess.Wait())
}

// countedWriter writes to w, counting into n.
type countedWriter struct {
	w io.WriteCloser
	n counter
}

func (c countedWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Write(p[:n])
	return n, err
}

func (c countedWriter) Close() error { return c.w.Close() }
