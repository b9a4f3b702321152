package keytree_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"cntools/usbkey/keytree"
)

// The conformance suite, after restic's backend tests: every kind of tree
// holds the same fixture and must answer the same questions the same way.
// Read tests run on all four kinds, write tests on the three writers.

func TestConformance(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			fresh := k.setup(t)
			for _, c := range readCases {
				t.Run(c.name, func(t *testing.T) { c.fn(t, k, fresh(t)) })
			}
			if !k.writable {
				return
			}
			for _, c := range writeCases {
				t.Run(c.name, func(t *testing.T) {
					in := fresh(t)
					c.fn(t, k, in, in.tree.(keytree.Writer))
				})
			}
			if k.raw {
				t.Run("TempNameWhileWriting", func(t *testing.T) {
					in := fresh(t)
					if in.raw == "" {
						t.Fatalf("BUG: kind %s has no directory behind it", k.name)
					}
					testTempName(t, k, in, in.tree.(keytree.Writer))
				})
			}
		})
	}
}

var readCases = []struct {
	name string
	fn   func(t *testing.T, k kind, in instance)
}{
	{"ReadDirSorted", testReadDirSorted},
	{"Lstat", testLstat},
	{"Symlink", testSymlink},
	{"OpenContent", testOpenContent},
	{"ConcurrentOpen", testConcurrentOpen},
	{"Walk", testWalk},
	{"NotExist", testNotExist},
	{"OpenRefusesNonRegular", testOpenRefuses},
	{"OpenRefusesFIFO", testOpenRefusesFIFO},
	{"RefusesEscape", testReadRefusesEscape},
	{"Files", testFiles},
}

// wantWalk is the fixture as Walk lists it for kind k, once its FIFO is
// gone (Walk refuses one).
func wantWalk(k kind) []string {
	want := []string{"boot", "boot/loader.conf", "config", "empty"}
	want = append(want, "os", "os/20240101T000000Z", "os/20240101T000000Z/boot_archive")
	if k.symlinks {
		want = append(want, linkPath)
	}
	return want
}

func testReadDirSorted(t *testing.T, k kind, in instance) {
	infos, err := in.tree.ReadDir("")
	if err != nil {
		t.Fatalf("ReadDir(\"\") = %v", err)
	}
	want := "boot config empty os"
	if k.fifos {
		want = "boot config empty fifo os"
	}
	if got := names(infos); got != want {
		t.Errorf("ReadDir(\"\") names = %q, want %q", got, want)
	}
	if !sort.SliceIsSorted(infos, func(i, j int) bool { return infos[i].Name < infos[j].Name }) {
		t.Errorf("ReadDir(\"\") = %q, not sorted by name", names(infos))
	}
	if _, err := in.tree.ReadDir("config"); err == nil {
		t.Errorf("ReadDir(\"config\") of a file = nil error, want one")
	}
}

func testLstat(t *testing.T, k kind, in instance) {
	fi, err := in.tree.Lstat("boot/loader.conf")
	if err != nil {
		t.Fatalf("Lstat(boot/loader.conf) = %v", err)
	}
	want := int64(len(fixtureFiles["boot/loader.conf"]))
	if fi.Name != "loader.conf" || !fi.Mode.IsRegular() || fi.Size != want || !near(fi.MTime, epoch) {
		t.Errorf("Lstat(boot/loader.conf) = %q %v %d %v, want loader.conf, a regular file of %d bytes at %v", fi.Name, fi.Mode, fi.Size, fi.MTime, want, epoch)
	}
	for _, p := range []string{"", "boot", "os/20240101T000000Z"} {
		fi, err := in.tree.Lstat(p)
		if err != nil || !fi.IsDir() || fi.Size != 0 {
			t.Errorf("Lstat(%q) = %v, %d bytes, %v, want a directory of 0 bytes", p, fi.Mode, fi.Size, err)
		}
	}
	// The ReadDir and Lstat descriptions of one entry agree.
	infos, err := in.tree.ReadDir("boot")
	if err != nil || len(infos) != 1 || infos[0] != fi {
		t.Errorf("ReadDir(boot) = %+v, %v, want [%+v]", infos, err, fi)
	}
}

