package manifest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cntools/usbkey/keytree"
)

func TestBuildSameTreeSameBytes(t *testing.T) {
	a, b := filepath.Join(t.TempDir(), "usbkey"), filepath.Join(t.TempDir(), "elsewhere", "standby")
	writeTree(t, a, keyTree)
	writeTree(t, b, keyTree)
	first := encode(t, build(t, keytree.Dir(a), Options{}))
	again := encode(t, build(t, keytree.Dir(a), Options{Workers: 1}))
	if !bytes.Equal(first, again) {
		t.Errorf("Build twice gave different bytes:\n%s\n%s", first, again)
	}
	copied := encode(t, build(t, keytree.Dir(b), Options{Workers: 7}))
	if !bytes.Equal(first, copied) {
		t.Errorf("Build of a copy at another path gave different bytes:\n%s\n%s", first, copied)
	}
	if bytes.Contains(first, []byte(a)) {
		t.Errorf("manifest names its root %s:\n%s", a, first)
	}
}

func TestBuildEntries(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, keyTree)
	m := build(t, keytree.Dir(root), Options{})
	sum := sha256.Sum256([]byte("headnode=\"true\"\nipxe=\"false\"\n"))
	for _, want := range []Entry{
		{Path: "boot", Type: TypeDir, Mode: 0o755, MTime: old},
		{Path: "boot/loader.conf", Type: TypeFile, Size: 29, Mode: 0o644, MTime: old, SHA256: hex.EncodeToString(sum[:])},
		{Path: "config", Type: TypeFile, Size: 18, Mode: 0o600, MTime: old, SHA256: find(m, "config").SHA256},
	} {
		got := find(m, want.Path)
		if got == nil || *got != want {
			t.Errorf("Build() entry %s = %+v, want %+v", want.Path, got, want)
		}
	}
	if len(m.Entries) != len(keyTree) {
		t.Errorf("Build() has %d entries, want %d (the root is not one)", len(m.Entries), len(keyTree))
	}
}

func TestBuildRecordsSymlinksNotFollowed(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	writeTree(t, outside, []node{{"secret", "do not read", 0o644}, {"dir/", "", 0o755}, {"dir/f", "x", 0o644}})
	writeTree(t, root, []node{
		{"in", "inside", 0o644},
		{"to-in", "-> in", 0},
		{"to-file", "-> " + filepath.Join(outside, "secret"), 0},
		{"to-dir", "-> " + filepath.Join(outside, "dir"), 0},
		{"up", "-> ../../..", 0},
		{"dangling", "-> nowhere", 0},
	})
	ct := &countingTree{Tree: keytree.Dir(root)}
	m := build(t, ct, Options{})
	if got := ct.opens.Load(); got != 1 {
		t.Errorf("Build() opened %d files, want 1 (only the regular file)", got)
	}
	for _, want := range []struct{ path, target string }{
		{"to-in", "in"},
		{"to-file", filepath.Join(outside, "secret")},
		{"to-dir", filepath.Join(outside, "dir")},
		{"up", "../../.."},
		{"dangling", "nowhere"},
	} {
		e := find(m, want.path)
		if e == nil || e.Type != TypeSymlink || e.Target != want.target || e.SHA256 != "" || e.Size != 0 {
			t.Errorf("Build() entry %s = %+v, want a symlink to %s", want.path, e, want.target)
		}
	}
	if find(m, "to-dir/f") != nil {
		t.Errorf("Build() descended into a symlinked directory")
	}
}

func TestDirTreeOpenRefusesSymlink(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	writeTree(t, outside, []node{{"secret", "do not read", 0o644}})
	writeTree(t, root, []node{{"link", "-> " + filepath.Join(outside, "secret"), 0}, {"rel", "-> ../" + filepath.Base(outside) + "/secret", 0}, {"file", "x", 0o644}, {"inner", "-> file", 0}})
	for _, p := range []string{"link", "rel", "inner"} {
		if r, err := keytree.Dir(root).Open(p); err == nil {
			r.Close()
			t.Errorf("keytree.Dir(%s).Open(%q) = nil error, want a refusal", root, p)
		}
	}
}

func TestBuildCacheAvoidsRehashing(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, keyTree)
	var c Cache
	ct := &countingTree{Tree: keytree.Dir(root)}
	cold := encode(t, build(t, ct, Options{Cache: &c}))
	if got := ct.opens.Load(); got != 5 {
		t.Fatalf("cold Build() opened %d files, want 5", got)
	}
	cachePath := filepath.Join(t.TempDir(), "hashes.json")
	if err := c.Save(cachePath); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadCache(cachePath)
	if err != nil {
		t.Fatal(err)
	}
	ct.opens.Store(0)
	warm := encode(t, build(t, ct, Options{Cache: loaded}))
	if got := ct.opens.Load(); got != 0 {
		t.Errorf("warm Build() opened %d files, want 0", got)
	}
	if !bytes.Equal(cold, warm) {
		t.Errorf("warm Build() = \n%s\nwant\n%s", warm, cold)
	}

	// A changed size or mtime is read again, and only that file.
	p := filepath.Join(root, "config")
	if err := os.WriteFile(p, []byte("hostname=other\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(p, old, old)
	ct.opens.Store(0)
	m := build(t, ct, Options{Cache: loaded})
	if got := ct.opens.Load(); got != 1 {
		t.Errorf("Build() after changing one file opened %d files, want 1", got)
	}
	if sum := sha256.Sum256([]byte("hostname=other\n")); find(m, "config").SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("Build() after change: config sha256 = %s, want the new content's", find(m, "config").SHA256)
	}
}

