package keysync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cntools/internal/sshconn"
	"cntools/internal/sshconn/sshtest"
	"cntools/usbkey/keycopy"
	"cntools/usbkey/keycopy/keycopytest"
)

// TestMain lets this test binary stand in for the commands a sync runs
// on a target: run as usbkey-state, it is that helper; run as
// usbkey-sync, it does what `usbkey-sync state [--hold] DIR` and
// `usbkey-sync receive DIR` do. Each run appends its command line to
// $CNTOOLS_TEST_RAN, when set, so tests can tell which one ran.
func TestMain(m *testing.M) {
	switch filepath.Base(os.Args[0]) {
	case "usbkey-state":
		ran()
		os.Exit(keycopy.Command(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	case "usbkey-sync":
		ran()
		var err error
		switch {
		case len(os.Args) == 3 && os.Args[1] == "state":
			err = keycopy.State(context.Background(), os.Args[2], os.Stdout)
		case len(os.Args) == 4 && os.Args[1] == "state" && os.Args[2] == "--hold" && os.Getenv("NO_HOLD") == "":
			err = keycopy.Hold(context.Background(), os.Args[3], os.Stdin, os.Stdout)
		case len(os.Args) == 3 && os.Args[1] == "receive" && os.Getenv("NO_RECEIVER") == "":
			err = Receive(context.Background(), os.Args[2], os.Stdin, os.Stdout)
		default:
			err = errors.New("usage")
		}
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// ran appends this run's command line to $CNTOOLS_TEST_RAN.
func ran() {
	if p := os.Getenv("CNTOOLS_TEST_RAN"); p != "" {
		if f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err == nil {
			fmt.Fprintln(f, filepath.Base(os.Args[0]), strings.Join(os.Args[1:], " "))
			f.Close()
		}
	}
}

// startSSHDWithState starts an sshd whose sessions find usbkey-sync and
// usbkey-state in PATH, as a CN with cn_tools installed does (cmds, when
// given, names the ones it has): Debian's bash reads the .bashrc in the
// sessions' HOME for a command sshd runs.
func startSSHDWithState(t testing.TB, cmds ...string) *sshtest.Server {
	s := sshtest.ForTest(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(s.Dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if cmds == nil {
		cmds = []string{"usbkey-sync", "usbkey-state"}
	}
	for _, c := range cmds {
		if err := os.Symlink(self, filepath.Join(bin, c)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SessionEnv("PATH=" + bin + ":$PATH"); err != nil {
		t.Fatal(err)
	}
	return s
}

// The target lists itself (keycopy.List) exactly as a sync lists it over SFTP:
// otherwise a kept listing could never be used.
func TestStateListsAsSFTPDoes(t *testing.T) {
	s := startSSHD(t)
	dir := t.TempDir()
	keycopytest.Odd(t, dir)
	writeTree(t, dir, map[string]string{"boot/.loader.conf.tmp-abc123abc123": "left by a cut sync", keycopy.LockName: "held"})
	r, err := dialRemote(context.Background(), targetOf(s, dir), sshOptions(s))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.need(); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	now, temps, err := r.list(context.Background(), scope{}, 4)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := keycopy.List(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	got, want := keycopy.EncodeListing(lines), encodeListing(now, temps)
	if !bytes.Equal(got, want) {
		t.Fatalf("the target's own listing:\n%s\nover SFTP:\n%s", got, want)
	}
	for _, l := range []string{`dir 2755 0 `, `dir 1777 0 `, `file 0600 6 `, `symlink 0777 0 `, `"latest" "os/20260301T000000Z"`, `temp 0000 0 0 "boot/.loader.conf.tmp-abc123abc123"`} {
		if !strings.Contains(string(got), l) {
			t.Errorf("listing lacks %q:\n%s", l, got)
		}
	}
	if strings.Contains(string(got), keycopy.LockName) {
		t.Errorf("listing holds the lock, which a sync holds while it lists:\n%s", got)
	}
	// Kept listings hold no temporary files: a sync removes them.
	if _, err := decodeListing(got); err == nil || !strings.Contains(err.Error(), `type "temp"`) {
		t.Errorf("decoding a listing with a temporary file: %v, want refused", err)
	}
	clean := encodeListing(now, nil)
	back, err := decodeListing(clean)
	if err != nil {
		t.Fatal(err)
	}
	if again := encodeListing(back, nil); !bytes.Equal(again, clean) {
		t.Errorf("decoded and encoded again:\n%s\nwant\n%s", again, clean)
	}
}

// A sync keeps the listing it foresees only when it is the target's, and
// the next sync uses it only while the target still lists so.
func TestSyncKeepsListing(t *testing.T) {
	s := startSSHDWithState(t)
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "standby")
	keycopytest.Odd(t, src)
	many := map[string]string{}
	for i := range 300 {
		many[fmt.Sprintf("os/20260301T000000Z/platform/i86pc/kernel/mod-%03d", i)] = "m"
	}
	writeTree(t, src, many)
	cache := filepath.Join(t.TempDir(), "cache.json")
	sync := func(mod func(*Options)) (*Result, string) {
		t.Helper()
		return syncLogged(t, s, src, dst, withCache(cache, mod))
	}
	const used = "its listing is the one kept"
	r, logs := sync(nil)
	if !r.InStep() || strings.Contains(logs, used) {
		t.Fatalf("first sync = %+v, used a kept listing:\n%s", r, logs)
	}
	kept := Options{CachePath: cache}.listingCopy(r.Target)
	b, err := os.ReadFile(kept)
	if err != nil {
		t.Fatalf("no listing kept: %v", err)
	}
	var out bytes.Buffer
	if err := keycopy.State(context.Background(), dst, &out); err != nil {
		t.Fatal(err)
	}
	if got := sha256Hex(b); !strings.Contains(out.String(), got) {
		t.Fatalf("the listing kept is not the target's: its hash %s, the target says %s", got, out.String())
	}
	if fi, _ := os.Stat(kept); fi.Mode().Perm() != 0o600 {
		t.Errorf("kept listing mode %v, want 0600", fi.Mode().Perm())
	}

	// Nothing changed: the kept listing stands in for SFTP's.
	r2, logs := sync(nil)
	if !r2.InStep() || r2.Sent != 0 || !strings.Contains(logs, used) {
		t.Fatalf("no-op sync = %+v, want nothing sent from the kept listing:\n%s", r2, logs)
	}
	if r2.WireReceived*4 > r.WireReceived {
		t.Errorf("no-op received %d bytes, the first sync %d: the listing still crossed the wire", r2.WireReceived, r.WireReceived)
	}

	// A source change alone: the target did not change, the listing holds.
	writeTree(t, src, map[string]string{"boot/loader.conf": "b changed\n"})
	if r, logs = sync(nil); !r.InStep() || r.Sent != 1 || !strings.Contains(logs, used) {
		t.Fatalf("source change = %+v, want 1 sent from the kept listing:\n%s", r, logs)
	}
	sameTrees(t, src, dst)

	// Changed on the target, even to the same size: listed again, and
	// the change is a conflict, not overwritten.
	if err := os.WriteFile(filepath.Join(dst, "config"), []byte("hostname=cn00001\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeTree(t, src, map[string]string{"config": "hostname=headnode1\n"})
	if r, logs = sync(nil); r.InStep() || len(r.Conflicting) != 1 || strings.Contains(logs, used) {
		t.Fatalf("target change = %+v, want config conflicting, listed over SFTP:\n%s", r, logs)
	}
	if _, err := os.Stat(kept); err == nil {
		t.Errorf("a listing kept after a conflict: the sync cannot foresee it")
	}

	// Forced, the conflict copy is kept: the sync after lists again and
	// keeps a listing, which the next one uses.
	sync(func(o *Options) { o.Force = true })
	for i, want := range []bool{false, true} {
		if r, logs = sync(nil); !r.InStep() || strings.Contains(logs, used) != want {
			t.Fatalf("sync %d after the forced one = %+v, used the kept listing: %v, want %v:\n%s", i+1, r, !want, want, logs)
		}
	}

	// A leftover temporary file makes the target list differently: it
	// is found and removed.
	tmp := filepath.Join(dst, "boot", ".loader.conf.tmp-abc123abc123")
	if err := os.WriteFile(tmp, []byte("cut"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r, logs = sync(nil); !r.InStep() || strings.Contains(logs, used) {
		t.Fatalf("sync with a leftover = %+v, used the kept listing:\n%s", r, logs)
	}
	if _, err := os.Stat(tmp); err == nil {
		t.Errorf("leftover %s not removed", tmp)
	}

	// A sync of some paths that changes nothing leaves the listing kept:
	// the target still lists so.
	before, _ := os.ReadFile(kept)
	if r, logs = sync(func(o *Options) { o.Paths = []string{"boot"} }); !r.InStep() || !strings.Contains(logs, used) {
		t.Fatalf("paths sync = %+v, want in step from the kept listing:\n%s", r, logs)
	}
	if after, _ := os.ReadFile(kept); !bytes.Equal(before, after) {
		t.Errorf("a sync of some paths that changed nothing changed the listing kept")
	}
	// One that changes something keeps none: it cannot foresee the rest.
	writeTree(t, src, map[string]string{"boot/loader.conf": "c changed\n"})
	if r, logs = sync(func(o *Options) { o.Paths = []string{"boot"} }); !r.InStep() || r.Sent != 1 {
		t.Fatalf("paths sync = %+v, want 1 sent:\n%s", r, logs)
	}
	if _, err := os.Stat(kept); err == nil {
		t.Errorf("a listing kept by a sync of some paths that changed the target")
	}
}

// Without usbkey-sync on the target (an older CN), a sync lists over SFTP.
func TestSyncWithoutStateLists(t *testing.T) {
	s := startSSHD(t)
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "standby")
	keycopytest.Odd(t, src)
	o := Options{Source: src, SSH: sshOptions(s), CachePath: filepath.Join(t.TempDir(), "cache.json")}
	for range 2 {
		var logs bytes.Buffer
		o.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		rs, err := Run(context.Background(), []sshconn.Target{targetOf(s, dst)}, o)
		if err != nil || !rs[0].InStep() {
			t.Fatalf("sync = %+v, %v", rs, err)
		}
		if !strings.Contains(logs.String(), "no usbkey-sync state on the target") {
			t.Errorf("want the SFTP listing said:\n%s", logs.String())
		}
	}
	sameTrees(t, src, dst)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