func testSymlink(t *testing.T, k kind, in instance) {
	fi, err := in.tree.Lstat(linkPath)
	if !k.symlinks {
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Lstat(%s) on a tree without symlinks = %+v, %v, want fs.ErrNotExist", linkPath, fi, err)
		}
		return
	}
	if err != nil || !fi.IsSymlink() || fi.Target != linkTarget || fi.Size != 0 || fi.IsDir() {
		t.Fatalf("Lstat(%s) = %+v, %v, want a symlink to %s of 0 bytes", linkPath, fi, err, linkTarget)
	}
	infos, err := in.tree.ReadDir("os")
	if err != nil || names(infos) != "20240101T000000Z latest" || infos[1] != fi {
		t.Errorf("ReadDir(os) = %+v, %v, want the directory and %+v", infos, err, fi)
	}
	// Listing through it would describe the platform twice.
	if infos, err := in.tree.ReadDir(linkPath); err == nil {
		t.Errorf("ReadDir(%s) = %q, want an error: it is a symlink", linkPath, names(infos))
	}
}

func testOpenContent(t *testing.T, k kind, in instance) {
	for p, want := range fixtureFiles {
		if got := readFile(t, in.tree, p); !bytes.Equal(got, want) {
			t.Errorf("content of %s: %d bytes, want %d identical bytes", p, len(got), len(want))
		}
	}
}

func testConcurrentOpen(t *testing.T, k kind, in instance) {
	const p = "os/20240101T000000Z/boot_archive"
	var wg sync.WaitGroup
	got := make([][]byte, 8)
	for i := range got {
		wg.Go(func() { got[i] = readFile(t, in.tree, p) })
	}
	wg.Wait()
	for i, b := range got {
		if !bytes.Equal(b, fixtureFiles[p]) {
			t.Errorf("reader %d of %s got %d bytes, want %d identical bytes", i, p, len(b), len(fixtureFiles[p]))
		}
	}
}

func testWalk(t *testing.T, k kind, in instance) {
	if k.fifos {
		// Refused whole, naming it, and quickly: nothing opens it.
		_, err := keytree.Walk(context.Background(), in.tree)
		if !errors.Is(err, keytree.ErrSpecialFile) || !strings.Contains(err.Error(), fifoPath+" is a fifo") || !strings.Contains(err.Error(), "remove it") {
			t.Fatalf("Walk over a tree with a FIFO = %v, want keytree.ErrSpecialFile naming %s and the fix", err, fifoPath)
		}
		if err := os.Remove(filepath.Join(in.raw, fifoPath)); err != nil {
			t.Fatal(err)
		}
	}
	es, err := keytree.Walk(context.Background(), in.tree)
	if err != nil {
		t.Fatalf("Walk = %v", err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Path)
	}
	if want := wantWalk(k); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Walk paths =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := keytree.Walk(ctx, in.tree); !errors.Is(err, context.Canceled) {
		t.Errorf("Walk(cancelled) = %v, want context.Canceled", err)
	}
}

func testNotExist(t *testing.T, k kind, in instance) {
	for _, p := range []string{"nope", "boot/nope", "nope/deeper"} {
		if _, err := in.tree.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Lstat(%q) = %v, want fs.ErrNotExist", p, err)
		}
		if _, err := in.tree.Open(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open(%q) = %v, want fs.ErrNotExist", p, err)
		}
		if _, err := in.tree.ReadDir(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadDir(%q) = %v, want fs.ErrNotExist", p, err)
		} else if !strings.Contains(err.Error(), p) {
			t.Errorf("ReadDir(%q) = %q, want the path named", p, err)
		}
	}
}

func testOpenRefuses(t *testing.T, k kind, in instance) {
	refused := map[string]string{"boot": "a directory"}
	if k.symlinks {
		refused[linkPath] = "a symlink"
	}
	for p, what := range refused {
		rc, err := in.tree.Open(p)
		if err == nil {
			rc.Close()
		}
		if !errors.Is(err, keytree.ErrNotRegular) || !strings.Contains(err.Error(), p+": "+what+": not a regular file") {
			t.Errorf("Open(%q) = %v, want keytree.ErrNotRegular saying %q", p, err, what)
		}
	}
}

