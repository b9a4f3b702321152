// Package keytree owns the key content as a tree: what every tool reads a
// copy of the key through and writes one through, wherever it lives.
//
// A Tree reads (ReadDir, Lstat, Open), never following a symlink: a
// symlink is reported as one, and Open refuses anything that is not a
// regular file when it is opened. A Writer adds the write side every copy
// needs: each file written whole under a temporary name and renamed into
// place, directories, removal, Commit (what is written is visible), Flush
// (what is committed is durable) and the free space. A Writer with
// permissions (a directory, SFTP) gives each file its source's mode, and
// config and private/ only their owner's (FileMode, Secret); ShownSum keeps
// their hashes out of logs and reports.
//
// Four kinds implement it: a directory (Dir), a key device or image's root
// FAT32 filesystem written without mounting (FAT, opened by OpenKey), a
// directory on another node over SFTP (SFTP), and a usbkey-base tarball
// (Tarball, read only: extracted once, safely, into scratch space). One
// conformance suite runs against all four.
//
// Location is the one syntax operators use to name a tree: a directory, a
// key device or image, a tarball, [user@]host[:port][:/path] or
// ssh://[user@]host[:port]/path. Every tool accepts it the same way.
//
// It refuses: special files (FIFOs, devices, sockets) in any tree, paths
// that climb out of the tree, writing a v1 (grub) key, and a tarball entry
// that would escape its directory (the whole archive is refused).
package keytree
