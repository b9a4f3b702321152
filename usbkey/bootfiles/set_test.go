package bootfiles

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"cntools/usbkey/bootfiles/bootfilestest"
)

// tarEntry is a member of a hand-made tarball.
type tarEntry struct {
	name     string
	typeflag byte
	mode     int64
	data     string
	linkname string
}

func writeTar(t *testing.T, entries []tarEntry) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typeflag, Mode: e.mode, Size: int64(len(e.data)), Linkname: e.linkname, ModTime: bootfilestest.ModTime}
		if e.typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.data)); err != nil && h.Size > 0 {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "boot-test.tgz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// treeTar is the synthetic tree as tarEntries without a "./" prefix,
// changed by edit (which may return nil to drop an entry).
func treeTar(edit func(tarEntry) *tarEntry) []tarEntry {
	var out []tarEntry
	for _, e := range bootfilestest.Tree() {
		te := tarEntry{name: e.Path, typeflag: tar.TypeReg, mode: int64(e.Mode.Perm()), data: string(e.Data)}
		if e.Mode.IsDir() {
			te.typeflag, te.name = tar.TypeDir, e.Path+"/"
		}
		if edit != nil {
			p := edit(te)
			if p == nil {
				continue
			}
			te = *p
		}
		out = append(out, te)
	}
	return out
}

// wantFiles is the Set.Files the synthetic tree must give.
func wantFiles() []File {
	var out []File
	for _, e := range bootfilestest.Tree() {
		out = append(out, File{Path: e.Path, Mode: e.Mode, ModTime: bootfilestest.ModTime, Data: e.Data})
	}
	return out
}

func checkSet(t *testing.T, what string, s *Set) {
	t.Helper()
	if s.Version != bootfilestest.Version {
		t.Errorf("%s: Version = %q, want %q", what, s.Version, bootfilestest.Version)
	}
	if got, want := s.Stage2Sectors(), uint16(bootfilestest.GPTZFSBootSize/512); got != want {
		t.Errorf("%s: Stage2Sectors() = %d, want %d", what, got, want)
	}
	if len(s.PMBR) != 512 || len(s.GPTZFSBoot) != bootfilestest.GPTZFSBootSize || len(s.Loader64EFI) != bootfilestest.Loader64EFISize {
		t.Errorf("%s: pmbr, gptzfsboot, loader64.efi = %d, %d, %d bytes, want 512, %d, %d", what,
			len(s.PMBR), len(s.GPTZFSBoot), len(s.Loader64EFI), bootfilestest.GPTZFSBootSize, bootfilestest.Loader64EFISize)
	}
	want := wantFiles()
	if len(s.Files) != len(want) {
		var got []string
		for _, f := range s.Files {
			got = append(got, f.Path)
		}
		t.Fatalf("%s: Files = %v, want %d files", what, got, len(want))
	}
	for i := range want {
		g, w := s.Files[i], want[i]
		if g.Path != w.Path || g.Mode != w.Mode || !g.ModTime.Equal(w.ModTime) || !bytes.Equal(g.Data, w.Data) {
			t.Errorf("%s: Files[%d] = %s %v %v (%d bytes), want %s %v %v (%d bytes)", what, i,
				g.Path, g.Mode, g.ModTime, len(g.Data), w.Path, w.Mode, w.ModTime, len(w.Data))
		}
	}
}

func TestFromTarball(t *testing.T) {
	p := filepath.Join(t.TempDir(), "boot-20260301T000000Z.tgz")
	if err := bootfilestest.WriteTarball(p); err != nil {
		t.Fatal(err)
	}
	s, err := FromTarball(p)
	if err != nil {
		t.Fatal(err)
	}
	checkSet(t, "FromTarball(./ names)", s)

	// Without "./", without directory entries, and with things outside
	// boot/ and etc/version/ that are not boot files.
	entries := treeTar(func(e tarEntry) *tarEntry {
		if e.typeflag == tar.TypeDir {
			return nil
		}
		return &e
	})
	entries = append(entries, tarEntry{name: "README", typeflag: tar.TypeReg, mode: 0o644, data: "not a boot file"},
		tarEntry{name: "etc/motd", typeflag: tar.TypeReg, mode: 0o644, data: "not a boot file"})
	s, err = FromTarball(writeTar(t, entries))
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range s.Files {
		paths = append(paths, f.Path)
		if f.Mode.IsDir() && f.Mode.Perm() != 0o755 {
			t.Errorf("made-up directory %s has mode %v, want drwxr-xr-x", f.Path, f.Mode)
		}
	}
	var want []string
	for _, f := range wantFiles() {
		want = append(want, f.Path)
	}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("FromTarball(bare names) paths = %v, want %v", paths, want)
	}
}

