package populate

import (
	"strings"
	"testing"

	"cntools/internal/node"
)

func TestRequestArgs(t *testing.T) {
	for _, c := range []struct {
		r    Request
		want string
	}{
		{Request{Target: "/dev/rdsk/c1t0d0p0"}, "--from /usbkey /dev/rdsk/c1t0d0p0"},
		{Request{From: "root@cn1:/zones/usbkey-standby", Target: "/zones/usbkey-copy", NodeConfig: true, Headnode: true, BootPool: "zones", Mkdir: true, Yes: true},
			"--from root@cn1:/zones/usbkey-standby --node-config --headnode --bootpool zones --mkdir -y /zones/usbkey-copy"},
		{Request{From: "base.tgz", Target: "key.img", Platforms: []string{"20260301T000000Z", "20250101T000000Z"}, Include: []string{"extra/a", "extra/b"}, NoVerify: true, Force: true},
			"--from base.tgz --platforms 20260301T000000Z,20250101T000000Z --include extra/a --include extra/b --no-verify --force key.img"},
	} {
		if got := strings.Join(c.r.Args(), " "); got != c.want {
			t.Errorf("%+v.Args() = %s, want %s", c.r, got, c.want)
		}
	}
}

func TestRequestCommandLineQuotesAndNamesTheRoot(t *testing.T) {
	r := Request{From: "/zones/usbkey standby", Target: "/usbkey"}
	if got, want := r.CommandLine(node.New("/")), "usbkey-populate --from '/zones/usbkey standby' /usbkey"; got != want {
		t.Errorf("CommandLine on / = %s, want %s", got, want)
	}
	if got, want := r.CommandLine(node.New("/tmp/n")), "usbkey-populate --root /tmp/n --from '/zones/usbkey standby' /usbkey"; got != want {
		t.Errorf("CommandLine under a root = %s, want %s", got, want)
	}
}
