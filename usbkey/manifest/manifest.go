package manifest

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Version is the manifest format this package writes and the only one it
// reads.
const Version = 1

// The entry types.
const (
	TypeFile    = "file"
	TypeDir     = "dir"
	TypeSymlink = "symlink"
)

// Entry is one entry of a tree.
type Entry struct {
	Path   string      // slash-separated, relative to the tree, in the case it was found
	Type   string      // TypeFile, TypeDir or TypeSymlink
	Size   int64       // files only
	Mode   fs.FileMode // permission, setuid, setgid and sticky bits only
	MTime  time.Time   // UTC, whole seconds
	Target string      // symlinks only, as read, never resolved
	SHA256 string      // files only, lower-case hex
}

// Manifest lists every entry of a tree (not the tree's root itself), sorted
// by folded path.
type Manifest struct {
	Entries []Entry
}

// modeBits are the mode bits a manifest keeps; the type bits are in Type.
const modeBits = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// fold maps a path to the key under which pcfs would find it: each rune
// becomes the lower case of the smallest rune of its simple case-folding
// orbit, so fold(a) == fold(b) exactly when strings.EqualFold(a, b), which is
// how our fat32 package matches names, and ASCII folds to lower case as on a
// pcfs mounted with foldcase.
func fold(p string) string {
	for i := 0; i < len(p); i++ {
		if p[i] >= utf8.RuneSelf {
			return foldSlow(p)
		}
	}
	// ASCII folds to lower case (foldRune's first case), which
	// strings.ToLower does without allocating when there is none.
	return strings.ToLower(p)
}

func foldSlow(p string) string {
	var b strings.Builder
	b.Grow(len(p))
	for _, r := range p {
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		return unicode.ToLower(r)
	}
	lo := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		lo = min(lo, f)
	}
	// ToLower can leave the orbit (U+0130, capital I with dot, lowers
	// to an ASCII i that EqualFold keeps apart from it).
	if l := unicode.ToLower(lo); l != lo {
		for f := unicode.SimpleFold(lo); f != lo; f = unicode.SimpleFold(f) {
			if f == l {
				return l
			}
		}
	}
	return lo
}

func compareEntries(a, b Entry) int {
	if c := compareFolded(a.Path, b.Path); c != 0 {
		return c
	}
	return strings.Compare(a.Path, b.Path)
}

// compareFolded is strings.Compare(fold(a), fold(b)) without building
// either while both are ASCII, as key paths are: sorting thousands of
// entries folded each path at every comparison.
func compareFolded(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		if x >= utf8.RuneSelf || y >= utf8.RuneSelf {
			// A rune beyond ASCII may fold into it (U+212A, the
			// Kelvin sign, is k): fold what is left.
			return strings.Compare(fold(a[i:]), fold(b[i:]))
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return int(x) - int(y)
		}
	}
	return len(a) - len(b)
}

// sortEntries puts entries in canonical order.
func sortEntries(es []Entry) {
	slices.SortFunc(es, compareEntries)
}

// checkPath reports whether p is a path a manifest can hold: relative,
// clean, slash-separated, UTF-8, not the root.
func checkPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("empty path")
	case !utf8.ValidString(p):
		return fmt.Errorf("path %q is not UTF-8", p)
	case p != path.Clean(p) || strings.HasPrefix(p, "/") || p == "." || p == ".." || strings.HasPrefix(p, "../"):
		return fmt.Errorf("path %q is not clean and relative", p)
	case strings.ContainsRune(p, 0):
		return fmt.Errorf("path %q holds a NUL byte", p)
	}
	return nil
}

// check reports whether e is an entry Encode can write and Decode accepts.
func (e *Entry) check() error {
	if err := checkPath(e.Path); err != nil {
		return err
	}
	if e.Mode&^modeBits != 0 {
		return fmt.Errorf("%s: mode %v has bits other than permissions", e.Path, e.Mode)
	}
	if e.MTime.Location() != time.UTC || e.MTime.Nanosecond() != 0 || e.MTime.Year() < 0 || e.MTime.Year() > 9999 {
		return fmt.Errorf("%s: mtime %v is not UTC whole seconds between years 0 and 9999", e.Path, e.MTime)
	}
	switch e.Type {
	case TypeFile:
		if e.Size < 0 {
			return fmt.Errorf("%s: negative size %d", e.Path, e.Size)
		}
		if !isSHA256(e.SHA256) {
			return fmt.Errorf("%s: sha256 %q is not 64 lower-case hex digits", e.Path, e.SHA256)
		}
		if e.Target != "" {
			return fmt.Errorf("%s: a file with a symlink target", e.Path)
		}
	case TypeDir, TypeSymlink:
		if e.Size != 0 || e.SHA256 != "" {
			return fmt.Errorf("%s: a %s with a size or sha256", e.Path, e.Type)
		}
		if (e.Type == TypeSymlink) != (e.Target != "") {
			return fmt.Errorf("%s: a %s with target %q", e.Path, e.Type, e.Target)
		}
		if !utf8.ValidString(e.Target) {
			return fmt.Errorf("%s: symlink target %q is not UTF-8", e.Path, e.Target)
		}
	default:
		return fmt.Errorf("%s: unknown type %q (want %s, %s or %s)", e.Path, e.Type, TypeFile, TypeDir, TypeSymlink)
	}
	return nil
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// check reports whether m's entries are valid and no two are the same
// path case-folded. m must be sorted.
func (m *Manifest) check() error {
	for i := range m.Entries {
		if err := m.Entries[i].check(); err != nil {
			return err
		}
		if i > 0 && compareFolded(m.Entries[i-1].Path, m.Entries[i].Path) == 0 {
			return fmt.Errorf("%q and %q are the same path to pcfs", m.Entries[i-1].Path, m.Entries[i].Path)
		}
	}
	return nil
}
