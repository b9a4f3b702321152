package keytree_test

import (
	"os"
	"path/filepath"
	"testing"

	"cntools/usbkey/keytree"
)

func openImage(t *testing.T, name string) (*os.File, int64) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return f, fi.Size()
}

func TestOpenKeyV2(t *testing.T) {
	img := filepath.Join(t.TempDir(), "key.img")
	newKeyImage(t, img)
	f, size := openImage(t, img)
	for _, write := range []bool{false, true} {
		fs, err := keytree.OpenKey(f, size, write)
		if err != nil {
			t.Fatalf("OpenKey(v2 key, write=%v) = %v", write, err)
		}
		if got := string(readFile(t, keytree.FAT(fs, f, img), "config")); got != string(fixtureFiles["config"]) {
			t.Errorf("OpenKey(v2 key, write=%v): config = %q, want %q", write, got, fixtureFiles["config"])
		}
	}
}

func TestOpenKeyV1(t *testing.T) {
	img := filepath.Join(t.TempDir(), "grub.img")
	newV1KeyImage(t, img)
	f, size := openImage(t, img)
	fs, err := keytree.OpenKey(f, size, false)
	if err != nil {
		t.Fatalf("OpenKey(v1 key, read) = %v", err)
	}
	if got := string(readFile(t, keytree.FAT(fs, f, img), "boot/loader.conf")); got != string(fixtureFiles["boot/loader.conf"]) {
		t.Errorf("OpenKey(v1 key): boot/loader.conf = %q", got)
	}
	_, err = keytree.OpenKey(f, size, true)
	const want = "a v1 (grub) key: cn-tools writes only v2 keys; reformat it with usbkey-format"
	if err == nil || err.Error() != want {
		t.Errorf("OpenKey(v1 key, write) = %v, want %q", err, want)
	}
}

func TestOpenKeyUnformatted(t *testing.T) {
	img := filepath.Join(t.TempDir(), "blank.img")
	if err := os.WriteFile(img, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	f, size := openImage(t, img)
	const want = "sector 0: no 0xaa55 boot signature at 0x1fe: not an MBR; format it with usbkey-format first"
	if _, err := keytree.OpenKey(f, size, false); err == nil || err.Error() != want {
		t.Errorf("OpenKey(zeros) = %v, want %q", err, want)
	}
}