func TestFromDir(t *testing.T) {
	dir := t.TempDir()
	if err := bootfilestest.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	s, err := FromDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkSet(t, "FromDir", s)
}

func TestFromDirWithoutVersion(t *testing.T) {
	dir := t.TempDir()
	var tree []bootfilestest.Entry
	for _, e := range bootfilestest.Tree() {
		if !strings.HasPrefix(e.Path, "etc") {
			tree = append(tree, e)
		}
	}
	if err := bootfilestest.WriteTreeDir(dir, tree); err != nil {
		t.Fatal(err)
	}
	s, err := FromDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != "" {
		t.Errorf("FromDir(no etc/version/boot).Version = %q, want \"\"", s.Version)
	}
}

func TestFromTarballHardLink(t *testing.T) {
	entries := treeTar(nil)
	entries = append(entries, tarEntry{name: "boot/loader.bak", typeflag: tar.TypeLink, mode: 0o444, linkname: "./boot/loader"})
	s, err := FromTarball(writeTar(t, entries))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range s.Files {
		if f.Path == "boot/loader.bak" && !bytes.Equal(f.Data, treeFile(PathLoader)) {
			t.Errorf("hard link boot/loader.bak has %d bytes, want boot/loader's %d", len(f.Data), len(treeFile(PathLoader)))
		}
	}
}

func TestFromTarballRefuses(t *testing.T) {
	drop := func(p string) func(tarEntry) *tarEntry {
		return func(e tarEntry) *tarEntry {
			if e.name == p {
				return nil
			}
			return &e
		}
	}
	replace := func(p, data string) func(tarEntry) *tarEntry {
		return func(e tarEntry) *tarEntry {
			if e.name == p {
				e.data = data
			}
			return &e
		}
	}
	noSig := string(treeFile(PathPMBR)[:510]) + "\x00\x00"
	big := string(make([]byte, 1<<20+512))
	for _, tt := range []struct {
		name    string
		entries []tarEntry
		want    string // after "<tarball>: "
	}{
		{"absolute", append(treeTar(nil), tarEntry{name: "/etc/passwd", typeflag: tar.TypeReg, data: "x"}),
			`entry "/etc/passwd" is absolute and escapes the boot tree: refusing the whole tarball`},
		{"dotdot", append(treeTar(nil), tarEntry{name: "./boot/../../x", typeflag: tar.TypeReg, data: "x"}),
			`entry "./boot/../../x" has a ".." element and escapes the boot tree: refusing the whole tarball`},
		{"dotdot inside", append(treeTar(nil), tarEntry{name: "boot/../boot/x", typeflag: tar.TypeReg, data: "x"}),
			`entry "boot/../boot/x" has a ".." element and escapes the boot tree: refusing the whole tarball`},
		{"hard link out", append(treeTar(nil), tarEntry{name: "boot/x", typeflag: tar.TypeLink, linkname: "../x"}),
			`entry "../x" has a ".." element and escapes the boot tree: refusing the whole tarball`},
		{"symlink", append(treeTar(nil), tarEntry{name: "boot/x", typeflag: tar.TypeSymlink, linkname: "loader"}),
			"boot/x: a symlink, which a pcfs key cannot hold; rebuild the boot tarball without it"},
		{"fifo", append(treeTar(nil), tarEntry{name: "boot/x", typeflag: tar.TypeFifo}),
			"boot/x: a special file, which a pcfs key cannot hold; rebuild the boot tarball without it"},
		{"case", append(treeTar(nil), tarEntry{name: "boot/Loader.rc", typeflag: tar.TypeReg, data: "x"}),
			"boot/Loader.rc and boot/loader.rc differ only in case, which pcfs folds together; rebuild the boot tarball"},
		{"no pmbr", treeTar(drop("boot/pmbr")),
			"boot/pmbr is missing: not a platform boot tree; use the boot-<stamp>.tgz from the platform build"},
		{"no gptzfsboot", treeTar(drop("boot/gptzfsboot")),
			"boot/gptzfsboot is missing: not a platform boot tree; use the boot-<stamp>.tgz from the platform build"},
		{"no loader64.efi", treeTar(drop("boot/loader64.efi")),
			"boot/loader64.efi is missing: not a platform boot tree; use the boot-<stamp>.tgz from the platform build"},
		{"no loader", treeTar(drop("boot/loader")),
			"boot/loader is missing: not a platform boot tree; use the boot-<stamp>.tgz from the platform build"},
		{"loader is a dir", append(treeTar(drop("boot/loader")), tarEntry{name: "boot/loader/", typeflag: tar.TypeDir, mode: 0o755}),
			"boot/loader is a directory, want a file: not a platform boot tree; use the boot-<stamp>.tgz from the platform build"},
		{"pmbr signature", treeTar(replace("boot/pmbr", noSig)),
			"boot/pmbr: no 0xaa55 boot signature at 0x1fe: not an MBR; use the pmbr from the platform boot tarball"},
		{"pmbr size", treeTar(replace("boot/pmbr", noSig[:446])),
			"boot/pmbr: 446 bytes, want 512: not an MBR; use the pmbr from the platform boot tarball"},
		{"gptzfsboot header", treeTar(replace("boot/gptzfsboot", strings.Repeat("\x00", 307200))),
			"boot/gptzfsboot: no multiboot header (magic 0x1badb002): not a gptzfsboot stage2; use the one from the platform boot tarball"},
		{"gptzfsboot size", treeTar(replace("boot/gptzfsboot", big)),
			"boot/gptzfsboot: 1049088 bytes, more than the 1048576-byte boot partition: not a gptzfsboot stage2; use the one from the platform boot tarball"},
	} {
		p := writeTar(t, tt.entries)
		_, err := FromTarball(p)
		want := p + ": " + tt.want
		if err == nil || err.Error() != want {
			t.Errorf("FromTarball(%s) error = %v, want %q", tt.name, err, want)
		}
	}
}

