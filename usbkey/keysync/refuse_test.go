package keysync

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cntools/internal/node"
	"cntools/internal/sshconn"
	"cntools/usbkey/keycopy"
)

func TestDeleteRefused(t *testing.T) {
	s := startSSHD(t)
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "standby")
	writeTree(t, src, map[string]string{"config": "hostname=headnode0\n", "boot/loader.conf": "a\n"})
	writeTree(t, dst, map[string]string{"zone-data/db": "precious"})

	// No manifest from an earlier sync: nothing there is the sync's.
	for _, dry := range []bool{false, true} {
		r := syncOnce(t, s, src, dst, func(o *Options) { o.Delete, o.DryRun = true, dry })
		if r.Err() == nil || !strings.Contains(r.Err().Error(), r.Target+" has no "+ManifestFile) || !strings.Contains(r.Err().Error(), "sync once without --delete") {
			t.Errorf("delete sync (dry run %v) without a manifest = %+v, want refused naming the target and the fix", dry, r)
		}
	}
	r := syncOnce(t, s, src, filepath.Join(t.TempDir(), "new"), func(o *Options) { o.Delete, o.DryRun = true, true })
	if r.Err() == nil || !strings.Contains(r.Err().Error(), "sync once without --delete") {
		t.Errorf("delete dry run to a missing directory = %+v, want refused", r)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "zone-data/db")); string(b) != "precious" {
		t.Fatalf("zone-data/db = %q, %v after a refused delete", b, err)
	}

	// Synced once, what the sync did not put there stays.
	if r := syncOnce(t, s, src, dst, nil); !r.InStep() {
		t.Fatalf("first sync = %+v", r)
	}
	if r := syncOnce(t, s, src, dst, func(o *Options) { o.Delete = true }); !r.InStep() || r.Deleted != 0 {
		t.Errorf("delete sync = %+v, want in step, nothing deleted", r)
	}
	if _, err := os.Stat(filepath.Join(dst, "zone-data/db")); err != nil {
		t.Errorf("delete sync removed what it never sent: %v", err)
	}

	// A source without config (an unmounted /usbkey) would empty the
	// target: refused before any target is touched.
	empty := t.TempDir()
	_, err := Run(context.Background(), []sshconn.Target{targetOf(s, dst)}, Options{Source: empty, Delete: true, SSH: sshOptions(s)})
	if err == nil || !strings.Contains(err.Error(), "has no config") || !strings.Contains(err.Error(), "--from") {
		t.Errorf("Run(--delete from a source without config) = %v, want refused", err)
	}
	if _, err := os.Stat(filepath.Join(dst, "config")); err != nil {
		t.Errorf("config gone from the target after a refused delete: %v", err)
	}
}

func TestSymlinkParentRefused(t *testing.T) {
	s := startSSHD(t)
	src, base := t.TempDir(), t.TempDir()
	dst, outside := filepath.Join(base, "standby"), filepath.Join(base, "outside")
	writeTree(t, src, map[string]string{"config": "c\n", "os/v/unix": "unix"})
	os.MkdirAll(dst, 0o755)
	os.MkdirAll(outside, 0o755)
	if err := os.Symlink("../outside", filepath.Join(dst, "os")); err != nil {
		t.Fatal(err)
	}

	for _, dry := range []bool{true, false} {
		r := syncOnce(t, s, src, dst, func(o *Options) { o.DryRun = dry })
		if r.Err() == nil || !strings.Contains(r.Err().Error(), "os is a symlink to ../outside on the target, and the source has os/v under it") ||
			!strings.Contains(r.Err().Error(), "--force") {
			t.Errorf("sync (dry run %v) over a symlink = %+v, want the target failed naming os", dry, r)
		}
	}
	if es, _ := os.ReadDir(outside); len(es) != 0 {
		t.Fatalf("written through the symlink: %v", es)
	}
	if _, err := os.Stat(filepath.Join(dst, "config")); err == nil {
		t.Errorf("config sent before the target failed")
	}

	r := syncOnce(t, s, src, dst, func(o *Options) { o.Force = true })
	if !r.InStep() || len(r.Kept) != 1 || r.Kept[0] != "os.conflict-20260301T000000Z" {
		t.Fatalf("forced sync = %+v, want in step, os kept aside", r)
	}
	if es, _ := os.ReadDir(outside); len(es) != 0 {
		t.Fatalf("written through the symlink: %v", es)
	}
	if fi, err := os.Lstat(filepath.Join(dst, "os")); err != nil || !fi.IsDir() {
		t.Errorf("os on the target = %v, %v, want a directory", fi, err)
	}
	sameTrees(t, src, dst)
}

