package key

import (
	"os"
	"path/filepath"
	"testing"

	"cntools/usbkey/bootfiles"
	"cntools/usbkey/bootfiles/bootfilestest"
)

const benchSize = 4 << 30 // a 4 GiB sparse image

// BenchmarkFormat formats a 4 GiB sparse image in-process, for profiling
// (-cpuprofile). The comparison with the peer tools, as whole processes
// and without sgdisk's own sync and sleep, is make bench's
// (internal/benchtable).
func BenchmarkFormat(b *testing.B) {
	dir := b.TempDir()
	bootDir := filepath.Join(dir, "boot")
	if err := bootfilestest.WriteDir(bootDir); err != nil {
		b.Fatal(err)
	}
	set, err := bootfiles.FromDir(bootDir)
	if err != nil {
		b.Fatal(err)
	}
	img := filepath.Join(dir, "ours.img")
	for b.Loop() {
		os.Remove(img)
		f, err := os.Create(img)
		if err != nil {
			b.Fatal(err)
		}
		if err := f.Truncate(benchSize); err != nil {
			b.Fatal(err)
		}
		if _, err := Format(f, benchSize, FormatOptions{Boot: set}); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
