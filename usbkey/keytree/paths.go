package keytree

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
)

// clean checks a tree path and returns it in the form every kind uses: ""
// for the root, otherwise slash-separated with no "." or ".." elements and
// no leading slash. A path that could climb out of the tree is refused
// here, before any kind joins it to its root.
func clean(p string) (string, error) {
	if p == "" || p == "." {
		return "", nil
	}
	if !fs.ValidPath(p) {
		return "", fmt.Errorf("%q: not a clean relative path inside the tree: %w", p, fs.ErrInvalid)
	}
	return p, nil
}

// baseName is the Name an entry at p is described by; the root has none.
func baseName(p string) string {
	if p == "" {
		return ""
	}
	return path.Base(p)
}

// join adds name to the directory dir of a tree.
func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// opError names where and which step failed, dropping the *PathError a
// library wraps its error in, since where already names the file better
// (the operator's tree, not a scratch or remote path). errors.Is still
// sees the cause, fs.ErrNotExist included.
func opError(where, op string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s: %s: %w", where, op, err)
}

// notRegular refuses to open an entry that is not a regular file, saying
// what it is.
func notRegular(where string, m fs.FileMode) error {
	return fmt.Errorf("%s: %s: %w", where, TypeName(m), ErrNotRegular)
}

// TypeName says what kind of entry mode m describes, in the words ls and
// find use.
func TypeName(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	case m&fs.ModeNamedPipe != 0:
		return "a fifo"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsRegular():
		return "a regular file"
	}
	return "a special file"
}
