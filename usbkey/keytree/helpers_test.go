package keytree_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cntools/usbkey/fat32"
	"cntools/usbkey/keytree"
	"cntools/usbkey/parttable"

	"golang.org/x/sys/unix"
)

// epoch is the fixture's mtime: even seconds, as FAT keeps them.
var epoch = time.Date(2024, 1, 2, 3, 4, 6, 0, time.UTC)

// The fixture every tree kind is built with. The big file is over one
// 256 KiB SFTP packet, so reads and writes go through several requests.
var (
	fixtureDirs  = []string{"boot", "os", "os/20240101T000000Z"}
	fixtureFiles = map[string][]byte{
		"boot/loader.conf":                 []byte("headnode=\"true\"\n"),
		"config":                           []byte("hostname=headnode\n"),
		"empty":                            {},
		"os/20240101T000000Z/boot_archive": content(1, 600<<10),
	}
)

const (
	linkPath   = "os/latest"
	linkTarget = "20240101T000000Z"
	fifoPath   = "fifo"
)

func content(seed, size int) []byte {
	b := make([]byte, size)
	rand.New(rand.NewSource(int64(seed))).Read(b)
	return b
}

// writeFixtureDir lays the fixture out in dir, with a symlink and, when
// fifo is set, a FIFO.
func writeFixtureDir(t *testing.T, dir string, fifo bool) {
	t.Helper()
	for _, d := range fixtureDirs {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for p, data := range fixtureFiles {
		name := filepath.Join(dir, p)
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(name, epoch, epoch); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(linkTarget, filepath.Join(dir, linkPath)); err != nil {
		t.Fatal(err)
	}
	if fifo {
		if err := unix.Mkfifo(filepath.Join(dir, fifoPath), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// newFATImage formats a 64 MiB FAT32 image holding the fixture (FAT has
// no symlinks or FIFOs) and returns its path, the open file and the FS.
func newFATImage(t *testing.T) (string, *os.File, *fat32.FS) {
	t.Helper()
	img := filepath.Join(t.TempDir(), "root.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	const size = 64 << 20
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	fs, err := fat32.Format(f, size/fat32.SectorSize, "SMARTOSBOOT", epoch)
	if err != nil {
		t.Fatal(err)
	}
	fillFAT(t, fs)
	return img, f, fs
}

func fillFAT(t *testing.T, fs *fat32.FS) {
	t.Helper()
	for _, d := range fixtureDirs {
		if err := fs.MkdirAll(d, epoch); err != nil {
			t.Fatal(err)
		}
	}
	for p, data := range fixtureFiles {
		if err := fs.WriteFile(p, bytes.NewReader(data), int64(len(data)), epoch); err != nil {
			t.Fatal(err)
		}
	}
	if err := fs.Commit(); err != nil {
		t.Fatal(err)
	}
}

// fsck runs dosfstools' checker read-only on a FAT image.
func fsck(t *testing.T, img string) {
	t.Helper()
	if out, err := exec.Command("fsck.fat", "-n", img).CombinedOutput(); err != nil {
		t.Fatalf("fsck.fat -n %s: %v\n%s", img, err, out)
	}
}

// writeTarball writes the fixture as a usbkey-base tarball whose entries
// are all under top/ (none when top is empty).
func writeTarball(t *testing.T, name, top string) {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	add := func(h *tar.Header, data []byte) {
		h.Name = path.Join(top, h.Name)
		h.ModTime, h.Format = epoch, tar.FormatPAX
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if top != "" {
		add(&tar.Header{Name: "", Typeflag: tar.TypeDir, Mode: 0o755}, nil)
	}
	for _, d := range fixtureDirs {
		add(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755}, nil)
	}
	for p, data := range fixtureFiles {
		add(&tar.Header{Name: p, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data))}, data)
	}
	add(&tar.Header{Name: linkPath, Typeflag: tar.TypeSymlink, Linkname: linkTarget, Mode: 0o777}, nil)
	for _, c := range []io.Closer{tw, gz} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// window is a partition of an image file, for formatting one.
type window struct {
	f   *os.File
	off int64
}

func (w window) ReadAt(b []byte, off int64) (int, error)  { return w.f.ReadAt(b, w.off+off) }
func (w window) WriteAt(b []byte, off int64) (int, error) { return w.f.WriteAt(b, w.off+off) }

// newKeyImage writes the smallest v2 key (protective MBR, GPT, the root
// partition formatted and holding the fixture) at name.
func newKeyImage(t *testing.T, name string) {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	capacity := uint64(parttable.MinSectors)
	if err := f.Truncate(int64(capacity) * parttable.SectorSize); err != nil {
		t.Fatal(err)
	}
	l, err := parttable.V2Layout(capacity)
	if err != nil {
		t.Fatal(err)
	}
	if err := parttable.NewGPT(l, nil).Write(f, capacity); err != nil {
		t.Fatal(err)
	}
	pmbr := make([]byte, parttable.SectorSize)
	binary.LittleEndian.PutUint16(pmbr[510:], parttable.MBRSignature)
	s0, err := parttable.PatchMBR(pmbr, 1, l.Boot.Start, [16]byte{1}, capacity)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(s0, 0); err != nil {
		t.Fatal(err)
	}
	fs, err := fat32.Format(window{f, int64(l.Root.Start) * parttable.SectorSize}, l.Root.Size, "SMARTOSBOOT", epoch)
	if err != nil {
		t.Fatal(err)
	}
	fillFAT(t, fs)
}

// newV1KeyImage writes a legacy grub key: an MBR whose partition 1 holds
// the formatted root filesystem with the fixture.
func newV1KeyImage(t *testing.T, name string) {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const start, sectors = 2048, (64 << 20) / parttable.SectorSize
	if err := f.Truncate((start + sectors) * parttable.SectorSize); err != nil {
		t.Fatal(err)
	}
	s0 := make([]byte, parttable.SectorSize)
	s0[0x3e], s0[0x3f] = 3, 2 // grub-legacy stage1 COMPAT_VERSION
	p := s0[0x1be:]
	p[0], p[4] = 0x80, 0x0c // active, FAT32 LBA
	binary.LittleEndian.PutUint32(p[8:], start)
	binary.LittleEndian.PutUint32(p[12:], sectors)
	binary.LittleEndian.PutUint16(s0[510:], parttable.MBRSignature)
	if _, err := f.WriteAt(s0, 0); err != nil {
		t.Fatal(err)
	}
	fs, err := fat32.Format(window{f, start * parttable.SectorSize}, sectors, "SMARTOSBOOT", epoch)
	if err != nil {
		t.Fatal(err)
	}
	fillFAT(t, fs)
}

// readFile reads p from tr whole.
func readFile(t *testing.T, tr keytree.Tree, p string) []byte {
	t.Helper()
	rc, err := tr.Open(p)
	if err != nil {
		t.Fatalf("Open(%q) = %v", p, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Open(%q): read: %v", p, err)
	}
	return b
}

func names(infos []keytree.Info) string {
	var s []string
	for _, in := range infos {
		s = append(s, in.Name)
	}
	return strings.Join(s, " ")
}

// near reports whether two mtimes agree within FAT's 2 s.
func near(a, b time.Time) bool {
	d := a.Sub(b)
	return d > -2*time.Second && d < 2*time.Second
}
