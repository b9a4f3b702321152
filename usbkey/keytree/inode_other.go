//go:build !unix

package keytree

import "io/fs"

// inode returns 0: without inode numbers the cache keys on path, size and
// mtime alone.
func inode(fi fs.FileInfo) uint64 { return 0 }

// ctime returns 0 where there is no inode change time.
func ctime(fi fs.FileInfo) int64 { return 0 }
