package populate

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Entry is one file or directory of a source or target tree.
type Entry struct {
	Path    string // slash-separated, relative
	Dir     bool
	Symlink bool
	Size    int64
	MTime   time.Time
	Data    []byte // generated content, compared byte for byte with the target's
}

// Source is where key content comes from.
type Source interface {
	// Walk lists the tree, parents before children.
	Walk(ctx context.Context) ([]Entry, error)
	Open(p string) (io.ReadCloser, error)
	// Describe names the source for logs and errors.
	Describe() string
	Close() error
}

// walkDir lists a directory tree, sorted, parents first.
func walkDir(ctx context.Context, root string) ([]Entry, error) {
	var out []Entry
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, Entry{Path: filepath.ToSlash(rel), Dir: d.IsDir(), Symlink: d.Type()&fs.ModeSymlink != 0, Size: fi.Size(), MTime: fi.ModTime()})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, err
}

// DirSource is a usbkey copy or standby copy on this node.
type DirSource struct{ Root string }

func (s DirSource) Walk(ctx context.Context) ([]Entry, error) { return walkDir(ctx, s.Root) }
func (s DirSource) Open(p string) (io.ReadCloser, error) {
	return os.Open(filepath.Join(s.Root, filepath.FromSlash(p)))
}
func (s DirSource) Describe() string { return s.Root }
func (s DirSource) Close() error     { return nil }
