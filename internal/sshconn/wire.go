package sshconn

import (
	"encoding/binary"
	"io"
	"sync/atomic"

	"golang.org/x/crypto/ssh"
)

// wire counts the bytes a client's SFTP sessions and commands carried:
// the payload of their SSH channels, as rsync --stats counts its own
// protocol, without SSH's framing, padding and MACs.
type wire struct {
	sent, received atomic.Int64
}

// Wire returns the bytes sent and received so far on this connection's
// SFTP sessions (SFTP() counts them) and commands (Run: the command line,
// its output and its errors).
func (c *Client) Wire() (sent, received int64) {
	return c.wire.sent.Load(), c.wire.received.Load()
}

// counter counts what is written to it into n and keeps nothing: under
// an io.TeeReader or in an io.MultiWriter it counts a stream.
type counter struct{ n *atomic.Int64 }

func (c counter) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return len(p), nil
}

// sftpPipe is an SFTP subsystem's stdin, counted; closing it closes the
// session too, which pkg/sftp's NewClientPipe does not know about.
type sftpPipe struct {
	io.Writer
	in   io.WriteCloser
	sess *ssh.Session
}

func (p sftpPipe) Close() error {
	err := p.in.Close()
	p.sess.Close()
	return err
}

// packets hands the SFTP stream to the channel a whole packet at a time.
// pkg/sftp (v1.13.12, sendPacket) writes a packet's header and its data
// with two Writes, so every WRITE request cost two SSH packets: two
// encryptions, two TCP sends, and two reads on the server, for a 4 KiB
// file as for a 255 KiB one. Its writes are serialised (conn.sendPacket
// holds a lock), so the stream here is one packet after another.
type packets struct {
	w   io.Writer
	buf []byte
}

func (p *packets) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	end := 0 // the end of the last whole packet in buf
	for len(p.buf)-end >= 4 {
		n := 4 + int(binary.BigEndian.Uint32(p.buf[end:]))
		if len(p.buf)-end < n {
			break
		}
		end += n
	}
	if end == 0 {
		return len(b), nil
	}
	_, err := p.w.Write(p.buf[:end])
	p.buf = p.buf[:copy(p.buf, p.buf[end:])]
	return len(b), err
}

// sftpSession starts the sftp subsystem on a session of its own and
// returns its counted stdout and stdin, for sftp.NewClientPipe.
func (c *Client) sftpSession() (io.Reader, io.WriteCloser, error) {
	s, err := c.SSH.NewSession()
	if err != nil {
		return nil, nil, err
	}
	in, err := s.StdinPipe()
	if err == nil {
		var out io.Reader
		if out, err = s.StdoutPipe(); err == nil {
			if err = s.RequestSubsystem("sftp"); err == nil {
				return io.TeeReader(out, counter{&c.wire.received}),
					sftpPipe{&packets{w: io.MultiWriter(in, counter{&c.wire.sent})}, in, s}, nil
			}
		}
	}
	s.Close()
	return nil, nil, err
}