func TestBuildCacheRehashesNewInode(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, []node{{"config", "hostname=aaaaa\n", 0o644}})
	var c Cache
	ct := &countingTree{Tree: keytree.Dir(root)}
	build(t, ct, Options{Cache: &c})

	// Same size, same mtime, different content, put in place by rename as
	// tar and cp do: only the inode tells.
	p := filepath.Join(root, "config")
	tmp := filepath.Join(root, "config.new")
	if err := os.WriteFile(tmp, []byte("hostname=bbbbb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(tmp, old, old)
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
	ct.opens.Store(0)
	m := build(t, ct, Options{Cache: &c})
	if got := ct.opens.Load(); got != 1 {
		t.Errorf("Build() after replacing the inode opened %d files, want 1", got)
	}
	if sum := sha256.Sum256([]byte("hostname=bbbbb\n")); find(m, "config").SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("Build() after replacing the inode: sha256 = %s, want the new content's", find(m, "config").SHA256)
	}
}

func TestBuildCacheSkipsRecentMTimes(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "config"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var c Cache
	ct := &countingTree{Tree: keytree.Dir(root)}
	build(t, ct, Options{Cache: &c})
	build(t, ct, Options{Cache: &c})
	if got := ct.opens.Load(); got != 2 {
		t.Errorf("two Builds of a file written just now opened %d files, want 2 (too recent to cache)", got)
	}
}

func TestBuildExclude(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, keyTree)
	m := build(t, keytree.Dir(root), Options{Exclude: func(p string) bool { return p == "os" || p == "config" }})
	for _, e := range m.Entries {
		if e.Path == "config" || strings.HasPrefix(e.Path, "os") {
			t.Errorf("Build(Exclude os, config) kept %s", e.Path)
		}
	}
	if find(m, "boot/loader.conf") == nil {
		t.Errorf("Build(Exclude os, config) dropped boot/loader.conf")
	}
}

func TestBuildRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, root string)
		want  string
	}{
		{"case collision", func(t *testing.T, root string) {
			writeTree(t, root, []node{{"os/", "", 0o755}, {"OS/", "", 0o755}})
		}, "differ only in case: pcfs cannot hold both"},
		{"case collision deeper", func(t *testing.T, root string) {
			writeTree(t, root, []node{{"boot/", "", 0o755}, {"boot/Loader.conf", "a", 0o644}, {"boot/loader.conf", "b", 0o644}})
		}, "differ only in case"},
		{"socket", func(t *testing.T, root string) {
			l, err := net.Listen("unix", filepath.Join(root, "sock"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
		}, "sock: a socket: only files, directories and symlinks belong in a key tree: remove it or exclude it"},
		{"not utf-8", func(t *testing.T, root string) {
			writeTree(t, root, []node{{"bad\xff", "", 0o644}})
		}, "is not UTF-8: pcfs cannot hold it"},
		{"missing root", func(t *testing.T, root string) {
			os.Remove(root)
		}, "no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "key")
			os.Mkdir(root, 0o755)
			tc.setup(t, root)
			_, err := Build(context.Background(), keytree.Dir(root), Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Build(%s) = %v, want an error containing %q", tc.name, err, tc.want)
			}
		})
	}
}

// lyingTree lists every file one byte longer than it is.
type lyingTree struct{ keytree.Tree }

func (l lyingTree) ReadDir(dir string) ([]keytree.Info, error) {
	in, err := l.Tree.ReadDir(dir)
	for i := range in {
		if in[i].Mode.IsRegular() {
			in[i].Size++
		}
	}
	return in, err
}

func TestBuildFileChangedWhileRead(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, keyTree)
	_, err := Build(context.Background(), lyingTree{keytree.Dir(root)}, Options{Workers: 2})
	if err == nil || !strings.Contains(err.Error(), "changed while it was read") {
		t.Errorf("Build(file shorter than listed) = %v, want changed while it was read", err)
	}
}

// slowTree blocks reads until its context is done.
type slowTree struct {
	keytree.Tree
	ctx context.Context
}

func (s slowTree) Open(p string) (io.ReadCloser, error) {
	<-s.ctx.Done()
	return s.Tree.Open(p)
}

func TestBuildCancel(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, keyTree)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := Build(ctx, slowTree{keytree.Dir(root), ctx}, Options{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Build(cancelled) = %v, want context.DeadlineExceeded", err)
	}
}
