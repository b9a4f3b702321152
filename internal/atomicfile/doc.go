// Package atomicfile owns writing a local file so that its final name shows
// either the old content or the complete new content, never a part, even if
// the process or the machine dies half way.
//
// A write goes to a temporary file beside the final one whose name contains
// the final name (".NAME.tmp-RANDOM", NAME cut so the whole fits in
// MaxName), so a leftover after a crash says what it was for. A final name
// over MaxName is refused (CheckName). The temporary file is created with O_EXCL, written, checked
// against the number of bytes written, synced, closed, renamed over the final
// name, and the directory is synced so the rename itself survives a power
// cut. Anything that fails removes the temporary file.
//
// It refuses to write through a final name that is a directory, and it does
// not create missing parent directories: the caller decides where files go.
// Writes over SFTP have their own path (chmod while empty, PosixRename); this
// package is for the local filesystem only.
package atomicfile
