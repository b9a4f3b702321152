package sshconn

import (
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Target
		err  string
	}{
		{in: "ssh://cn1/zones/usbkey-standby", want: Target{"root", "cn1", 22, "/zones/usbkey-standby"}},
		{in: "ssh://admin@10.0.0.5:2222/usbkey", want: Target{"admin", "10.0.0.5", 2222, "/usbkey"}},
		{in: "ssh://[fe80::1]:22/x", want: Target{"root", "fe80::1", 22, "/x"}},
		{in: "ssh://cn1/", want: Target{"root", "cn1", 22, "/"}},
		{in: "ssh://cn1", err: "no path"},
		{in: "ssh://cn1:2222", err: "no path"},
		{in: "sftp://cn1/x", err: `scheme is "sftp", want ssh`},
		{in: "cn1:/x", err: `scheme is "cn1"`},
		{in: "ssh://root:secret@cn1/x", err: "passwords are not supported"},
		{in: "ssh://cn1:0/x", err: `port "0"`},
		{in: "ssh://cn1:99999/x", err: `port "99999"`},
		{in: "ssh:///x", err: "no host"},
		{in: "ssh://@cn1/x", err: "empty user"},
		{in: "ssh://cn1/x?y=1", err: "want ssh://"},
	} {
		got, err := ParseURL(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseURL(%q) = %+v, %v, want error containing %q", tc.in, got, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("ParseURL(%q) = %+v, %v, want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Target
		err  string
	}{
		{in: "cn1", want: Target{"root", "cn1", 22, ""}},
		{in: "cn1:2222", want: Target{"root", "cn1", 2222, ""}},
		{in: "cn1:/zones/usbkey-standby", want: Target{"root", "cn1", 22, "/zones/usbkey-standby"}},
		{in: "admin@cn1:2222:/x", want: Target{"admin", "cn1", 2222, "/x"}},
		{in: "cn1:/dir/with@sign", want: Target{"root", "cn1", 22, "/dir/with@sign"}},
		{in: "[::1]:2222:/x", want: Target{"root", "::1", 2222, "/x"}},
		{in: "[::1]", want: Target{"root", "::1", 22, ""}},
		{in: "cn1:relative", err: `port "relative"`},
		{in: "cn1:2222:relative", err: `port "2222:relative"`},
		{in: "[::1", err: "missing ]"},
		{in: "[::1]x", err: "want [user@]host"},
		{in: "", err: "no host"},
		{in: "root@", err: "no host"},
		{in: "@cn1", err: "empty user"},
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

func TestTargetForms(t *testing.T) {
	tg := Target{"root", "fe80::1", 2222, "/zones/usbkey-standby"}
	if got, want := tg.String(), "root@[fe80::1]:2222"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	back, err := ParseURL(tg.URL())
	if err != nil || back != tg {
		t.Errorf("ParseURL(%q) = %+v, %v, want %+v", tg.URL(), back, err, tg)
	}
}
