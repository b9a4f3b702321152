package key

import (
	"slices"
	"testing"

	"cntools/internal/node"
)

func TestFormatRequestArgs(t *testing.T) {
	for _, c := range []struct {
		req  FormatRequest
		want []string
	}{
		{FormatRequest{Target: "/dev/rdsk/c1t0d0p0"}, []string{"/dev/rdsk/c1t0d0p0"}},
		{
			FormatRequest{Target: "/dev/rdsk/c1t0d0p0", BootDir: node.CopyDir, Force: true, Yes: true},
			[]string{"--boot-dir", "/zones/usbkey-copy", "--force", "-y", "/dev/rdsk/c1t0d0p0"},
		},
		{
			FormatRequest{Target: "key.img", BootTarball: "boot.tgz", ESPImage: "esp.img", Size: "4gb", Yes: true},
			[]string{"--boot-tarball", "boot.tgz", "--esp-image", "esp.img", "--size", "4gb", "-y", "key.img"},
		},
		{FormatRequest{Target: "-odd.img", Size: "8G"}, []string{"--size", "8G", "--", "-odd.img"}},
	} {
		if got := c.req.Args(); !slices.Equal(got, c.want) {
			t.Errorf("%+v.Args() = %q, want %q", c.req, got, c.want)
		}
	}
}

func TestFormatRequestCommandLine(t *testing.T) {
	req := FormatRequest{Target: "/dev/rdsk/c1t0d0p0", BootDir: node.CopyDir, Force: true, Yes: true}
	for _, c := range []struct{ root, want string }{
		{"/", "usbkey-format --boot-dir /zones/usbkey-copy --force -y /dev/rdsk/c1t0d0p0"},
		{"/tmp/a node", "usbkey-format --root '/tmp/a node' --boot-dir /zones/usbkey-copy --force -y /dev/rdsk/c1t0d0p0"},
	} {
		if got := req.CommandLine(node.New(c.root)); got != c.want {
			t.Errorf("CommandLine on %q = %s, want %s", c.root, got, c.want)
		}
	}
}
