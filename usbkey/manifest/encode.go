package manifest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"cntools/usbkey/keycopy"
)

// mtimeLayout is RFC 3339 in UTC with whole seconds: one spelling per
// instant, so the same tree gives the same bytes.
const mtimeLayout = "2006-01-02T15:04:05Z"

// Encode writes m in the canonical encoding:
//
//	{"version":1,"entries":[
//	{"path":"boot","type":"dir","mode":"0755","mtime":"2026-03-01T00:00:00Z"},
//	{"path":"boot/loader.conf","type":"file","size":12,"mode":"0644","mtime":"...","sha256":"..."}
//	]}
//
// One entry per line, so that diff(1) of two manifests reads as a list of
// changed entries. Entries are written in canonical order whatever order m
// holds them in. Encode refuses a manifest that Decode would refuse.
func (m *Manifest) Encode(w io.Writer) error {
	es := slices.Clone(m.Entries)
	sortEntries(es)
	if err := (&Manifest{Entries: es}).check(); err != nil {
		return fmt.Errorf("manifest: encode: %w", err)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `{"version":%d,"entries":[`, Version)
	var line []byte
	for i := range es {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteByte('\n')
		line = appendEntry(line[:0], &es[i])
		bw.Write(line)
	}
	if len(es) > 0 {
		bw.WriteByte('\n')
	}
	bw.WriteString("]}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("manifest: write: %w", err)
	}
	return nil
}

// appendEntry writes the fields in a fixed order, each present exactly when
// the entry's type has it (a file's size is written even when 0).
func appendEntry(b []byte, e *Entry) []byte {
	b = append(b, `{"path":`...)
	b = appendString(b, e.Path)
	b = append(b, `,"type":`...)
	b = appendString(b, e.Type)
	if e.Type == TypeFile {
		b = append(b, `,"size":`...)
		b = strconv.AppendInt(b, e.Size, 10)
	}
	b = append(b, `,"mode":"`...)
	b = append(b, FormatMode(e.Mode)...)
	b = append(b, `","mtime":"`...)
	b = e.MTime.AppendFormat(b, mtimeLayout)
	b = append(b, '"')
	if e.Type == TypeSymlink {
		b = append(b, `,"target":`...)
		b = appendString(b, e.Target)
	}
	if e.Type == TypeFile {
		b = append(b, `,"sha256":"`...)
		b = append(b, e.SHA256...)
		b = append(b, '"')
	}
	return append(b, '}')
}

// appendString writes s as a JSON string without HTML escaping, so key
// paths read as they are. s is valid UTF-8 (check made sure).
func appendString(b []byte, s string) []byte {
	// Printable ASCII other than the quote and backslash is written as
	// it is; the rest goes through encoding/json, which a manifest of
	// thousands of entries paid for on every path.
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		plain = s[i] >= 0x20 && s[i] < utf8.RuneSelf && s[i] != '"' && s[i] != '\\'
	}
	if plain {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// FormatMode writes the Unix octal spelling operators know from chmod(1),
// four digits; keycopy.ParseMode reads it back.
func FormatMode(m fs.FileMode) string { return fmt.Sprintf("%04o", keycopy.UnixMode(m)) }

// wireEntry is an entry as JSON holds it; pointers tell absent from zero.
type wireEntry struct {
	Path   string  `json:"path"`
	Type   string  `json:"type"`
	Size   *int64  `json:"size"`
	Mode   string  `json:"mode"`
	MTime  string  `json:"mtime"`
	Target *string `json:"target"`
	SHA256 *string `json:"sha256"`
}

// ErrVersion is wrapped by the error Decode returns for a manifest of a
// version this build does not read.
var ErrVersion = errors.New("unsupported manifest version")

// Decode reads a manifest. It accepts any JSON spelling of a valid
// manifest (not only the canonical bytes) and returns it in canonical order.
// It refuses unknown fields, a missing or unknown version, invalid entries,
// and two entries that are the same path case-folded.
func Decode(r io.Reader) (*Manifest, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("manifest: read: %w", err)
	}
	if m, ok := decodeCanonical(b); ok {
		return m, nil
	}
	return decodeJSON(bytes.NewReader(b))
}

// decodeJSON reads any JSON spelling of a manifest.
func decodeJSON(r io.Reader) (*Manifest, error) {
	var top struct {
		Version *int            `json:"version"`
		Entries json.RawMessage `json:"entries"`
	}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&top); err != nil {
		return nil, fmt.Errorf("manifest: decode: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("manifest: decode: data after the manifest")
	}
	switch {
	case top.Version == nil:
		return nil, fmt.Errorf("manifest: decode: no \"version\": not a manifest")
	case *top.Version != Version:
		return nil, fmt.Errorf("manifest: decode: %w %d: this build reads version %d only: regenerate the manifest with this build's usbkey-drift manifest, or use the cntools that wrote it", ErrVersion, *top.Version, Version)
	case top.Entries == nil:
		return nil, fmt.Errorf("manifest: decode: no \"entries\"")
	}
	var wes []wireEntry
	edec := json.NewDecoder(bytes.NewReader(top.Entries))
	edec.DisallowUnknownFields()
	if err := edec.Decode(&wes); err != nil {
		return nil, fmt.Errorf("manifest: decode entries: %w", err)
	}
	m := &Manifest{Entries: make([]Entry, 0, len(wes))}
	for i := range wes {
		e, err := wes[i].entry()
		if err != nil {
			return nil, fmt.Errorf("manifest: decode entry %d: %w", i, err)
		}
		m.Entries = append(m.Entries, e)
	}
	sortEntries(m.Entries)
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("manifest: decode: %w", err)
	}
	return m, nil
}

func (w *wireEntry) entry() (Entry, error) {
	e := Entry{Path: w.Path, Type: w.Type}
	mode, err := keycopy.ParseMode(w.Mode)
	if err != nil {
		return e, fmt.Errorf("%s: %w", w.Path, err)
	}
	e.Mode = mode
	t, err := time.Parse(mtimeLayout, w.MTime)
	if err != nil || t.Format(mtimeLayout) != w.MTime {
		return e, fmt.Errorf("%s: mtime %q is not RFC 3339 UTC whole seconds (%s)", w.Path, w.MTime, mtimeLayout)
	}
	e.MTime = t
	// The fields a type has must be there and the others must not, or two
	// spellings of one manifest would decode alike but mean different things.
	if (w.Size != nil) != (w.Type == TypeFile) || (w.SHA256 != nil) != (w.Type == TypeFile) {
		return e, fmt.Errorf("%s: a %s needs size and sha256 exactly when it is a file", w.Path, w.Type)
	}
	if (w.Target != nil) != (w.Type == TypeSymlink) {
		return e, fmt.Errorf("%s: a %s needs a target exactly when it is a symlink", w.Path, w.Type)
	}
	if w.Size != nil {
		e.Size = *w.Size
	}
	if w.SHA256 != nil {
		e.SHA256 = *w.SHA256
	}
	if w.Target != nil {
		e.Target = *w.Target
	}
	return e, e.check()
}
