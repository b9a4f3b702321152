package tarx_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"cntools/gztools/gztoolstest"
	"cntools/internal/tarx"
)

var good = []gztoolstest.Entry{
	gztoolstest.Dir("./", 0o755),
	gztoolstest.Dir("bin/", 0o755),
	gztoolstest.File("bin/sdc", 0o755, "#!/bin/sh\necho sdc\n"),
	gztoolstest.Symlink("bin/sdc-vmapi", "../lib/wrap.sh"),
	gztoolstest.File("lib/wrap.sh", 0o755, "#!/bin/sh\n"),
	gztoolstest.Symlink("man/man1/sdc-vmapi.1", "../../sdc/man/man1/sdc-vmapi.1"), // dangling, as in gz-tools
	gztoolstest.File("share/servicebundle/pubkey.key", 0o444, "key"),
	gztoolstest.Hardlink("share/servicebundle/pubkey.copy", "share/servicebundle/pubkey.key"),
	gztoolstest.Dir("share/ro/", 0o555),
	gztoolstest.File("share/ro/x", 0o4755, "setuid"),
	gztoolstest.File("etc/gz-tools.image", 0o644, "0b0b0b0b-0000-4000-8000-000000000001\n"),
	gztoolstest.File("etc/gz-tools.image", 0o600, "replaced\n"),
}

func TestExtract(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "x")
	res, err := tarx.Extract(context.Background(), bytes.NewReader(gztoolstest.TarGz(good)), dir, tarx.Options{})
	if err != nil {
		t.Fatalf("Extract = %v, want nil", err)
	}
	if res.Entries != 11 {
		t.Errorf("Extract().Entries = %d, want 11", res.Entries)
	}
	for _, tc := range []struct {
		name string
		mode fs.FileMode
		body string
		link string
	}{
		{"bin/sdc", 0o755, "#!/bin/sh\necho sdc\n", ""},
		{"bin/sdc-vmapi", fs.ModeSymlink, "", "../lib/wrap.sh"},
		{"man/man1/sdc-vmapi.1", fs.ModeSymlink, "", "../../sdc/man/man1/sdc-vmapi.1"},
		{"man", fs.ModeDir | 0o755, "", ""},
		{"share/servicebundle/pubkey.key", 0o444, "key", ""},
		{"share/servicebundle/pubkey.copy", 0o444, "key", ""},
		{"share/ro", fs.ModeDir | 0o555, "", ""},
		{"share/ro/x", fs.ModeSetuid | 0o755, "setuid", ""},
		{"etc/gz-tools.image", 0o600, "replaced\n", ""},
	} {
		p := filepath.Join(dir, tc.name)
		fi, err := os.Lstat(p)
		if err != nil {
			t.Errorf("Lstat(%s) = %v", tc.name, err)
			continue
		}
		if got := fi.Mode() &^ 0; got&(fs.ModeType|fs.ModePerm|fs.ModeSetuid) != tc.mode && tc.mode != fs.ModeSymlink {
			t.Errorf("mode of %s = %v, want %v", tc.name, got, tc.mode)
		}
		if tc.link != "" {
			if got, _ := os.Readlink(p); got != tc.link {
				t.Errorf("Readlink(%s) = %q, want %q", tc.name, got, tc.link)
			}
			continue
		}
		if fi.Mode().IsRegular() {
			if b, _ := os.ReadFile(p); string(b) != tc.body {
				t.Errorf("content of %s = %q, want %q", tc.name, b, tc.body)
			}
			if !fi.ModTime().Equal(gztoolstest.Epoch) {
				t.Errorf("mtime of %s = %v, want %v", tc.name, fi.ModTime(), gztoolstest.Epoch)
			}
		}
	}
	a, _ := os.Stat(filepath.Join(dir, "share/servicebundle/pubkey.key"))
	b, _ := os.Stat(filepath.Join(dir, "share/servicebundle/pubkey.copy"))
	if !os.SameFile(a, b) {
		t.Errorf("hard link pubkey.copy is not the same file as pubkey.key")
	}
}

func TestExtractRefusesWhole(t *testing.T) {
	want := map[string]error{
		"absolute":         tarx.ErrUnsafe,
		"dotdot":           tarx.ErrUnsafe,
		"symlink-escape":   tarx.ErrUnsafe,
		"symlink-absolute": tarx.ErrUnsafe,
		"symlink-chain":    tarx.ErrUnsafe,
		"below-symlink":    tarx.ErrUnsafe,
		"hardlink-outside": tarx.ErrUnsafe,
		"hardlink-absent":  tarx.ErrUnsafe,
		"chardev":          tarx.ErrUnsupported,
		"blockdev":         tarx.ErrUnsupported,
		"fifo":             tarx.ErrUnsupported,
		"truncated-gzip":   tarx.ErrCorrupt,
		"truncated-data":   tarx.ErrCorrupt,
		"corrupt-gzip":     tarx.ErrCorrupt,
		"corrupt-tar":      tarx.ErrCorrupt,
		"not-gzip":         tarx.ErrCorrupt,
		"empty-file":       tarx.ErrCorrupt,
		"empty-tar":        tarx.ErrCorrupt,
		"unterminated":     tarx.ErrCorrupt,
		"one-end-block":    tarx.ErrCorrupt,
	}
	hostile := gztoolstest.Hostile()
	for _, name := range gztoolstest.HostileNames() {
		dir := filepath.Join(t.TempDir(), "x")
		_, err := tarx.Extract(context.Background(), bytes.NewReader(hostile[name]), dir, tarx.Options{})
		if w, ok := want[name]; !ok {
			t.Errorf("hostile tarball %q has no expected error in this table", name)
		} else if !errors.Is(err, w) {
			t.Errorf("Extract(%s) = %v, want %v", name, err, w)
		}
		if _, serr := os.Lstat(dir); !errors.Is(serr, fs.ErrNotExist) {
			t.Errorf("Extract(%s) left %s behind (%v)", name, dir, serr)
		}
		// Walk applies the same checks without writing.
		werr := tarx.Walk(context.Background(), bytes.NewReader(hostile[name]), func(*tarx.Entry, io.Reader) error { return nil })
		if !errors.Is(werr, want[name]) {
			t.Errorf("Walk(%s) = %v, want %v", name, werr, want[name])
		}
	}
}

