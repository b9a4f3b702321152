package keycopy

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"cntools/internal/atomicfile"
)

// ManifestFile is the manifest a sync leaves in a target's directory,
// written last: what the target held when the sync finished. The next sync
// compares the target with it to find what changed there since.
const ManifestFile = ".cntools-manifest.json"

// ListingHeader starts a listing in canonical form; a target printing
// the hash of another version never matches a kept listing.
const ListingHeader = "cntools-listing 1\n"

// The types a listing line has: a manifest's (manifest.TypeFile,
// TypeDir, TypeSymlink), anything else, and a sync's temporary file.
const (
	TypeFile    = "file"
	TypeDir     = "dir"
	TypeSymlink = "symlink"
	TypeSpecial = "special"
	TypeTemp    = "temp"
)

// Line is one entry of a listing: what a sync's plan reads of an entry,
// and no more. MTime is in whole seconds (SFTP's resolution); Size is a
// file's alone, Target a symlink's alone; Mode holds the permission,
// setuid, setgid and sticky bits. A temporary file is listed by its path
// alone.
type Line struct {
	Type   string
	Mode   fs.FileMode
	Size   int64
	MTime  int64
	Path   string
	Target string
}

// EncodeListing writes lines in canonical form: sorted by path, one entry
// a line, `TYPE MODE SIZE MTIME "PATH" "TARGET"`, Go-quoted, so any name
// is one line. The copy's lock is left out: a sync holds it while the
// copy lists itself. It sorts lines in place.
func EncodeListing(lines []Line) []byte {
	slices.SortFunc(lines, func(a, b Line) int { return strings.Compare(a.Path, b.Path) })
	b := make([]byte, 0, len(ListingHeader)+len(lines)*96)
	b = append(b, ListingHeader...)
	for _, l := range lines {
		if l.Path != LockName {
			b = appendLine(b, l)
		}
	}
	return b
}

// appendLine appends l's line.
func appendLine(b []byte, l Line) []byte {
	b = append(b, l.Type...)
	b = append(b, ' ')
	b = appendMode(b, l.Mode)
	b = append(b, ' ')
	b = strconv.AppendInt(b, l.Size, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, l.MTime, 10)
	b = append(b, ' ')
	b = strconv.AppendQuote(b, l.Path)
	b = append(b, ' ')
	b = strconv.AppendQuote(b, l.Target)
	return append(b, '\n')
}

// ParseMode reads a mode as FormatMode and a listing write it: four
// octal digits, setuid, setgid and sticky included.
func ParseMode(s string) (fs.FileMode, error) {
	if len(s) != 4 {
		return 0, fmt.Errorf("mode %q is not four octal digits", s)
	}
	u, err := strconv.ParseUint(s, 8, 32)
	if err != nil {
		return 0, fmt.Errorf("mode %q is not four octal digits", s)
	}
	return ModeBits(uint32(u&0o777) | uint32(u&0o7000)), nil
}

// appendMode appends m as four octal digits, as a manifest writes a mode
// (manifest.FormatMode).
func appendMode(b []byte, m fs.FileMode) []byte {
	u := UnixMode(m)
	return append(b, byte('0'+u>>9&7), byte('0'+u>>6&7), byte('0'+u>>3&7), byte('0'+u&7))
}

// UnixMode spells a mode's permission bits as chmod(1) takes them,
// setuid, setgid and sticky included.
func UnixMode(m fs.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		u |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		u |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		u |= 0o1000
	}
	return u
}

// DecodeListing reads a listing EncodeListing wrote without temporary
// files (a kept listing has none: a sync removes them); a temp line is
// refused.
func DecodeListing(b []byte) ([]Line, error) {
	rest, ok := bytes.CutPrefix(b, []byte(ListingHeader))
	if !ok {
		return nil, errors.New("not a cntools listing")
	}
	lines := make([]Line, 0, bytes.Count(rest, []byte{'\n'}))
	for n := 2; len(rest) > 0; n++ {
		line, after, ok := bytes.Cut(rest, []byte{'\n'})
		if !ok {
			return nil, fmt.Errorf("line %d: no newline", n)
		}
		rest = after
		l, err := decodeLine(string(line))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		lines = append(lines, l)
	}
	return lines, nil
}

func decodeLine(s string) (Line, error) {
	f := strings.SplitN(s, " ", 5)
	if len(f) != 5 {
		return Line{}, errors.New("too few fields")
	}
	l := Line{Type: f[0]}
	switch l.Type {
	case TypeFile, TypeDir, TypeSymlink, TypeSpecial:
	default:
		return Line{}, fmt.Errorf("type %q", l.Type)
	}
	var err error
	if l.Mode, err = ParseMode(f[1]); err != nil {
		return Line{}, err
	}
	if l.Size, err = strconv.ParseInt(f[2], 10, 64); err != nil {
		return Line{}, fmt.Errorf("size: %w", err)
	}
	if l.MTime, err = strconv.ParseInt(f[3], 10, 64); err != nil {
		return Line{}, fmt.Errorf("mtime: %w", err)
	}
	q, err := strconv.QuotedPrefix(f[4])
	if err != nil {
		return Line{}, fmt.Errorf("path: %w", err)
	}
	l.Path, _ = strconv.Unquote(q)
	tq, ok := strings.CutPrefix(f[4][len(q):], " ")
	if !ok {
		return Line{}, errors.New("no target")
	}
	if l.Target, err = strconv.Unquote(tq); err != nil {
		return Line{}, fmt.Errorf("target: %w", err)
	}
	return l, nil
}

// OldTmpInfix marked the files a sync was writing before every writer
// took atomicfile's names; such leftovers on a target are still known.
const OldTmpInfix = ".cntools-tmp-"

// ConflictSuffix starts the name a conflict copy gets: NAME.conflict-<stamp>.
const ConflictSuffix = ".conflict-"

// IsTemp reports whether the base name is a sync's temporary file.
func IsTemp(base string) bool {
	return atomicfile.IsTemp(base) || strings.HasPrefix(base, ".") && strings.Contains(base, OldTmpInfix)
}

// IsConflictCopy reports whether the base name is a kept conflict copy:
// it ends as `\.conflict-\d{8}T\d{6}Z$` matches (a test holds it to
// that), written out for the reason atomicfile.IsTemp is.
func IsConflictCopy(base string) bool {
	const stamp = "00000000T000000Z"
	if len(base) < len(ConflictSuffix)+len(stamp) {
		return false
	}
	tail := base[len(base)-len(ConflictSuffix)-len(stamp):]
	if tail[:len(ConflictSuffix)] != ConflictSuffix {
		return false
	}
	for i, c := range []byte(tail[len(ConflictSuffix):]) {
		if stamp[i] == '0' && !('0' <= c && c <= '9') || stamp[i] != '0' && c != stamp[i] {
			return false
		}
	}
	return true
}

// Ours reports whether p is something a sync leaves in a target's
// directory for itself, never content: the manifest, temporary files and
// conflict copies. Such paths are neither sent, compared nor deleted.
// A target lists itself with these rules too (State): a change to them,
// to IsTemp or to what a listing keeps changes the canonical listing, and
// must bump ListingHeader, so that an older toolkit's hash never matches.
func Ours(p string) bool {
	if strings.EqualFold(p, ManifestFile) {
		return true
	}
	base := path.Base(p)
	return IsTemp(base) || IsConflictCopy(base)
}
