package keytree_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cntools/internal/atomicfile"
	"cntools/usbkey/keytree"
)

var writeCases = []struct {
	name string
	fn   func(t *testing.T, k kind, in instance, w keytree.Writer)
}{
	{"WriteNew", testWriteNew},
	{"Overwrite", testOverwrite},
	{"ShortSourceKeepsOld", testShortSource},
	{"LongSourceRefused", testLongSource},
	{"MissingParent", testMissingParent},
	{"MkdirAll", testMkdirAll},
	{"Remove", testRemove},
	{"Space", testSpace},
	{"Persisted", testPersisted},
	{"WriteRefusesEscape", testWriteRefusesEscape},
	{"Modes", testModes},
	{"LongName", testLongName},
}

// later is an mtime other than the fixture's, even for FAT.
var later = time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)

func write(t *testing.T, w keytree.Writer, p string, data []byte) {
	t.Helper()
	if err := w.WriteFile(p, bytes.NewReader(data), int64(len(data)), 0o644, later); err != nil {
		t.Fatalf("WriteFile(%q, %d bytes) = %v", p, len(data), err)
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit() = %v", err)
	}
}

// noTemps fails when a temporary file is visible in the tree's root or,
// past the tree, in the directory behind it.
func noTemps(t *testing.T, in instance, want string) {
	t.Helper()
	infos, err := in.tree.ReadDir("")
	if err != nil || names(infos) != want {
		t.Errorf("ReadDir(\"\") = %q, %v, want %q", names(infos), err, want)
	}
	if in.raw == "" {
		return
	}
	es, err := os.ReadDir(in.raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if atomicfile.IsTemp(e.Name()) {
			t.Errorf("temporary file %s left in %s", e.Name(), in.raw)
		}
	}
}

func rootNames(k kind) string {
	if k.fifos {
		return "boot config empty fifo os"
	}
	return "boot config empty os"
}

func testWriteNew(t *testing.T, k kind, in instance, w keytree.Writer) {
	data := content(2, 300<<10)
	write(t, w, "boot/new.txt", data)
	if got := readFile(t, w, "boot/new.txt"); !bytes.Equal(got, data) {
		t.Errorf("content of boot/new.txt: %d bytes, want %d identical bytes", len(got), len(data))
	}
	fi, err := w.Lstat("boot/new.txt")
	if err != nil || !fi.Mode.IsRegular() || fi.Mode.Perm() != 0o644 || fi.Size != int64(len(data)) || !near(fi.MTime, later) {
		t.Errorf("Lstat(boot/new.txt) = %v %d %v, %v, want -rw-r--r-- %d %v", fi.Mode, fi.Size, fi.MTime, err, len(data), later)
	}
	infos, err := w.ReadDir("boot")
	if err != nil || names(infos) != "loader.conf new.txt" {
		t.Errorf("ReadDir(boot) = %q, %v, want loader.conf new.txt", names(infos), err)
	}
	if c, ok := w.(interface{ CheckSize(string, int64) error }); !ok {
		t.Errorf("%T has no CheckSize", w)
	} else if err := c.CheckSize("boot/new.txt", int64(len(data))); err != nil {
		t.Errorf("CheckSize(boot/new.txt, %d) = %v", len(data), err)
	} else if err := c.CheckSize("boot/new.txt", 1); err == nil {
		t.Errorf("CheckSize(boot/new.txt, 1) = nil, want an error")
	}
}

func testOverwrite(t *testing.T, k kind, in instance, w keytree.Writer) {
	for _, s := range []string{"hostname=longer-than-before\n", "h=1\n", ""} {
		write(t, w, "config", []byte(s))
		if got := readFile(t, w, "config"); string(got) != s {
			t.Errorf("config after writing %q = %q", s, got)
		}
	}
	noTemps(t, in, rootNames(k))
}

