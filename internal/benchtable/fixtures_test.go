package benchtable

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The fixtures: trees shaped as the issue measured them, written once per
// run, every file's mtime an hour old so no hash cache calls it racy.

// noise fills p with bytes that do not compress (ChaCha8 from seed).
func noise(p []byte, seed uint64) {
	rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24)}).Read(p)
}

// writeFile writes size bytes of noise to root/rel, an hour old.
func writeFile(tb testing.TB, root, rel string, size int, seed uint64) {
	tb.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	body := make([]byte, size)
	noise(body, seed)
	if err := os.WriteFile(p, body, 0o644); err != nil {
		tb.Fatal(err)
	}
	age(tb, p)
}

// age makes p an hour old.
func age(tb testing.TB, p string) {
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(p, old, old); err != nil {
		tb.Fatal(err)
	}
}

// smallFiles writes n files of 1-64 KiB (about 32 KiB each on average),
// a hundred to a directory, under root/dir.
func smallFiles(tb testing.TB, root, dir string, n int) {
	for i := range n {
		size := 1<<10 + (i*7919)%(63<<10)
		writeFile(tb, root, fmt.Sprintf("%s/d%02d/f%04d", dir, i/100, i), size, uint64(i+1))
	}
}

// configFile is a usbkey config with nothing secret in it.
func configFile(tb testing.TB, root string) {
	p := filepath.Join(root, "config")
	if err := os.MkdirAll(root, 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("datacenter_name=bench-1\nhostname=headnode0\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	age(tb, p)
}

// syncSmallTree: 5,000 small files (about 160 MB), as issue 14 measured.
func syncSmallTree(tb testing.TB, root string) {
	configFile(tb, root)
	smallFiles(tb, root, "extra/bench", 5000)
}

// syncLargeTree: 384 MiB in 635 files, a platform's boot_archive and the
// images a key carries.
func syncLargeTree(tb testing.TB, root string) {
	configFile(tb, root)
	writeFile(tb, root, "os/20260301T000000Z/platform/i86pc/amd64/boot_archive", 256<<20, 1)
	for i := range 633 {
		writeFile(tb, root, fmt.Sprintf("images/img%03d.zfs.gz", i), (128<<20)/633, uint64(i+2))
	}
}

// buildTools builds the binaries as make cn-tools does: cn-tools, with
// each tool's name linked to it in dir, and usbkey-state, the helper a
// sync runs on its targets, a binary of its own.
func buildTools(tb testing.TB, dir string) {
	tb.Helper()
	for _, pkg := range []string{"cn-tools", "usbkey-state"} {
		cmd := exec.Command("go", "build", "-trimpath", "-tags", "urfave_cli_no_docs", "-o", filepath.Join(dir, pkg), "cntools/tools/"+pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("go build: %v\n%s", err, out)
		}
	}
	for _, t := range []string{"usbkey-format", "usbkey-populate", "usbkey-sync", "usbkey-drift", "gztools-install"} {
		if err := os.Symlink("cn-tools", filepath.Join(dir, t)); err != nil {
			tb.Fatal(err)
		}
	}
}
