package keysync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cntools/internal/sshconn"
	"cntools/usbkey/keycopy"
	"cntools/usbkey/keycopy/keycopytest"
)

// A sync to a target with usbkey-sync holds its lock through it: a no-op
// sync after one that found nothing to do plans from three hashes, opens
// no SFTP and leaves no lock; a change on either side is still seen.
func TestSyncHeldNoOp(t *testing.T) {
	s := startSSHDWithState(t)
	src, dst, cache := t.TempDir(), filepath.Join(t.TempDir(), "standby"), filepath.Join(t.TempDir(), "cache.json")
	keycopytest.Odd(t, src)
	sync := func() (*Result, string) {
		t.Helper()
		r, logs := syncLogged(t, s, src, dst, withCache(cache, nil))
		if _, err := os.Lstat(filepath.Join(dst, keycopy.LockName)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("lock left after the sync: %v", err)
		}
		return r, logs
	}
	const idle, opened = "nothing to plan", "sftp opened"
	for i := range 2 {
		if r, logs := sync(); !r.InStep() || strings.Contains(logs, idle) {
			t.Fatalf("sync %d = %+v, planned from a finding before any:\n%s", i+1, r, logs)
		}
	}
	first, logs := sync()
	if !first.InStep() || first.Sent != 0 || first.Skipped == 0 || !strings.Contains(logs, idle) || strings.Contains(logs, opened) {
		t.Fatalf("no-op sync = %+v, want nothing sent, planned from the finding, no SFTP:\n%s", first, logs)
	}

	// Changed on the target, to the same size: the finding no longer
	// holds, and the change is a conflict.
	if err := os.WriteFile(filepath.Join(dst, "config"), []byte("hostname=headnode9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeTree(t, src, map[string]string{"config": "hostname=headnode1\n"})
	if r, logs := sync(); r.InStep() || len(r.Conflicting) != 1 || strings.Contains(logs, idle) {
		t.Fatalf("target change = %+v, want config conflicting:\n%s", r, logs)
	}

	// A source change alone is sent.
	os.Remove(filepath.Join(dst, "config"))
	if r, logs := sync(); !r.InStep() || r.Sent != 1 || strings.Contains(logs, idle) {
		t.Fatalf("source change = %+v, want config sent:\n%s", r, logs)
	}
	sameTrees(t, src, dst)
	if r, logs := sync(); !r.InStep() || r.Sent != 0 || strings.Contains(logs, idle) {
		t.Fatalf("sync after = %+v, want nothing sent, planned:\n%s", r, logs)
	}
	if r, logs := sync(); !r.InStep() || r.Skipped != first.Skipped || !strings.Contains(logs, idle) {
		t.Fatalf("no-op sync = %+v, want %d skipped from the finding:\n%s", r, first.Skipped, logs)
	}
}

// A target locked by a live run is refused and its lock left; one left by
// a run gone from that node is taken over.
func TestSyncHeldLocked(t *testing.T) {
	s := startSSHDWithState(t)
	src, dst := t.TempDir(), t.TempDir()
	keycopytest.Odd(t, src)
	lock := filepath.Join(dst, keycopy.LockName)
	live := keycopy.Holder("usbkey-sync")
	if err := os.WriteFile(lock, []byte(live+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := Options{Source: src, SSH: sshOptions(s), Now: func() time.Time { return mtime }}
	rs, err := Run(context.Background(), []sshconn.Target{targetOf(s, dst)}, o)
	var le *keycopy.LockedError
	if err != nil || !errors.As(rs[0].err, &le) || le.Holder != live {
		t.Fatalf("locked target: %v, %+v", err, rs)
	}
	if b, _ := os.ReadFile(lock); string(b) != live+"\n" {
		t.Fatalf("a live run's lock was changed: %q", b)
	}

	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	stale := fmt.Sprintf("usbkey-sync pid %d on %s since 2026-01-01T00:00:00Z", gone.Process.Pid, host)
	if err := os.WriteFile(lock, []byte(stale+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if rs, err = Run(context.Background(), []sshconn.Target{targetOf(s, dst)}, o); err != nil || !rs[0].InStep() {
		t.Fatalf("stale lock: %v, %+v", err, rs)
	}
	if _, err := os.Lstat(lock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock left after the sync: %v", err)
	}
}

// A cancelled sync gives the lock back only once it has stopped: the
// command holding it outlives the cancel until release.
func TestHoldOutlivesCancel(t *testing.T) {
	s := startSSHDWithState(t)
	dir := t.TempDir()
	keycopytest.Odd(t, dir)
	r, err := dialRemote(context.Background(), targetOf(s, dir), sshOptions(s))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithCancel(context.Background())
	h := r.hold(ctx, "")
	if h.stream == nil || !h.stOK {
		t.Fatalf("hold = %+v, want held", h)
	}
	lock := filepath.Join(dir, keycopy.LockName)
	cancel()
	time.Sleep(300 * time.Millisecond)
	if _, err := os.Lstat(lock); err != nil {
		t.Fatalf("the lock went with the cancel, before the sync stopped: %v", err)
	}
	if err := h.release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(lock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock left after release: %v", err)
	}

	// Cancelled before it starts: nothing is held, and the sync says
	// why rather than falling back to SFTP.
	h = r.hold(ctx, "")
	if h.stream != nil || !errors.Is(h.stErr, context.Canceled) {
		t.Errorf("hold after the cancel = %+v, want not held, cancelled", h)
	}
	if _, err := os.Lstat(lock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock left by a cancelled hold: %v", err)
	}
}

// A target whose usbkey-sync cannot hold (a cn_tools older than
// usbkey-state and --hold) is locked over SFTP and still tells its state:
// the sync is as before.
func TestSyncHoldFallback(t *testing.T) {
	s := startSSHDWithState(t, "usbkey-sync")
	if err := s.SessionEnv("NO_HOLD=1"); err != nil {
		t.Fatal(err)
	}
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "standby")
	keycopytest.Odd(t, src)
	r, logs := syncLogged(t, s, src, dst, nil)
	if !r.InStep() || r.Verified != VerifyReceiver || !strings.Contains(logs, "locking it over SFTP") {
		t.Fatalf("sync = %+v, want in step through the receiver, locked over SFTP:\n%s", r, logs)
	}
	sameTrees(t, src, dst)
	if _, err := os.Lstat(filepath.Join(dst, keycopy.LockName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock left after the sync: %v", err)
	}
}

// The helper holds a target; where cn_tools predates it, usbkey-sync
// does, to the same effect.
func TestSyncHeldByHelper(t *testing.T) {
	for _, cmds := range [][]string{nil, {"usbkey-sync"}} {
		s := startSSHDWithState(t, cmds...)
		ranFile := filepath.Join(t.TempDir(), "ran")
		if err := s.SessionEnv("CNTOOLS_TEST_RAN=" + ranFile); err != nil {
			t.Fatal(err)
		}
		src, dst, cache := t.TempDir(), filepath.Join(t.TempDir(), "standby"), filepath.Join(t.TempDir(), "cache.json")
		keycopytest.Odd(t, src)
		for range 3 {
			if r, logs := syncLogged(t, s, src, dst, withCache(cache, nil)); !r.InStep() || strings.Contains(logs, "over SFTP") {
				t.Fatalf("%v: sync = %+v, want in step, held:\n%s", cmds, r, logs)
			}
		}
		want := "usbkey-state --hold " + dst
		if cmds != nil {
			want = "usbkey-sync state --hold " + dst
		}
		b, _ := os.ReadFile(ranFile)
		if got := strings.Count(string(b), want+"\n"); got != 3 {
			t.Errorf("%v: %q ran %d times, want 3; ran:\n%s", cmds, want, got, b)
		}
		sameTrees(t, src, dst)
	}
}

// A finding holds only for the flags and the whole tree it was found
// with.
func TestIdleFindingFlags(t *testing.T) {
	s := startSSHDWithState(t)
	src, dst, cache := t.TempDir(), filepath.Join(t.TempDir(), "standby"), filepath.Join(t.TempDir(), "cache.json")
	keycopytest.Odd(t, src)
	sync := func(mod func(*Options)) string {
		t.Helper()
		r, logs := syncLogged(t, s, src, dst, withCache(cache, mod))
		if !r.InStep() {
			t.Fatalf("sync = %+v", r)
		}
		return logs
	}
	const idle = "nothing to plan"
	sync(nil)
	sync(nil)
	if logs := sync(nil); !strings.Contains(logs, idle) {
		t.Fatalf("third no-op did not plan from the finding:\n%s", logs)
	}
	for name, mod := range map[string]func(*Options){
		"force":  func(o *Options) { o.Force = true },
		"delete": func(o *Options) { o.Delete = true },
		"paths":  func(o *Options) { o.Paths = []string{"boot"} },
	} {
		if logs := sync(mod); strings.Contains(logs, idle) {
			t.Errorf("%s: planned from a finding made without it:\n%s", name, logs)
		}
	}
}
