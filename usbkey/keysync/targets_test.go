package keysync

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"cntools/internal/sshconn"
	"cntools/usbkey/keycopy"
)

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		keyPath  bool
	}{
		{"root@cn1", "root@cn1:22:/zones/usbkey-standby", false},
		{"ssh://cn1", "root@cn1:22:/zones/usbkey-standby", false},
		{"ssh://admin@[::1]:2222/zones/x", "admin@[::1]:2222:/zones/x", false},
		{"admin@10.0.0.21:2222", "admin@10.0.0.21:2222:/zones/usbkey-standby", false},
		{"cn1:/zones/standby2/", "root@cn1:22:/zones/standby2", false},
		{"cn1:/usbkey", "", true},
		{"cn1:/mnt/usbkey", "", true},
		{"cn1:/usbkey/os", "", true},
		{"cn1:/mnt/usbkey/../usbkey", "", true},
		{"ssh://cn1/usbkey", "", true},
		{"cn1:/", "", false},
		{"cn1:relative", "", false},
		{"cn1", "", false},
		{"./standby", "", false},
	} {
		got, err := ParseTarget(tc.in)
		name := ""
		if err == nil {
			name = TargetName(got)
		}
		if name != tc.want || errors.Is(err, keycopy.ErrKeyPath) != tc.keyPath {
			t.Errorf("ParseTarget(%q) = %q, %v, want %q (key path refused: %v)", tc.in, name, err, tc.want, tc.keyPath)
		}
	}
}

func TestReadTargetsFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "standby-targets")
	if got, err := ReadTargetsFile(f); len(got) != 0 || err != nil {
		t.Errorf("ReadTargetsFile(missing) = %v, %v, want nothing", got, err)
	}
	os.WriteFile(f, []byte("# core CNs\nroot@cn1\n\n  admin@cn2:2222:/zones/standby  \n"), 0o644)
	got, err := ReadTargetsFile(f)
	if err != nil || len(got) != 2 || TargetName(got[1]) != "admin@cn2:2222:/zones/standby" {
		t.Errorf("ReadTargetsFile = %v, %v, want cn1 and admin@cn2:2222:/zones/standby", got, err)
	}
	os.WriteFile(f, []byte("root@cn1\ncn2:/usbkey\n"), 0o644)
	if _, err := ReadTargetsFile(f); !errors.Is(err, keycopy.ErrKeyPath) {
		t.Errorf("ReadTargetsFile(/usbkey line) = %v, want keycopy.ErrKeyPath", err)
	}
	// A bare word is a local path to every tool: refused, with the
	// forms that name the host.
	os.WriteFile(f, []byte("# core CNs\n\ncn1\n"), 0o644)
	_, err = ReadTargetsFile(f)
	if want := `standby-targets:3: target "cn1" is a path on this node, and a sync target is a directory on a core CN: want [user@]host[:port][:/path] or ssh://[user@]host[:port]/path (for the host cn1: root@cn1, cn1:/zones/usbkey-standby or ssh://cn1)`; err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("ReadTargetsFile(bare host) = %v, want an error ending %q", err, want)
	}
}

func TestHookPaths(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{"os/20260301T000000Z/platform/unix": "u", "boot/loader.conf": "l", "tools.tar.gz": "t", "cn_tools.tar.gz": "c", "scripts/a.sh": "s"})
	for _, v := range []string{"20260301T000000Z", "release-20260301-20260301t000000z"} {
		got, err := PlatformInstallPaths(src, v)
		if want := []string{"os/20260301T000000Z", "boot", "tools.tar.gz", "cn_tools.tar.gz"}; err != nil || !equal(got, want) {
			t.Errorf("PlatformInstallPaths(%q) = %v, %v, want %v", v, got, err, want)
		}
	}
	for _, v := range []string{"20990101T000000Z", "latest", ""} {
		if _, err := PlatformInstallPaths(src, v); err == nil {
			t.Errorf("PlatformInstallPaths(%q) = nil error, want one", v)
		}
	}
	got, err := GZToolsPaths(src)
	if want := []string{"tools.tar.gz", "cn_tools.tar.gz", "scripts"}; err != nil || !equal(got, want) {
		t.Errorf("GZToolsPaths = %v, %v, want %v", got, err, want)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBarLabels(t *testing.T) {
	cn := func(host string, port int, p string) sshconn.Target {
		return sshconn.Target{User: "root", Host: host, Port: port, Path: p}
	}
	for _, tc := range []struct {
		ts   []sshconn.Target
		want []string
	}{
		{[]sshconn.Target{cn("cn1", 22, "/a"), cn("cn2", 22, "/a")}, []string{"cn1", "cn2"}},
		{[]sshconn.Target{cn("127.0.0.1", 2201, "/a"), cn("127.0.0.1", 2202, "/a")}, []string{"127.0.0.1:2201", "127.0.0.1:2202"}},
		{[]sshconn.Target{cn("cn1", 22, "/a"), cn("cn1", 22, "/b")}, []string{"root@cn1:22:/a", "root@cn1:22:/b"}},
	} {
		if got := barLabels(tc.ts); !slices.Equal(got, tc.want) {
			t.Errorf("barLabels(%v) = %q, want %q", tc.ts, got, tc.want)
		}
	}
}
