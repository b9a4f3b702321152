package manifest

import (
	"io"
	"io/fs"
	"time"
)

// Tree is what a manifest is built from: a directory, a FAT32 key or image,
// an SFTP tree. Paths are slash-separated and relative to the tree; "" is
// its root.
//
// Build calls ReadDir from one goroutine and Open from several at once.
type Tree interface {
	// ReadDir lists the entries of the directory dir, without "." and "..",
	// describing symlinks themselves, never what they point at.
	ReadDir(dir string) ([]Info, error)
	// Open opens the regular file at p for reading. It must not follow a
	// symlink: p was a regular file when ReadDir listed it.
	Open(p string) (io.ReadCloser, error)
}

// Info describes one entry a Tree lists.
type Info struct {
	Name   string
	Mode   fs.FileMode // type and permission bits, as fs.FileInfo.Mode
	Size   int64
	MTime  time.Time // full resolution: the cache compares it exactly
	Target string    // symlink target, when Mode is a symlink
	Inode  uint64    // 0 when the tree has no inode numbers
	CTime  int64     // inode change time in ns; 0 when the tree has none
}