func TestTargetNotADirectory(t *testing.T) {
	s := startSSHD(t)
	dst := filepath.Join(t.TempDir(), "standby")
	os.WriteFile(dst, []byte("x"), 0o644)
	src := t.TempDir()
	writeTree(t, src, map[string]string{"config": "c\n"})
	r := syncOnce(t, s, src, dst, nil)
	if r.Err() == nil || !strings.Contains(r.Err().Error(), s.User+"@127.0.0.1:") || !strings.Contains(r.Err().Error(), dst+" is not a directory") ||
		!strings.Contains(r.Err().Error(), "host:/absolute/path") {
		t.Errorf("sync to a file = %+v, want an error naming user@host:path and the fix", r)
	}
}

func TestRelativePathRefused(t *testing.T) {
	for _, p := range []string{"zones", "zones/usbkey-standby", "."} {
		err := keycopy.CheckPath(p)
		if err == nil || !strings.Contains(err.Error(), "host:/absolute/path") {
			t.Errorf("keycopy.CheckPath(%q) = %v, want a refusal saying host:/absolute/path", p, err)
		}
		if _, err := Run(context.Background(), []sshconn.Target{{User: "root", Host: "h", Port: 22, Path: p}}, Options{Source: t.TempDir()}); err == nil {
			t.Errorf("Run(path %s) = nil error, want a refusal", p)
		}
	}
}

func TestSystemPathRefused(t *testing.T) {
	for _, p := range []string{"/etc", "/etc/standby", "/var/tmp/x", "/usr", "/lib/sdc", "/opt/smartdc", "/opt/smartdc/agents", "/usbkey/x", "/mnt/usbkey"} {
		if err := keycopy.CheckPath(p); err == nil || !strings.Contains(err.Error(), "/zones/usbkey-standby") {
			t.Errorf("keycopy.CheckPath(%q) = %v, want refused naming a directory of its own", p, err)
		}
	}
	// The toolkit's own copies, and neighbours that only share a prefix.
	for _, p := range []string{node.StandbyDir, node.CopyDir, "/opt/custom/standby", "/variant", "/etcetera", "/usbkey-standby", "/root/standby"} {
		if err := keycopy.CheckPath(p); err != nil {
			t.Errorf("keycopy.CheckPath(%q) = %v, want nil", p, err)
		}
	}
}

func TestSymlinkedTargetRefused(t *testing.T) {
	s := startSSHD(t)
	src, base := t.TempDir(), t.TempDir()
	writeTree(t, src, map[string]string{"config": "hostname=headnode0\n"})
	real := filepath.Join(base, "real")
	os.MkdirAll(real, 0o755)
	mustSymlink(t, "real", filepath.Join(base, "standby"))
	mustSymlink(t, "/etc", filepath.Join(base, "etc"))
	mustSymlink(t, "/usbkey", filepath.Join(base, "key"))
	mustSymlink(t, "loop", filepath.Join(base, "loop"))
	tests := []struct{ dst, want string }{
		{filepath.Join(base, "standby"), "standby is a symlink to real, and a sync never writes through a symlinked target: remove the link"},
		{filepath.Join(base, "etc/standby"), "resolves to /etc/standby through a symlink on that host: path /etc/standby is in the system directory /etc"},
		// A dangling link is judged by where it leads.
		{filepath.Join(base, "key/standby"), "resolves to /usbkey/standby through a symlink on that host: path /usbkey/standby: a CN's /usbkey"},
		{filepath.Join(base, "loop/standby"), "more than 40 symlinks, a loop"},
	}
	for _, tt := range tests {
		for _, dry := range []bool{true, false} {
			r := syncOnce(t, s, src, tt.dst, func(o *Options) { o.DryRun = dry })
			if r.Err() == nil || !strings.Contains(r.Err().Error(), tt.want) {
				t.Errorf("sync (dry run %v) to %s = %v, want an error containing %q", dry, tt.dst, r.Err(), tt.want)
			}
		}
	}
	if es, _ := os.ReadDir(real); len(es) != 0 {
		t.Errorf("written through the symlinked target: %v", es)
	}
	if _, err := os.Lstat("/etc/standby"); err == nil {
		t.Errorf("/etc/standby created")
	}
	// The real directory itself is a good target.
	if r := syncOnce(t, s, src, real, nil); !r.InStep() {
		t.Errorf("sync to the real directory = %+v, want in step", r)
	}
}

func mustSymlink(t *testing.T, old, new string) {
	t.Helper()
	if err := os.Symlink(old, new); err != nil {
		t.Fatal(err)
	}
}
