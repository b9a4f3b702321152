package gztools_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"cntools/gztools"
)

// Every file gztools-install writes has the mode it should: the tools as
// the tarball has them, the records and copies world-readable (none holds
// a secret), the SMF manifest read-only as svccfg import leaves it.
func TestInstallModes(t *testing.T) {
	n := usbkeyNode(t)
	root := n.Path("/")
	ctx := context.Background()
	plan, err := gztools.NewPlan(ctx, n, gztools.Request{}, gztools.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer plan.Close()
	if _, err := plan.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]fs.FileMode{
		"opt/smartdc/bin/sdc":                    0o755,
		"usbkey/extra/joysetup/cn_tools.tar.gz":  0o644,
		"usbkey/extra/joysetup/joysetup.sh":      0o755,
		"var/sdcadm/sdcadm.conf":                 0o644,
		"var/svc/manifest/site/sdcadm-setup.xml": 0o444,
		"var/cn-tools/gztools-install.json":      0o644,
		"opt/smartdc/sdcadm":                     0o755,
	} {
		fi, err := os.Stat(filepath.Join(root, p))
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v, want %v", p, fi.Mode().Perm(), err, want)
		}
	}
}
