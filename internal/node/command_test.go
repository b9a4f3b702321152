package node

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestCommanderRecordsUnderARoot(t *testing.T) {
	root := t.TempDir()
	c := NewCommander(root)
	ctx := context.Background()
	runs := [][]string{
		{"zfs", "create", "-o", "com.joyent:note=it's a key", "zones/usbkey"},
		{"installboot", "-m", "-b", "/tmp/boot dir", "/dev/rdsk/c1t0d0p0"},
	}
	for _, r := range runs {
		out, err := c.Run(ctx, r[0], r[1:]...)
		if len(out) != 0 || err != nil {
			t.Fatalf("Run(%q) = %q, %v, want no output, <nil>", r, out, err)
		}
	}
	// The path is spelled out rather than built from CommandsFile: scripts
	// and operators read this file by that name.
	file := filepath.Join(root, "var", "run", "nodefacts", "commands")
	want := `zfs create -o 'com.joyent:note=it'\''s a key' zones/usbkey` + "\n" +
		`installboot -m -b '/tmp/boot dir' /dev/rdsk/c1t0d0p0` + "\n"
	if got := readString(t, file); got != want {
		t.Errorf("%s = %q, want %q", file, got, want)
	}

	// A cancelled run appends nothing to what is there.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Run(cancelled, "zpool", "export", "zones"); !errors.Is(err, context.Canceled) {
		t.Errorf("Run(cancelled, zpool export zones) = %v, want %v", err, context.Canceled)
	}
	if got := readString(t, file); got != want {
		t.Errorf("%s after a cancelled run = %q, want %q", file, got, want)
	}
}

func TestCommanderCancelledRecordsNothing(t *testing.T) {
	root := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out, err := NewCommander(root).Run(ctx, "zfs", "destroy", "zones/usbkey")
	if len(out) != 0 || !errors.Is(err, context.Canceled) {
		t.Errorf("Run(cancelled, zfs destroy zones/usbkey) = %q, %v, want no output, %v", out, err, context.Canceled)
	}
	// Not even the directory: a cancelled run leaves the root as it was.
	if _, err := os.Stat(filepath.Join(root, "var")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after a cancelled run, stat %s/var: %v, want it not to exist", root, err)
	}
}

func TestCommanderOnTheLiveRoot(t *testing.T) {
	ctx := context.Background()
	if runtime.GOOS == "illumos" {
		// The live commander runs the command; false fails, naming itself.
		_, err := NewCommander("/").Run(ctx, "false")
		if err == nil || !strings.HasPrefix(err.Error(), "false: ") {
			t.Errorf(`Run(false) on / = %v, want an error starting "false: "`, err)
		}
		return
	}
	// Elsewhere zfs and friends do not exist: the live commander refuses,
	// naming the command and the way out.
	out, err := NewCommander("/").Run(ctx, "zfs", "destroy", "zones/usbkey")
	want := "zfs destroy zones/usbkey: needs illumos (this is " + runtime.GOOS + "): pass --root to record the commands instead"
	if len(out) != 0 || err == nil || err.Error() != want {
		t.Errorf("Run(zfs destroy zones/usbkey) on / = %q, %v, want no output, %s", out, err, want)
	}
}

func readString(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
