package gztools

import (
	"bytes"
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
	"cntools/usbkey/keycopy"
)

// treeCheck says how checkTree compares.
type treeCheck struct {
	ignore  map[string]bool       // entries of the tarball not compared
	extraOK func(rel string) bool // extras that are not differences; nil: none
	tops    map[string]bool       // filled with the tarball's top-level names
}

// checkTree compares the tarball tgz with the tree installed at dir, whose
// node path is nodeDir, reading the tarball and writing nothing. Extras
// are looked for under the tarball's top-level directories only:
// /opt/smartdc holds much that gz-tools never had (agents, config,
// sdcadm).
func checkTree(ctx context.Context, tgz, dir, nodeDir string, o treeCheck) ([]Diff, error) {
	f, err := os.Open(tgz)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c := newTreeDiff(dir, nodeDir, "", o)
	defer c.close()
	err = tarx.Walk(ctx, f, func(e *tarx.Entry, content io.Reader) error {
		if w := c.begin(e); w != nil {
			if _, err := io.Copy(w, content); err != nil {
				return err
			}
		}
		return c.end(e)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tgz, err)
	}
	return c.finish()
}

// treeDiff compares a tarball's entries, as they are read, with the tree
// installed at dir: a file's content is compared with the installed
// file's as it streams past, so the tarball is read once and nothing is
// hashed.
type treeDiff struct {
	dir, nodeDir string
	o            treeCheck
	// staged is the tree the tarball is being extracted into, where a
	// hard link's content is read; "" when the tarball is only read.
	staged string
	diffs  []Diff
	seen   map[string]bool
	same   map[string]bool // files whose installed copy has the tarball's content
	cmp    *contentCmp     // the file being compared, between begin and end
	buf    []byte
	err    error // the first failure to read the installed tree
}

func newTreeDiff(dir, nodeDir, staged string, o treeCheck) *treeDiff {
	if o.tops == nil {
		o.tops = map[string]bool{}
	}
	return &treeDiff{dir: dir, nodeDir: nodeDir, o: o, staged: staged, seen: map[string]bool{}, same: map[string]bool{}, buf: make([]byte, 1<<20)}
}

func (c *treeDiff) add(rel, kind, format string, args ...any) {
	c.diffs = append(c.diffs, Diff{Path: path.Join(c.nodeDir, rel), Kind: kind, Detail: fmt.Sprintf(format, args...)})
}

func (c *treeDiff) installed(e *tarx.Entry) string {
	return filepath.Join(c.dir, filepath.FromSlash(e.Name))
}

// begin returns, for a regular file installed with the same size, the
// writer its content is to be given to.
func (c *treeDiff) begin(e *tarx.Entry) io.Writer {
	if e.Type != tarx.TypeFile {
		return nil
	}
	fi, err := os.Lstat(c.installed(e))
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != e.Size {
		return nil // end tells which
	}
	f, err := os.Open(c.installed(e))
	if err != nil {
		return nil
	}
	c.cmp = &contentCmp{f: f, buf: c.buf, same: true}
	return c.cmp
}

// end records e and decides whether it differs from what is installed.
func (c *treeDiff) end(e *tarx.Entry) error {
	for p := e.Name; p != "."; p = path.Dir(p) {
		c.seen[p] = true
		if path.Dir(p) == "." {
			c.o.tops[p] = true
		}
	}
	cmp := c.cmp
	c.cmp = nil
	if cmp != nil {
		cmp.f.Close()
		if cmp.err != nil {
			return cmp.err
		}
	}
	if c.o.ignore[e.Name] {
		return nil
	}
	p := c.installed(e)
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		c.add(e.Name, Missing, "not installed")
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
		c.add(e.Name, Content, "is a %s, want a %s", got, want)
		return nil
	}
	switch e.Type {
	case tarx.TypeSymlink:
		if got, err := os.Readlink(p); err != nil || got != e.Link {
			c.add(e.Name, Content, "links to %q, want %q", got, e.Link)
		}
		return nil
	case tarx.TypeFile:
		c.same[e.Name] = cmp != nil && cmp.same
		if !c.same[e.Name] {
			c.add(e.Name, Content, "content differs")
			return nil
		}
	case tarx.TypeHardlink:
		same, err := c.sameAsLink(e, fi)
		if err != nil {
			return err
		}
		c.same[e.Name] = same
		if !same {
			c.add(e.Name, Content, "content differs")
		}
		return nil // a hard link's mode is its target's
	}
	if got := fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky); got != e.Mode {
		c.add(e.Name, Metadata, "mode %04o, want %04o", keycopy.UnixMode(got), keycopy.UnixMode(e.Mode))
	}
	return nil
}

// sameAsLink reports whether the installed file at the hard link e, fi,
// has the content of the tarball's file e links to.
func (c *treeDiff) sameAsLink(e *tarx.Entry, fi fs.FileInfo) (bool, error) {
	target := filepath.Join(c.dir, filepath.FromSlash(e.Link))
	if tfi, err := os.Lstat(target); err == nil && os.SameFile(fi, tfi) {
		return c.same[e.Link], nil
	}
	switch {
	case c.staged != "":
		// The tarball's content of the target, as just extracted.
		return sameFile(filepath.Join(c.staged, filepath.FromSlash(e.Link)), c.installed(e))
	case c.same[e.Link]:
		return sameFile(target, c.installed(e))
	}
	// The tarball's content of the target was compared, not kept: it
	// differs from what is installed there, and a separate file with
	// that new content in the link's place is taken for changed too.
	return false, nil
}

// finish adds the extras and returns the differences, by path.
func (c *treeDiff) finish() ([]Diff, error) {
	extras, err := findExtras(c.dir, c.o.tops, c.seen, c.o.extraOK)
	if err != nil {
		return nil, err
	}
	for _, rel := range extras {
		c.add(rel, Extra, "not in the source")
	}
	sort.SliceStable(c.diffs, func(i, j int) bool { return c.diffs[i].Path < c.diffs[j].Path })
	return c.diffs, nil
}

func (c *treeDiff) close() {
	if c.cmp != nil {
		c.cmp.f.Close()
		c.cmp = nil
	}
}

// contentCmp compares what is written to it with the file f, which has
// the same size.
type contentCmp struct {
	f    *os.File
	buf  []byte
	same bool
	err  error
}

func (c *contentCmp) Write(p []byte) (int, error) {
	n := len(p)
	for c.same && len(p) > 0 {
		b := c.buf[:min(len(p), len(c.buf))]
		if _, err := io.ReadFull(c.f, b); err != nil {
			// Shorter than it was a moment ago: changed under us.
			c.same = false
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				c.err = fmt.Errorf("%s: %w", c.f.Name(), err)
			}
			break
		}
		c.same = bytes.Equal(b, p[:len(b)])
		p = p[len(b):]
	}
	return n, nil
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
