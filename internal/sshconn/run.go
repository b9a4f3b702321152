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

// Run runs cmd through the remote user's shell with stdout copied to
// stdout, and waits for it. The caller quotes cmd for that shell. A
// non-zero exit is an error quoting the end of the command's stderr.
// Cancelling ctx kills the command and closes its session.
func (c *Client) Run(ctx context.Context, cmd string, stdout io.Writer) error {
	sess, err := c.SSH.NewSession()
	if err != nil {
		return c.wrap(fmt.Sprintf("run %q: open session", cmd), err)
	}
	defer sess.Close()
	var stderr tailBuffer
	sess.Stdout = stdout
	sess.Stderr = &stderr
	if err := sess.Start(cmd); err != nil {
		return c.wrap(fmt.Sprintf("run %q", cmd), err)
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
		return fmt.Errorf("ssh %s: run %q: %w", c.Target, cmd, ctx.Err())
	}
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
		return fmt.Errorf("ssh %s: run %q: exit status %d: %s", c.Target, cmd, ee.ExitStatus(), msg)
	case errors.As(err, &em):
		return c.wrap(fmt.Sprintf("run %q: connection lost before the exit status", cmd), err)
	}
	return c.wrap(fmt.Sprintf("run %q", cmd), err)
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
