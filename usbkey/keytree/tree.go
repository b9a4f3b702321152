package keytree

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// Info describes one entry of a tree. Paths are slash-separated and
// relative to the tree; "" is its root.
type Info struct {
	Name   string
	Mode   fs.FileMode // type and permission bits, as fs.FileInfo.Mode
	Size   int64       // 0 for directories and symlinks
	MTime  time.Time   // full resolution: the manifest cache compares it exactly
	Target string      // symlink target, when Mode is a symlink
	Inode  uint64      // 0 when the tree has no inode numbers
	CTime  int64       // inode change time in ns; 0 when the tree has none
}

// IsDir reports whether the entry is a directory.
func (i Info) IsDir() bool { return i.Mode.IsDir() }

// IsSymlink reports whether the entry is a symlink.
func (i Info) IsSymlink() bool { return i.Mode&fs.ModeSymlink != 0 }

// Tree is the read side of a copy of the key content.
//
// ReadDir is called from one goroutine, Open from several at once.
type Tree interface {
	// ReadDir lists the directory dir without "." and "..", sorted by
	// name, describing symlinks themselves.
	ReadDir(dir string) ([]Info, error)
	// Lstat describes p itself, never what a symlink points at. A path
	// that does not exist gives an error that is fs.ErrNotExist.
	Lstat(p string) (Info, error)
	// Open opens the regular file p for reading. It refuses a symlink or
	// a special file.
	Open(p string) (io.ReadCloser, error)
	// String names the tree for logs and errors, as the operator gave it.
	String() string
	// Close releases the tree: a connection, a scratch directory.
	Close() error
}

// Writer is a tree that can be changed.
type Writer interface {
	Tree
	// MkdirAll creates the directory p and its parents.
	MkdirAll(p string, mtime time.Time) error
	// WriteFile stores size bytes from r at p, replacing what is there
	// only once the new content is complete; a short r is an error and
	// leaves the old file. mode is the source's: a tree with permissions
	// gives the file FileMode(p, mode), a FAT key ignores it.
	WriteFile(p string, r io.Reader, size int64, mode fs.FileMode, mtime time.Time) error
	// Remove removes the file or empty directory p; one that does not
	// exist is not an error.
	Remove(p string) error
	// Commit makes everything written so far visible: a run killed after
	// it keeps those files.
	Commit() error
	// Flush makes everything committed durable, surviving a power cut.
	Flush() error
	// Space is the free space and the allocation unit, for fit checks.
	Space() (free, unit int64)
	// VerifiesWrites reports whether WriteFile reads each chunk back as
	// it writes it.
	VerifiesWrites() bool
}

// Entry is one entry of a whole tree, with its path.
type Entry struct {
	Path string
	Info
}

// ErrSpecialFile is what Walk refuses a FIFO, socket or device with: a
// reader of a FIFO blocks until a writer comes, which is forever, and none
// of them is key content.
var ErrSpecialFile = errors.New("only files, directories and symlinks belong in a key tree")

