package populate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"syscall"
	"time"

	"cntools/internal/atomicfile"
	"cntools/internal/node"
	"cntools/usbkey/fat32"
	"cntools/usbkey/manifest"
)

// Target is where key content goes: a key's root filesystem, written
// directly, or a directory (a mounted key, /usbkey, a standby copy).
type Target interface {
	Walk(ctx context.Context) ([]Entry, error)
	MkdirAll(p string, mtime time.Time) error
	// WriteFile stores size bytes from r at p, replacing what is there
	// only once the new content is complete.
	WriteFile(p string, r io.Reader, size int64, mtime time.Time) error
	Open(p string) (io.ReadCloser, error)
	Remove(p string) error
	// Commit makes everything written so far visible: a run killed
	// after it keeps those files.
	Commit() error
	// Flush makes everything committed durable, surviving a power cut.
	Flush() error
	// Space is the free space and the allocation unit, for the fit check.
	Space() (free, unit int64)
	Describe() string
	// Tree reads the target for its manifest.
	Tree() manifest.Tree
	// VerifiesWrites reports whether WriteFile reads each chunk back as
	// it writes it; otherwise Run reads every copied file back and hashes it.
	VerifiesWrites() bool
	// CheckSize confirms the committed file p has size bytes.
	CheckSize(p string, size int64) error
}

// FATTarget is a key's root partition, written without mounting it.
type FATTarget struct {
	FS   *fat32.FS
	Dev  interface{ Sync() error }
	Name string
}

func (t *FATTarget) Walk(ctx context.Context) ([]Entry, error) {
	var out []Entry
	var walk func(dir string) error
	walk = func(dir string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		fis, err := t.FS.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, fi := range fis {
			p := path.Join(dir, fi.Name)
			out = append(out, Entry{Path: p, Dir: fi.Dir, Size: fi.Size, MTime: fi.ModTime})
			if fi.Dir {
				if err := walk(p); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return out, walk("")
}

func (t *FATTarget) MkdirAll(p string, mtime time.Time) error { return t.FS.MkdirAll(p, mtime) }
func (t *FATTarget) WriteFile(p string, r io.Reader, size int64, mtime time.Time) error {
	return t.FS.WriteFile(p, r, size, mtime)
}
func (t *FATTarget) Open(p string) (io.ReadCloser, error) {
	r, _, err := t.FS.Open(p)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(r), nil
}
func (t *FATTarget) Remove(p string) error {
	err := t.FS.Remove(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Commit writes the FAT and directories, linking the files written so far.
func (t *FATTarget) Commit() error { return t.FS.Commit() }

// Flush commits, then flushes the device.
func (t *FATTarget) Flush() error {
	if err := t.FS.Commit(); err != nil {
		return err
	}
	return t.Dev.Sync()
}
func (t *FATTarget) Space() (int64, int64) {
	return int64(t.FS.FreeClusters()) * t.FS.ClusterSize(), t.FS.ClusterSize()
}
func (t *FATTarget) Describe() string     { return t.Name }
func (t *FATTarget) VerifiesWrites() bool { return t.FS.VerifyWrites }
func (t *FATTarget) CheckSize(p string, size int64) error {
	fi, err := t.FS.Stat(p)
	if err != nil {
		return err
	}
	if fi.Size != size {
		return fmt.Errorf("%d bytes on the key, %d written", fi.Size, size)
	}
	return nil
}
func (t *FATTarget) Tree() manifest.Tree { return manifest.FATTree(t.FS) }

// DirTarget is a directory: a mounted key, /usbkey or a standby copy.
type DirTarget struct{ Root string }

func (t DirTarget) Walk(ctx context.Context) ([]Entry, error) { return walkDir(ctx, t.Root) }
func (t DirTarget) MkdirAll(p string, mtime time.Time) error {
	return os.MkdirAll(filepath.Join(t.Root, filepath.FromSlash(p)), 0o755)
}

// WriteFile writes under a temporary name beside the file and renames it
// into place, so no partial file is ever visible under its real name.
func (t DirTarget) WriteFile(p string, r io.Reader, size int64, mtime time.Time) error {
	f, err := atomicfile.Create(filepath.Join(t.Root, filepath.FromSlash(p)), 0o644)
	if err != nil {
		return err
	}
	defer f.Abort()
	n, err := io.Copy(f, r)
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("%s: source gave %d bytes, want %d", p, n, size)
	}
	f.SetModTime(mtime)
	return f.Commit()
}
func (t DirTarget) Open(p string) (io.ReadCloser, error) {
	return os.Open(filepath.Join(t.Root, filepath.FromSlash(p)))
}
func (t DirTarget) Remove(p string) error {
	err := os.Remove(filepath.Join(t.Root, filepath.FromSlash(p)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Commit is done per file by atomicfile, which syncs each file and its
// directory before the rename.
func (t DirTarget) Commit() error { return nil }

// Flush syncs the top directory, where the marker is removed and written.
func (t DirTarget) Flush() error {
	d, err := os.Open(t.Root)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return err
	}
	return nil
}
func (t DirTarget) Space() (int64, int64) {
	free, _, err := node.FreeSpace(t.Root)
	if err != nil {
		// No statvfs: the fit check cannot be made. The copy itself still
		// fails cleanly (each file is written whole or not at all).
		return 1<<63 - 1, 1
	}
	return free, 4096
}
func (t DirTarget) Describe() string     { return t.Root }
func (t DirTarget) VerifiesWrites() bool { return false }
func (t DirTarget) CheckSize(p string, size int64) error {
	fi, err := os.Stat(filepath.Join(t.Root, filepath.FromSlash(p)))
	if err != nil {
		return err
	}
	if fi.Size() != size {
		return fmt.Errorf("%d bytes in the directory, %d written", fi.Size(), size)
	}
	return nil
}
func (t DirTarget) Tree() manifest.Tree { return manifest.DirTree(t.Root) }
