package fat32

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

const (
	dirEntrySize = 32
	attrReadOnly = 0x01
	attrHidden   = 0x02
	attrSystem   = 0x04
	attrVolumeID = 0x08
	attrDir      = 0x10
	attrArchive  = 0x20
	attrLFN      = attrReadOnly | attrHidden | attrSystem | attrVolumeID

	deletedMark  = 0xE5
	lastLFN      = 0x40
	lfnChars     = 13 // UTF-16 units in one long-name entry
	maxNameUnits = 255

	ntLowerBase = 0x08 // NTRes bit: the 8-character base is lower case
	ntLowerExt  = 0x10 // NTRes bit: the extension is lower case
)

// entry is one short (8.3) directory entry.
type entry struct {
	short    [11]byte  // 0x00: name and extension, space padded
	attr     uint8     // 0x0B
	ntres    uint8     // 0x0C: case bits for names stored without a long name
	crtTenth uint8     // 0x0D
	crtTime  uint16    // 0x0E
	crtDate  uint16    // 0x10
	accDate  uint16    // 0x12
	cluster  uint32    // 0x14 (high 16 bits) and 0x1A (low 16 bits)
	wrtTime  uint16    // 0x16
	wrtDate  uint16    // 0x18
	size     uint32    // 0x1C
	mtime    time.Time // set instead of the DOS fields when creating
}

func (e *entry) encode(b []byte) {
	if !e.mtime.IsZero() {
		d, t := dosTime(e.mtime)
		e.crtDate, e.crtTime, e.wrtDate, e.wrtTime, e.accDate = d, t, d, t, d
		e.mtime = time.Time{}
	}
	copy(b[0:11], e.short[:])
	b[11] = e.attr
	b[12] = e.ntres
	b[13] = e.crtTenth
	binary.LittleEndian.PutUint16(b[14:], e.crtTime)
	binary.LittleEndian.PutUint16(b[16:], e.crtDate)
	binary.LittleEndian.PutUint16(b[18:], e.accDate)
	binary.LittleEndian.PutUint16(b[20:], uint16(e.cluster>>16))
	binary.LittleEndian.PutUint16(b[22:], e.wrtTime)
	binary.LittleEndian.PutUint16(b[24:], e.wrtDate)
	binary.LittleEndian.PutUint16(b[26:], uint16(e.cluster))
	binary.LittleEndian.PutUint32(b[28:], e.size)
}

func decodeEntry(b []byte) entry {
	var e entry
	copy(e.short[:], b[0:11])
	e.attr = b[11]
	e.ntres = b[12]
	e.crtTenth = b[13]
	e.crtTime = binary.LittleEndian.Uint16(b[14:])
	e.crtDate = binary.LittleEndian.Uint16(b[16:])
	e.accDate = binary.LittleEndian.Uint16(b[18:])
	e.cluster = uint32(binary.LittleEndian.Uint16(b[20:]))<<16 | uint32(binary.LittleEndian.Uint16(b[26:]))
	e.wrtTime = binary.LittleEndian.Uint16(b[22:])
	e.wrtDate = binary.LittleEndian.Uint16(b[24:])
	e.size = binary.LittleEndian.Uint32(b[28:])
	return e
}

// modTime is the entry's write time, in UTC since FAT keeps no zone.
func (e *entry) modTime() time.Time {
	if !e.mtime.IsZero() {
		return e.mtime.UTC().Truncate(2 * time.Second)
	}
	d, t := e.wrtDate, e.wrtTime
	return time.Date(1980+int(d>>9), time.Month(d>>5&0xF), int(d&0x1F),
		int(t>>11), int(t>>5&0x3F), int(t&0x1F)*2, 0, time.UTC)
}

// dosTime converts to FAT's local-less date and time, clamped to the years
// FAT can hold.
func dosTime(t time.Time) (date, tm uint16) {
	t = t.UTC()
	switch {
	case t.Year() < 1980:
		return 1<<5 | 1, 0
	case t.Year() > 2107:
		return 127<<9 | 12<<5 | 31, 23<<11 | 59<<5 | 29
	}
	date = uint16(t.Year()-1980)<<9 | uint16(t.Month())<<5 | uint16(t.Day())
	tm = uint16(t.Hour())<<11 | uint16(t.Minute())<<5 | uint16(t.Second()/2)
	return date, tm
}

// shortName returns the 8.3 name as text, "NAME.EXT", applying the NT case
// bits that Linux and Windows use for names stored without a long name.
func (e *entry) shortName() string {
	base := strings.TrimRight(string(e.short[0:8]), " ")
	ext := strings.TrimRight(string(e.short[8:11]), " ")
	if e.short[0] == 0x05 { // a real 0xE5 first byte, escaped
		base = "\xe5" + base[1:]
	}
	if e.ntres&ntLowerBase != 0 {
		base = strings.ToLower(base)
	}
	if e.ntres&ntLowerExt != 0 {
		ext = strings.ToLower(ext)
	}
	if ext == "" {
		return base
	}
	return base + "." + ext
}

func checksum(short [11]byte) uint8 {
	var sum uint8
	for _, c := range short {
		sum = (sum&1)<<7 + sum>>1 + c
	}
	return sum
}

