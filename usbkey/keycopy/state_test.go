package keycopy

import (
	"bufio"
	"bytes"
	"cntools/usbkey/keycopy/keycopytest"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Hold takes the lock, says the state, and gives the lock back when its
// stdin ends, leaving the directory's mtime as it found it.
func TestHold(t *testing.T) {
	dir := t.TempDir()
	keycopytest.Odd(t, dir)
	old := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(dir, old, old); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := State(context.Background(), dir, &want); err != nil {
		t.Fatal(err)
	}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- Hold(context.Background(), dir, inR, outW); outW.Close() }()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil || line != want.String() {
		t.Fatalf("Hold printed %q (%v), want the state %q", line, err, want.String())
	}
	lock := filepath.Join(dir, LockName)
	if b, err := os.ReadFile(lock); err != nil || !strings.HasPrefix(string(b), "usbkey-sync pid ") {
		t.Fatalf("while held, the lock holds %q (%v)", b, err)
	}
	select {
	case err := <-done:
		t.Fatalf("Hold returned %v before its stdin ended", err)
	case <-time.After(100 * time.Millisecond):
	}
	inW.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(lock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock left after stdin ended: %v", err)
	}
	if fi, _ := os.Stat(dir); !fi.ModTime().Equal(old) {
		t.Errorf("dir mtime %v after the hold, want %v as it was", fi.ModTime(), old)
	}
}

// A lock held by a live run is not taken: Hold says who holds it. A
// missing directory is made; a symlinked one is refused.
func TestHoldRefuses(t *testing.T) {
	dir := t.TempDir()
	live := Holder("usbkey-sync") // this test's own process: alive
	if err := os.WriteFile(filepath.Join(dir, LockName), []byte(live+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := Hold(context.Background(), dir, strings.NewReader(""), &out)
	var le *LockedError
	if !errors.As(err, &le) || out.String() != fmt.Sprintf("%s %q\n", LockedTag, live) {
		t.Errorf("held lock: Hold = %v, printed %q", err, out.String())
	}
	if b, _ := os.ReadFile(filepath.Join(dir, LockName)); string(b) != live+"\n" {
		t.Errorf("a live run's lock was changed: %q", b)
	}

	missing := filepath.Join(t.TempDir(), "zones", "usbkey-standby")
	out.Reset()
	if err := Hold(context.Background(), missing, strings.NewReader(""), &out); err != nil || !strings.HasPrefix(out.String(), StateTag+" ") {
		t.Errorf("missing dir: Hold = %v, printed %q", err, out.String())
	}
	if fi, err := os.Stat(missing); err != nil || !fi.IsDir() {
		t.Errorf("missing dir not made: %v", err)
	}

	link := filepath.Join(t.TempDir(), "standby")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := Hold(context.Background(), link, strings.NewReader(""), &out); err == nil || !strings.Contains(err.Error(), "symlink") || out.Len() != 0 {
		t.Errorf("symlinked dir: Hold = %v, printed %q", err, out.String())
	}
}
