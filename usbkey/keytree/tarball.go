package keytree

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"cntools/internal/tarx"
)

// TarballTree is a usbkey-base tarball, read only. It is extracted whole
// (and safely) into scratch space when it is opened: a gzip stream cannot
// be read at random, and a copy needs every size before it starts.
type TarballTree struct {
	dir     *DirTree
	scratch string
}

// Tarball extracts the tarball at path into a fresh directory under tmp.
// The archive's top directory is stepped into when it is its only entry,
// so both `./boot/...` and `usbkey/boot/...` layouts work; a lone `boot`
// is the content, not a wrapper.
func Tarball(ctx context.Context, path, tmp string) (*TarballTree, error) {
	scratch, err := os.MkdirTemp(tmp, "keytree.")
	if err != nil {
		return nil, fmt.Errorf("tarball %s: scratch directory: %w", path, err)
	}
	x := filepath.Join(scratch, "x")
	if _, err := tarx.ExtractFile(ctx, path, x, tarx.Options{}); err != nil {
		os.RemoveAll(scratch)
		return nil, fmt.Errorf("tarball %w", err)
	}
	root := x
	if es, err := os.ReadDir(x); err == nil && len(es) == 1 && es[0].IsDir() && !strings.EqualFold(es[0].Name(), "boot") {
		root = filepath.Join(x, es[0].Name())
	}
	return &TarballTree{dir: &DirTree{root: root, name: path, label: path}, scratch: scratch}, nil
}

// String is the tarball, not the scratch directory it was extracted into.
func (t *TarballTree) String() string { return t.dir.String() }

func (t *TarballTree) ReadDir(dir string) ([]Info, error)   { return t.dir.ReadDir(dir) }
func (t *TarballTree) Lstat(p string) (Info, error)         { return t.dir.Lstat(p) }
func (t *TarballTree) Open(p string) (io.ReadCloser, error) { return t.dir.Open(p) }

// Close removes the extracted copy.
func (t *TarballTree) Close() error {
	if err := os.RemoveAll(t.scratch); err != nil {
		return fmt.Errorf("tarball %s: remove scratch directory: %w", t, err)
	}
	return nil
}