// Walk lists the whole tree depth first: each directory right before its
// entries, each directory's entries by name. It refuses a special file
// (ErrSpecialFile), naming it, before anything reads it.
func Walk(ctx context.Context, t Tree) ([]Entry, error) {
	var out []Entry
	var walk func(dir string) error
	walk = func(dir string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		infos, err := t.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, in := range infos {
			p := in.Name
			if dir != "" {
				p = dir + "/" + in.Name
			}
			if m := in.Mode; !m.IsRegular() && !m.IsDir() && m&fs.ModeSymlink == 0 {
				return fmt.Errorf("%s: %s is %s: %w: remove it or move it out of the tree, and run again", t, p, TypeName(m), ErrSpecialFile)
			}
			out = append(out, Entry{Path: p, Info: in})
			if in.IsDir() {
				if err := walk(p); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(""); err != nil {
		return nil, err
	}
	return out, nil
}

// ErrNotRegular is what Open refuses with when p is not a regular file: a
// symlink (it would be read through), a directory, or a special file (a
// FIFO would block the reader forever).
var ErrNotRegular = errors.New("not a regular file")

// infoOf describes the entry p that fi stats: a size for a regular file,
// the target of a symlink (read by readlink, asked only then; where names
// it in an error).
func infoOf(p string, fi fs.FileInfo, readlink func() (string, error), where string) (Info, error) {
	in := Info{Name: baseName(p), Mode: fi.Mode(), MTime: fi.ModTime()}
	switch {
	case fi.Mode().IsRegular():
		in.Size = fi.Size()
	case fi.Mode()&fs.ModeSymlink != 0:
		t, err := readlink()
		if err != nil {
			return Info{}, opError(where, "readlink", err)
		}
		in.Target = t
	}
	return in, nil
}

// MaxSmall bounds ReadSmall: configs and loader.conf are a few KiB, and a
// damaged or hostile tree must not make a tool read a platform into memory.
const MaxSmall = 16 << 20

// ReadSmall reads the small file p of t whole (a config, a loader.conf),
// refusing one over MaxSmall rather than cutting it short.
func ReadSmall(t Tree, p string) ([]byte, error) {
	fi, err := t.Lstat(p)
	if err != nil {
		return nil, fmt.Errorf("%s in %s: %w", p, t, err)
	}
	if fi.Size > MaxSmall {
		return nil, fmt.Errorf("%s in %s: %d bytes, over the %d a config or loader.conf can be", p, t, fi.Size, MaxSmall)
	}
	r, err := t.Open(p)
	if err != nil {
		return nil, fmt.Errorf("%s in %s: %w", p, t, err)
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, MaxSmall))
}

// checkSize is CheckSize for every tree: the committed file p, which the
// operator knows as where, has size bytes (in place: "on the key", "in the
// directory", "on the remote node").
func checkSize(t Tree, p string, size int64, where, place string) error {
	in, err := t.Lstat(p)
	if err != nil {
		return err
	}
	if in.Size != size {
		return fmt.Errorf("%s: %d bytes %s, %d written", where, in.Size, place, size)
	}
	return nil
}

// Files opens a tree's regular files one after another, as a copy does,
// each as Tree.Open would; Close releases what it kept open between them.
type Files interface {
	Open(p string) (io.ReadCloser, error)
	Close() error
}

// FilesOf is t's own Files when it has one (a directory's keeps the
// directory of the last file open), else one that calls t.Open.
func FilesOf(t Tree) Files {
	if f, ok := t.(interface{ Files() Files }); ok {
		return f.Files()
	}
	return treeFiles{t}
}

// OpenFile is a reader Files opened on a descriptor of its own.
type OpenFile interface {
	io.ReadCloser
	// OpenStat describes the open file, as StatOpen does.
	OpenStat() (Info, bool)
}

// StatOpen describes the regular file r, as Open or Files opened it,
// from its descriptor: what a hash cache keys a file on, taken of the
// file being read rather than of whatever holds its name now. ok is false
// for a reader with no descriptor (a tarball's member, an SFTP file,
// generated content) and for a tree with no inode numbers or ctimes.
func StatOpen(r io.Reader) (in Info, ok bool) {
	switch f := r.(type) {
	case OpenFile:
		in, ok = f.OpenStat()
	case *os.File:
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return Info{}, false
		}
		in, ok = Info{Name: fi.Name(), Mode: fi.Mode(), Size: fi.Size(), MTime: fi.ModTime(), Inode: inode(fi), CTime: ctime(fi)}, true
	}
	return in, ok && in.Inode != 0 && in.CTime != 0
}

// treeFiles opens files through the tree, and closes nothing: the tree
// is its caller's.
type treeFiles struct{ t Tree }

func (f treeFiles) Open(p string) (io.ReadCloser, error) { return f.t.Open(p) }
func (f treeFiles) Close() error                         { return nil }
