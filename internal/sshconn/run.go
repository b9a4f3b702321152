package sshconn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/ssh"
)

// stderrTail is how much of a failed command's stderr its error quotes.
const stderrTail = 2048

// cmdHead is how much of the command its errors quote: a hashing command
// carries up to 64 KiB of file names, which would bury the reason.
const cmdHead = 200

// Run runs cmd through the remote user's shell with stdout copied to
// stdout, and waits for it. The caller quotes cmd for that shell. A
// non-zero exit is an error quoting the end of the command's stderr.
// Cancelling ctx kills the command and closes its session.
func (c *Client) Run(ctx context.Context, cmd string, stdout io.Writer) error {
	quoted := quoteHead(cmd)
	sess, err := c.SSH.NewSession()
	if err != nil {
		return c.wrap(fmt.Sprintf("run %s: open session", quoted), err)
	}
	defer sess.Close()
	var stderr tailBuffer
	sess.Stdout = io.MultiWriter(stdout, counter{&c.wire.received})
	sess.Stderr = io.MultiWriter(&stderr, counter{&c.wire.received})
	c.wire.sent.Add(int64(len(cmd)))
	if err := sess.Start(cmd); err != nil {
		return c.wrap(fmt.Sprintf("run %s", quoted), err)
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		// OpenSSH delivers the signal to the command; closing the
		// session covers servers that ignore it.
		sess.Signal(ssh.SIGKILL)
		sess.Close()
		return fmt.Errorf("ssh %s: run %s: %w", c.Target, quoted, ctx.Err())
	}
	return c.exitError(quoted, &stderr, err)
}

// exitError says how a command (quoted) ended, from its session's Wait:
// nil, its exit status with the end of its stderr, or the connection.
func (c *Client) exitError(quoted string, stderr *tailBuffer, err error) error {
	var ee *ssh.ExitError
	var em *ssh.ExitMissingError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = "no stderr"
		}
		return fmt.Errorf("ssh %s: run %s: exit status %d: %s", c.Target, quoted, ee.ExitStatus(), msg)
	case errors.As(err, &em):
		return c.wrap(fmt.Sprintf("run %s: connection lost before the exit status", quoted), err)
	}
	return c.wrap(fmt.Sprintf("run %s", quoted), err)
}

// quoteHead quotes cmd for an error, cut to its first cmdHead bytes.
func quoteHead(cmd string) string {
	if len(cmd) <= cmdHead {
		return fmt.Sprintf("%q", cmd)
	}
	return fmt.Sprintf("%q... (%d bytes)", cmd[:cmdHead], len(cmd))
}

// tailBuffer keeps the last stderrTail bytes written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if over := len(t.b) - stderrTail; over > 0 {
		t.b = t.b[over:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(bytes.ToValidUTF8(t.b, []byte("?"))) }
