package populate

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"cntools/usbkey/fat32"
	"cntools/usbkey/keytree"
)

// Replacing a file bigger than the free space works: the old file's
// clusters are freed by a commit before the new copy is written.
func TestReplaceLargerThanFree(t *testing.T) {
	dir := t.TempDir()
	img, err := os.Create(filepath.Join(dir, "root.img"))
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	img.Truncate(64 << 20)
	fs, err := fat32.Format(img, (64<<20)/fat32.SectorSize, "SMARTOSBOOT", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "src")
	old := time.Now().Add(-time.Hour)
	write := func(p string, b []byte) {
		os.MkdirAll(filepath.Dir(filepath.Join(src, p)), 0o755)
		os.WriteFile(filepath.Join(src, p), b, 0o644)
		os.Chtimes(filepath.Join(src, p), old, old)
	}
	for _, p := range []string{"config", "config.inc/generic", "scripts/headnode.sh", "tools.tar.gz", "cn_tools.tar.gz", "boot/loader.conf"} {
		write(p, []byte(p))
	}
	big := bytes.Repeat([]byte{1}, 40<<20)
	write("os/20260301T000000Z/platform/boot_archive", big)
	dst := keytree.FAT(fs, img, "root.img")
	run := func() {
		t.Helper()
		p, err := MakePlan(context.Background(), keytree.Dir(src), dst, Request{}, Options{})
		if err != nil {
			t.Fatalf("MakePlan: %v", err)
		}
		if _, err := p.Apply(context.Background()); err != nil {
			t.Fatalf("Run: %v", err)
		}
	}
	run()
	big[0] = 2 // same size, new content, new mtime: the whole file is copied again
	write("os/20260301T000000Z/platform/boot_archive", big)
	os.Chtimes(filepath.Join(src, "os/20260301T000000Z/platform/boot_archive"), time.Now(), time.Now())
	run()
	r, _, err := fs.Open("os/20260301T000000Z/platform/boot_archive")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.ReadFrom(r)
	if !bytes.Equal(b.Bytes(), big) {
		t.Errorf("the replaced file does not read back as its new content")
	}
}