func testShortSource(t *testing.T, k kind, in instance, w keytree.Writer) {
	err := w.WriteFile("config", strings.NewReader("short"), 100, 0o644, later)
	if err == nil || !strings.Contains(err.Error(), "config") {
		t.Errorf("WriteFile(config, 5 of 100 bytes) = %v, want an error naming config", err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, w, "config"); !bytes.Equal(got, fixtureFiles["config"]) {
		t.Errorf("config after a short write = %q, want the old %q", got, fixtureFiles["config"])
	}
	if _, err := w.Lstat("boot/new"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	if err := w.WriteFile("boot/new", strings.NewReader("short"), 100, 0o644, later); err == nil {
		t.Errorf("WriteFile(boot/new, 5 of 100 bytes) = nil, want an error")
	}
	if _, err := w.Lstat("boot/new"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Lstat(boot/new) after a short write = %v, want fs.ErrNotExist", err)
	}
	noTemps(t, in, rootNames(k))
}

func testLongSource(t *testing.T, k kind, in instance, w keytree.Writer) {
	err := w.WriteFile("config", strings.NewReader("0123456789"), 4, 0o644, later)
	if err == nil || !strings.Contains(err.Error(), "longer") {
		t.Errorf("WriteFile(config, 10 bytes for 4) = %v, want an error saying the source is longer", err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, w, "config"); !bytes.Equal(got, fixtureFiles["config"]) {
		t.Errorf("config after a long write = %q, want the old %q", got, fixtureFiles["config"])
	}
	noTemps(t, in, rootNames(k))
}

// testTempName catches a write half way: the file is under a temporary
// name that holds its own and that atomicfile.IsTemp knows, and the real
// name still shows the old content.
//
// It runs on the kinds with a directory behind them: FAT writes into free
// clusters, never under a second name, and holds its lock while it does.
func testTempName(t *testing.T, k kind, in instance, w keytree.Writer) {
	data := content(3, 1<<20)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- w.WriteFile("config", pr, int64(len(data)), 0o644, later) }()
	if _, err := pw.Write(data[:len(data)/2]); err != nil {
		t.Fatal(err)
	}
	es, err := os.ReadDir(in.raw)
	if err != nil {
		t.Fatal(err)
	}
	var temps []string
	for _, e := range es {
		if atomicfile.IsTemp(e.Name()) && strings.Contains(e.Name(), "config") {
			temps = append(temps, e.Name())
		}
	}
	if len(temps) != 1 {
		t.Errorf("temporary files while writing config = %q, want one", temps)
	}
	if got, _ := os.ReadFile(filepath.Join(in.raw, "config")); !bytes.Equal(got, fixtureFiles["config"]) {
		t.Errorf("config while it is rewritten = %q, want the old content", got)
	}
	pw.Write(data[len(data)/2:])
	pw.Close()
	if err := <-done; err != nil {
		t.Fatalf("WriteFile(config) = %v", err)
	}
	if got := readFile(t, w, "config"); !bytes.Equal(got, data) {
		t.Errorf("config after the write: %d bytes, want %d identical bytes", len(got), len(data))
	}
	noTemps(t, in, rootNames(k))
}

func testMissingParent(t *testing.T, k kind, in instance, w keytree.Writer) {
	if err := w.WriteFile("nope/file", strings.NewReader("x"), 1, 0o644, later); err == nil {
		t.Errorf("WriteFile(nope/file) = nil, want an error: its directory does not exist")
	}
	if _, err := w.Lstat("nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Lstat(nope) after a refused write = %v, want fs.ErrNotExist", err)
	}
}

func testMkdirAll(t *testing.T, k kind, in instance, w keytree.Writer) {
	for range 2 { // a second MkdirAll of what exists is no error
		if err := w.MkdirAll("a/b/c", later); err != nil {
			t.Fatalf("MkdirAll(a/b/c) = %v", err)
		}
	}
	for _, p := range []string{"a", "a/b", "a/b/c"} {
		if fi, err := w.Lstat(p); err != nil || !fi.IsDir() {
			t.Errorf("Lstat(%s) after MkdirAll = %v, %v, want a directory", p, fi.Mode, err)
		}
	}
	write(t, w, "a/b/c/f", []byte("in a new directory"))
	if got := readFile(t, w, "a/b/c/f"); string(got) != "in a new directory" {
		t.Errorf("a/b/c/f = %q", got)
	}
	if err := w.MkdirAll("config/x", later); err == nil {
		t.Errorf("MkdirAll(config/x) below a file = nil, want an error")
	}
}

func testRemove(t *testing.T, k kind, in instance, w keytree.Writer) {
	for _, p := range []string{"nope", "boot/nope", "nope/deeper"} {
		if err := w.Remove(p); err != nil {
			t.Errorf("Remove(%q) of what does not exist = %v, want nil", p, err)
		}
	}
	if err := w.Remove("boot"); err == nil {
		t.Errorf("Remove(boot), not empty = nil, want an error")
	}
	if err := w.Remove("boot/loader.conf"); err != nil {
		t.Fatalf("Remove(boot/loader.conf) = %v", err)
	}
	if err := w.Remove("boot"); err != nil {
		t.Fatalf("Remove(boot), now empty = %v", err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"boot/loader.conf", "boot"} {
		if _, err := w.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Lstat(%s) after Remove = %v, want fs.ErrNotExist", p, err)
		}
	}
	if err := w.Remove(""); err == nil {
		t.Errorf("Remove(\"\") = nil, want the root refused")
	}
}

func testSpace(t *testing.T, k kind, in instance, w keytree.Writer) {
	free, unit := w.Space()
	if free <= 0 || unit <= 0 || unit > 1<<20 {
		t.Fatalf("Space() = %d, %d, want free space and a unit of at most 1 MiB", free, unit)
	}
	if !k.exactSpace {
		return
	}
	write(t, w, "big", content(4, 1<<20))
	after, _ := w.Space()
	if want := free - (1<<20+unit-1)/unit*unit; after != want {
		t.Errorf("Space() after a 1 MiB write = %d, want %d", after, want)
	}
}

func testPersisted(t *testing.T, k kind, in instance, w keytree.Writer) {
	write(t, w, "config", []byte("after flush\n"))
	if err := w.Flush(); err != nil {
		t.Fatalf("Flush() = %v", err)
	}
	again := in.reopen(t)
	if got := readFile(t, again, "config"); string(got) != "after flush\n" {
		t.Errorf("config reopened after Flush = %q, want %q", got, "after flush\n")
	}
	if fi, err := again.Lstat("config"); err != nil || !near(fi.MTime, later) {
		t.Errorf("Lstat(config) reopened = %v, %v, want mtime %v", fi.MTime, err, later)
	}
}

func testWriteRefusesEscape(t *testing.T, k kind, in instance, w keytree.Writer) {
	for _, p := range []string{"../escaped", "/escaped", "boot/../../escaped"} {
		if err := w.WriteFile(p, strings.NewReader("x"), 1, 0o644, later); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("WriteFile(%q) = %v, want fs.ErrInvalid", p, err)
		}
		if err := w.MkdirAll(p, later); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("MkdirAll(%q) = %v, want fs.ErrInvalid", p, err)
		}
		if err := w.Remove(p); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Remove(%q) = %v, want fs.ErrInvalid", p, err)
		}
	}
	if in.raw != "" {
		if _, err := os.Lstat(filepath.Join(in.raw, "..", "escaped")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("escaped beside the tree: Lstat = %v, want fs.ErrNotExist", err)
		}
	}
}

