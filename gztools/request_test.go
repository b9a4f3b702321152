package gztools

import (
	"slices"
	"testing"

	"cntools/internal/node"
)

func TestRequestArgs(t *testing.T) {
	for _, c := range []struct {
		req  Request
		want []string
	}{
		{Request{}, []string{"--from", "/usbkey"}},
		{Request{From: node.CopyDir, SkipUsbkey: true, Yes: true}, []string{"--from", "/zones/usbkey-copy", "--skip-usbkey", "-y"}},
		{Request{From: "gz-tools.tgz", Sdcadm: "/var/tmp/sdcadm-1.sh", Check: true}, []string{"--from", "gz-tools.tgz", "--sdcadm", "/var/tmp/sdcadm-1.sh", "--check"}},
	} {
		if got := c.req.Args(); !slices.Equal(got, c.want) {
			t.Errorf("%+v.Args() = %q, want %q", c.req, got, c.want)
		}
	}
}

func TestRequestCommandLine(t *testing.T) {
	req := Request{From: node.CopyDir, SkipUsbkey: true, Yes: true}
	for _, c := range []struct{ root, want string }{
		{"/", "gztools-install --from /zones/usbkey-copy --skip-usbkey -y"},
		{"/tmp/a node", "gztools-install --root '/tmp/a node' --from /zones/usbkey-copy --skip-usbkey -y"},
	} {
		if got := req.CommandLine(node.New(c.root)); got != c.want {
			t.Errorf("CommandLine on %q = %s, want %s", c.root, got, c.want)
		}
	}
}
