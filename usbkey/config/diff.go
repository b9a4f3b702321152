package config

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// ChangeKind says what happened to a key between two files.
type ChangeKind int

const (
	Added ChangeKind = iota + 1
	Removed
	Changed
)

func (k ChangeKind) String() string {
	switch k {
	case Added:
		return "added"
	case Removed:
		return "removed"
	case Changed:
		return "changed"
	}
	return fmt.Sprintf("ChangeKind(%d)", int(k))
}

func (k ChangeKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Change is one key that differs. Old is unset for Added, New for Removed.
// When either side is secret, both are masked.
type Change struct {
	Key  string
	Kind ChangeKind
	Old  Value
	New  Value
}

// Diff compares what bash would read from a and from b, key by key, and
// returns the differences sorted by key. Order, comments, quoting style and
// overridden duplicates do not count. A value that expands at eval time is
// compared by its text as written.
func Diff(a, b *File) []Change {
	ea, eb := entryMap(a), entryMap(b)
	var keys []string
	for k := range ea {
		keys = append(keys, k)
	}
	for k := range eb {
		if _, ok := ea[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []Change
	for _, k := range keys {
		x, inA := ea[k]
		y, inB := eb[k]
		switch {
		case !inB:
			out = append(out, Change{Key: k, Kind: Removed, Old: shown(x, x.Value.IsSecret())})
		case !inA:
			out = append(out, Change{Key: k, Kind: Added, New: shown(y, y.Value.IsSecret())})
		case !same(x, y):
			secret := x.Value.IsSecret() || y.Value.IsSecret()
			out = append(out, Change{Key: k, Kind: Changed, Old: shown(x, secret), New: shown(y, secret)})
		}
	}
	return out
}

func entryMap(f *File) map[string]Entry {
	m := map[string]Entry{}
	for _, e := range f.Entries() {
		m[e.Key] = e
	}
	return m
}

// shown is what a change shows of an entry: its value, or for a value that
// expands at eval time the text as written, since no decoded value exists.
func shown(e Entry, secret bool) Value {
	if secret {
		return SecretValue(e.Value.Reveal())
	}
	if !e.Exact {
		return Value{text: e.Raw.Reveal(), written: true}
	}
	return ClearValue(e.Value.Reveal())
}

func same(x, y Entry) bool {
	if x.Exact && y.Exact {
		return x.Value.Reveal() == y.Value.Reveal()
	}
	return x.Exact == y.Exact && x.Raw.Reveal() == y.Raw.Reveal()
}

// String is the human form: `+ key=value`, `- key=value` or
// `~ key: old -> new`, values quoted as Set would write them (a value that
// expands at eval time as written), and secrets masked.
func (c Change) String() string {
	switch c.Kind {
	case Added:
		return "+ " + c.Key + "=" + display(c.New)
	case Removed:
		return "- " + c.Key + "=" + display(c.Old)
	case Changed:
		return "~ " + c.Key + ": " + display(c.Old) + " -> " + display(c.New)
	}
	return fmt.Sprintf("? %s: %v", c.Key, c.Kind)
}

// display quotes a clear value the way Quote would write it, so that spaces
// and empty values stay visible.
func display(v Value) string {
	if v.IsSecret() {
		return Redacted
	}
	s := v.Reveal()
	if v.written {
		return s
	}
	if s == "" {
		return "''"
	}
	q, err := Quote(s)
	if err != nil {
		return strconv.Quote(s)
	}
	return q
}

// MarshalJSON gives one NDJSON object:
// {"type":"config-change","key":K,"change":"changed","old":O,"new":N},
// without old for an added key and without new for a removed one.
func (c Change) MarshalJSON() ([]byte, error) {
	type change struct {
		Type   string     `json:"type"`
		Key    string     `json:"key"`
		Change ChangeKind `json:"change"`
		Old    *Value     `json:"old,omitempty"`
		New    *Value     `json:"new,omitempty"`
	}
	j := change{Type: "config-change", Key: c.Key, Change: c.Kind}
	if c.Kind != Added {
		j.Old = &c.Old
	}
	if c.Kind != Removed {
		j.New = &c.New
	}
	return json.Marshal(j)
}

// WriteText writes one human line per change.
func WriteText(w io.Writer, changes []Change) error {
	for _, c := range changes {
		if _, err := io.WriteString(w, c.String()+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON writes one JSON object per line per change.
func WriteJSON(w io.Writer, changes []Change) error {
	enc := json.NewEncoder(w)
	for _, c := range changes {
		if err := enc.Encode(c); err != nil {
			return err
		}
	}
	return nil
}
