package sshconn

import (
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Target
		err  string
	}{
		// The URL form.
		{in: "ssh://cn1/zones/usbkey-standby", want: Target{"root", "cn1", 22, "/zones/usbkey-standby"}},
		{in: "ssh://admin@10.0.0.5:2222/usbkey", want: Target{"admin", "10.0.0.5", 2222, "/usbkey"}},
		{in: "SSH://cn1/x", want: Target{"root", "cn1", 22, "/x"}},
		{in: "ssh://[fe80::1]:22/x", want: Target{"root", "fe80::1", 22, "/x"}},
		{in: "ssh://[fe80::1%25net0]/x", want: Target{"root", "fe80::1%net0", 22, "/x"}},
		{in: "ssh://cn1/", want: Target{"root", "cn1", 22, "/"}},
		{in: "ssh://cn1", want: Target{"root", "cn1", 22, ""}},
		{in: "ssh://cn1:2222", want: Target{"root", "cn1", 2222, ""}},
		{in: "ssh://cn1/a%20b%3F", want: Target{"root", "cn1", 22, "/a b?"}},
		{in: "ssh://me%40corp@cn1/x", want: Target{"me@corp", "cn1", 22, "/x"}},
		{in: "ssh://a@b@cn1/x", want: Target{"a@b", "cn1", 22, "/x"}},
		{in: "ssh://cn1/x:y@z", want: Target{"root", "cn1", 22, "/x:y@z"}},
		{in: "sftp://cn1/x", err: `scheme "sftp" is not supported; want [user@]host[:port][:/path] or ssh://[user@]host[:port]/path`},
		{in: "ssh://root:secret@cn1/x", err: "passwords are not supported"},
		{in: "ssh://cn1:0/x", err: `port "0"`},
		{in: "ssh://cn1:99999/x", err: `port "99999"`},
		{in: "ssh://cn1:/x", err: `port "" is not a number from 1 to 65535`},
		{in: "ssh:///x", err: "no host"},
		{in: "ssh://", err: "no host"},
		{in: "ssh://@cn1/x", err: "empty user"},
		{in: "ssh://cn1/x?y=1", err: "a query or fragment has no meaning here"},
		{in: "ssh://cn1/x#y", err: "a query or fragment"},
		{in: "ssh://cn1/%zz", err: "path: invalid URL escape"},
		{in: "ssh://cn1:22:/x", err: `port "22:" is not`},
		{in: "ssh://fe80::1/x", err: "an IPv6 address goes in brackets: [fe80::1]"},

		// The scp-like form.
		{in: "cn1", want: Target{"root", "cn1", 22, ""}},
		{in: "cn1:2222", want: Target{"root", "cn1", 2222, ""}},
		{in: "cn1:/zones/usbkey-standby", want: Target{"root", "cn1", 22, "/zones/usbkey-standby"}},
		{in: "admin@cn1:2222:/x", want: Target{"admin", "cn1", 2222, "/x"}},
		{in: "cn1:/dir/with@sign:and:colons", want: Target{"root", "cn1", 22, "/dir/with@sign:and:colons"}},
		{in: "cn1:/a://b", want: Target{"root", "cn1", 22, "/a://b"}},
		{in: "me@corp@cn1", want: Target{"me@corp", "cn1", 22, ""}},
		{in: "[::1]:2222:/x", want: Target{"root", "::1", 2222, "/x"}},
		{in: "[::1]:/x", want: Target{"root", "::1", 22, "/x"}},
		{in: "[::1]", want: Target{"root", "::1", 22, ""}},
		{in: "root@[fe80::1%net0]:22", want: Target{"root", "fe80::1%net0", 22, ""}},
		{in: "cn1:relative", err: `port "relative" is not a number from 1 to 65535 (a path must be absolute: host:/path)`},
		{in: "cn1:2222:relative", err: `port "2222:relative"`},
		{in: "cn1:", err: `port ""`},
		{in: "cn1:022", err: `port "022"`},
		{in: "cn1:+22", err: `port "+22"`},
		{in: "[::1", err: "missing ]"},
		{in: "[::1]x", err: `"x" after the IPv6 address`},
		{in: "[cn1]:22", err: `"cn1" in brackets is not an IPv6 address`},
		{in: "[10.0.0.1]", err: "is not an IPv6 address"},
		{in: "fe80::1", err: "an IPv6 address goes in brackets: [fe80::1]"},
		{in: "fe80::1:/x", err: "an IPv6 address goes in brackets"},
		{in: "", err: "no host"},
		{in: "root@", err: "no host"},
		{in: "@cn1", err: "empty user"},
		{in: "a b@cn1", err: `user name "a b" is not valid`},
		{in: "cn 1:/x", err: `host "cn 1" is not valid`},
		{in: "-oProxyCommand=x:/y", err: "is not valid"},
		{in: "cn1:/x\x00y", err: "NUL byte"},
		{in: "ssh:/cn1/x", err: `ssh target "ssh:/cn1/x": a URL starts ssh://; a host named ssh is written root@ssh:/cn1/x`},
		{in: "SFTP:/x", err: "a URL starts ssh://"},
		{in: "root@ssh:/x", want: Target{"root", "ssh", 22, "/x"}},
	} {
		got, err := ParseTarget(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseTarget(%q) = %+v, %v, want error containing %q", tc.in, got, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("ParseTarget(%q) = %+v, %v, want %+v", tc.in, got, err, tc.want)
		}
	}
}

// Both printed forms read back as the same target.
func TestTargetForms(t *testing.T) {
	for _, tg := range []Target{
		{"root", "fe80::1", 2222, "/zones/usbkey-standby"},
		{"me@corp", "fe80::1%net0", 22, "/a b/c?d#e%f"},
		{"root", "cn1", 22, ""},
	} {
		back, err := ParseTarget(tg.URL())
		if err != nil || back != tg {
			t.Errorf("ParseTarget(%q) = %+v, %v, want %+v", tg.URL(), back, err, tg)
		}
		if tg.Path == "" {
			continue
		}
		scp := tg.String() + ":" + tg.Path
		back, err = ParseTarget(scp)
		if err != nil || back != tg {
			t.Errorf("ParseTarget(%q) = %+v, %v, want %+v", scp, back, err, tg)
		}
	}
	tg := Target{"root", "fe80::1", 2222, "/zones/usbkey-standby"}
	if got, want := tg.String(), "root@[fe80::1]:2222"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
