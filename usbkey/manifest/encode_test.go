package manifest

import (
	"bytes"
	"errors"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

const sumA = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"

var golden = `{"version":1,"entries":[
{"path":".joyliveusb","type":"file","size":0,"mode":"0644","mtime":"2026-03-01T00:00:00Z","sha256":"` + sumA + `"},
{"path":"boot","type":"dir","mode":"0755","mtime":"2026-03-01T00:00:00Z"},
{"path":"boot/a<b>&\"c\"","type":"file","size":3,"mode":"4755","mtime":"2026-03-01T00:00:00Z","sha256":"` + sumA + `"},
{"path":"OS","type":"dir","mode":"1777","mtime":"2026-03-01T00:00:00Z"},
{"path":"OS/latest","type":"symlink","mode":"0777","mtime":"2026-03-01T00:00:00Z","target":"20260301T000000Z"}
]}
`

func goldenManifest() *Manifest {
	return &Manifest{Entries: []Entry{
		{Path: "OS/latest", Type: TypeSymlink, Mode: 0o777, MTime: old, Target: "20260301T000000Z"},
		{Path: "boot/a<b>&\"c\"", Type: TypeFile, Size: 3, Mode: fs.ModeSetuid | 0o755, MTime: old, SHA256: sumA},
		{Path: "OS", Type: TypeDir, Mode: fs.ModeSticky | 0o777, MTime: old},
		{Path: "boot", Type: TypeDir, Mode: 0o755, MTime: old},
		{Path: ".joyliveusb", Type: TypeFile, Mode: 0o644, MTime: old, SHA256: sumA},
	}}
}

func TestEncodeGolden(t *testing.T) {
	got := encode(t, goldenManifest())
	if string(got) != golden {
		t.Errorf("Encode() =\n%s\nwant\n%s", got, golden)
	}
	m, err := Decode(strings.NewReader(golden))
	if err != nil {
		t.Fatalf("Decode(golden) = %v", err)
	}
	if again := encode(t, m); string(again) != golden {
		t.Errorf("Encode(Decode(golden)) =\n%s\nwant\n%s", again, golden)
	}
	want := goldenManifest()
	sortEntries(want.Entries)
	if !reflect.DeepEqual(m, want) {
		t.Errorf("Decode(golden) = %+v, want %+v", m, want)
	}
}

func TestEncodeEmpty(t *testing.T) {
	if got, want := string(encode(t, &Manifest{})), "{\"version\":1,\"entries\":[]}\n"; got != want {
		t.Errorf("Encode(empty) = %q, want %q", got, want)
	}
	m, err := Decode(strings.NewReader("{\"version\":1,\"entries\":[]}\n"))
	if err != nil || len(m.Entries) != 0 {
		t.Errorf("Decode(empty) = %+v, %v, want no entries", m, err)
	}
}

func TestEncodeRefuses(t *testing.T) {
	for _, e := range []Entry{
		{Path: "../x", Type: TypeDir, MTime: old},
		{Path: "x", Type: "fifo", MTime: old},
		{Path: "x", Type: TypeFile, MTime: old, SHA256: "ABC"},
		{Path: "x", Type: TypeDir, MTime: old.Add(1)},
		{Path: "x", Type: TypeDir, Mode: fs.ModeDir | 0o755, MTime: old},
	} {
		if err := (&Manifest{Entries: []Entry{e}}).Encode(&bytes.Buffer{}); err == nil {
			t.Errorf("Encode(%+v) = nil, want an error", e)
		}
	}
	dup := &Manifest{Entries: []Entry{{Path: "os", Type: TypeDir, MTime: old}, {Path: "OS", Type: TypeDir, MTime: old}}}
	if err := dup.Encode(&bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "same path to pcfs") {
		t.Errorf("Encode(os, OS) = %v, want same path to pcfs", err)
	}
}

func TestDecodeUnknownVersion(t *testing.T) {
	_, err := Decode(strings.NewReader(`{"version":2,"entries":[]}`))
	if !errors.Is(err, ErrVersion) {
		t.Fatalf("Decode(version 2) = %v, want ErrVersion", err)
	}
	for _, want := range []string{"version 2", "reads version 1", "regenerate the manifest"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Decode(version 2) = %q, want it to contain %q", err, want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	const (
		dir  = `{"path":"boot","type":"dir","mode":"0755","mtime":"2026-03-01T00:00:00Z"}`
		file = `{"path":"f","type":"file","size":1,"mode":"0644","mtime":"2026-03-01T00:00:00Z","sha256":"` + sumA + `"}`
	)
	for _, tc := range []struct{ in, want string }{
		{``, "EOF"},
		{`{"entries":[]}`, `no "version": not a manifest`},
		{`{"version":0,"entries":[]}`, "unsupported manifest version 0"},
		{`{"version":1}`, `no "entries"`},
		{`{"version":1,"entries":[]} {}`, "data after the manifest"},
		{`{"version":1,"entries":[],"root":"/usbkey"}`, `unknown field "root"`},
		{`{"version":1,"entries":[` + strings.Replace(dir, `"boot"`, `"/boot"`, 1) + `]}`, `path "/boot" is not clean and relative`},
		{`{"version":1,"entries":[` + strings.Replace(dir, `"boot"`, `"a/../b"`, 1) + `]}`, `is not clean and relative`},
		{`{"version":1,"entries":[` + strings.Replace(dir, `"dir"`, `"fifo"`, 1) + `]}`, `unknown type "fifo"`},
		{`{"version":1,"entries":[` + strings.Replace(dir, `"0755"`, `"755"`, 1) + `]}`, `mode "755" is not four octal digits`},
		{`{"version":1,"entries":[` + strings.Replace(dir, `"0755"`, `"0855"`, 1) + `]}`, `mode "0855" is not four octal digits`},
		{`{"version":1,"entries":[` + strings.Replace(dir, `00Z"`, `00+00:00"`, 1) + `]}`, "not RFC 3339 UTC whole seconds"},
		{`{"version":1,"entries":[` + strings.Replace(dir, `00Z"`, `00.5Z"`, 1) + `]}`, "not RFC 3339 UTC whole seconds"},
		{`{"version":1,"entries":[` + strings.Replace(dir, `}`, `,"size":0}`, 1) + `]}`, "needs size and sha256 exactly when it is a file"},
		{`{"version":1,"entries":[` + strings.Replace(file, `"size":1,`, ``, 1) + `]}`, "needs size and sha256 exactly when it is a file"},
		{`{"version":1,"entries":[` + strings.Replace(file, `"size":1`, `"size":-1`, 1) + `]}`, "negative size"},
		{`{"version":1,"entries":[` + strings.Replace(file, sumA, "abc", 1) + `]}`, "is not 64 lower-case hex digits"},
		{`{"version":1,"entries":[` + strings.Replace(dir, `}`, `,"target":"x"}`, 1) + `]}`, "needs a target exactly when it is a symlink"},
		{`{"version":1,"entries":[` + strings.Replace(dir, `}`, `,"owner":"root"}`, 1) + `]}`, `unknown field "owner"`},
		{`{"version":1,"entries":[` + dir + `,` + strings.Replace(dir, `"boot"`, `"BOOT"`, 1) + `]}`, `"BOOT" and "boot" are the same path to pcfs`},
	} {
		_, err := Decode(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Decode(%s) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestFold(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"OS/20260301T000000Z", "os/20260301t000000z", true},
		{"boot/Loader.CONF", "boot/loader.conf", true},
		{"straße", "STRASSE", false}, // pcfs folds one rune at a time
		{"K", "\u212a", true},        // Kelvin sign folds to k, as EqualFold says
		{"a", "b", false},
	} {
		if got := fold(tc.a) == fold(tc.b); got != tc.same || got != strings.EqualFold(tc.a, tc.b) {
			t.Errorf("fold(%q) == fold(%q) = %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
}

// TestFoldEveryRune checks the property Compare and the duplicate check
// rely on, for every rune: fold agrees with strings.EqualFold.
func TestFoldEveryRune(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		s := string(r)
		f := fold(s)
		if !strings.EqualFold(s, f) {
			t.Fatalf("fold(%q) = %q, which strings.EqualFold does not match", s, f)
		}
		for _, o := range []rune{unicode.ToUpper(r), unicode.ToLower(r), unicode.SimpleFold(r)} {
			u := string(o)
			if (fold(u) == f) != strings.EqualFold(s, u) {
				t.Fatalf("fold(%q) = %q, fold(%q) = %q, strings.EqualFold = %v", s, f, u, fold(u), strings.EqualFold(s, u))
			}
		}
	}
}

// What Encode writes takes the canonical path, and reads as encoding/json
// reads it; a spelling of its own goes through encoding/json.
func TestDecodeCanonicalPath(t *testing.T) {
	m, err := Decode(strings.NewReader(golden))
	if err != nil {
		t.Fatal(err)
	}
	// A name with an escape is left to encoding/json.
	m.Entries = slices.DeleteFunc(m.Entries, func(e Entry) bool { return strings.Contains(e.Path, `"`) })
	var b bytes.Buffer
	if err := m.Encode(&b); err != nil {
		t.Fatal(err)
	}
	fast, ok := decodeCanonical(b.Bytes())
	if !ok {
		t.Fatalf("Encode's bytes did not take the canonical path:\n%s", b.Bytes())
	}
	slow, err := decodeJSON(bytes.NewReader(b.Bytes()))
	if err != nil || !reflect.DeepEqual(fast, slow) {
		t.Fatalf("canonical path %+v, encoding/json %+v, %v", fast, slow, err)
	}
	for _, other := range []string{
		strings.Replace(b.String(), `"path"`, `"path" `, 1),
		strings.Replace(b.String(), `{"version":1`, `{ "version":1`, 1),
		strings.Replace(b.String(), "\n]}\n", "]}\n", 1),
	} {
		if _, ok := decodeCanonical([]byte(other)); ok {
			t.Errorf("took the canonical path:\n%s", other)
		}
		if got, err := Decode(strings.NewReader(other)); err != nil || !reflect.DeepEqual(got, fast) {
			t.Errorf("Decode of another spelling = %+v, %v; want %+v", got, err, fast)
		}
	}
}

func TestCompareFolded(t *testing.T) {
	for _, c := range [][2]string{{"a", "B"}, {"os/2026T", "os/2026t"}, {"ab", "a"}, {"K", "\u212a"}, {"\u212ab", "kA"}, {"é", "E"}, {"", "x"}} {
		want := strings.Compare(fold(c[0]), fold(c[1]))
		if got := compareFolded(c[0], c[1]); (got < 0) != (want < 0) || (got == 0) != (want == 0) {
			t.Errorf("compareFolded(%q, %q) = %d, want the sign of %d", c[0], c[1], got, want)
		}
	}
}