func TestExtractNoSpace(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "x")
	tgz := gztoolstest.TarGz([]gztoolstest.Entry{gztoolstest.File("big", 0o644, string(make([]byte, 64<<10)))})
	_, err := tarx.Extract(context.Background(), bytes.NewReader(tgz), dir, tarx.Options{Free: func(string) (int64, error) { return 16 << 10, nil }})
	if !errors.Is(err, tarx.ErrNoSpace) {
		t.Errorf("Extract(64 KiB into 16 KiB free) = %v, want %v", err, tarx.ErrNoSpace)
	}
	if _, serr := os.Lstat(dir); !errors.Is(serr, fs.ErrNotExist) {
		t.Errorf("Extract left %s behind", dir)
	}
}

func TestExtractRefusesExistingDir(t *testing.T) {
	dir := t.TempDir()
	_, err := tarx.Extract(context.Background(), bytes.NewReader(gztoolstest.TarGz(good)), dir, tarx.Options{})
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("Extract(into existing dir) = %v, want %v", err, fs.ErrExist)
	}
	if _, serr := os.Stat(dir); serr != nil {
		t.Errorf("Extract removed a directory it did not create: %v", serr)
	}
}

// archive/tar takes a stream cut at an entry boundary, or one with no
// entry at all, for a clean end; Extract does not, and says why. An
// archive from tar(1), padded to its 10 KiB records, ends cleanly.
func TestExtractRefusesCutAtABoundary(t *testing.T) {
	hostile := gztoolstest.Hostile()
	for name, want := range map[string]string{
		"empty-tar":     "corrupt archive: tar: the archive holds no entries: it is empty or was cut short; fetch or build it again",
		"unterminated":  "corrupt archive: tar: the archive ends without its two zero end blocks: it was cut short; fetch or build it again",
		"one-end-block": "corrupt archive: tar: the archive ends without its two zero end blocks: it was cut short; fetch or build it again",
	} {
		_, err := tarx.Extract(context.Background(), bytes.NewReader(hostile[name]), filepath.Join(t.TempDir(), "x"), tarx.Options{})
		if err == nil || err.Error() != want {
			t.Errorf("Extract(%s) = %v, want %q", name, err, want)
		}
	}
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "t/bin"), 0o755)
	os.WriteFile(filepath.Join(src, "t/bin/sdc"), make([]byte, 3000), 0o755) // zeros: they must not pass for end blocks
	tgz := filepath.Join(t.TempDir(), "t.tgz")
	if out, err := exec.Command("tar", "-C", src, "-czf", tgz, "t").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	if _, err := tarx.ExtractFile(context.Background(), tgz, filepath.Join(t.TempDir(), "x"), tarx.Options{}); err != nil {
		t.Errorf("ExtractFile(tar -czf) = %v, want nil", err)
	}
	// The same content cut right after the zero-filled file.
	whole := gztoolstest.Tar([]gztoolstest.Entry{gztoolstest.File("sdc", 0o755, string(make([]byte, 3000)))})
	cut := gztoolstest.Gzip(whole[:512+3072])
	if _, err := tarx.Extract(context.Background(), bytes.NewReader(cut), filepath.Join(t.TempDir(), "x"), tarx.Options{}); !errors.Is(err, tarx.ErrCorrupt) {
		t.Errorf("Extract(cut after a zero-filled file) = %v, want tarx.ErrCorrupt", err)
	}
}

// A PAX sparse file holds less in the stream than its size says; the end
// check does not take that for a cut archive.
func TestExtractPAXSparse(t *testing.T) {
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "t"), 0o755)
	f, _ := os.Create(filepath.Join(src, "t/holes"))
	f.WriteAt([]byte("end"), 1<<20)
	f.Close()
	tgz := filepath.Join(t.TempDir(), "t.tgz")
	if out, err := exec.Command("tar", "--format=posix", "--sparse", "-C", src, "-czf", tgz, "t").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	_, err := tarx.ExtractFile(context.Background(), tgz, filepath.Join(t.TempDir(), "x"), tarx.Options{})
	if err != nil && strings.Contains(err.Error(), "end blocks") {
		t.Errorf("ExtractFile(PAX sparse) = %v, want no end-block refusal", err)
	}
}
