package manifest

import (
	"fmt"
	"io"
	"io/fs"
	"sync"

	"cntools/usbkey/fat32"
)

// FAT has no Unix modes; these are what the tree reports, so that a FAT
// manifest is stable. Compare it with IgnoreMode.
const (
	fatDirMode  = fs.ModeDir | 0o755
	fatFileMode = 0o644
)

// FATTree returns the Tree of a FAT32 filesystem, the root partition of a
// key or image. FAT has no symlinks, no modes and no inode numbers; mtimes
// have 2 s resolution.
func FATTree(f *fat32.FS) Tree { return &fatTree{fs: f} }

type fatTree struct {
	// mu serialises lookups: fat32.FS loads directories into memory as
	// they are first read and is not safe for concurrent use. The readers
	// Open returns read through ReaderAt and need no lock.
	mu sync.Mutex
	fs *fat32.FS
}

func (t *fatTree) ReadDir(dir string) ([]Info, error) {
	t.mu.Lock()
	fis, err := t.fs.ReadDir(dir)
	t.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	infos := make([]Info, len(fis))
	for i, fi := range fis {
		infos[i] = Info{Name: fi.Name, Mode: fatFileMode, Size: fi.Size, MTime: fi.ModTime, Inode: uint64(fi.Cluster)}
		if fi.Dir {
			infos[i].Mode, infos[i].Size = fatDirMode, 0
		}
	}
	return infos, nil
}

func (t *fatTree) Open(p string) (io.ReadCloser, error) {
	t.mu.Lock()
	r, _, err := t.fs.Open(p)
	t.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	return io.NopCloser(r), nil
}