// validName reports why pcfs cannot hold name as a long file name.
func validName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty name")
	case name == "." || name == "..":
		return fmt.Errorf("name %q is reserved", name)
	case !utf8.ValidString(name):
		return fmt.Errorf("name %q is not valid UTF-8", name)
	case strings.HasSuffix(name, ".") || strings.HasSuffix(name, " "):
		return fmt.Errorf("name %q ends in a dot or space, which FAT drops", name)
	}
	units := 0
	for _, r := range name {
		if r < 0x20 || r == 0x7F || strings.ContainsRune(`"*/:<>?\|`, r) {
			return fmt.Errorf("name %q: character %q is not allowed on FAT", name, r)
		}
		if r > 0xFFFF {
			units += 2
		} else {
			units++
		}
	}
	if units > maxNameUnits {
		return fmt.Errorf("name %q is longer than FAT's 255 characters", name)
	}
	return nil
}

// ValidName reports whether pcfs can hold name, and why not.
func ValidName(name string) error { return validName(name) }

// shortChar maps a character to one a short name may hold, or 0.
func shortChar(r rune) byte {
	switch {
	case r >= 'a' && r <= 'z':
		return byte(r - 'a' + 'A')
	case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return byte(r)
	case r < 0x80 && strings.ContainsRune("!#$%&'()-@^_`{}~", r):
		return byte(r)
	}
	return 0
}

// exactShort returns the 8.3 form of name when name is one, apart from
// case: then no numeric tail is needed.
func exactShort(name string) ([11]byte, bool) {
	var s [11]byte
	for i := range s {
		s[i] = ' '
	}
	base, ext, hasDot := strings.Cut(name, ".")
	if base == "" || len(base) > 8 || len(ext) > 3 || strings.Contains(ext, ".") || (hasDot && ext == "") {
		return s, false
	}
	for i, r := range base {
		c := shortChar(r)
		if c == 0 {
			return s, false
		}
		s[i] = c
	}
	for i, r := range ext {
		c := shortChar(r)
		if c == 0 {
			return s, false
		}
		s[8+i] = c
	}
	return s, true
}

// needsLong reports whether name must be stored with a long-name entry:
// whenever its 8.3 form would not read back as exactly name. Lower-case
// names get one too, rather than the NT case bits, which pcfs may not read.
func needsLong(name string, short [11]byte, exact bool) bool {
	return !exact || (&entry{short: short}).shortName() != name
}

// makeShort builds a unique short name for name, the way Windows does:
// the basis name, then ~1, ~2, ... until no sibling has it.
func makeShort(name string, taken func([11]byte) bool) ([11]byte, error) {
	if s, ok := exactShort(name); ok && !taken(s) {
		return s, nil
	}
	trimmed := strings.TrimLeft(name, ". ")
	base, ext := trimmed, ""
	if i := strings.LastIndexByte(trimmed, '.'); i > 0 {
		base, ext = trimmed[:i], trimmed[i+1:]
	}
	var b, x []byte
	for _, r := range base {
		if r == ' ' || r == '.' {
			continue
		}
		c := shortChar(r)
		if c == 0 {
			c = '_'
		}
		b = append(b, c)
	}
	for _, r := range ext {
		if r == ' ' {
			continue
		}
		c := shortChar(r)
		if c == 0 {
			c = '_'
		}
		if len(x) < 3 {
			x = append(x, c)
		}
	}
	if len(b) == 0 {
		b = []byte{'_'}
	}
	for n := 1; n < 1000000; n++ {
		tail := fmt.Sprintf("~%d", n)
		keep := 8 - len(tail)
		if keep > len(b) {
			keep = len(b)
		}
		var s [11]byte
		for i := range s {
			s[i] = ' '
		}
		copy(s[:], b[:keep])
		copy(s[keep:], tail)
		copy(s[8:], x)
		if !taken(s) {
			return s, nil
		}
	}
	return [11]byte{}, fmt.Errorf("name %q: no free short name", name)
}

// longEntries returns the long-name entries for name, in on-disk order
// (last part first), each tied to the short name by its checksum.
func longEntries(name string, short [11]byte) []byte {
	u := utf16.Encode([]rune(name))
	n := (len(u) + lfnChars - 1) / lfnChars
	padded := make([]uint16, n*lfnChars)
	for i := range padded {
		switch {
		case i < len(u):
			padded[i] = u[i]
		case i == len(u):
			padded[i] = 0
		default:
			padded[i] = 0xFFFF
		}
	}
	sum := checksum(short)
	out := make([]byte, n*dirEntrySize)
	for k := 0; k < n; k++ {
		seq := n - k // on disk the last part comes first
		b := out[k*dirEntrySize:]
		b[0] = byte(seq)
		if k == 0 {
			b[0] |= lastLFN
		}
		b[11] = attrLFN
		b[13] = sum
		part := padded[(seq-1)*lfnChars:]
		for i := 0; i < 5; i++ {
			binary.LittleEndian.PutUint16(b[1+2*i:], part[i])
		}
		for i := 0; i < 6; i++ {
			binary.LittleEndian.PutUint16(b[14+2*i:], part[5+i])
		}
		for i := 0; i < 2; i++ {
			binary.LittleEndian.PutUint16(b[28+2*i:], part[11+i])
		}
	}
	return out
}

// lfnPart returns the 13 UTF-16 units of one long-name entry.
func lfnPart(b []byte) []uint16 {
	u := make([]uint16, 0, lfnChars)
	for i := 0; i < 5; i++ {
		u = append(u, binary.LittleEndian.Uint16(b[1+2*i:]))
	}
	for i := 0; i < 6; i++ {
		u = append(u, binary.LittleEndian.Uint16(b[14+2*i:]))
	}
	for i := 0; i < 2; i++ {
		u = append(u, binary.LittleEndian.Uint16(b[28+2*i:]))
	}
	return u
}
