package drift

import (
	"bytes"
	"io/fs"
	"strings"
	"testing"
	"time"

	"cntools/usbkey/manifest"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func sum(c byte) string { return strings.Repeat(string(c), 64) }

func file(p string, c byte) manifest.Entry {
	return manifest.Entry{Path: p, Type: manifest.TypeFile, Size: 1, Mode: 0o644, MTime: t0, SHA256: sum(c)}
}

func dir(p string) manifest.Entry {
	return manifest.Entry{Path: p, Type: manifest.TypeDir, Mode: 0o755, MTime: t0}
}

func copyOf(name string, key bool, es ...manifest.Entry) *Copy {
	return &Copy{Name: name, Key: key, FAT: key, Manifest: &manifest.Manifest{Entries: es}}
}

func paths(p *Pair) string {
	var out []string
	for _, d := range p.Drifts {
		out = append(out, codes[d.Kind]+" "+d.Path)
	}
	return strings.Join(out, ", ")
}

func TestCompare(t *testing.T) {
	withMode := func(e manifest.Entry, m fs.FileMode) manifest.Entry { e.Mode = m; return e }
	withTime := func(e manifest.Entry, d time.Duration) manifest.Entry { e.MTime = e.MTime.Add(d); return e }
	latest := manifest.Entry{Path: "os/latest", Type: manifest.TypeSymlink, Mode: 0o777, MTime: t0, Target: "20260301T000000Z"}
	tests := []struct {
		name   string
		ref, c *Copy
		o      Options
		want   string
	}{
		{"in step", copyOf("a", false, file("config", 'a')), copyOf("b", false, file("config", 'a')), Options{}, ""},
		{"missing, extra, content",
			copyOf("a", false, file("boot/loader.conf", 'a'), file("license", 'a')),
			copyOf("b", false, file("boot/loader.conf", 'b'), file("version", 'a')), Options{},
			"M boot/loader.conf, - license, + version"},
		{"os case folded", copyOf("key", true, dir("os/20260301t000000z")), copyOf("usbkey", false, dir("os/20260301T000000Z")), Options{}, ""},
		{"mode counts between dirs", copyOf("a", false, file("x", 'a')), copyOf("b", false, withMode(file("x", 'a'), 0o755)), Options{}, "m x"},
		{"mode ignored with a key", copyOf("key", true, file("x", 'a')), copyOf("b", false, withMode(file("x", 'a'), 0o755)), Options{}, ""},
		{"fat window 2s", copyOf("key", true, file("x", 'a')), copyOf("b", false, withTime(file("x", 'a'), time.Second)), Options{}, ""},
		{"fat window exceeded", copyOf("key", true, file("x", 'a')), copyOf("b", false, withTime(file("x", 'a'), 3*time.Second)), Options{}, "m x"},
		{"no window between dirs", copyOf("a", false, file("x", 'a')), copyOf("b", false, withTime(file("x", 'a'), time.Second)), Options{}, "m x"},
		{"ignore mtime", copyOf("a", false, file("x", 'a')), copyOf("b", false, withTime(file("x", 'a'), time.Hour)), Options{IgnoreMTime: true}, ""},
		{"dir mtime never", copyOf("a", false, dir("boot")), copyOf("b", false, withTime(dir("boot"), time.Hour)), Options{}, ""},
		{"dir mode counts", copyOf("a", false, dir("boot")), copyOf("b", false, withMode(dir("boot"), 0o700)), Options{}, "m boot"},
		{"dot-files and private ignored",
			copyOf("key", true, file(".joyliveusb", 'a'), dir("private"), file("private/root.password.x", 'a'), file(".cntools-manifest.json", 'a')),
			copyOf("usbkey", false, file(".cntools-manifest.json", 'b')), Options{}, ""},
		{"nested dot-files count", copyOf("a", false, file("boot/.x", 'a')), copyOf("b", false), Options{}, "- boot/.x"},
		{"extra and os/latest ignored against a key",
			copyOf("key", true, dir("os")), copyOf("usbkey", false, dir("os"), latest, dir("extra"), file("extra/joysetup/node.config", 'a')), Options{}, ""},
		{"extra counts between non-keys",
			copyOf("usbkey", false, dir("extra"), file("extra/a", 'a')), copyOf("standby", false, dir("extra")), Options{}, "- extra/a"},
		{"all",
			copyOf("key", true, file(".joyliveusb", 'a'), dir("private")), copyOf("usbkey", false, dir("extra")), Options{All: true},
			"- .joyliveusb, + extra, - private"},
	}
	for _, tt := range tests {
		r := Compare(tt.ref, []*Copy{tt.c}, tt.o)
		if got := paths(r.Pairs[0]); got != tt.want {
			t.Errorf("%s: Compare = %q, want %q", tt.name, got, tt.want)
		}
		if r.InStep() != (tt.want == "") {
			t.Errorf("%s: InStep() = %v, want %v", tt.name, r.InStep(), tt.want == "")
		}
	}
}

func TestCompareConfig(t *testing.T) {
	ref := copyOf("key", true, file("config", 'a'))
	ref.Configs = map[string][]byte{"config": []byte("hostname=hn0\nroot_shadow='$6$planted-secret$x'\nadmin_ip=10.0.0.1\n")}
	c := copyOf("usbkey", false, file("CONFIG", 'b'))
	c.Configs = map[string][]byte{"CONFIG": []byte("hostname=hn0\nroot_shadow='$6$planted-secret-2$x'\nntp_hosts=pool.ntp.org\n")}
	r := Compare(ref, []*Copy{c}, Options{})
	var text, js bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	want := "M    config\n" +
		"     - admin_ip=10.0.0.1\n" +
		"     + ntp_hosts=pool.ntp.org\n" +
		"     ~ root_shadow: **redacted** -> **redacted**\n"
	if text.String() != want {
		t.Errorf("WriteText = %q, want %q", text.String(), want)
	}
	for _, out := range []string{text.String(), js.String()} {
		if strings.Contains(out, "planted-secret") {
			t.Errorf("report shows a secret: %s", out)
		}
	}
	if !strings.Contains(js.String(), `{"type":"config-change","reference":"key","copy":"usbkey","path":"config","key":"root_shadow","change":"changed","old":"**redacted**","new":"**redacted**"}`) {
		t.Errorf("WriteJSON = %s, want a masked root_shadow change", js.String())
	}
}

func TestCompareConfigUnparsed(t *testing.T) {
	ref := copyOf("a", false, file("config", 'a'))
	ref.Configs = map[string][]byte{"config": []byte("hostname=hn0\n")}
	c := copyOf("b", false, file("config", 'b'))
	// An open quote: the parse error must not quote the secret.
	c.Configs = map[string][]byte{"config": []byte("hostname=hn0\nroot_pw='planted-secret\n")}
	r := Compare(ref, []*Copy{c}, Options{})
	var text bytes.Buffer
	r.WriteText(&text)
	if want := "M    config\n     (keys not compared: b: line 2 does not parse)\n"; text.String() != want {
		t.Errorf("WriteText = %q, want %q", text.String(), want)
	}
}

func TestWriteTextSeveralCopies(t *testing.T) {
	ref := copyOf("usbkey", false, file("a", 'a'))
	r := Compare(ref, []*Copy{copyOf("cn1", false, file("a", 'a')), copyOf("cn2", false)}, Options{})
	var text bytes.Buffer
	r.WriteText(&text)
	if want := "cn2 (against usbkey):\n-    a\n"; text.String() != want {
		t.Errorf("WriteText = %q, want %q", text.String(), want)
	}
	if r.Count() != 1 {
		t.Errorf("Count() = %d, want 1", r.Count())
	}
}

func TestLooksFAT(t *testing.T) {
	odd := file("x", 'a')
	odd.MTime = t0.Add(time.Second)
	exe := file("x", 'a')
	exe.Mode = 0o755
	tests := []struct {
		name string
		es   []manifest.Entry
		want bool
	}{
		{"empty", nil, false},
		{"fat", []manifest.Entry{dir("boot"), file("boot/x", 'a')}, true},
		{"odd second", []manifest.Entry{odd}, false},
		{"executable", []manifest.Entry{exe}, false},
		{"symlink", []manifest.Entry{{Path: "l", Type: manifest.TypeSymlink, Mode: 0o777, MTime: t0, Target: "x"}}, false},
	}
	for _, tt := range tests {
		if got := LooksFAT(&manifest.Manifest{Entries: tt.es}); got != tt.want {
			t.Errorf("LooksFAT(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
