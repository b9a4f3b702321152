package gztools

import (
	"cntools/usbkey/manifest"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"

	"cntools/internal/atomicfile"
	"cntools/internal/tarx"
)

// treeCheck says how checkTree compares.
type treeCheck struct {
	ignore  map[string]bool       // entries of the tarball not compared
	extraOK func(rel string) bool // extras that are not differences; nil: none
	tops    map[string]bool       // filled with the tarball's top-level names
}

// checkTree compares the tarball tgz with the tree installed at dir, whose
// node path is nodeDir. Extras are looked for under the tarball's
// top-level directories only: /opt/smartdc holds much that gz-tools never
// had (agents, config, sdcadm).
func checkTree(ctx context.Context, tgz, dir, nodeDir string, o treeCheck) ([]Diff, error) {
	f, err := os.Open(tgz)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var diffs []Diff
	seen := map[string]bool{}
	sums := map[string][32]byte{}
	if o.tops == nil {
		o.tops = map[string]bool{}
	}
	add := func(rel, kind, format string, args ...any) {
		diffs = append(diffs, Diff{Path: path.Join(nodeDir, rel), Kind: kind, Detail: fmt.Sprintf(format, args...)})
	}
	err = tarx.Walk(ctx, f, func(e *tarx.Entry, content io.Reader) error {
		for p := e.Name; p != "."; p = path.Dir(p) {
			seen[p] = true
			if path.Dir(p) == "." {
				o.tops[p] = true
			}
		}
		var sum [32]byte
		if e.Type == tarx.TypeFile {
			h := sha256.New()
			if _, err := io.Copy(h, content); err != nil {
				return err
			}
			copy(sum[:], h.Sum(nil))
			sums[e.Name] = sum
		}
		if e.Type == tarx.TypeHardlink {
			sum = sums[e.Link]
			sums[e.Name] = sum
		}
		if o.ignore[e.Name] {
			return nil
		}
		p := filepath.Join(dir, filepath.FromSlash(e.Name))
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			add(e.Name, Missing, "not installed")
			return nil
		}
		if err != nil {
			return err
		}
		want := e.Type
		if want == tarx.TypeHardlink {
			want = tarx.TypeFile
		}
		if got := typeOf(fi.Mode()); got != want {
			add(e.Name, Content, "is a %s, want a %s", got, want)
			return nil
		}
		switch want {
		case tarx.TypeSymlink:
			if got, err := os.Readlink(p); err != nil || got != e.Link {
				add(e.Name, Content, "links to %q, want %q", got, e.Link)
			}
			return nil
		case tarx.TypeFile:
			got, err := fileSum(p)
			if err != nil {
				return err
			}
			if got != sum {
				add(e.Name, Content, "content differs")
				return nil
			}
		}
		if got := fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky); got != e.Mode && e.Type != tarx.TypeHardlink {
			add(e.Name, Metadata, "mode %04o, want %04o", manifest.UnixMode(got), manifest.UnixMode(e.Mode))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tgz, err)
	}
	extras, err := findExtras(dir, o.tops, seen, o.extraOK)
	if err != nil {
		return nil, err
	}
	for _, rel := range extras {
		add(rel, Extra, "not in the source")
	}
	sort.SliceStable(diffs, func(i, j int) bool { return diffs[i].Path < diffs[j].Path })
	return diffs, nil
}

// findExtras lists what dir holds under tops that the tarball did not
// have; a directory the tarball lacks is one extra, not one per file.
func findExtras(dir string, tops, seen map[string]bool, ok func(string) bool) ([]string, error) {
	var extras []string
	for top := range tops {
		root := filepath.Join(dir, top)
		fi, err := os.Lstat(root)
		if err != nil || !fi.IsDir() {
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			rel = filepath.ToSlash(rel)
			if seen[rel] {
				return nil
			}
			// A writer killed before its rename (gz-tools.image is in
			// etc/) left this; it is never content, and the next write of
			// that file removes it. Counting it would fail --check forever.
			if !d.IsDir() && atomicfile.IsTemp(d.Name()) {
				return nil
			}
			if ok == nil || !ok(rel) {
				extras = append(extras, rel)
			}
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return extras, nil
}

func typeOf(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return tarx.TypeFile
	case m.IsDir():
		return tarx.TypeDir
	case m&fs.ModeSymlink != 0:
		return tarx.TypeSymlink
	}
	return "special file"
}

func fileSum(p string) ([32]byte, error) {
	var sum [32]byte
	f, err := os.Open(p)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return sum, fmt.Errorf("%s: %w", p, err)
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}
