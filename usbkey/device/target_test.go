package device

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestOpenImageCreatesSparse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.img")
	const size = 64 << 20
	tg, err := OpenImage(path, size)
	if err != nil {
		t.Fatalf("OpenImage(%s, %d) = %v", path, size, err)
	}
	defer tg.Close()
	if tg.Size != size || !tg.IsImage || tg.Path != path {
		t.Errorf("OpenImage(%s, %d) = %+v, want an image of %d bytes", path, size, tg, size)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != size {
		t.Errorf("size of created image = %d, want %d", fi.Size(), size)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Blocks*512 >= size {
		t.Errorf("created image uses %d bytes on disk, want it sparse", st.Blocks*512)
	}
	if _, err := tg.WriteAt([]byte("end"), size-3); err != nil {
		t.Errorf("WriteAt(end, %d) = %v", size-3, err)
	}
	if err := tg.Sync(); err != nil {
		t.Errorf("Sync() = %v", err)
	}
}

func TestOpenImageExistingKeepsSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.img")
	if err := os.WriteFile(path, make([]byte, 4096), 0o644); err != nil {
		t.Fatal(err)
	}
	tg, err := OpenImage(path, 1<<30)
	if err != nil {
		t.Fatalf("OpenImage(existing, 1G) = %v", err)
	}
	defer tg.Close()
	if tg.Size != 4096 {
		t.Errorf("OpenImage(existing 4096 bytes, 1G).Size = %d, want 4096", tg.Size)
	}
}

func TestOpenImageErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.img")
	for _, c := range []struct {
		path string
		size int64
		want string
	}{
		{missing, 0, "image " + missing + ": file does not exist: give a size to create it"},
		{missing, -1, "image " + missing + ": negative size -1"},
		{dir, 0, "open " + dir + ": "},
		{filepath.Join(dir, "no/such/dir/key.img"), 1 << 20, "create image " + filepath.Join(dir, "no/such/dir/key.img") + ": open "},
	} {
		tg, err := OpenImage(c.path, c.size)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("OpenImage(%s, %d) = %+v, %v, want error starting %q", c.path, c.size, tg, err, c.want)
		}
	}
	if _, err := OpenImage(missing, 0); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenImage(missing, 0) = %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenImage(missing, -1) left %s behind", missing)
	}
}

func TestTargetBounds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.img")
	if err := os.WriteFile(path, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	tg, err := Open(path, false)
	if err != nil {
		t.Fatalf("Open(%s, false) = %v", path, err)
	}
	defer tg.Close()

	buf := make([]byte, 4)
	n, err := tg.ReadAt(buf, 8)
	if n != 2 || err != io.EOF || string(buf[:n]) != "89" {
		t.Errorf("ReadAt(4 bytes, 8) = %d %q, %v, want 2 \"89\", EOF", n, buf[:n], err)
	}
	if n, err := tg.ReadAt(buf, 10); n != 0 || err != io.EOF {
		t.Errorf("ReadAt(4 bytes, 10) = %d, %v, want 0, EOF", n, err)
	}
	want := "BUG: write " + path + ": 3 bytes at 8 past its end (10 bytes)"
	if n, err := tg.WriteAt([]byte("abc"), 8); n != 0 || err == nil || err.Error() != want {
		t.Errorf("WriteAt(3 bytes, 8) = %d, %v, want 0, %q", n, err, want)
	}
	if _, err := tg.WriteAt([]byte("ab"), -1); err == nil {
		t.Errorf("WriteAt(2 bytes, -1) = nil, want an error")
	}
	if n, err := tg.WriteAt([]byte("ab"), 8); n != 2 || err != nil {
		t.Errorf("WriteAt(2 bytes, 8) = %d, %v, want 2, nil", n, err)
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, []byte("01234567ab")) {
		t.Errorf("image after writes = %q, %v, want %q", got, err, "01234567ab")
	}
}

func TestOpenReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.img")
	if err := os.WriteFile(path, make([]byte, 512), 0o444); err != nil {
		t.Fatal(err)
	}
	tg, err := Open(path, true)
	if err != nil {
		t.Fatalf("Open(%s, true) = %v", path, err)
	}
	defer tg.Close()
	want := "write " + path + ": opened read-only"
	if _, err := tg.WriteAt([]byte{1}, 0); err == nil || err.Error() != want {
		t.Errorf("WriteAt on read-only target = %v, want %q", err, want)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		path string
		want string
	}{
		// A character device whose end is at 0: no media, not an empty key.
		{"/dev/null", "open /dev/null: device reports size 0: no media?"},
		{filepath.Join(dir, "missing"), "open " + filepath.Join(dir, "missing") + ": stat "},
		{dir, "open " + dir + ": it is a directory, neither an image file nor a disk device; name an image file or a disk's /dev/rdsk node"},
	} {
		tg, err := Open(c.path, true)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("Open(%s, true) = %+v, %v, want error starting %q", c.path, tg, err, c.want)
		}
	}
}

// TestOpenFIFORefusedWithoutBlocking: open(2) of a FIFO with no writer
// blocks for ever, so Open must refuse it from its mode, before opening.
func TestOpenFIFORefusedWithoutBlocking(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Open(fifo, true)
		done <- err
	}()
	select {
	case err := <-done:
		want := "open " + fifo + ": it is a named pipe (FIFO), neither an image file nor a disk device; name an image file or a disk's /dev/rdsk node"
		if err == nil || err.Error() != want {
			t.Errorf("Open(fifo) = %v, want %q", err, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("Open(fifo) still blocked after 5 s")
	}
}

// TestImageSectorSize: an image is a disk of ImageSectorSize sectors, 512
// unless a test binary stands it in for a 4Kn disk, and then it is read and
// written in whole 4096-byte sectors as such a disk is.
func TestImageSectorSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.img")
	if err := os.WriteFile(path, make([]byte, 64<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	tg, err := Open(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if tg.SectorSize != 512 {
		t.Errorf("Open(image).SectorSize = %d, want 512", tg.SectorSize)
	}
	tg.Close()

	defer func(old int64) { ImageSectorSize = old }(ImageSectorSize)
	ImageSectorSize = 4096
	tg, err = Open(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	if _, ok := tg.rw.(*sectorIO); tg.SectorSize != 4096 || !ok {
		t.Errorf("Open(image) with ImageSectorSize 4096 = sector size %d, I/O %T, want 4096 in whole sectors", tg.SectorSize, tg.rw)
	}
	if _, err := tg.WriteAt([]byte("x"), 5000); err != nil {
		t.Errorf("WriteAt(1 byte, 5000) on a 4K stand-in = %v", err)
	}
}
