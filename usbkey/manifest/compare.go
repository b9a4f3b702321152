package manifest

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// The kinds of difference Compare reports.
const (
	Missing  = "missing"  // in A, not in B
	Extra    = "extra"    // in B, not in A
	Content  = "content"  // type, size, SHA-256 or symlink target differ
	Metadata = "metadata" // only mode or mtime differ
)

// Diff is one path that differs between two manifests.
type Diff struct {
	Path string // as A has it, or as B has it when A lacks it
	Kind string // Missing, Extra, Content or Metadata
	A, B *Entry // nil on the side that lacks the path
}

// CompareOptions say which differences do not count.
type CompareOptions struct {
	IgnoreMode  bool // FAT has no modes
	IgnoreMTime bool
	// MTimeWindow is how far apart two mtimes may be and still be equal,
	// as rsync's --modify-window: 2*time.Second when one side is FAT.
	MTimeWindow time.Duration
}

// Compare reports, in canonical path order, every path whose entry differs
// between a and b. Paths are matched case-folded (see the package comment),
// so a tree copied to pcfs and back compares equal. A path whose case alone
// differs is not a difference.
func Compare(a, b *Manifest, o CompareOptions) []Diff {
	inB := make(map[string]*Entry, len(b.Entries))
	for i := range b.Entries {
		inB[fold(b.Entries[i].Path)] = &b.Entries[i]
	}
	var ds []Diff
	for i := range a.Entries {
		ea := &a.Entries[i]
		k := fold(ea.Path)
		eb, ok := inB[k]
		if !ok {
			ds = append(ds, Diff{Path: ea.Path, Kind: Missing, A: ea})
			continue
		}
		delete(inB, k)
		if kind := differ(ea, eb, o); kind != "" {
			ds = append(ds, Diff{Path: ea.Path, Kind: kind, A: ea, B: eb})
		}
	}
	for _, eb := range inB {
		ds = append(ds, Diff{Path: eb.Path, Kind: Extra, B: eb})
	}
	// Decoded and built manifests are already sorted, but a map has no
	// order and a caller may have built a manifest by hand.
	sortDiffs(ds)
	return ds
}

func differ(a, b *Entry, o CompareOptions) string {
	if a.Type != b.Type || a.Size != b.Size || a.SHA256 != b.SHA256 || a.Target != b.Target {
		return Content
	}
	if !o.IgnoreMode && a.Mode != b.Mode {
		return Metadata
	}
	if !o.IgnoreMTime {
		d := a.MTime.Sub(b.MTime)
		if d < 0 {
			d = -d
		}
		if d > o.MTimeWindow {
			return Metadata
		}
	}
	return ""
}

func sortDiffs(ds []Diff) {
	slices.SortFunc(ds, func(x, y Diff) int {
		return cmp.Or(strings.Compare(fold(x.Path), fold(y.Path)), strings.Compare(x.Path, y.Path))
	})
}
