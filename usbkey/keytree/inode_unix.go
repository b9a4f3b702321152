//go:build unix

package keytree

import (
	"io/fs"
	"syscall"
)

// inode returns the inode number from a Stat_t, which Linux and illumos
// both give; it lets the hash cache tell a file replaced by another of the
// same size and mtime (cp -p, tar x) from the file it saw.
func inode(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}

// ctime returns the inode change time: a file rewritten in place and given
// its old mtime back (touch -r, cp -p onto it) keeps size, mtime and inode,
// but not its ctime.
func ctime(fi fs.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int64(st.Ctim.Sec)*1e9 + int64(st.Ctim.Nsec)
	}
	return 0
}
