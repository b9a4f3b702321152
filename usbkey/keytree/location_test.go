package keytree

import (
	"strings"
	"testing"
	"unicode/utf8"

	"cntools/internal/sshconn"
)

func TestParseLocation(t *testing.T) {
	local := func(p string) Location { return Location{Raw: p, Kind: KindLocal, Path: p} }
	ssh := func(raw, user, host string, port int, p string) Location {
		return Location{Raw: raw, Kind: KindSSH, SSH: sshconn.Target{User: user, Host: host, Port: port, Path: p}}
	}
	for _, tc := range []struct {
		in   string
		want Location
		err  string
	}{
		// Local: absolute, explicitly relative, home, and bare words.
		{in: "/usbkey", want: local("/usbkey")},
		{in: "/dev/rdsk/c1t0d0p0", want: local("/dev/rdsk/c1t0d0p0")},
		{in: "/images/key:1.img", want: local("/images/key:1.img")},
		{in: "/a/b@c", want: local("/a/b@c")},
		{in: "./key.img", want: local("./key.img")},
		{in: "./backup@2026:01", want: local("./backup@2026:01")},
		{in: "../usbkey-base.tgz", want: local("../usbkey-base.tgz")},
		{in: "~/copy", want: local("~/copy")},
		{in: "~admin/x:y", want: local("~admin/x:y")},
		{in: ".", want: local(".")},
		{in: "..", want: local("..")},
		{in: "usbkey", want: local("usbkey")},
		{in: "key.img", want: local("key.img")},
		{in: "images/key.img", want: local("images/key.img")},
		{in: "usbkey-base-20260301.tgz", want: local("usbkey-base-20260301.tgz")},
		{in: "ssh", want: local("ssh")},
		{in: "cn1", want: local("cn1")},
		{in: "10.0.0.21", want: local("10.0.0.21")},
		{in: "with space", want: local("with space")},

		// SSH, scp-like. The second bug of issue 9: usbkey-populate
		// --from user@host:/path was a local path.
		{in: "root@cn1:/zones/usbkey-standby", want: ssh("root@cn1:/zones/usbkey-standby", "root", "cn1", 22, "/zones/usbkey-standby")},
		{in: "cn1:/zones/usbkey-standby", want: ssh("cn1:/zones/usbkey-standby", "root", "cn1", 22, "/zones/usbkey-standby")},
		{in: "admin@cn1", want: ssh("admin@cn1", "admin", "cn1", 22, "")},
		{in: "cn1:2222", want: ssh("cn1:2222", "root", "cn1", 2222, "")},
		{in: "admin@10.0.0.21:2222:/x", want: ssh("admin@10.0.0.21:2222:/x", "admin", "10.0.0.21", 2222, "/x")},
		{in: "[fe80::1]:2222:/x", want: ssh("[fe80::1]:2222:/x", "root", "fe80::1", 2222, "/x")},
		{in: "[::1]:/x", want: ssh("[::1]:/x", "root", "::1", 22, "/x")},
		{in: "root@[::1]", want: ssh("root@[::1]", "root", "::1", 22, "")},
		{in: "cn1:/dir/with@sign", want: ssh("cn1:/dir/with@sign", "root", "cn1", 22, "/dir/with@sign")},

		// SSH, URL. The first bug of issue 9: usbkey-sync -t ssh://…
		// resolved a host named "ssh".
		{in: "ssh://root@127.0.0.1:2222/tmp/standby", want: ssh("ssh://root@127.0.0.1:2222/tmp/standby", "root", "127.0.0.1", 2222, "/tmp/standby")},
		{in: "ssh://cn1/zones/usbkey-standby", want: ssh("ssh://cn1/zones/usbkey-standby", "root", "cn1", 22, "/zones/usbkey-standby")},
		{in: "ssh://cn1", want: ssh("ssh://cn1", "root", "cn1", 22, "")},
		{in: "ssh://[fe80::1]:22/x", want: ssh("ssh://[fe80::1]:22/x", "root", "fe80::1", 22, "/x")},

		// Refused, never taken for a local path.
		{in: "", err: "empty location; want a local path, [user@]host[:port][:/path] or ssh://[user@]host[:port]/path"},
		{in: "a\x00b", err: `location "a\x00b" holds a NUL byte`},
		{in: "cn1:relative", err: `ssh target "cn1:relative": port "relative" is not a number from 1 to 65535 (a path must be absolute: host:/path) (a local path holding ':' or '@' starts with ./ or /)`},
		{in: "images/key:1.img", err: `port "1.img"`},
		{in: "backup@2026", want: ssh("backup@2026", "backup", "2026", 22, "")},
		{in: "ssh:/zones/usbkey-standby", err: `a URL starts ssh://; a host named ssh is written root@ssh:/zones/usbkey-standby`},
		{in: "sftp://cn1/x", err: `ssh target "sftp://cn1/x": scheme "sftp" is not supported; want [user@]host[:port][:/path] or ssh://[user@]host[:port]/path`},
		{in: "file:///usbkey", err: `scheme "file" is not supported`},
		{in: "ssh://cn1/x?y", err: "a query or fragment"},
		{in: "ssh://root:pw@cn1/x", err: "passwords are not supported"},
		{in: "fe80::1:/x", err: "an IPv6 address goes in brackets"},
		{in: "cn1:", err: `port ""`},
		{in: "@cn1", err: "empty user name"},
		{in: "root@", err: "no host"},
		{in: ":/x", err: "no host"},
	} {
		got, err := ParseLocation(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseLocation(%q) = %+v, %v, want error containing %q", tc.in, got, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("ParseLocation(%q) = %+v, %v, want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindLocal: "local", KindSSH: "ssh", 7: "Kind(7)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

// FuzzParseLocation checks that the parser is total and unambiguous: it
// never panics, every string is local, SSH or refused with a reason, a
// local location is exactly what was written, and an SSH location reads
// back the same from both printed forms of its target.
func FuzzParseLocation(f *testing.F) {
	for _, s := range []string{
		"/usbkey", "./a:b", "usbkey", "~/x", "cn1:/x", "root@cn1", "cn1:2222:/x",
		"[::1]:22:/x", "ssh://root@cn1:22/x", "ssh://[fe80::1%25net0]/a%20b", "sftp://x/y", "a@b@c:/d",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLocation(s)
		if err != nil {
			if l != (Location{}) {
				t.Fatalf("ParseLocation(%q) = %+v with error %v, want the zero Location", s, l, err)
			}
			if err.Error() == "" {
				t.Fatalf("ParseLocation(%q): empty error", s)
			}
			return
		}
		if l.Raw != s || l.String() != s {
			t.Fatalf("ParseLocation(%q).Raw = %q, want it as given", s, l.Raw)
		}
		switch l.Kind {
		case KindLocal:
			if l.Path != s || l.SSH != (sshconn.Target{}) {
				t.Fatalf("ParseLocation(%q) = %+v, want a local path as given", s, l)
			}
		case KindSSH:
			tg := l.SSH
			if l.Path != "" || tg.Host == "" || tg.User == "" || tg.Port < 1 || tg.Port > 65535 || tg.Path != "" && tg.Path[0] != '/' {
				t.Fatalf("ParseLocation(%q) = %+v, want a whole target", s, l)
			}
			if !utf8.ValidString(tg.User) || !utf8.ValidString(tg.Path) {
				// Printing invalid UTF-8 through net/url changes
				// it; the target still stands as parsed.
				return
			}
			back, err := ParseLocation(tg.URL())
			if err != nil || back.Kind != KindSSH || back.SSH != tg {
				t.Fatalf("ParseLocation(%q) = %+v, %v; from %q: %+v", tg.URL(), back, err, s, tg)
			}
			if tg.Path != "" {
				scp := tg.String() + ":" + tg.Path
				back, err := ParseLocation(scp)
				if err != nil || back.Kind != KindSSH || back.SSH != tg {
					t.Fatalf("ParseLocation(%q) = %+v, %v; from %q: %+v", scp, back, err, s, tg)
				}
			}
		default:
			t.Fatalf("ParseLocation(%q) = kind %v", s, l.Kind)
		}
	})
}
