package manifest

import (
	"bytes"
	"cntools/usbkey/keycopy"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// A sync decodes the manifest it last left on each target (about 190
// bytes a file) and the source's hash cache: through encoding/json that
// was 39 ms a target and 19 ms for 5,000 files, most of a sync with
// nothing to do. What our own encoders write is read here instead, by a
// scanner that knows only those spellings and gives up on anything else,
// which then goes through encoding/json as before. FuzzDecode and
// FuzzLoadCache hold the two paths to the same result.

// scan reads b from the front; ok turns false at the first byte it does
// not expect, and stays false.
type scan struct {
	b  []byte
	ok bool
}

func (s *scan) lit(x string) {
	if s.ok {
		s.b, s.ok = bytes.CutPrefix(s.b, []byte(x))
	}
}

// str reads a JSON string without escapes, control bytes or invalid
// UTF-8 (encoding/json would unescape or replace them).
func (s *scan) str() string {
	if !s.ok || len(s.b) == 0 || s.b[0] != '"' {
		s.ok = false
		return ""
	}
	end := bytes.IndexByte(s.b[1:], '"')
	if end < 0 {
		s.ok = false
		return ""
	}
	v := s.b[1 : 1+end]
	for _, c := range v {
		if c == '\\' || c < 0x20 {
			s.ok = false
			return ""
		}
	}
	if !utf8.Valid(v) {
		s.ok = false
		return ""
	}
	s.b = s.b[2+end:]
	return string(v)
}

// digits reads a decimal number as encoding/json writes one: no leading
// zero (the sign is int's).
func (s *scan) digits() []byte {
	n := 0
	for n < len(s.b) && '0' <= s.b[n] && s.b[n] <= '9' {
		n++
	}
	if !s.ok || n == 0 || n > 1 && s.b[0] == '0' {
		s.ok = false
		return nil
	}
	d := s.b[:n]
	s.b = s.b[n:]
	return d
}

// int reads an integer, negative too (a file from before 1970 has a
// negative mtime).
func (s *scan) int() int64 {
	neg := s.ok && len(s.b) > 0 && s.b[0] == '-'
	if neg {
		s.b = s.b[1:]
	}
	d := s.digits()
	if !s.ok {
		return 0
	}
	v, err := strconv.ParseInt(string(d), 10, 64)
	if neg {
		v, err = strconv.ParseInt("-"+string(d), 10, 64)
		if v == 0 {
			err = strconv.ErrSyntax // -0: encoding/json's own spelling of 0 is 0
		}
	}
	s.ok = err == nil
	return v
}

func (s *scan) uint() uint64 {
	d := s.digits()
	if !s.ok {
		return 0
	}
	v, err := strconv.ParseUint(string(d), 10, 64)
	s.ok = err == nil
	return v
}

// lines reads `PREFIX` then one item a line, comma-separated, then
// "\n]}\n", as Encode and Cache.Save write them; item reads one.
func (s *scan) lines(prefix string, item func()) {
	s.lit(prefix)
	for first := true; s.ok; first = false {
		if !first {
			if len(s.b) > 0 && s.b[0] == ',' {
				s.b = s.b[1:]
			} else {
				s.lit("\n]}\n")
				s.ok = s.ok && len(s.b) == 0
				return
			}
		}
		s.lit("\n")
		item()
	}
}

// decodeCanonical reads b when it is exactly what Encode writes and holds
// a valid manifest, in canonical order; ok is false otherwise.
func decodeCanonical(b []byte) (m *Manifest, ok bool) {
	s := &scan{b: b, ok: true}
	m = &Manifest{Entries: make([]Entry, 0, bytes.Count(b, []byte{'\n'}))}
	s.lines(`{"version":1,"entries":[`, func() {
		m.Entries = append(m.Entries, s.entry())
	})
	if !s.ok || !slices.IsSortedFunc(m.Entries, compareEntries) || m.check() != nil {
		return nil, false
	}
	return m, true
}

// entry reads one entry as appendEntry writes it.
func (s *scan) entry() (e Entry) {
	s.lit(`{"path":`)
	e.Path = s.str()
	s.lit(`,"type":`)
	e.Type = s.str()
	if e.Type == TypeFile {
		s.lit(`,"size":`)
		e.Size = s.int()
	}
	s.lit(`,"mode":`)
	mode := s.str()
	s.lit(`,"mtime":`)
	mtime := s.str()
	if e.Type == TypeSymlink {
		s.lit(`,"target":`)
		e.Target = s.str()
	}
	if e.Type == TypeFile {
		s.lit(`,"sha256":`)
		e.SHA256 = s.str()
	}
	s.lit(`}`)
	if !s.ok {
		return e
	}
	var err error
	if e.Mode, err = keycopy.ParseMode(mode); err != nil {
		s.ok = false
	}
	t, err := time.Parse(mtimeLayout, mtime)
	if err != nil || t.Format(mtimeLayout) != mtime {
		s.ok = false
	}
	e.MTime = t
	return e
}

// cacheEntries reads a hash cache as Cache.Save writes it; ok is false
// for anything else.
func cacheEntries(b []byte) (es []cacheEntry, ok bool) {
	s := &scan{b: b, ok: true}
	es = make([]cacheEntry, 0, bytes.Count(b, []byte{'\n'}))
	s.lines(`{"version":1,"entries":[`, func() {
		var e cacheEntry
		s.lit(`{"path":`)
		e.Path = s.str()
		s.lit(`,"size":`)
		e.Size = s.int()
		s.lit(`,"mtime_ns":`)
		e.MTime = s.int()
		s.lit(`,"inode":`)
		e.Inode = s.uint()
		if bytes.HasPrefix(s.b, []byte(`,"ctime_ns":`)) {
			s.lit(`,"ctime_ns":`)
			if e.CTime = s.int(); e.CTime == 0 {
				s.ok = false // Save omits a zero
			}
		}
		s.lit(`,"sha256":`)
		e.SHA256 = s.str()
		s.lit(`}`)
		es = append(es, e)
	})
	return es, s.ok
}
