package keytree

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"cntools/internal/atomicfile"
	"cntools/internal/node"
)

// DirTree is a directory: a mounted key, /usbkey, a standby copy, or an
// extracted tarball.
//
// It reads with Lstat and never follows a symlink it is asked about; every
// access goes through an os.Root, so a directory replaced by a symlink
// while it is read cannot lead outside root.
type DirTree struct {
	root  string
	name  string // String; root when empty
	label string // when set, errors name label and the tree path instead of the file under root
}

// Dir returns the tree of the directory root.
func Dir(root string) *DirTree { return &DirTree{root: root} }

func (d *DirTree) String() string {
	if d.name != "" {
		return d.name
	}
	return d.root
}

// Close has nothing to release: each call opens the root for itself.
func (d *DirTree) Close() error { return nil }

// where names p in errors.
func (d *DirTree) where(p string) string {
	if d.label != "" {
		return d.label + ": " + rootName(p)
	}
	return filepath.Join(d.root, filepath.FromSlash(p))
}

// open opens the root for one call. A Tree is used from several
// goroutines and by callers that may never Close it; holding one
// descriptor for its whole life would gain little.
func (d *DirTree) open() (*os.Root, error) {
	r, err := os.OpenRoot(d.root)
	if err != nil {
		return nil, opError(d.where(""), "open", err)
	}
	return r, nil
}

func rootName(p string) string {
	if p == "" {
		return "."
	}
	return p
}

func (d *DirTree) info(r *os.Root, p string, fi fs.FileInfo) (Info, error) {
	in, err := infoOf(p, fi, func() (string, error) { return r.Readlink(p) }, d.where(p))
	if err != nil {
		return Info{}, err
	}
	in.Inode, in.CTime = inode(fi), ctime(fi)
	return in, nil
}

func (d *DirTree) Lstat(p string) (Info, error) {
	p, err := clean(p)
	if err != nil {
		return Info{}, fmt.Errorf("%s: %w", d, err)
	}
	r, err := d.open()
	if err != nil {
		return Info{}, err
	}
	defer r.Close()
	fi, err := r.Lstat(rootName(p))
	if err != nil {
		return Info{}, opError(d.where(p), "lstat", err)
	}
	return d.info(r, p, fi)
}

func (d *DirTree) ReadDir(dir string) ([]Info, error) {
	dir, err := clean(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d, err)
	}
	r, err := d.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	// os.Root follows a symlink to a directory inside the root; listing
	// one would describe the entries twice, under two names.
	if fi, err := r.Lstat(rootName(dir)); err != nil {
		return nil, opError(d.where(dir), "lstat", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%s: %s, not a directory", d.where(dir), TypeName(fi.Mode()))
	}
	f, err := r.Open(rootName(dir))
	if err != nil {
		return nil, opError(d.where(dir), "open", err)
	}
	// One listing, each entry stat-ed relative to the open directory
	// (fstatat): a path through the root per entry would walk every
	// component again.
	defer f.Close()
	return d.entries(r, f, dir)
}

// Open checks what p is before it opens it: opening a FIFO would block
// until a writer came, and opening a symlink would read what it points at.
func (d *DirTree) Open(p string) (io.ReadCloser, error) {
	p, err := clean(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d, err)
	}
	r, err := d.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	// The directory is walked to once, and the file looked up and opened
	// in it: a walk for the Lstat and another for the open cost an open
	// and a close of every directory on the way, twice, and a populate
	// opens thousands of files.
	in := r
	if dir := path.Dir(p); dir != "." {
		if in, err = r.OpenRoot(dir); err != nil {
			return nil, opError(d.where(p), "lstat", err)
		}
		defer in.Close()
	}
	return d.openIn(in, p)
}

// openIn opens the regular file p in in, the root of p's directory.
func (d *DirTree) openIn(in *os.Root, p string) (*os.File, error) {
	name := path.Base(p)
	before, err := in.Lstat(name)
	if err != nil {
		return nil, opError(d.where(p), "lstat", err)
	}
	if !before.Mode().IsRegular() {
		return nil, notRegular(d.where(p), before.Mode())
	}
	f, err := in.Open(name)
	if err != nil {
		return nil, opError(d.where(p), "open", err)
	}
	// os.Root follows a symlink that stays inside the root; the same file
	// before and after the open proves no symlink was put in its place.
	after, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, opError(d.where(p), "stat", err)
	}
	if !os.SameFile(before, after) {
		f.Close()
		return nil, fmt.Errorf("%s: replaced while it was opened: run again when the tree is quiet", d.where(p))
	}
	return f, nil
}

// path is p on this node, for the write side, whose atomicfile works on
// paths; p has been cleaned, so it cannot climb out of root.
func (d *DirTree) path(p string) string { return filepath.Join(d.root, filepath.FromSlash(p)) }

