package sshconn

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// recorder keeps each Write apart.
type recorder struct{ writes [][]byte }

func (r *recorder) Write(p []byte) (int, error) {
	r.writes = append(r.writes, bytes.Clone(p))
	return len(p), nil
}

// TestPacketsWholeAtATime: a packet written as header and data in two
// Writes, as pkg/sftp does, reaches the channel in one; two packets in
// one Write stay one Write.
func TestPacketsWholeAtATime(t *testing.T) {
	packet := func(body string) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
		return append(b, body...)
	}
	write := packet("\x06header+4KiB of data")
	var r recorder
	p := &packets{w: &r}
	p.Write(write[:11])
	if len(r.writes) != 0 {
		t.Fatalf("half a packet written: %q", r.writes)
	}
	p.Write(write[11:])
	two := append(packet("\x03open"), packet("\x04close")...)
	p.Write(append(two, packet("\x05part")[:6]...))
	want := [][]byte{write, two}
	if len(r.writes) != len(want) || !bytes.Equal(r.writes[0], want[0]) || !bytes.Equal(r.writes[1], want[1]) {
		t.Errorf("writes = %q, want %q", r.writes, want)
	}
	if len(p.buf) != 6 {
		t.Errorf("%d bytes held, want the 6 of the unfinished packet", len(p.buf))
	}
}
