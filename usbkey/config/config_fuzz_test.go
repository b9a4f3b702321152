package config

import (
	"bytes"
	"testing"
)

// FuzzParse checks that any input parses or fails cleanly, that parsing then
// writing gives the same bytes, and that Set and Delete change only what
// they should. Seeds are in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte("a=1\nb='x y'\n# c\n"), "b", "new value")
	f.Fuzz(func(t *testing.T, in []byte, key, value string) {
		cf, err := Parse(in)
		if err != nil {
			if cf != nil {
				t.Fatalf("Parse(%q) = %v and a File", in, err)
			}
			return
		}
		if out := cf.Bytes(); !bytes.Equal(out, in) {
			t.Fatalf("Parse(%q).Bytes() = %q, want the input", in, out)
		}
		// The keys and values Parse found must read back the same after
		// the file is written and parsed again.
		entries := cf.Entries()
		again, err := Parse(cf.Bytes())
		if err != nil {
			t.Fatalf("Parse(Parse(%q).Bytes()) = %v", in, err)
		}
		if got, want := len(again.Entries()), len(entries); got != want {
			t.Fatalf("reparse has %d entries, want %d", got, want)
		}

		before := cf.Clone()
		if err := cf.Set(key, value); err != nil {
			if !bytes.Equal(cf.Bytes(), in) {
				t.Fatalf("failed Set(%q, %q) = %v changed the file to %q", key, value, err, cf.Bytes())
			}
			return
		}
		got, exact, ok := cf.Get(key)
		if !ok || !exact || got != value {
			t.Fatalf("Get(%q) after Set = %q, %v, %v; want %q, true, true", key, got, exact, ok, value)
		}
		after, err := Parse(cf.Bytes())
		if err != nil {
			t.Fatalf("Parse after Set(%q, %q) = %v; file %q", key, value, err, cf.Bytes())
		}
		if got, _, _ := after.Get(key); got != value {
			t.Fatalf("Get(%q) after Set and reparse = %q, want %q", key, got, value)
		}
		// Every other key keeps its value.
		for _, e := range before.Entries() {
			if e.Key == key {
				continue
			}
			v, x, _ := after.Get(e.Key)
			if v != e.Value.Reveal() || x != e.Exact {
				t.Fatalf("Set(%q) changed %s from %q to %q", key, e.Key, e.Value.Reveal(), v)
			}
		}
		if _, err := after.Delete(key); err == nil {
			if _, _, ok := after.Get(key); ok {
				t.Fatalf("Get(%q) after Delete found it", key)
			}
		}
	})
}
