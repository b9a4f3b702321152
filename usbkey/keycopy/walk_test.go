package keycopy

import (
	"bytes"
	"cntools/usbkey/keycopy/keycopytest"
	"context"
	"crypto/sha256"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// List gives every entry as a sync plans with it, leaves out what a sync
// keeps for itself, lists temporary files by path alone, and never
// follows a symlink.
func TestList(t *testing.T) {
	dir := t.TempDir()
	keycopytest.Odd(t, dir)
	for _, p := range []string{ManifestFile, strings.ToUpper(ManifestFile), "boot/loader.conf.conflict-20261201T220000Z", "boot/.loader.conf.tmp-0123456789ab", LockName} {
		if err := os.WriteFile(filepath.Join(dir, p), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A temporary directory is no sync's: left out, with what it holds.
	if err := os.MkdirAll(filepath.Join(dir, "extra/.d.tmp-0123456789ab/inner"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(dir, "extra/fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	lines, err := List(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Line{}
	for _, l := range lines {
		if _, dup := got[l.Path]; dup {
			t.Errorf("%s listed twice", l.Path)
		}
		got[l.Path] = l
	}
	want := map[string]string{
		"config": TypeFile, "boot": TypeDir, "boot/loader.conf": TypeFile, "os": TypeDir, "os/20260301T000000Z": TypeDir,
		"os/20260301T000000Z/platform": TypeDir, "os/20260301T000000Z/platform/i86pc": TypeDir,
		"os/20260301T000000Z/platform/i86pc/kernel": TypeDir, "os/20260301T000000Z/platform/i86pc/kernel/amd64": TypeDir,
		"os/20260301T000000Z/platform/i86pc/kernel/amd64/unix": TypeFile, "extra": TypeDir, "extra/it's \"quoted\"\nand more": TypeFile,
		"extra/fifo": TypeSpecial, "private": TypeDir, "private/root.password": TypeFile, "firmware": TypeDir, "latest": TypeSymlink,
		"boot/.loader.conf.tmp-0123456789ab": TypeTemp, LockName: TypeFile,
	}
	for p, typ := range want {
		l, ok := got[p]
		if !ok || l.Type != typ {
			t.Errorf("%q: listed %+v (%v), want type %s", p, l, ok, typ)
			continue
		}
		if typ == TypeTemp {
			if l != (Line{Type: TypeTemp, Path: p}) {
				t.Errorf("temporary file listed with more than its path: %+v", l)
			}
			continue
		}
		fi, err := os.Lstat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if l.MTime != fi.ModTime().Unix() || l.Mode != fi.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) {
			t.Errorf("%q: listed %+v, want mtime %d, mode %v", p, l, fi.ModTime().Unix(), fi.Mode())
		}
		if size := map[bool]int64{true: fi.Size()}[typ == TypeFile]; l.Size != size {
			t.Errorf("%q: size %d, want %d", p, l.Size, size)
		}
	}
	if l := got["latest"]; l.Target != "os/20260301T000000Z" {
		t.Errorf("symlink target %q", l.Target)
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%q listed, which is not content", p)
		}
	}
	for _, p := range []string{"boot", "extra"} {
		if m := got[p].Mode; m&(fs.ModeSetgid|fs.ModeSticky) == 0 {
			t.Errorf("%s: mode %v lost its setgid or sticky bit", p, m)
		}
	}

	// Encoded, the lock is left out (a sync holds it while it lists),
	// and decoding gives back every line but the temporary file's.
	b := EncodeListing(lines)
	if strings.Contains(string(b), LockName) || !strings.HasPrefix(string(b), ListingHeader) {
		t.Errorf("listing:\n%s", b)
	}
	if _, err := DecodeListing(b); err == nil || !strings.Contains(err.Error(), `type "temp"`) {
		t.Errorf("decoding a listing with a temporary file: %v, want refused", err)
	}
	var content []Line
	for _, l := range lines {
		if l.Type != TypeTemp && l.Path != LockName {
			content = append(content, l)
		}
	}
	back, err := DecodeListing(EncodeListing(content))
	if err != nil || len(back) != len(content) {
		t.Fatalf("decoded %d lines (%v), want %d", len(back), err, len(content))
	}
	for i := range back {
		if back[i] != content[i] {
			t.Errorf("decoded %+v, want %+v", back[i], content[i])
		}
	}
}

// A copy that is not there, or not a directory, is an error naming it.
func TestListRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{filepath.Join(dir, "missing"), filepath.Join(dir, "file")} {
		if strings.HasSuffix(p, "file") {
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := List(context.Background(), p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("List(%s) = %v, want an error naming it", p, err)
		}
	}
}

// Walk goes in the order of paths, where a directory's entries come after
// a sibling that sorts before its name and "/", so that a copy's state is
// hashed as it is walked; the hash is that of the listing List and
// EncodeListing give.
func TestWalkOrder(t *testing.T) {
	dir := t.TempDir()
	keycopytest.Odd(t, dir)
	for _, p := range []string{"a/x", "a-b", "a.c/y", "a0", "a/b/.c.tmp-0123456789ab", LockName, "A/z"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var walked []string
	if err := Walk(context.Background(), dir, func(p string, _ *unix.Stat_t, _ string) bool {
		walked = append(walked, p)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(walked) || len(walked) < 20 {
		t.Errorf("walked out of order:\n%s", strings.Join(walked, "\n"))
	}
	lines, err := List(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(EncodeListing(lines))
	got, err := listingSum(context.Background(), dir)
	if err != nil || !bytes.Equal(got, want[:]) {
		t.Errorf("listingSum = %x, %v; want %x, the listing's", got, err, want)
	}
}
