package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cntools/usbkey/fat32"
	"cntools/usbkey/keytree"
)

// TestFATTreeComparesWithDirTree writes the key tree both to a directory and
// to a FAT32 image and checks that the two manifests agree once FAT's lack
// of modes and symlinks is allowed for.
func TestFATTreeComparesWithDirTree(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, keyTree)

	img, err := os.Create(filepath.Join(t.TempDir(), "root.img"))
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	const size = 64 << 20
	if err := img.Truncate(size); err != nil {
		t.Fatal(err)
	}
	ffs, err := fat32.Format(img, size/fat32.SectorSize, "SMARTOSBOOT", old)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range keyTree {
		switch {
		case strings.HasSuffix(n.path, "/"):
			err = ffs.Mkdir(strings.TrimSuffix(n.path, "/"), old)
		case strings.HasPrefix(n.content, "-> "):
			continue // FAT has no symlinks
		default:
			err = ffs.WriteFile(n.path, strings.NewReader(n.content), int64(len(n.content)), old)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := ffs.Commit(); err != nil {
		t.Fatal(err)
	}
	// Read back from the image, not from the writer's memory.
	ffs, err = fat32.Open(img)
	if err != nil {
		t.Fatal(err)
	}

	ct := &countingTree{Tree: keytree.FAT(ffs, nil, "root.img")}
	fm := build(t, ct, Options{})
	dm := build(t, keytree.Dir(root), Options{Exclude: func(p string) bool { return p == "os/latest" }})
	if ds := Compare(dm, fm, CompareOptions{IgnoreMode: true, MTimeWindow: 2 * time.Second}); len(ds) != 0 {
		t.Errorf("Compare(dir, fat) = %s, want no differences", formatDiffs(ds))
	}
	if ds := Compare(dm, fm, CompareOptions{}); formatDiffs(ds) != "metadata config; metadata scripts/joysetup.sh; " {
		t.Errorf("Compare(dir, fat) with modes = %s, want config (0600) and joysetup.sh (0755)", formatDiffs(ds))
	}
	if got := ct.opens.Load(); got != 5 {
		t.Errorf("Build(FATTree) opened %d files, want 5", got)
	}
}
