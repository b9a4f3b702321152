package keysync

import (
	"bytes"
	"context"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// The receiver widens the pipe it reads (pipe_linux.go), and still
// writes what came through it.
func TestReceiveWidensItsPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	before, err := unix.FcntlInt(r.Fd(), unix.F_GETPIPE_SZ, 0)
	if err != nil || before >= receivePipe {
		t.Fatalf("a fresh pipe holds %d (%v): the test needs one smaller than %d", before, err, receivePipe)
	}
	dir := t.TempDir()
	go func() {
		w.Write(stream([][2]string{{"a", "content\n"}}, nil))
		w.Close()
	}()
	var out bytes.Buffer
	if err := Receive(context.Background(), dir, r, &out); err != nil {
		t.Fatalf("Receive = %v\n%s", err, out.String())
	}
	if after, err := unix.FcntlInt(r.Fd(), unix.F_GETPIPE_SZ, 0); err != nil || after != receivePipe {
		t.Errorf("the pipe holds %d after Receive (%v), want %d", after, err, receivePipe)
	}
	if b, err := os.ReadFile(dir + "/a"); err != nil || string(b) != "content\n" {
		t.Errorf("a = %q, %v", b, err)
	}
	if out.String() != "ok \"a\"\n" {
		t.Errorf("answers = %q", out.String())
	}
}
