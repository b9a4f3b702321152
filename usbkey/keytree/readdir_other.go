//go:build !unix

package keytree

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// entries lists the open directory f (the tree's dir), sorted by name,
// through os.File.ReadDir where there is no fstatat.
func (d *DirTree) entries(r *os.Root, f *os.File, dir string) ([]Info, error) {
	des, err := f.ReadDir(-1)
	if err != nil {
		return nil, opError(d.where(dir), "read directory", err)
	}
	slices.SortFunc(des, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	infos := make([]Info, 0, len(des))
	for _, de := range des {
		p := join(dir, de.Name())
		fi, err := de.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since it was listed: it is not in the tree now
		}
		if err != nil {
			return nil, opError(d.where(p), "lstat", err)
		}
		in, err := infoOf(p, fi, func() (string, error) { return r.Readlink(p) }, d.where(p))
		if err != nil {
			return nil, err
		}
		infos = append(infos, in)
	}
	return infos, nil
}
