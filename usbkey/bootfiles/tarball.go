package bootfiles

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// FromTarball reads a platform boot tarball (boot-<stamp>.tgz: gzip'd tar,
// names with or without a leading "./") and validates it.
func FromTarball(name string) (*Set, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: not a gzip file (%w): want the boot-<stamp>.tgz from the platform build", name, err)
	}
	c := newCollector(name)
	if err := readTar(c, tar.NewReader(zr)); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c.set()
}

// readTar adds every entry of tr to c, refusing the whole archive on the
// first entry that escapes the tree or cannot live on pcfs.
func readTar(c *collector, tr *tar.Reader) error {
	// Hard links name an earlier member, in or out of the boot tree.
	data := map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read tarball: %w", err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		p, err := cleanName(hdr.Name)
		if err != nil {
			return err
		}
		if p == "." {
			continue
		}
		f := File{Path: p, Mode: fs.FileMode(hdr.Mode).Perm(), ModTime: hdr.ModTime}
		switch hdr.Typeflag {
		case tar.TypeDir:
			f.Mode |= fs.ModeDir
		case tar.TypeReg:
			if hdr.Size > maxFileSize {
				return fmt.Errorf("%s: %d bytes, more than the %d a boot file may have", p, hdr.Size, maxFileSize)
			}
			if f.Data, err = io.ReadAll(tr); err != nil {
				return fmt.Errorf("read %s: %w", p, err)
			}
			data[p] = f.Data
		case tar.TypeLink:
			target, err := cleanName(hdr.Linkname)
			if err != nil {
				return err
			}
			d, ok := data[target]
			if !ok {
				return fmt.Errorf("%s: hard link to %s, which is not an earlier file in the archive", p, hdr.Linkname)
			}
			f.Data = d
			data[p] = d
		default:
			if !wanted(p) {
				continue
			}
			kind := "special file"
			if hdr.Typeflag == tar.TypeSymlink {
				kind = "symlink"
			}
			return fmt.Errorf("%s: a %s, which a pcfs key cannot hold; rebuild the boot tarball without it", p, kind)
		}
		c.add(f)
	}
}

// errEscape marks an entry name that would land outside the tree.
var errEscape = errors.New("escapes the boot tree: refusing the whole tarball")

// cleanName turns a member name into a clean slash path relative to the
// tree, "." for the tree itself. Any ".." element is refused, even one that
// would come back inside, so there is nothing to reason about.
func cleanName(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("entry %q is absolute and %w", name, errEscape)
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." {
			return "", fmt.Errorf("entry %q has a \"..\" element and %w", name, errEscape)
		}
	}
	return path.Clean(name), nil
}
