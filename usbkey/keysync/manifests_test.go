package keysync

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"cntools/internal/sshconn"
	"cntools/usbkey/keycopy"
)

// TestManifestNotResent: a sync with nothing to do neither rewrites the
// target's manifest nor reads it back (this host's copy hashes the same
// on the target); a target manifest that is not what this host left is
// read and judged, never replaced by the copy.
func TestManifestNotResent(t *testing.T) {
	s := startSSHD(t)
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "standby")
	writeTree(t, src, map[string]string{"config": "hostname=headnode0\n", "boot/loader.conf": "a\n"})
	cache := filepath.Join(t.TempDir(), "cache.json")
	withCache := func(o *Options) { o.CachePath = cache }
	target := filepath.Join(dst, ManifestFile)

	first := syncOnce(t, s, src, dst, withCache)
	if !first.InStep() || first.MetaBytes == 0 {
		t.Fatalf("first sync = %+v, want in step with a manifest written", first)
	}
	copyPath := Options{CachePath: cache}.localCopy(first.Target)
	want, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(copyPath); err != nil || string(got) != string(want) {
		t.Fatalf("this host's copy %s = %q, %v; want the target's manifest", copyPath, got, err)
	}
	if fi, err := os.Stat(copyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("this host's copy: %v, %v; want mode 0600", fi, err)
	}
	before, _ := os.Stat(target)

	again := syncOnce(t, s, src, dst, withCache)
	if !again.InStep() || again.Sent != 0 || again.MetaBytes != 0 {
		t.Fatalf("unchanged sync = %+v, want nothing sent, no manifest written", again)
	}
	if after, _ := os.Stat(target); !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("an unchanged sync replaced the target's manifest")
	}
	// Without the copy the manifest is read over SFTP: that much more.
	os.Remove(copyPath)
	read := syncOnce(t, s, src, dst, withCache)
	if !read.InStep() || read.MetaBytes != 0 || read.WireReceived-again.WireReceived < int64(len(want))/2 {
		t.Errorf("unchanged sync received %d bytes with this host's copy, %d without (manifest %d bytes): want the copy to spare reading the manifest",
			again.WireReceived, read.WireReceived, len(want))
	}
	if _, err := os.Stat(copyPath); err != nil {
		t.Errorf("this host's copy not made again: %v", err)
	}

	// One file changed: the manifest is made on the target from the old
	// one and the changed lines, and comes out as this host's copy.
	writeTree(t, src, map[string]string{"boot/loader.conf": "b changed\n"})
	changed := syncOnce(t, s, src, dst, withCache)
	if !changed.InStep() || changed.Sent != 1 || changed.MetaBytes == 0 || changed.MetaBytes >= int64(len(want)) {
		t.Errorf("one changed = %+v, want 1 sent and less than the whole manifest (%d bytes) written", changed, len(want))
	}
	got, _ := os.ReadFile(target)
	if kept, _ := os.ReadFile(copyPath); string(got) != string(kept) || string(got) == string(want) {
		t.Errorf("target manifest after a delta:\n%s\nthis host's copy:\n%s", got, kept)
	}
	if fi, err := os.Stat(target); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("target manifest after a delta: %v, %v; want mode 0600", fi, err)
	}
	want = got

	// Someone else's manifest on the target: it is read, and a broken one
	// stops the sync as before, whatever this host's copy says.
	if err := os.WriteFile(target, []byte(strings.Replace(string(want), `"version":1`, `"version":1,"x":1`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := syncOnce(t, s, src, dst, withCache)
	if bad.Err() == nil || !strings.Contains(bad.Err().Error(), ManifestFile) {
		t.Errorf("sync over a broken target manifest = %+v, want it refused", bad)
	}
}

// TestSedScript runs each script through this machine's sed: it must
// turn the old lines into the new exactly.
func TestSedScript(t *testing.T) {
	head, tail := `{"version":1,"entries":[`, `]}`
	for _, tc := range []struct{ name, old, new string }{
		{"one changed", "a,\nb,\nc", "a,\nB,\nc"},
		{"added at the end", "a,\nb", "a,\nb,\nc"},
		{"added in the middle", "a,\nc", "a,\nb,\nc"},
		{"removed", "a,\nb,\nc", "a,\nc"},
		{"all changed", "a,\nb", "x,\ny,\nz"},
		{"backslashes", "a,\nb", `a,\n{"path":"x\\y\"z"},` + "\nb"},
		{"to none", "a", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wrap := func(s string) []byte {
				if s == "" {
					return []byte(head + "\n" + tail + "\n")
				}
				return []byte(head + "\n" + s + "\n" + tail + "\n")
			}
			old, want := wrap(tc.old), wrap(tc.new)
			script, ok := sedScript(old, want)
			if !ok {
				t.Fatalf("sedScript(%q, %q) = false", old, want)
			}
			f := filepath.Join(t.TempDir(), "m")
			os.WriteFile(f, old, 0o600)
			got, err := exec.Command("sed", "-e", script, f).Output()
			if err != nil || string(got) != string(want) {
				t.Errorf("sed -e %q gives %q, %v; want %q", script, got, err, want)
			}
		})
	}
	if _, ok := sedScript([]byte("x\n"), []byte("y\n")); ok {
		t.Errorf("sedScript with no common first line = true, want false")
	}
}

// TestSourceFailsWhileTargetsWait: the source is manifested while the
// targets are prepared; a source that cannot be manifested (two names
// pcfs cannot tell apart) fails the run once, writes no file and no
// manifest on the target, and leaves it unlocked.
func TestSourceFailsWhileTargetsWait(t *testing.T) {
	s := startSSHD(t)
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "standby")
	writeTree(t, src, map[string]string{"config": "a\n", "boot/Loader.conf": "x\n", "boot/loader.conf": "y\n"})
	var logs bytes.Buffer
	o := Options{Source: src, SSH: sshOptions(s), Log: slog.New(slog.NewTextHandler(&logs, nil))}
	rs, err := Run(context.Background(), []sshconn.Target{targetOf(s, dst)}, o)
	if err == nil || !strings.Contains(err.Error(), "differ only in case") {
		t.Fatalf("Run() = %v, %v; want the source's error", rs, err)
	}
	if strings.Contains(logs.String(), "target failed") {
		t.Errorf("the source's failure logged again per target:\n%s", logs.String())
	}
	for _, p := range []string{"config", ManifestFile, keycopy.LockName} {
		if _, err := os.Lstat(filepath.Join(dst, p)); err == nil {
			t.Errorf("%s on the target after a failed source", p)
		}
	}
}