func TestFromTarballNotGzip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "boot.tar")
	if err := os.WriteFile(p, []byte("plain text"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := FromTarball(p)
	want := p + ": not a gzip file (gzip: invalid header): want the boot-<stamp>.tgz from the platform build"
	if err == nil || err.Error() != want {
		t.Errorf("FromTarball(plain file) error = %v, want %q", err, want)
	}
	if _, err := FromTarball(filepath.Join(t.TempDir(), "missing.tgz")); !os.IsNotExist(err) {
		t.Errorf("FromTarball(missing) error = %v, want not-exist", err)
	}
}

func TestFromDirRefuses(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(dir string) error
		want string
	}{
		{"no loader", func(dir string) error { return os.Remove(filepath.Join(dir, "boot", "loader")) },
			"boot/loader is missing: not a platform boot tree; use the boot-<stamp>.tgz from the platform build"},
		{"no boot", func(dir string) error { return os.RemoveAll(filepath.Join(dir, "boot")) },
			"boot/pmbr is missing: not a platform boot tree; use the boot-<stamp>.tgz from the platform build"},
		{"symlink", func(dir string) error { return os.Symlink("loader", filepath.Join(dir, "boot", "loader.link")) },
			"boot/loader.link: a symlink, which a pcfs key cannot hold; copy the file it points to instead"},
		{"pmbr signature", func(dir string) error {
			p := filepath.Join(dir, "boot", "pmbr")
			if err := os.Chmod(p, 0o644); err != nil {
				return err
			}
			return os.WriteFile(p, make([]byte, 512), 0o444)
		}, "boot/pmbr: no 0xaa55 boot signature at 0x1fe: not an MBR; use the pmbr from the platform boot tarball"},
	} {
		dir := t.TempDir()
		if err := bootfilestest.WriteDir(dir); err != nil {
			t.Fatal(err)
		}
		if err := tt.edit(dir); err != nil {
			t.Fatal(err)
		}
		_, err := FromDir(dir)
		want := dir + ": " + tt.want
		if err == nil || err.Error() != want {
			t.Errorf("FromDir(%s) error = %v, want %q", tt.name, err, want)
		}
	}
}

// The generator is part of other packages' goldens: it must not drift.
func TestBootfilestestDeterministic(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.tgz"), filepath.Join(dir, "b.tgz")
	for _, p := range []string{a, b} {
		if err := bootfilestest.WriteTarball(p); err != nil {
			t.Fatal(err)
		}
	}
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if !bytes.Equal(da, db) {
		t.Errorf("WriteTarball wrote different bytes twice")
	}
	if off, err := FindMultiboot(treeFile(PathGPTZFSBoot)); err != nil || off != bootfilestest.MultibootOffset {
		t.Errorf("FindMultiboot(synthetic gptzfsboot) = %#x, %v, want %#x", off, err, bootfilestest.MultibootOffset)
	}
	if got := treeFile(PathPMBR)[0x3e:0x40]; bytes.Equal(got, []byte{3, 2}) {
		t.Errorf("synthetic pmbr has the grub v1 marker at 0x3e")
	}
	var mode fs.FileMode
	for _, e := range bootfilestest.Tree() {
		if e.Path == PathLoader64EFI {
			mode = e.Mode
		}
	}
	if mode != 0o555 {
		t.Errorf("synthetic loader64.efi mode = %v, want -r-xr-xr-x", mode)
	}
}
