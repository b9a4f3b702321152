package keytree

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"cntools/internal/node"
	"cntools/internal/sshconn"
	"cntools/usbkey/device"
)

// Opener opens the tree a Location names, deciding there what a local
// path is: a directory, a tarball, or a key device or image.
type Opener struct {
	Node *node.Node      // resolves local paths and scratch space; nil is the live node
	SSH  sshconn.Options // how to reach remote locations
	// Share makes Open return the same tarball or remote tree for the same
	// location until Close, so a run of several steps extracts a tarball
	// or dials a node once. The trees it shares have a Close that does
	// nothing; directories and keys are opened afresh each time.
	Share bool

	mu     sync.Mutex
	shared map[string]Tree
}

// path resolves a node path under the node's root.
func (o *Opener) path(p string) string {
	if o.Node == nil {
		return p
	}
	return o.Node.Path(p)
}

// key names a location for Share: two spellings of one place are one tree.
func (o *Opener) key(loc Location) string {
	if loc.Kind == KindSSH {
		return "ssh " + loc.SSH.URL()
	}
	return "local " + filepath.Clean(o.path(loc.Path))
}

// Open opens loc for reading.
func (o *Opener) Open(ctx context.Context, loc Location) (Tree, error) {
	if !o.Share {
		return o.open(ctx, loc, false, false)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	k := o.key(loc)
	if t, ok := o.shared[k]; ok {
		return shared{t}, nil
	}
	t, err := o.open(ctx, loc, false, false)
	if err != nil {
		return nil, err
	}
	// Only what is costly to open is shared. A directory is read live
	// anyway, and a key's FAT is read into memory as it is first read:
	// shared, it would go stale once a step writes the key.
	switch t.(type) {
	case *TarballTree, *SFTPTree:
	default:
		return t, nil
	}
	if o.shared == nil {
		o.shared = map[string]Tree{}
	}
	o.shared[k] = t
	return shared{t}, nil
}

// OpenWriter opens loc to change it. With verify, a key reads back each
// chunk it writes. Writers are never shared: each has its own device or
// connection, closed by its Close.
func (o *Opener) OpenWriter(ctx context.Context, loc Location, verify bool) (Writer, error) {
	t, err := o.open(ctx, loc, true, verify)
	if err != nil {
		return nil, err
	}
	w, ok := t.(Writer)
	if !ok {
		t.Close()
		return nil, fmt.Errorf("BUG: %s: %T opened for writing is not a Writer", loc, t)
	}
	return w, nil
}

// Close closes every tree Open shared.
func (o *Opener) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var errs []error
	for k, t := range o.shared {
		errs = append(errs, t.Close())
		delete(o.shared, k)
	}
	return errors.Join(errs...)
}

// shared is a tree the Opener closes; its users must not.
type shared struct{ Tree }

func (shared) Close() error { return nil }

func (o *Opener) open(ctx context.Context, loc Location, write, verify bool) (Tree, error) {
	switch loc.Kind {
	case KindSSH:
		t, err := DialSFTP(ctx, loc.SSH, o.SSH)
		if err != nil {
			return nil, err
		}
		t.name = loc.Raw
		return t, nil
	case KindLocal:
		return o.openLocal(ctx, loc, write, verify)
	}
	return nil, fmt.Errorf("BUG: %s: location of kind %d", loc, loc.Kind)
}

// openLocal follows a symlink at the location itself: /dev/rdsk names are
// symlinks into /devices, and an operator's path may be one.
func (o *Opener) openLocal(ctx context.Context, loc Location, write, verify bool) (Tree, error) {
	p := o.path(loc.Path)
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", loc, err)
	}
	m := fi.Mode()
	switch {
	case m.IsDir():
		return &DirTree{root: p, name: loc.Raw}, nil
	case m.IsRegular() && isTarball(p):
		if write {
			return nil, fmt.Errorf("%s: a tarball cannot be written to: give a directory, key device or image", loc)
		}
		tmp := o.path(node.TmpDir)
		if err := os.MkdirAll(tmp, 0o755); err != nil {
			return nil, fmt.Errorf("%s: scratch space: %w", loc, err)
		}
		t, err := Tarball(ctx, p, tmp)
		if err != nil {
			return nil, err
		}
		t.dir.name, t.dir.label = loc.Raw, loc.Raw
		return t, nil
	case m.IsRegular() || m&fs.ModeDevice != 0:
		return openKeyTree(p, loc, write, verify)
	}
	return nil, fmt.Errorf("%s: is %s: give a directory, key device or image, or tarball", loc, TypeName(m))
}

// gzipMagic starts every gzip stream (RFC 1952).
var gzipMagic = []byte{0x1f, 0x8b}

// isTarball tells a tarball from a key image by its name or, for one
// named otherwise, by the gzip magic no key image starts with (sector 0
// of a key is an MBR).
func isTarball(p string) bool {
	lower := strings.ToLower(p)
	for _, ext := range []string{".tgz", ".tar.gz", ".tar"} {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	f, err := os.Open(p)
	if err != nil {
		return false // opening it as a key reports the error
	}
	defer f.Close()
	head := make([]byte, len(gzipMagic))
	_, err = io.ReadFull(f, head)
	return err == nil && bytes.Equal(head, gzipMagic)
}

func openKeyTree(p string, loc Location, write, verify bool) (Tree, error) {
	dev, err := device.Open(p, !write)
	if err != nil {
		return nil, err
	}
	root, err := OpenKey(dev, dev.Size, write)
	if err != nil {
		dev.Close()
		return nil, fmt.Errorf("%s: %w", loc, err)
	}
	root.VerifyWrites = verify
	t := FAT(root, dev, loc.Raw)
	t.closer = dev
	return t, nil
}