// testModes checks the permission bits a writer with permissions gives
// what it writes: the source's, DefaultFileMode when it has none, and
// never more than the owner's for a file holding secrets. A FAT key has
// no permissions; it must take the mode and ignore it.
func testModes(t *testing.T, k kind, in instance, w keytree.Writer) {
	files := []struct {
		path      string
		mode      fs.FileMode
		want      fs.FileMode
		needsDirs string
	}{
		{"scripts/run.sh", 0o755, 0o755, "scripts"},
		{"boot/loader.conf", 0o644, 0o644, ""},
		{"license", 0, keytree.DefaultFileMode, ""},
		{"config", 0o600, 0o600, ""},
		{"config", 0o644, 0o600, ""}, // a FAT source reads 0644
		{"config", 0o640, 0o600, ""},
		{"private/root.password.20260301T000000Z", 0o644, 0o600, "private"},
	}
	for _, f := range files {
		if f.needsDirs != "" {
			if err := w.MkdirAll(f.needsDirs, later); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.WriteFile(f.path, strings.NewReader("x"), 1, f.mode, later); err != nil {
			t.Fatalf("WriteFile(%s, %v) = %v", f.path, f.mode, err)
		}
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		if in.raw == "" {
			continue
		}
		fi, err := os.Lstat(filepath.Join(in.raw, filepath.FromSlash(f.path)))
		if err != nil || fi.Mode().Perm() != f.want {
			t.Errorf("WriteFile(%s, mode %v): file mode %v, %v, want %v", f.path, f.mode, fi.Mode().Perm(), err, f.want)
		}
	}
	if in.raw == "" {
		return
	}
	// A private/ an older run made 0755 is closed by the next MkdirAll.
	os.Chmod(filepath.Join(in.raw, "private"), 0o755)
	if err := w.MkdirAll("private/sub", later); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"private", "private/sub"} {
		if fi, err := os.Stat(filepath.Join(in.raw, d)); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("MkdirAll(private/sub): %s mode %v, %v, want 0700", d, fi.Mode().Perm(), err)
		}
	}
	if fi, err := os.Stat(filepath.Join(in.raw, "scripts")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("MkdirAll(scripts): mode %v, %v, want 0755", fi.Mode().Perm(), err)
	}
}

// testLongName: a name near the limit is written (its temporary name is
// cut to fit); on a tree with a directory behind it, one over the limit
// is refused naming the limit and the fix.
func testLongName(t *testing.T, k kind, in instance, w keytree.Writer) {
	name := strings.Repeat("n", 250)
	write(t, w, name, []byte("x"))
	if got := readFile(t, w, name); string(got) != "x" {
		t.Errorf("%d-byte name reads back %q, want x", len(name), got)
	}
	if !k.raw {
		return
	}
	long := strings.Repeat("n", 256)
	err := w.WriteFile(long, strings.NewReader("x"), 1, 0o644, later)
	if err == nil || !strings.Contains(err.Error(), "is 256 bytes, over the 255 a file name can have") || !strings.Contains(err.Error(), "rename it in the source") {
		t.Errorf("WriteFile(256-byte name) = %v, want refused with the limit and the fix", err)
	}
}
