// Package tarx extracts gzip-compressed tarballs safely, as `tar xzof`
// would for a trusted archive, and refuses the ones that are not.
//
// It owns reading a .tar.gz into a fresh directory: names, modes, mtimes,
// directories, regular files, symlinks and hard links inside the tree. The
// extracting user owns what is written (like tar's -o). Decompression runs
// in its own goroutine with large buffers, so reading and writing overlap as
// they do between gzip and tar in a `tar xzf` pipeline.
//
// It refuses the whole archive, never one entry, and leaves nothing behind
// when it does: an absolute name or one with a ".." component; a symlink
// whose target is absolute or that resolves outside the tree (resolved
// through the archive's own symlinks, so a chain cannot climb out); an entry
// below a symlink; a hard link to anything but a regular file earlier in the
// archive; device nodes, fifos and any other entry type; a truncated or
// corrupt gzip or tar stream (the gzip trailer is checked, even after the
// tar end blocks); an archive with no entries, or without its two zero end
// blocks (cut at an entry boundary, which archive/tar takes for a clean
// end); and an archive that does not fit in the free space.
//
// Swapping an extracted tree into place is the caller's job: Extract only
// ever writes into a directory it creates.
package tarx
