package keytree

import (
	"bytes"
	"io"
	"path"
	"sort"
	"strings"
	"time"
)

// OverlayTree is a tree with one file's content replaced or added: what a
// copy is given instead of the source's own file (a node's generated
// config, a loader.conf with headnode="true").
type OverlayTree struct {
	t     Tree
	dir   string // the directory holding the file, as given
	name  string // its name, as given
	data  []byte
	mtime time.Time
}

// Overlay returns t with the file p holding data, modified at mtime.
//
// p is matched case-folded, since pcfs folds case, so an overlay of
// "boot/loader.conf" replaces "BOOT/LOADER.CONF" and keeps its stored
// name. Only a file directly under a directory t has is overlaid: no
// directory is made up, and p stays absent when its directory is.
func Overlay(t Tree, p string, data []byte, mtime time.Time) Tree {
	p = strings.Trim(path.Clean("/"+p), "/")
	dir, name := path.Split(p)
	return &OverlayTree{t: t, dir: strings.TrimSuffix(dir, "/"), name: name, data: data, mtime: mtime}
}

func (o *OverlayTree) String() string { return o.t.String() }
func (o *OverlayTree) Close() error   { return o.t.Close() }

// matches reports whether p is the overlaid file.
func (o *OverlayTree) matches(p string) bool {
	dir, name := path.Split(p)
	return o.name != "" && strings.EqualFold(name, o.name) && strings.EqualFold(strings.TrimSuffix(dir, "/"), o.dir)
}

// Generated returns the content given for p by this overlay or one below
// it, so a copy can compare generated files byte for byte rather than by
// size and mtime.
func (o *OverlayTree) Generated(p string) ([]byte, bool) {
	if o.matches(p) {
		return o.data, true
	}
	if g, ok := o.t.(interface{ Generated(string) ([]byte, bool) }); ok {
		return g.Generated(p)
	}
	return nil, false
}

// info describes the overlaid file under the name it is stored by.
func (o *OverlayTree) info(name string) Info {
	return Info{Name: name, Mode: 0o644, Size: int64(len(o.data)), MTime: o.mtime}
}

func (o *OverlayTree) ReadDir(dir string) ([]Info, error) {
	infos, err := o.t.ReadDir(dir)
	if dir == "." {
		dir = ""
	}
	if err != nil || o.name == "" || !strings.EqualFold(dir, o.dir) {
		return infos, err
	}
	// The exact name first: on a case-sensitive tree that also has a name
	// differing only in case, that one is left as it is.
	at := -1
	for i, in := range infos {
		if in.Name == o.name {
			at = i
			break
		}
		if at < 0 && strings.EqualFold(in.Name, o.name) {
			at = i
		}
	}
	if at >= 0 {
		infos[at] = o.info(infos[at].Name)
		return infos, nil
	}
	infos = append(infos, o.info(o.name))
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name < infos[j].Name })
	return infos, nil
}

// present reports whether the overlaid file p is in the tree: its
// directory is. p's own spelling is asked for, which a case-sensitive tree
// has even where the overlay's spelling differs.
func (o *OverlayTree) present(p string) bool {
	dir := path.Dir(p)
	if dir == "." {
		dir = ""
	}
	in, err := o.t.Lstat(dir)
	return err == nil && in.IsDir()
}

func (o *OverlayTree) Lstat(p string) (Info, error) {
	if !o.matches(p) || !o.present(p) {
		return o.t.Lstat(p)
	}
	name := o.name
	if in, err := o.t.Lstat(p); err == nil {
		name = in.Name
	}
	return o.info(name), nil
}

func (o *OverlayTree) Open(p string) (io.ReadCloser, error) {
	if !o.matches(p) || !o.present(p) {
		return o.t.Open(p)
	}
	return io.NopCloser(bytes.NewReader(o.data)), nil
}

// Files opens the overlaid file as Open does, and every other through
// the tree's own Files.
func (o *OverlayTree) Files() Files { return &overlayFiles{o: o, files: FilesOf(o.t)} }

type overlayFiles struct {
	o     *OverlayTree
	files Files
}

func (f *overlayFiles) Open(p string) (io.ReadCloser, error) {
	if f.o.matches(p) && f.o.present(p) {
		return io.NopCloser(bytes.NewReader(f.o.data)), nil
	}
	return f.files.Open(p)
}

func (f *overlayFiles) Close() error { return f.files.Close() }
