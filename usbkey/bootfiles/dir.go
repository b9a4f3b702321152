package bootfiles

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// FromDir reads an unpacked platform boot tree (a directory holding boot/
// and etc/version/) and validates it.
func FromDir(dir string) (*Set, error) {
	c := newCollector(dir)
	for _, top := range []string{"boot", "etc"} {
		if err := walkDir(c, dir, top); err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
	}
	return c.set()
}

// walkDir adds the tree under dir/top to c. A missing top is not an error
// here: the Set's own checks name the missing files.
func walkDir(c *collector, dir, top string) error {
	root := filepath.Join(dir, top)
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !wanted(rel) {
			if d.IsDir() && rel != "etc" {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		f := File{Path: rel, Mode: info.Mode().Perm(), ModTime: info.ModTime()}
		switch {
		case d.IsDir():
			f.Mode |= fs.ModeDir
		case info.Mode().IsRegular():
			if info.Size() > maxFileSize {
				return fmt.Errorf("%s: %d bytes, more than the %d a boot file may have", rel, info.Size(), maxFileSize)
			}
			if f.Data, err = os.ReadFile(p); err != nil {
				return err
			}
		case info.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s: a symlink, which a pcfs key cannot hold; copy the file it points to instead", rel)
		default:
			return fmt.Errorf("%s: a special file, which a pcfs key cannot hold", rel)
		}
		c.add(f)
		return nil
	})
}
