package keytree

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A directory tree is never written through a symlink inside it: piadm's
// boot -> boot-ipxe in a pool's boot dataset would take a headnode's
// loader.conf into a CN's iPXE files.
func TestDirRefusesToWriteThroughSymlinks(t *testing.T) {
	root := t.TempDir()
	os.Mkdir(filepath.Join(root, "boot-ipxe"), 0o755)
	os.Symlink("boot-ipxe", filepath.Join(root, "boot"))
	d := Dir(root)
	err := d.WriteFile("boot/loader.conf", bytes.NewReader([]byte("x")), 1, 0o644, time.Now())
	if err == nil || !strings.Contains(err.Error(), "boot is a symlink: refusing to write through it") {
		t.Errorf("WriteFile through a symlink = %v", err)
	}
	if err := d.MkdirAll("boot/sub", time.Now()); err == nil {
		t.Errorf("MkdirAll through a symlink = nil error")
	}
	if err := d.Remove("boot/x"); err == nil {
		t.Errorf("Remove through a symlink = nil error")
	}
	if es, _ := os.ReadDir(filepath.Join(root, "boot-ipxe")); len(es) != 0 {
		t.Errorf("boot-ipxe got %d entries", len(es))
	}
}
