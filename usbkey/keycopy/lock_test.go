package keycopy

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLockDir(t *testing.T) {
	dir := t.TempDir()
	unlock, err := LockDir(dir, "standby", "usbkey-sync")
	if err != nil {
		t.Fatalf("LockDir = %v", err)
	}
	if _, err := LockDir(dir, "standby", "convert-to-headnode"); err == nil {
		t.Fatalf("a second LockDir took a held lock")
	} else {
		var le *LockedError
		if !errors.As(err, &le) || !strings.HasPrefix(le.Holder, "usbkey-sync pid ") || pidOf(le.Holder) != os.Getpid() ||
			!strings.Contains(err.Error(), "standby is in use by usbkey-sync pid") || !strings.HasSuffix(err.Error(), "remove "+filepath.Join(dir, LockName)) {
			t.Errorf("second LockDir = %v", err)
		}
	}
	unlock()
	if _, err := os.Stat(filepath.Join(dir, LockName)); err == nil {
		t.Errorf("unlock left the lock file")
	}
	// A lock whose holder on this host is gone is taken over.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	dead := "usbkey-sync pid " + strconv.Itoa(cmd.Process.Pid) + " on " + host + " since 2026-01-01T00:00:00Z\n"
	os.WriteFile(filepath.Join(dir, LockName), []byte(dead), 0o644)
	unlock, err = LockDir(dir, "standby", "usbkey-sync")
	if err != nil {
		t.Fatalf("LockDir over a dead holder's lock = %v", err)
	}
	unlock()
	// One on another host is not: its holder may be alive.
	os.WriteFile(filepath.Join(dir, LockName), []byte("usbkey-sync pid 1 on elsewhere since x\n"), 0o644)
	if _, err := LockDir(dir, "standby", "usbkey-sync"); err == nil {
		t.Errorf("LockDir took over another host's lock")
	}
}

// pidOf is the pid a holder names, 0 when none.
func pidOf(holder string) int {
	f := strings.Fields(holder)
	if len(f) < 3 {
		return 0
	}
	n, _ := strconv.Atoi(f[2])
	return n
}

// A lock taken and released by a run that wrote nothing leaves the
// directory's mtime as it was; one whose holder wrote keeps the new one.
func TestLockDirLeavesNoTrace(t *testing.T) {
	dir := t.TempDir()
	old := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	os.Chtimes(dir, old, old)
	unlock, err := LockDir(dir, "standby", "test")
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	if fi, err := os.Stat(dir); err != nil || !fi.ModTime().Equal(old) {
		t.Errorf("mtime after a lock and unlock = %v, %v, want %v", fi.ModTime(), err, old)
	}
	os.Chtimes(dir, old, old)
	unlock, err = LockDir(dir, "standby", "test")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	os.WriteFile(filepath.Join(dir, "config"), []byte("x"), 0o600)
	unlock()
	if fi, err := os.Stat(dir); err != nil || fi.ModTime().Equal(old) {
		t.Errorf("mtime after a write under the lock = %v, %v, want a new one", fi.ModTime(), err)
	}
}
