// Package keycopytest writes the trees the tests of a copy's listing share.
package keycopytest

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// MTime is the mtime Odd gives its files: in the past, so that no hash
// of them is too recent to cache.
var MTime = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// Odd writes under root a tree with what a listing must tell apart: modes
// with setgid and sticky, a file only its owner reads, a symlink, an
// empty directory, a name to quote. Its files have MTime.
func Odd(t testing.TB, root string) {
	t.Helper()
	for p, body := range map[string]string{
		"config": "hostname=headnode0\n", "boot/loader.conf": "a\n", "os/20260301T000000Z/platform/i86pc/kernel/amd64/unix": "unix",
		"extra/it's \"quoted\"\nand more": "q", "private/root.password": "secret",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(filepath.Join(root, p), MTime, MTime); err != nil {
			t.Fatal(err)
		}
	}
	for p, m := range map[string]os.FileMode{"private/root.password": 0o600, "boot": os.ModeSetgid | 0o755, "extra": os.ModeSticky | 0o777} {
		if err := os.Chmod(filepath.Join(root, p), m); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "firmware"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("os/20260301T000000Z", filepath.Join(root, "latest")); err != nil {
		t.Fatal(err)
	}
}
