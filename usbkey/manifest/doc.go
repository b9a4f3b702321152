// Package manifest owns the manifest of a key tree: what every entry of a
// tree is (path, type, size, mode, mtime, symlink target, SHA-256 of a file's
// content), its canonical JSON encoding, the hash cache that lets an
// unchanged tree be manifested again without reading it, and the comparison
// of two manifests. usbkey-populate, usbkey-sync, usbkey-drift and
// gztools-install --check share it.
//
// A tree is read through the small keytree.Tree interface, so a directory
// (DirTree), a FAT32 key or image (FATTree) and, later, an SFTP tree give
// manifests that compare with each other.
//
// Paths are compared case-folded, as pcfs compares names: two paths are the
// same path when strings.EqualFold says so, so "OS/20260301T000000Z" and
// "os/20260301t000000z" are one entry. A manifest records each path with the
// case it was found in.
//
// The encoding is canonical: entries sorted by folded path, then by path,
// one entry per line, fields in a fixed order, mtimes in RFC 3339 UTC whole
// seconds, and nothing about where the tree was (no root path, no hostname).
// The same tree gives the same bytes, wherever it is mounted, so manifests
// of a whole DC can be compared offline with cmp or diff.
//
// FAT keeps mtimes in local time at 2 s resolution and has no Unix modes:
// compare a FAT tree with CompareOptions{IgnoreMode: true, MTimeWindow: 2 *
// time.Second} (or IgnoreMTime).
//
// It refuses: following symlinks at all (they are recorded, never read
// through, and DirTree cannot be led out of its root); entries other than
// files, directories and symlinks; names that are not UTF-8 or that differ
// only in case within one tree (pcfs cannot hold both); and decoding a
// manifest of a version it does not know, with an error that names the
// version and what to do.
package manifest
