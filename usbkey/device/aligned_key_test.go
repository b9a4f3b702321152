package device_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"cntools/usbkey/bootfiles"
	"cntools/usbkey/bootfiles/bootfilestest"
	"cntools/usbkey/device"
	"cntools/usbkey/key"
	"cntools/usbkey/keytree"
	"cntools/usbkey/parttable"
)

// TestKeyWritersOnSectorOnlyDisk formats a key and writes files to its root
// filesystem through a Target whose file refuses any I/O that is not whole
// sectors, then has fsck.fat check the result. The writers issue FAT entries,
// file tails and directory entries at any offset and length; this proves the
// Target turns all of them into I/O an illumos raw disk accepts.
func TestKeyWritersOnSectorOnlyDisk(t *testing.T) {
	const size = 4_000_000_000
	dir := t.TempDir()
	if err := bootfilestest.WriteDir(filepath.Join(dir, "boot")); err != nil {
		t.Fatal(err)
	}
	boot, err := bootfiles.FromDir(filepath.Join(dir, "boot"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "key.img")
	img, err := device.OpenImage(path, size)
	if err != nil {
		t.Fatal(err)
	}
	img.Close()

	tg, calls, err := device.OpenSectorOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	if _, err := key.Format(tg, size, key.FormatOptions{Boot: boot, Now: now}); err != nil {
		t.Fatalf("key.Format on a sector-only disk = %v", err)
	}
	fs, err := keytree.OpenKey(tg, tg.Size, true)
	if err != nil {
		t.Fatalf("keytree.OpenKey(write) on a sector-only disk = %v", err)
	}
	if err := fs.MkdirAll("odd/sizes", now); err != nil {
		t.Fatalf("MkdirAll(odd/sizes) = %v", err)
	}
	files := map[string][]byte{}
	for i, n := range []int{1, 511, 513, 70001, 0, 4097} {
		name := "odd/sizes/f" + string(rune('a'+i))
		b := make([]byte, n)
		for j := range b {
			b[j] = byte(j*31 + i)
		}
		files[name] = b
		if err := fs.WriteFile(name, bytes.NewReader(b), int64(n), now); err != nil {
			t.Fatalf("WriteFile(%s, %d bytes) = %v", name, n, err)
		}
	}
	if err := fs.Commit(); err != nil {
		t.Fatalf("Commit() on a sector-only disk = %v", err)
	}
	if calls() == 0 {
		t.Fatalf("no I/O reached the sector-only file")
	}

	again, err := keytree.OpenKey(tg, tg.Size, false)
	if err != nil {
		t.Fatalf("keytree.OpenKey after writing = %v", err)
	}
	for name, want := range files {
		r, n, err := again.Open(name)
		if err != nil {
			t.Fatalf("Open(%s) = %v", name, err)
		}
		got, err := io.ReadAll(r)
		if err != nil || n != int64(len(want)) || !bytes.Equal(got, want) {
			t.Errorf("Open(%s) read %d bytes (size %d), %v, want the %d bytes written", name, len(got), n, err, len(want))
		}
	}
	if err := tg.Sync(); err != nil {
		t.Fatal(err)
	}

	l, err := parttable.V2Layout(size / parttable.SectorSize)
	if err != nil {
		t.Fatal(err)
	}
	if l.Root.Start != 528384 {
		t.Fatalf("V2Layout(%d).Root.Start = %d, want 528384", size/parttable.SectorSize, l.Root.Start)
	}
	root := filepath.Join(dir, "root.img")
	copySparse(t, path, root, int64(l.Root.Start)*parttable.SectorSize, int64(l.Root.Size)*parttable.SectorSize)
	if out, err := exec.Command("fsck.fat", "-n", root).CombinedOutput(); err != nil {
		t.Errorf("fsck.fat -n on the root partition: %v\n%s", err, out)
	}
}

// copySparse copies size bytes at off in src to a new file dst, leaving holes
// where src has them, so a 3.7 GB partition costs only its data. It asks for
// the data extents with SEEK_DATA and SEEK_HOLE (3 and 4 on Linux and
// illumos alike) rather than read gigabytes of holes.
func copySparse(t *testing.T, src, dst string, off, size int64) {
	t.Helper()
	const seekData, seekHole = 3, 4
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := out.Truncate(size); err != nil {
		t.Fatal(err)
	}
	for at := off; at < off+size; {
		data, err := in.Seek(at, seekData)
		if errors.Is(err, syscall.ENXIO) {
			break // only a hole is left
		}
		if err != nil {
			t.Fatalf("seek data in %s: %v", src, err)
		}
		hole, err := in.Seek(data, seekHole)
		if err != nil {
			t.Fatalf("seek hole in %s: %v", src, err)
		}
		from, to := max(data, off), min(hole, off+size)
		if from < to {
			if _, err := io.Copy(io.NewOffsetWriter(out, from-off), io.NewSectionReader(in, from, to-from)); err != nil {
				t.Fatalf("copy %s: %v", src, err)
			}
		}
		at = hole
	}
}
