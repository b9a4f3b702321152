package convert_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"cntools/convert/converttest"
	"cntools/internal/node"
)

// The conversion's copies of the config never become world-readable: the
// standby copy is 0644 (as an older sync or a FAT key leaves it), the
// scratch copy and the /usbkey filled from it are 0600 for what holds
// secrets, and finish's rewrite of joysetup's node.config keeps its mode.
func TestConvertModes(t *testing.T) {
	root := convertedAndRebooted(t)
	for p, want := range map[string]fs.FileMode{
		node.CopyDir + "/config": 0o600,
		node.CopyDir + "/private/root.password." + converttest.Platform: 0o600,
		node.CopyDir + "/private":                0o700,
		node.CopyDir + "/config.inc/generic":     0o644,
		node.CopyDir + "/.cntools-manifest.json": 0o600,
		node.UsbkeyDir + "/config":               0o600,
	} {
		fi, err := os.Stat(filepath.Join(root, p))
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v, want %v", p, fi.Mode().Perm(), err, want)
		}
	}
	joysetup := filepath.Join(root, node.UsbkeyDir, "extra/joysetup/node.config")
	// finish seeds it from the standby copy, then rewrites it.
	if err := os.Chmod(filepath.Join(root, node.StandbyDir, "extra/joysetup/node.config"), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := finishNode(t, root); err != nil {
		t.Fatalf("finish: %v", err)
	}
	if fi, err := os.Stat(joysetup); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("extra/joysetup/node.config after finish's rewrite: mode %v, %v, want 0640 as it was", fi.Mode().Perm(), err)
	}
}
