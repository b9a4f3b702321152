package node

import "testing"

func TestPathResolvesNodePathsUnderRoot(t *testing.T) {
	n := New("/tmp/node")
	for in, want := range map[string]string{"/usbkey": "/tmp/node/usbkey", "key.img": "key.img", "/dev/rdsk/c1t0d0p0": "/tmp/node/dev/rdsk/c1t0d0p0"} {
		if got := n.Path(in); got != want {
			t.Errorf("Path(%q) = %q, want %q", in, got, want)
		}
	}
	for _, root := range []string{"/", ""} {
		if got := New(root).Path("/usbkey"); got != "/usbkey" {
			t.Errorf("New(%q).Path(/usbkey) = %q, want /usbkey", root, got)
		}
	}
}

func TestToolLineNamesTheRoot(t *testing.T) {
	for _, c := range []struct{ root, want string }{
		{"/", "usbkey-populate --from /zones/usbkey-standby -y /dev/rdsk/c1t0d0p0"},
		{"/tmp/a node", "usbkey-populate --root '/tmp/a node' --from /zones/usbkey-standby -y /dev/rdsk/c1t0d0p0"},
	} {
		got := New(c.root).ToolLine("usbkey-populate", "--from", StandbyDir, "-y", "/dev/rdsk/c1t0d0p0")
		if got != c.want {
			t.Errorf("ToolLine on %q = %s, want %s", c.root, got, c.want)
		}
	}
}

func TestCommandLineQuotesWhatAShellWouldSplit(t *testing.T) {
	got := CommandLine("zfs", "set", "com.joyent:x=it's", "zones/boot", "")
	want := `zfs set 'com.joyent:x=it'\''s' zones/boot ''`
	if got != want {
		t.Errorf("CommandLine = %s, want %s", got, want)
	}
}
