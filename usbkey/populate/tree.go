package populate

import (
	"context"
	"io/fs"
	"time"

	"cntools/usbkey/keytree"
)

// Entry is one file or directory of a source or target tree, as the plan
// compares them.
type Entry struct {
	Path    string // slash-separated, relative
	Dir     bool
	Symlink bool
	Size    int64
	MTime   time.Time
	Mode    fs.FileMode
	Data    []byte // generated content, compared byte for byte with the target's
}

// generator is a tree with generated files: keytree's overlays.
type generator interface {
	Generated(p string) ([]byte, bool)
}

// walk lists a tree, parents before children, with the content of the
// files an overlay generates.
func walk(ctx context.Context, t keytree.Tree) ([]Entry, error) {
	es, err := keytree.Walk(ctx, t)
	if err != nil {
		return nil, err
	}
	g, _ := t.(generator)
	out := make([]Entry, len(es))
	for i, e := range es {
		out[i] = Entry{Path: e.Path, Dir: e.IsDir(), Symlink: e.IsSymlink(), Size: e.Size, MTime: e.MTime, Mode: e.Mode}
		if g != nil && !out[i].Dir {
			out[i].Data, _ = g.Generated(e.Path)
		}
	}
	return out, nil
}