// A FIFO opened for reading blocks until a writer comes: Open must decide
// from Lstat and never open one.
func testOpenRefusesFIFO(t *testing.T, k kind, in instance) {
	if !k.fifos {
		if _, err := in.tree.Lstat(fifoPath); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Lstat(%s) on a tree without FIFOs = %v, want fs.ErrNotExist", fifoPath, err)
		}
		return
	}
	fi, err := in.tree.Lstat(fifoPath)
	if err != nil || fi.Mode&fs.ModeNamedPipe == 0 {
		t.Errorf("Lstat(%s) = %v, %v, want a named pipe", fifoPath, fi.Mode, err)
	}
	done := make(chan error, 1)
	go func() {
		rc, err := in.tree.Open(fifoPath)
		if err == nil {
			rc.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, keytree.ErrNotRegular) || !strings.Contains(err.Error(), "a fifo") {
			t.Errorf("Open(%s) = %v, want keytree.ErrNotRegular saying a fifo", fifoPath, err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("Open(%s) still blocked after 20 s", fifoPath)
	}
}

func testReadRefusesEscape(t *testing.T, k kind, in instance) {
	for _, p := range []string{"../etc/passwd", "/etc/passwd", "boot/../../x", "boot/./loader.conf"} {
		if _, err := in.tree.Lstat(p); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Lstat(%q) = %v, want fs.ErrInvalid", p, err)
		}
		if _, err := in.tree.Open(p); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Open(%q) = %v, want fs.ErrInvalid", p, err)
		}
		if _, err := in.tree.ReadDir(p); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("ReadDir(%q) = %v, want fs.ErrInvalid", p, err)
		}
	}
}

// Files opens what Open opens and refuses what it refuses, with the same
// errors, whatever the order: files of one directory, then another, then
// the first again, and paths that fail between them.
func testFiles(t *testing.T, k kind, in instance) {
	var ps []string
	for p := range fixtureFiles {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	ps = append(ps, "boot", "nope", "boot/nope", "nope/deeper", "../etc/passwd", "boot/../../x")
	if k.symlinks {
		ps = append(ps, linkPath)
	}
	if k.fifos {
		ps = append(ps, fifoPath)
	}
	ps = append(ps, slices.Clone(ps)...)
	slices.Reverse(ps[len(ps)/2:])
	files := keytree.FilesOf(in.tree)
	defer files.Close()
	for _, p := range ps {
		want, wantErr := readAll(in.tree.Open(p))
		got, err := readAll(files.Open(p))
		switch {
		case (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error():
			t.Errorf("Files.Open(%q) = %v, want %v as Open gives", p, err, wantErr)
		case !bytes.Equal(got, want):
			t.Errorf("Files.Open(%q) read %d bytes, want %d identical bytes", p, len(got), len(want))
		}
		if err == nil {
			testStatOpen(t, k, in, files, p)
		}
	}
}

// testStatOpen holds what StatOpen says of a file open through Files and
// through Open to what a listing says of it: a hash cache keys on both.
func testStatOpen(t *testing.T, k kind, in instance, files keytree.Files, p string) {
	t.Helper()
	want, err := in.tree.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, open := range []struct {
		name string
		f    func(string) (io.ReadCloser, error)
	}{{"Files.Open", files.Open}, {"Open", in.tree.Open}} {
		r, err := open.f(p)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := keytree.StatOpen(r)
		r.Close()
		switch {
		case ok != k.descriptors:
			t.Errorf("StatOpen(%s(%q)): ok %v, want %v for a %s tree", open.name, p, ok, k.descriptors, k.name)
		case ok && (got.Inode != want.Inode || got.CTime != want.CTime || got.Size != want.Size || !got.MTime.Equal(want.MTime) || got.Mode != want.Mode):
			t.Errorf("StatOpen(%s(%q)) = %+v, want %+v as Lstat gives", open.name, p, got, want)
		}
	}
}

func readAll(rc io.ReadCloser, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}
