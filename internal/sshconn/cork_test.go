package sshconn

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// Corked writes arrive whole and in order, and Close sends what is
// queued before it closes.
func TestCorkKeepsOrder(t *testing.T) {
	a, b := net.Pipe()
	c := &idleConn{Conn: a}
	c.corkWrites()
	var want bytes.Buffer
	got := make(chan []byte)
	go func() {
		all, _ := io.ReadAll(b)
		got <- all
	}()
	for i := range 2000 {
		p := bytes.Repeat([]byte{byte(i)}, i%97+1)
		want.Write(p)
		if n, err := c.Write(p); n != len(p) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if all := <-got; !bytes.Equal(all, want.Bytes()) {
		t.Fatalf("read %d bytes, wrote %d, or out of order", len(all), want.Len())
	}
}

// A peer that stopped reading holds Close up for a second, not for the
// idle timeout; the failure is returned, and by every later Write.
func TestCorkCloseOnAStuckPeer(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	c := &idleConn{Conn: a}
	c.idle.Store(int64(time.Hour))
	c.corkWrites()
	if _, err := c.Write([]byte("never read")); err != nil {
		t.Fatalf("Write = %v, want queued", err)
	}
	start := time.Now()
	err := c.Close()
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Close took %v", d)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Close = %v, want the write's deadline", err)
	}
	if _, err := c.Write([]byte("x")); err == nil {
		t.Errorf("Write after Close = nil")
	}
}

// A write that fails is reported by the next Write.
func TestCorkReportsWriteErrors(t *testing.T) {
	a, b := net.Pipe()
	c := &idleConn{Conn: a}
	c.corkWrites()
	b.Close()
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		_, err = c.Write([]byte("lost"))
		time.Sleep(time.Millisecond)
	}
	if !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("Write after the peer closed = %v, want io.ErrClosedPipe", err)
	}
	c.Close()
}
