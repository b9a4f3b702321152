package gztools

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"cntools/internal/atomicfile"
)

// copyFile copies src to a new file dst with mode.
func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Chmod(mode)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	return nil
}

// installFile writes src's content over dst through a temporary file, so
// dst is always either the old file or the new one.
func installFile(src, dst string, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := atomicfile.Create(dst, mode)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := io.Copy(f, in); err != nil {
		return fmt.Errorf("%s: %w", dst, err)
	}
	return f.Commit()
}

// sameFile reports whether a and b hold the same bytes; a missing b is
// not the same.
func sameFile(a, b string) (bool, error) {
	fb, err := os.Stat(b)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	if os.SameFile(fa, fb) {
		return true, nil
	}
	if fa.Size() != fb.Size() {
		return false, nil
	}
	sa, err := fileSum(a)
	if err != nil {
		return false, err
	}
	sb, err := fileSum(b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(sa[:], sb[:]), nil
}

// writeSynced writes a small file and makes it durable.
func writeSynced(p string, b []byte) error {
	return atomicfile.WriteFile(p, b, 0o644)
}

// copyTree copies the tree at src to dst (which must not exist), keeping
// modes and symlinks, as `cp -PR` does.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if err := os.MkdirAll(target, 0o700); err != nil {
				return err
			}
			// Modes are set on the way in; a read-only directory is made
			// writable by root anyway, which is who installs.
			return os.Chmod(target, fi.Mode().Perm()|0o700)
		case d.Type()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(t, target)
		case d.Type().IsRegular():
			return copyFile(p, target, fi.Mode())
		}
		return nil
	})
}
