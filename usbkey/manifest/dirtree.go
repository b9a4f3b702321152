package manifest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
)

// DirTree returns the Tree of the directory root. It reads with Lstat and
// never follows a symlink; every access goes through an os.Root, so a
// directory replaced by a symlink while it is read cannot lead outside root.
func DirTree(root string) Tree { return dirTree(root) }

type dirTree string

// open opens the root for one call. A Tree has no Close, and holding a
// descriptor for the life of a value nobody closes would leak it.
func (d dirTree) open() (*os.Root, error) {
	r, err := os.OpenRoot(string(d))
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	return r, nil
}

func rootName(p string) string {
	if p == "" {
		return "."
	}
	return p
}

func (d dirTree) ReadDir(dir string) ([]Info, error) {
	r, err := d.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := r.Open(rootName(dir))
	if err != nil {
		return nil, fmt.Errorf("manifest: %s: %w", path.Join(string(d), dir), err)
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("manifest: %s: read directory: %w", path.Join(string(d), dir), err)
	}
	infos := make([]Info, 0, len(names))
	for _, name := range names {
		p := path.Join(dir, name)
		fi, err := r.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since it was listed: it is not in the tree now
		}
		if err != nil {
			return nil, fmt.Errorf("manifest: %s: %w", path.Join(string(d), p), err)
		}
		in := Info{Name: name, Mode: fi.Mode(), Size: fi.Size(), MTime: fi.ModTime(), Inode: inode(fi), CTime: ctime(fi)}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if in.Target, err = r.Readlink(p); err != nil {
				return nil, fmt.Errorf("manifest: %s: %w", path.Join(string(d), p), err)
			}
		}
		infos = append(infos, in)
	}
	return infos, nil
}

func (d dirTree) Open(p string) (io.ReadCloser, error) {
	r, err := d.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	name := path.Join(string(d), p)
	before, err := r.Lstat(p)
	if err != nil {
		return nil, fmt.Errorf("manifest: %s: %w", name, err)
	}
	if !before.Mode().IsRegular() {
		return nil, fmt.Errorf("manifest: %s: no longer a regular file (%v): run again when the tree is quiet", name, before.Mode().Type())
	}
	f, err := r.Open(p)
	if err != nil {
		return nil, fmt.Errorf("manifest: %s: %w", name, err)
	}
	// os.Root follows a symlink that stays inside the root; the same file
	// before and after the open proves no symlink was put in its place.
	after, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("manifest: %s: %w", name, err)
	}
	if !os.SameFile(before, after) {
		f.Close()
		return nil, fmt.Errorf("manifest: %s: replaced while it was opened: run again when the tree is quiet", name)
	}
	return f, nil
}
