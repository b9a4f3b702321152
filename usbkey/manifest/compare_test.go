package manifest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func file(p, sum string) Entry {
	return Entry{Path: p, Type: TypeFile, Size: 1, Mode: 0o644, MTime: old, SHA256: strings.Repeat(sum, 64)}
}

func dir(p string) Entry { return Entry{Path: p, Type: TypeDir, Mode: 0o755, MTime: old} }

func with(e Entry, f func(*Entry)) Entry { f(&e); return e }

func formatDiffs(ds []Diff) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "%s %s; ", d.Kind, d.Path)
	}
	return b.String()
}

func TestCompare(t *testing.T) {
	link := Entry{Path: "os/latest", Type: TypeSymlink, Mode: 0o777, MTime: old, Target: "20260301T000000Z"}
	for _, tc := range []struct {
		name string
		a, b []Entry
		o    CompareOptions
		want string
	}{
		{"equal", []Entry{dir("boot"), file("boot/loader.conf", "a")}, []Entry{dir("boot"), file("boot/loader.conf", "a")}, CompareOptions{}, ""},
		{"case folded", []Entry{dir("OS"), dir("OS/20260301T000000Z")}, []Entry{dir("os"), dir("os/20260301t000000z")}, CompareOptions{}, ""},
		{"missing", []Entry{dir("boot"), file("config", "a")}, []Entry{dir("boot")}, CompareOptions{}, "missing config; "},
		{"extra", []Entry{dir("boot")}, []Entry{file("Config", "a"), dir("boot")}, CompareOptions{}, "extra Config; "},
		{"content sha", []Entry{file("config", "a")}, []Entry{file("CONFIG", "b")}, CompareOptions{}, "content config; "},
		{"content size", []Entry{file("config", "a")}, []Entry{with(file("config", "a"), func(e *Entry) { e.Size = 2 })}, CompareOptions{}, "content config; "},
		{"content type", []Entry{dir("config")}, []Entry{file("config", "a")}, CompareOptions{}, "content config; "},
		{"content target", []Entry{link}, []Entry{with(link, func(e *Entry) { e.Target = "20250101T000000Z" })}, CompareOptions{}, "content os/latest; "},
		{"content wins over metadata", []Entry{file("config", "a")}, []Entry{with(file("config", "b"), func(e *Entry) { e.Mode = 0o600 })}, CompareOptions{}, "content config; "},
		{"mode", []Entry{file("config", "a")}, []Entry{with(file("config", "a"), func(e *Entry) { e.Mode = 0o600 })}, CompareOptions{}, "metadata config; "},
		{"mode ignored", []Entry{file("config", "a")}, []Entry{with(file("config", "a"), func(e *Entry) { e.Mode = 0o600 })}, CompareOptions{IgnoreMode: true}, ""},
		{"mtime", []Entry{dir("boot")}, []Entry{with(dir("boot"), func(e *Entry) { e.MTime = old.Add(time.Second) })}, CompareOptions{}, "metadata boot; "},
		{"mtime ignored", []Entry{dir("boot")}, []Entry{with(dir("boot"), func(e *Entry) { e.MTime = old.Add(time.Hour) })}, CompareOptions{IgnoreMTime: true}, ""},
		{"mtime in window", []Entry{dir("boot")}, []Entry{with(dir("boot"), func(e *Entry) { e.MTime = old.Add(-2 * time.Second) })}, CompareOptions{MTimeWindow: 2 * time.Second}, ""},
		{"mtime outside window", []Entry{dir("boot")}, []Entry{with(dir("boot"), func(e *Entry) { e.MTime = old.Add(3 * time.Second) })}, CompareOptions{MTimeWindow: 2 * time.Second}, "metadata boot; "},
		{"sorted, all kinds", []Entry{file("z", "a"), file("b", "a"), dir("M"), file("a", "a")}, []Entry{file("A", "b"), with(dir("m"), func(e *Entry) { e.Mode = 0o700 }), file("c", "a"), file("Z", "a")}, CompareOptions{}, "content a; missing b; extra c; metadata M; "},
	} {
		got := formatDiffs(Compare(&Manifest{Entries: tc.a}, &Manifest{Entries: tc.b}, tc.o))
		if got != tc.want {
			t.Errorf("Compare(%s, %+v) = %q, want %q", tc.name, tc.o, got, tc.want)
		}
	}
}

func TestCompareSides(t *testing.T) {
	a := &Manifest{Entries: []Entry{file("config", "a"), dir("boot")}}
	b := &Manifest{Entries: []Entry{file("CONFIG", "b"), dir("os")}}
	for _, d := range Compare(a, b, CompareOptions{}) {
		switch d.Kind {
		case Missing:
			if d.A == nil || d.B != nil || d.Path != "boot" {
				t.Errorf("Compare() missing = %+v, want A=boot, B=nil", d)
			}
		case Extra:
			if d.A != nil || d.B == nil || d.Path != "os" {
				t.Errorf("Compare() extra = %+v, want A=nil, B=os", d)
			}
		case Content:
			if d.A == nil || d.B == nil || d.Path != "config" || d.B.Path != "CONFIG" {
				t.Errorf("Compare() content = %+v, want A=config, B=CONFIG", d)
			}
		}
	}
}