// MkdirAll creates p and its parents. mtime is not kept: a directory's
// mtime changes with every file written into it afterwards.
func (d *DirTree) MkdirAll(p string, mtime time.Time) error {
	p, err := clean(p)
	if err != nil {
		return fmt.Errorf("%s: %w", d, err)
	}
	if err := d.noSymlinkTo(p, true); err != nil {
		return err
	}
	if err := os.MkdirAll(d.path(p), DirMode(p)); err != nil {
		return opError(d.where(p), "mkdir", err)
	}
	return secretDirs(p, func(q string) error { return os.Chmod(d.path(q), DirMode(q)) })
}

// WriteFile writes under a temporary name beside the file and renames it
// into place, so no partial file is ever visible under its real name.
func (d *DirTree) WriteFile(p string, r io.Reader, size int64, mode fs.FileMode, mtime time.Time) error {
	p, err := clean(p)
	if err != nil {
		return fmt.Errorf("%s: %w", d, err)
	}
	if p == "" {
		return fmt.Errorf("%s: write: the root is a directory", d)
	}
	if err := d.noSymlinkTo(p, false); err != nil {
		return err
	}
	f, err := atomicfile.Create(d.path(p), FileMode(p, mode))
	if err != nil {
		return err
	}
	defer f.Abort()
	n, err := io.Copy(&sizedWriter{w: f, left: size, size: size}, r)
	if err != nil {
		return opError(d.where(p), "write", err)
	}
	if n != size {
		return fmt.Errorf("%s: write: source gave %d bytes, want %d", d.where(p), n, size)
	}
	f.SetModTime(mtime)
	return f.Commit()
}

// Remove removes the file or empty directory p; one already gone is fine.
func (d *DirTree) Remove(p string) error {
	p, err := clean(p)
	if err != nil {
		return fmt.Errorf("%s: %w", d, err)
	}
	if p == "" {
		return fmt.Errorf("%s: remove: refusing to remove the root of the tree", d)
	}
	if err := d.noSymlinkTo(p, false); err != nil {
		return err
	}
	if err := os.Remove(d.path(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return opError(d.where(p), "remove", err)
	}
	return nil
}

// Commit is done per file by atomicfile, which syncs each file and its
// directory before the rename.
func (d *DirTree) Commit() error { return nil }

// Flush syncs the top directory, where the marker is removed and written.
func (d *DirTree) Flush() error {
	f, err := os.Open(d.root)
	if err != nil {
		return opError(d.where(""), "open to sync", err)
	}
	defer f.Close()
	// Some filesystems cannot sync a directory and say so; there is
	// nothing more to do for them.
	if err := f.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return opError(d.where(""), "sync", err)
	}
	return nil
}

// Space is the filesystem's free space, in 4 KiB blocks as most allocate.
func (d *DirTree) Space() (free, unit int64) {
	free, _, err := node.FreeSpace(d.root)
	if err != nil {
		// No statvfs: the fit check cannot be made. The copy itself still
		// fails cleanly (each file is written whole or not at all).
		return 1<<63 - 1, 1
	}
	return free, 4096
}

// VerifiesWrites is false: the page cache would answer a read-back, not
// the disk, so a copy is verified by reading it again afterwards.
func (d *DirTree) VerifiesWrites() bool { return false }

// CheckSize confirms the committed file p has size bytes.
func (d *DirTree) CheckSize(p string, size int64) error {
	return checkSize(d, p, size, d.where(p), "in the directory")
}

// sizedWriter refuses bytes past size, so a source that grew while it was
// copied is an error rather than a longer file. It is a writer, not an
// io.LimitReader around the source, so a source with WriteTo (an SFTP
// file reading many requests ahead) keeps it.
type sizedWriter struct {
	w    io.Writer
	left int64
	size int64
}

func (s *sizedWriter) Write(b []byte) (int, error) {
	if int64(len(b)) > s.left {
		return 0, fmt.Errorf("source is longer than %d bytes", s.size)
	}
	n, err := s.w.Write(b)
	s.left -= int64(n)
	return n, err
}

// noSymlinkTo refuses to write at p through a symlink: a directory on the
// way (or p itself, with self) that is a symlink would take the write
// elsewhere, such as piadm's boot -> boot-ipxe in a pool's boot dataset.
func (d *DirTree) noSymlinkTo(p string, self bool) error {
	parts := strings.Split(p, "/")
	if !self {
		parts = parts[:len(parts)-1]
	}
	cur := ""
	for _, part := range parts {
		cur = path.Join(cur, part)
		fi, err := os.Lstat(d.path(cur))
		if errors.Is(err, fs.ErrNotExist) {
			return nil // made below as a directory
		}
		if err != nil {
			return opError(d.where(cur), "lstat", err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s is a symlink: refusing to write through it; remove it first", d.where(cur))
		}
	}
	return nil
}
